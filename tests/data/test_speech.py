"""Speech: the espeak-ng corpus, log-mel features, user folders, CTC decoding against brute force."""

import itertools
import shutil

import numpy as np
import pytest
import torch

from shendu.data.speech import (
    DIGITS,
    TEST_VARIANTS,
    TRAIN_VARIANTS,
    DigitCorpusSpec,
    FeatureSpec,
    SpeechDataset,
    build_alphabet,
    load_transcript_folder,
    log_mel,
    plan_corpus,
    read_audio,
    read_manifest,
    synthesise_digits,
)
from shendu.errors import DataError, InputError
from shendu.models.speech import speech_recognizer
from shendu.predict.kinds.speech import beam_decode, greedy_decode

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed (make install installs it)")


def test_corpus_plan_is_seeded_and_keeps_test_voices_out_of_training():
    spec = DigitCorpusSpec(train=200, val=20, test=40, seed=3)
    plan = plan_corpus(spec)
    assert plan == plan_corpus(spec) and plan != plan_corpus(DigitCorpusSpec(train=200, val=20, test=40, seed=4))
    variant = {split: {r["voice"].split("+")[1] for r in plan if r["split"] == split} for split in ("train", "test")}
    assert variant["train"] <= set(TRAIN_VARIANTS) and variant["test"] <= set(TEST_VARIANTS)
    assert not variant["train"] & variant["test"]
    for row in plan:
        words = row["text"].split()
        assert 3 <= len(words) <= 6 and set(words) <= set(DIGITS)
        assert 130 <= row["speed"] <= 210 and 25 <= row["pitch"] <= 75


@needs_espeak
def test_synthesis_is_cached_and_reproducible(tmp_path):
    spec = DigitCorpusSpec(train=4, val=2, test=2, seed=0)
    folder = synthesise_digits(tmp_path, spec)
    rows = read_manifest(folder)
    assert len(rows) == 8 and all((folder / r["file"]).is_file() for r in rows)
    stamp = (folder / rows[0]["file"]).stat().st_mtime_ns
    assert synthesise_digits(tmp_path, spec) == folder  # reused, not synthesised again
    assert (folder / rows[0]["file"]).stat().st_mtime_ns == stamp
    again = synthesise_digits(tmp_path / "other", spec)
    # same seed, same audio: every clip, though several espeak-ng processes write them at a time
    assert all((again / r["file"]).read_bytes() == (folder / r["file"]).read_bytes() for r in rows)
    assert len({(folder / r["file"]).read_bytes() for r in rows}) == len(rows)  # each clip its own text and voice
    audio = read_audio(folder / rows[0]["file"])
    assert audio.dtype == np.float32 and 0.5 < len(audio) / 16000 < 6  # resampled from espeak-ng's 22,050 Hz


def test_log_mel_shapes_and_normalisation():
    rng = np.random.default_rng(0)
    audio = rng.normal(0, 0.1, 16000).astype(np.float32)  # 1 s
    features = log_mel(audio, FeatureSpec(n_mels=40, stack=2))
    assert features.shape == (50, 80) and features.dtype == np.float32  # 101 frames of 10 ms, pairs stacked
    mel = features.reshape(-1, 40)
    assert abs(mel.mean()) < 0.05 and abs(mel.std() - 1) < 0.05
    with pytest.raises(InputError, match="too short"):
        log_mel(audio[:100], FeatureSpec(stack=4))


def test_other_sample_rates_are_resampled_and_empty_clips_refused(tmp_path):
    import librosa
    import soundfile

    rng = np.random.default_rng(0)
    stereo = rng.uniform(-0.5, 0.5, (8000, 2)).astype(np.float32)  # 1 s at 8 kHz
    soundfile.write(tmp_path / "phone.wav", stereo, 8000, subtype="FLOAT")
    audio = read_audio(tmp_path / "phone.wav")
    assert len(audio) == 16000
    np.testing.assert_allclose(audio, librosa.resample(stereo.mean(axis=1), orig_sr=8000, target_sr=16000), atol=1e-6)
    soundfile.write(tmp_path / "empty.wav", np.zeros((0, 1), dtype=np.float32), 16000)
    with pytest.raises(InputError, match="holds no samples"):
        read_audio(tmp_path / "empty.wav")


def test_bad_audio_and_transcript_folders_are_clear_errors(tmp_path):
    (tmp_path / "fake.wav").write_text("not audio")
    with pytest.raises(InputError, match="is not audio soundfile can read"):
        read_audio(tmp_path / "fake.wav")
    with pytest.raises(InputError, match="no such file"):
        read_audio(tmp_path / "missing.wav")
    with pytest.raises(DataError, match="no transcript file"):
        load_transcript_folder(tmp_path)
    (tmp_path / "transcripts.tsv").write_text("fake.wav\tHello  World\nmissing.wav\thi\n")
    with pytest.raises(DataError, match="lists missing.wav, which is not in"):
        load_transcript_folder(tmp_path)
    (tmp_path / "transcripts.tsv").write_text("fake.wav no tab here\n")
    with pytest.raises(DataError, match="expected a file name, a tab and the transcript"):
        load_transcript_folder(tmp_path)


def _brute_force_best(log_probs: np.ndarray, alphabet: str) -> str:
    """Sum the probability of every alignment per collapsed labelling; return the best labelling."""
    totals: dict[str, float] = {}
    frames, classes = log_probs.shape
    for path in itertools.product(range(classes), repeat=frames):
        out, previous = [], 0
        for c in path:
            if c != previous and c != 0:
                out.append(alphabet[c - 1])
            previous = c
        text = "".join(out)
        totals[text] = totals.get(text, 0.0) + float(np.exp(sum(log_probs[t, c] for t, c in enumerate(path))))
    return max(totals, key=totals.get)


def test_beam_search_finds_the_most_probable_labelling():
    rng = np.random.default_rng(0)
    found_difference = False
    for _ in range(30):
        log_probs = torch.log_softmax(torch.tensor(rng.normal(0, 1.5, (5, 3))), dim=-1).numpy()
        best = _brute_force_best(log_probs, "ab")
        assert beam_decode(log_probs, "ab", beam=64, prune=-1e9) == best
        found_difference |= greedy_decode(log_probs, "ab") != best
    assert found_difference  # greedy (one alignment) is not always the best labelling


def test_greedy_decode_merges_repeats_and_drops_blanks():
    frames = [1, 1, 0, 1, 2, 2, 0, 0, 3]
    log_probs = np.log(np.eye(4)[frames] * 0.97 + 0.01)
    assert greedy_decode(log_probs, "ab ") == "aab "


def test_recognizer_is_the_same_alone_and_in_a_padded_batch():
    torch.manual_seed(0)
    model = speech_recognizer(input_dim=8, num_classes=5, mlp_dim=16, hidden_size=8).eval()
    clips = [torch.randn(n, 8) for n in (7, 12, 3)]
    dataset = SpeechDataset([c.numpy() for c in clips], ["ab", "a b", "b"], build_alphabet(["ab", "a b"]))
    (padded, lengths), (targets, target_lengths) = SpeechDataset.collate_fn([dataset[i] for i in range(3)])
    assert padded.shape == (3, 12, 8) and lengths.tolist() == [7, 12, 3] and target_lengths.tolist() == [2, 3, 1]
    together = model(padded, lengths)
    for i, clip in enumerate(clips):
        alone = model(clip[None])
        torch.testing.assert_close(together[i, : len(clip)], alone[0], atol=1e-5, rtol=0)
    with pytest.raises(DataError, match="characters 'z' that the training transcripts never use"):
        SpeechDataset([clips[0].numpy()], ["z"], "ab")
