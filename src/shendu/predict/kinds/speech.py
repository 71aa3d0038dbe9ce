"""Speech recognition: a transcript per clip (prefix beam search, and greedy), character and
word error rates on the test clips (torchmetrics), and a picture of test clips with transcripts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from shendu.data.specs import AudioSpec, InputSpec
from shendu.errors import InputError
from shendu.predict.kinds.base import Progress, Result, TaskKind
from shendu.terminal import safe_text

if TYPE_CHECKING:
    from shendu.predict.predictor import Predictor

TRANSCRIPTS = "transcripts.png"


@dataclass
class Transcript(Result):
    """``transcript``: prefix beam search; ``greedy``: the best class per frame."""

    input: str
    transcript: str
    greedy: str


BLANK = 0


def greedy_decode(log_probs: np.ndarray | torch.Tensor, alphabet: str) -> str:
    """Best class per frame, repeats merged, blanks dropped."""
    best = np.asarray(torch.as_tensor(log_probs).argmax(-1))
    out, previous = [], BLANK
    for c in best:
        if c != previous and c != BLANK:
            out.append(alphabet[c - 1])
        previous = c
    return "".join(out)


def beam_decode(log_probs: np.ndarray | torch.Tensor, alphabet: str, beam: int = 8, prune: float = -12.0) -> str:
    """CTC prefix beam search (Hannun et al. 2014, without a language model): keeps the ``beam``
    most probable *labellings*, summing over the alignments of each, where greedy decoding keeps
    one alignment. Classes with log-probability below ``prune`` at a frame are skipped."""
    lp = np.asarray(torch.as_tensor(log_probs, dtype=torch.float64))
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, -np.inf)}  # prefix -> (log p blank, log p non-blank)
    for frame in lp:
        nxt: dict[tuple[int, ...], list[float]] = defaultdict(lambda: [-np.inf, -np.inf])
        candidates = [c for c in range(1, len(frame)) if frame[c] > prune]
        for prefix, (pb, pnb) in beams.items():
            total = np.logaddexp(pb, pnb)
            entry = nxt[prefix]
            entry[0] = np.logaddexp(entry[0], total + frame[BLANK])
            for c in candidates:
                p = frame[c]
                extended = nxt[prefix + (c,)]
                if prefix and prefix[-1] == c:
                    extended[1] = np.logaddexp(extended[1], pb + p)  # a blank separated the repeat
                    entry[1] = np.logaddexp(entry[1], pnb + p)  # the repeat merges into the prefix
                else:
                    extended[1] = np.logaddexp(extended[1], total + p)
        ranked = sorted(nxt.items(), key=lambda kv: -np.logaddexp(*kv[1]))[:beam]
        beams = {k: (v[0], v[1]) for k, v in ranked}
    best = max(beams.items(), key=lambda kv: np.logaddexp(*kv[1]))[0]
    return "".join(alphabet[c - 1] for c in best)


def decode_batch(log_probs: torch.Tensor, lengths: torch.Tensor, alphabet: str, beam: int = 0) -> list[str]:
    """Decode each clip of a batch over its real frames; ``beam`` 0 = greedy."""
    out = []
    for lp, n in zip(log_probs.detach().cpu(), lengths.tolist(), strict=True):
        out.append(beam_decode(lp[:n], alphabet, beam) if beam else greedy_decode(lp[:n], alphabet))
    return out


def target_texts(targets: torch.Tensor, target_lengths: torch.Tensor, alphabet: str) -> list[str]:
    texts, start = [], 0
    for n in target_lengths.tolist():
        texts.append("".join(alphabet[int(c) - 1] for c in targets[start:start + n]))
        start += n
    return texts


def error_rates(predictions: Sequence[str], truth: Sequence[str]) -> dict[str, float]:
    from torchmetrics.text import CharErrorRate, WordErrorRate

    return {"cer": float(CharErrorRate()(list(predictions), list(truth))),
            "wer": float(WordErrorRate()(list(predictions), list(truth)))}


@torch.no_grad()
def evaluate_recognizer(model: nn.Module, dataset: Any, alphabet: str, beam: int = 8,
                        progress: Progress = None, batch_size: int = 32) -> dict[str, Any]:
    """Test CER and WER with prefix-beam decoding (``test_cer``, ``test_wer``) and with greedy
    decoding (``test_cer_greedy``, ``test_wer_greedy``); ``examples`` holds every transcript."""
    model.eval()
    greedy, beamed, truth = [], [], []
    for start in range(0, len(dataset), batch_size):
        batch = dataset.collate_fn([dataset[i] for i in range(start, min(start + batch_size, len(dataset)))])
        (features, lengths), (targets, target_lengths) = batch
        log_probs = model(features, lengths)
        greedy += decode_batch(log_probs, lengths, alphabet)
        beamed += decode_batch(log_probs, lengths, alphabet, beam=beam)
        truth += target_texts(targets, target_lengths, alphabet)
        if progress is not None:
            progress(len(truth), len(dataset))
    with_beam, without = error_rates(beamed, truth), error_rates(greedy, truth)
    return {"test_cer": with_beam["cer"], "test_wer": with_beam["wer"], "test_cer_greedy": without["cer"],
            "test_wer_greedy": without["wer"], "test_samples": len(truth), "test_beam": beam,
            "test_sentences_wrong": sum(b != t for b, t in zip(beamed, truth, strict=True)),
            "examples": list(zip(truth, greedy, beamed, strict=True))}


class SpeechRecognition(TaskKind):
    task = "speech-recognition"
    input_kind = "audio"
    options = {}
    test_noun = "test clips"

    def model_classes(self, labels: list[str], spec: InputSpec) -> int | None:
        return len(spec.alphabet) + 1  # type: ignore[attr-defined]  # the characters and CTC's blank

    @torch.no_grad()
    def predict(self, predictor: Predictor, inputs: Sequence[Any]) -> list[Transcript]:
        """Each input is a wav/flac/ogg file, or a mono waveform (a float array at the model's
        sample rate, or ``(waveform, sample_rate)``). Every clip is read before any is decoded.

        Raises:
            InputError: a file that is missing, not audio, empty, or too long.
        """
        from shendu.data.speech import log_mel, read_audio, resample

        spec: AudioSpec = predictor.input_spec  # type: ignore[assignment]
        rate = spec.features.sample_rate
        clips = []
        for i, item in enumerate(inputs):
            if isinstance(item, str | Path):
                clips.append((str(item), read_audio(item, rate)))
                continue
            waveform, source_rate = item if isinstance(item, tuple) and len(item) == 2 else (item, rate)
            audio = np.asarray(waveform, dtype=np.float32)
            if audio.ndim != 1 or audio.size == 0 or not np.all(np.isfinite(audio)):
                raise InputError(f"input {i} must be an audio file or a non-empty mono waveform (1-D float array); got "
                                 f"{type(item).__name__}{f' of shape {audio.shape}' if audio.ndim else ''}.")
            clips.append((f"<waveform {i}>", resample(audio, int(source_rate), rate)))
        results = []
        for name, audio in clips:
            log_probs = predictor.model(torch.from_numpy(log_mel(audio, spec.features))[None])[0]
            results.append(Transcript(name, beam_decode(log_probs, spec.alphabet, spec.beam),
                                      greedy_decode(log_probs, spec.alphabet)))
        return results

    def render(self, results: Sequence[Any], console: Any) -> None:
        for item in results:
            console.print(f"{safe_text(item.input)}: [bold]{safe_text(item.transcript)}[/]")

    def evaluate(self, model: nn.Module, dataset: Dataset, labels: list[str], spec: InputSpec,
                 progress: Progress = None) -> dict[str, Any]:
        return evaluate_recognizer(model, dataset, "".join(labels), beam=spec.beam, progress=progress)  # type: ignore[attr-defined]

    def pictures(self, dataset: Dataset, evaluation: dict[str, Any], labels: list[str], spec: InputSpec,
                 folder: Path) -> list[str]:
        from shendu.plots import plot_transcripts

        wrong = [i for i, (t, _, b) in enumerate(evaluation["examples"]) if t != b]
        picks = (wrong[:3] + [i for i in range(len(dataset)) if i not in wrong][:3])[:4]  # type: ignore[arg-type]
        plot_transcripts([dataset[i][0] for i in picks], [evaluation["examples"][i] for i in picks],
                         spec.features.n_mels, folder / TRANSCRIPTS)  # type: ignore[attr-defined]
        return [TRANSCRIPTS]

    def report_rows(self, metrics: dict[str, Any]) -> list[tuple[str, str]]:
        return [
            ("test word error rate", f"{metrics['test_wer'] * 100:.2f}% (beam {metrics['test_beam']}), "
                                     f"{metrics['test_wer_greedy'] * 100:.2f}% (greedy)"),
            ("test character error rate", f"{metrics['test_cer'] * 100:.2f}% (beam), "
                                          f"{metrics['test_cer_greedy'] * 100:.2f}% (greedy)"),
            ("test clips (transcripts not exactly right)",
             f"{metrics['test_samples']} ({metrics['test_sentences_wrong']})"),
        ]

    def headline(self, metrics: dict[str, Any]) -> str:
        return (f"test word error rate: [bold]{metrics['test_wer'] * 100:.2f}%[/] (greedy "
                f"{metrics['test_wer_greedy'] * 100:.2f}%), character error rate {metrics['test_cer'] * 100:.2f}% "
                f"on {metrics['test_samples']:,} test clips")


SPEECH_RECOGNITION = SpeechRecognition()
