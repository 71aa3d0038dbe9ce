"""Pairs of a damaged digit image and a short caption that only narrows the digit down.

Neither modality is enough alone: each 8x8 digit (scikit-learn's) loses half of its pixels to a
random occlusion and gets pixel noise, and its caption states one fact about the digit ("an even
number", "either a three or an eight", "not a prime number"). Reading the digit well needs both,
which is what the documents' MultiModalModel is for. Images are split before pairing, so no image
(in any of its damaged versions) is in two splits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from shendu.data.base import ArrayDataset, DataBundle, ImageSpec, TestSource
from shendu.data.digits import DIGIT_LABELS, load_digits_arrays
from shendu.data.specs import MultimodalSpec
from shendu.data.speech import DIGITS
from shendu.data.splits import stratified_split

PRIMES = {2, 3, 5, 7}
# What predict does to a user's picture: grayscale, 8x8, pixels in [0, 1] (the pairs' own scale),
# dark-ink-on-white drawings inverted to the white-on-black digits.
IMAGE_SPEC = ImageSpec(channels=1, height=8, width=8, mean=(0.0,), std=(1.0,), invert="auto")


def caption_vectorizer(vocabulary: list[str] | None = None):
    """The captions' features: a binary bag of lower-cased 1- and 2-grams of words (scikit-learn's
    CountVectorizer); with ``vocabulary`` (a run's saved one), ready to transform without fitting."""
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(ngram_range=(1, 2), binary=True, token_pattern=r"[a-z]+", vocabulary=vocabulary)


def caption(digit: int, rng: np.random.Generator) -> str:
    """One true statement about ``digit``, drawn at random from five kinds of clue."""
    kind = rng.integers(5)
    if kind == 0:
        return "an even number" if digit % 2 == 0 else "an odd number"
    if kind == 1:
        return "a number below five" if digit < 5 else "a number of five or more"
    if kind == 2:
        return "a prime number" if digit in PRIMES else "not a prime number"
    if kind == 3:
        other = int(rng.choice([d for d in range(10) if d != digit]))
        first, second = (digit, other) if rng.random() < 0.5 else (other, digit)
        return f"either a {DIGITS[first]} or a {DIGITS[second]}"
    wrong = rng.choice([d for d in range(10) if d != digit], size=3, replace=False)
    return "not a " + ", not a ".join(DIGITS[int(d)] for d in wrong)


def damage(image: np.ndarray, rng: np.random.Generator, noise: float) -> np.ndarray:
    """Hide a random half (top, bottom, left or right) and add Gaussian noise; values in [0, 1]."""
    out = image.copy()
    side = rng.integers(4)
    if side == 0:
        out[:4] = 0
    elif side == 1:
        out[4:] = 0
    elif side == 2:
        out[:, :4] = 0
    else:
        out[:, 4:] = 0
    return np.clip(out + rng.normal(0, noise, out.shape), 0, 1).astype(np.float32)


@dataclass
class MultimodalPairs:
    texts: list[str]
    images: np.ndarray  # (N, 64) in [0, 1]
    labels: np.ndarray


def make_pairs(images: np.ndarray, labels: np.ndarray, per_image: int, noise: float,
               rng: np.random.Generator) -> MultimodalPairs:
    texts, pictures, targets = [], [], []
    for image, label in zip(images, labels, strict=True):
        for _ in range(per_image):
            texts.append(caption(int(label), rng))
            pictures.append(damage(image, rng, noise).reshape(-1))
            targets.append(int(label))
    return MultimodalPairs(texts, np.stack(pictures), np.asarray(targets, dtype=np.int64))


def multimodal_bundle(per_image: int = 4, noise: float = 0.15, test_size: int = 360, val_size: int = 180,
                      seed: int = 0, spec: MultimodalSpec | None = None) -> DataBundle:
    """Caption bag-of-words (scikit-learn CountVectorizer, 1- and 2-grams, fitted on the training
    captions) followed by the 64 pixels: one feature vector per pair.

    With ``spec`` (a run's saved one: ``shendu evaluate``), the captions are read with its saved
    vocabulary instead of a newly fitted one.
    """
    images, labels = load_digits_arrays()
    split = stratified_split(labels, test_size=test_size, val_size=val_size, seed=seed)
    rng = np.random.default_rng(seed)
    parts = {name: make_pairs(images[index], labels[index], per_image, noise, rng)
             for name, index in (("train", split.train), ("val", split.val), ("test", split.test))}
    if spec is None:
        vectorizer = caption_vectorizer()
        vectorizer.fit(parts["train"].texts)
        vocabulary = [str(v) for v in vectorizer.get_feature_names_out()]
    else:
        vocabulary = list(spec.text_vocabulary)
        vectorizer = caption_vectorizer(vocabulary)
    datasets = {}
    for name, pairs in parts.items():
        text = vectorizer.transform(pairs.texts).toarray().astype(np.float32)
        datasets[name] = ArrayDataset(np.concatenate([text, pairs.images], axis=1), pairs.labels)
    digest = hashlib.sha256()
    for pairs in parts.values():
        digest.update("\n".join(pairs.texts).encode())
        digest.update(pairs.images.tobytes())
    test = parts["test"]
    examples = [f"{test.texts[i]!r} (digit {test.labels[i]})" for i in range(0, len(test.labels), len(test.labels) // 4)][:4]
    return DataBundle(
        **datasets, labels=DIGIT_LABELS,
        source=(f"scikit-learn's 1,797 8x8 digits, {per_image} pairs per image: half the image hidden at random plus "
                f"noise (std {noise}), and a caption with one clue, e.g. {'; '.join(examples)}"),
        checksum=digest.hexdigest(),
        input_spec=MultimodalSpec(text_vocabulary=tuple(vocabulary), text_dim=len(vocabulary), image_shape=(8, 8),
                                  image=IMAGE_SPEC),
        test_source=TestSource("shendu.data.multimodal:multimodal_bundle", {
            "per_image": per_image, "noise": noise, "test_size": test_size, "val_size": val_size, "seed": seed}),
        extra={"pairs": {k: len(v.labels) for k, v in parts.items()}},
    )
