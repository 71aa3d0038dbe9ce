"""Speech recognition with CTC: the LightningModule, greedy and prefix-beam decoding, and
character / word error rates (torchmetrics)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import lightning as L
import numpy as np
import torch
from torch import nn
from torchmetrics import MeanMetric
from torchmetrics.text import CharErrorRate, WordErrorRate

from shendu.train.config import TrainConfig
from shendu.train.module import build_optimizer, build_scheduler

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


class CTCModule(L.LightningModule):
    """A SpeechRecognizer trained with CTC loss; validation decodes greedily and logs
    ``val_cer`` and ``val_wer``."""

    def __init__(self, model: nn.Module, alphabet: str, config: TrainConfig, steps_per_epoch: int) -> None:
        super().__init__()
        self.model, self.alphabet, self.config, self.steps_per_epoch = model, alphabet, config, steps_per_epoch
        self.ctc = nn.CTCLoss(blank=BLANK, zero_infinity=True)
        self.train_loss, self.val_loss = MeanMetric(), MeanMetric()
        self.val_cer, self.val_wer = CharErrorRate(), WordErrorRate()

    def _loss(self, batch: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, Any]:
        (features, lengths), (targets, target_lengths) = batch
        log_probs = self.model(features, lengths)
        loss = self.ctc(log_probs.transpose(0, 1), targets, lengths, target_lengths)
        return loss, log_probs, lengths, (targets, target_lengths)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        loss, *_ = self._loss(batch)
        self.train_loss.update(loss.detach(), weight=len(batch[0][1]))
        if batch_idx == 0:
            self.log("train_loss", self.train_loss, on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        loss, log_probs, lengths, (targets, target_lengths) = self._loss(batch)
        self.val_loss.update(loss.detach(), weight=len(lengths))
        predictions = decode_batch(log_probs, lengths, self.alphabet)
        truth = target_texts(targets, target_lengths, self.alphabet)
        self.val_cer.update(predictions, truth)
        self.val_wer.update(predictions, truth)
        if batch_idx == 0:
            self.log("val_loss", self.val_loss, on_step=False, on_epoch=True)
            self.log("val_cer", self.val_cer, on_step=False, on_epoch=True)
            self.log("val_wer", self.val_wer, on_step=False, on_epoch=True)

    def configure_optimizers(self) -> Any:
        optimizer = build_optimizer(self.model.parameters(), self.config)
        scheduler = build_scheduler(optimizer, self.config, self.steps_per_epoch)
        return optimizer if scheduler is None else {"optimizer": optimizer, "lr_scheduler": scheduler}


def error_rates(predictions: Sequence[str], truth: Sequence[str]) -> dict[str, float]:
    return {"cer": float(CharErrorRate()(list(predictions), list(truth))),
            "wer": float(WordErrorRate()(list(predictions), list(truth)))}


@torch.no_grad()
def evaluate_recognizer(model: nn.Module, dataset: Any, alphabet: str, beam: int = 8,
                        progress: Callable[[int, int], Any] | None = None, batch_size: int = 32) -> dict[str, Any]:
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
