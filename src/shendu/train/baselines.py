"""The baselines every classifier is reported beside, fitted on its own train split and scored
on its own test split at the end of training (``--set baseline=false`` skips them).

- the majority class: always the most frequent training label (ties: the lowest class id);
- the strongest cheap baseline that fits the inputs, scikit-learn's ``LogisticRegression``
  (lbfgs, L2) with ``C`` chosen on the validation split:

  - pixels (images) and feature vectors (vectors; multimodal: the caption's bag of words and
    the pixels, concatenated): standardised (``StandardScaler`` fitted on the training
    examples), ``C`` from :data:`PIXEL_C_GRID`, at most 200 iterations. Images larger than
    :data:`MAX_PIXEL_SIDE` pixels a side are area-averaged down to it, and a big training split
    is cut to a fixed random subset of :data:`MAX_TRAIN_VALUES` numbers (examples x features;
    at least :data:`MIN_TRAIN_EXAMPLES` examples), which bounds the time: CIFAR-10's 45,000
    images give 2,604 (3,072 pixels each): at most ~1 minute on 2 cores (200 iterations x 3 C at
    ~0.08 s, scaled from a timing on random 10,000 x 3,072 data; no CIFAR-10 ships here). Every shipped
    sample fits whole (mnist-cnn's 3,500 training images: ~4 s on 2 cores).
  - texts: TF-IDF (Sparck Jones 1972) + logistic regression, as in Wang & Manning (2012),
    "Baselines and Bigrams": word 1-2-grams for texts written with spaces between words,
    character 1-3-grams for texts without (Chinese), ``C`` from :data:`TEXT_C_GRID`. The
    same function computes ``benchmarks/text_baselines.py``'s table (IMDB: ~1 minute on 2 cores,
    most of it building the bigram vocabulary).

What the report and ``shendu evaluate`` need is kept in the run folder's baselines.json
(:mod:`shendu.predict.baselines`): the majority class and the linear model's test predictions,
never a fitted model.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch.utils.data import Dataset

from shendu.data.base import ArrayDataset, ArrayImageDataset
from shendu.predict.baselines import TASK, baseline_metrics

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from shendu.train.task import TrainingTask

log = logging.getLogger(__name__)

BASELINE_KINDS = ("classification", "multimodal")  # training kinds whose runs get baselines (not distillation)
PIXEL_C_GRID = (0.01, 0.1, 1.0)
TEXT_C_GRID = (0.5, 2.0, 8.0, 32.0)
MAX_PIXEL_SIDE = 32
MAX_TRAIN_VALUES = 8_000_000  # training examples x features for pixels and feature vectors (32 MB of float32)
MIN_TRAIN_EXAMPLES = 1_000
MAX_TRAIN_TEXTS = 50_000
SEED = 0
# what each input kind's linear baseline is called in the report
LINEAR_NAMES = {"image": "logistic regression on pixels", "vector": "logistic regression on the features",
                "multimodal": "logistic regression on the caption words and pixels", "text": "TF-IDF + logistic regression"}

Split = tuple[Any, np.ndarray]  # (inputs, labels): an (N, D) array or N texts


@dataclass
class LinearFit:
    """A linear baseline's predictions on the test split and how it was fitted.

    Args:
        predictions: class ids ``(N_test,)``.
        C: the inverse L2 strength chosen on the validation split from ``grid``.
        train_examples, features: what it was fitted on (after any cap).
        inputs: what it reads, for the report ("standardised pixels", "word 1-2-grams").
        seconds: wall time of vectorising, fitting and predicting.
    """

    predictions: np.ndarray
    C: float
    grid: tuple[float, ...]
    train_examples: int
    features: int
    inputs: str
    seconds: float


def majority_class(train_labels: np.ndarray, num_classes: int) -> int:
    """The most frequent training label (the lowest class id among ties)."""
    return int(np.bincount(np.asarray(train_labels, dtype=np.int64), minlength=num_classes).argmax())


def choose_logistic(train: Split, val: Split, grid: Sequence[float], max_iter: int) -> LogisticRegression:
    """``LogisticRegression`` fitted on ``train`` for each ``C`` of ``grid``; the one most
    accurate on ``val`` (the smallest ``C`` among ties: the most regularised)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():  # a capped number of iterations is part of "cheap"
        warnings.simplefilter("ignore", ConvergenceWarning)
        models = [LogisticRegression(C=c, max_iter=max_iter, random_state=SEED).fit(*train) for c in grid]
    return max(models, key=lambda model: model.score(*val))


def is_spaced(texts: Sequence[str], sample: int = 1000) -> bool:
    """Whether words are separated by spaces (English: ~17% of characters; Chinese: <1%)."""
    chosen = texts[:sample]
    characters = sum(len(t) for t in chosen)
    return characters > 0 and sum(sum(c.isspace() for c in t) for t in chosen) / characters >= 0.05


def tfidf_vectorizer(texts: Sequence[str]) -> TfidfVectorizer:
    """Word 1-2-grams for spaced texts, character 1-3-grams otherwise (both seen in at least two
    training texts, sublinear term frequency)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if is_spaced(texts):
        return TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=200_000, sublinear_tf=True)
    return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True)


def text_logistic(train: Split, val: Split, test: Split, grid: Sequence[float] = TEXT_C_GRID) -> LinearFit:
    """TF-IDF + logistic regression on ``(texts, labels)`` splits; ``C`` chosen on ``val``.

    Raises:
        ValueError: no n-gram is in two training texts, or the training labels hold one class.
    """
    started = time.perf_counter()
    vectorizer = tfidf_vectorizer(train[0])
    x_train = vectorizer.fit_transform(train[0])
    model = choose_logistic((x_train, train[1]), (vectorizer.transform(val[0]), val[1]), grid, max_iter=3000)
    predictions = model.predict(vectorizer.transform(test[0]))
    grams = "word 1-2-grams" if vectorizer.analyzer == "word" else "character 1-3-grams"
    return LinearFit(predictions, float(model.C), tuple(grid), x_train.shape[0], x_train.shape[1],
                     f"TF-IDF of {grams}", time.perf_counter() - started)


def array_logistic(train: Split, val: Split, test: Split, grid: Sequence[float] = PIXEL_C_GRID,
                   inputs: str = "standardised features") -> LinearFit:
    """Standardised logistic regression on ``(array (N, D), labels)`` splits (the scaler fitted
    on ``train``); ``C`` chosen on ``val``.

    Raises:
        ValueError: the training labels hold one class.
    """
    from sklearn.preprocessing import StandardScaler

    started = time.perf_counter()
    (x_train, y_train), (x_val, y_val) = train, val
    scaler = StandardScaler().fit(x_train)
    model = choose_logistic((scaler.transform(x_train), y_train), (scaler.transform(x_val), y_val), grid, max_iter=200)
    predictions = model.predict(scaler.transform(test[0]))
    return LinearFit(predictions, float(model.C), tuple(grid), len(y_train), x_train.shape[1], inputs,
                     time.perf_counter() - started)


def pixels(dataset: ArrayImageDataset, rows: np.ndarray | None = None) -> np.ndarray:
    """The images (``rows`` of them, or all) as rows of pixels in [0, 1], before any transform
    (no augmentation, no normalisation: the baseline standardises): ``(N, C * H * W)``, images
    larger than :data:`MAX_PIXEL_SIDE` a side area-averaged down to it."""
    images = dataset.images if rows is None else dataset.images[torch.from_numpy(rows)]  # (N, C, H, W)
    side = (min(images.shape[2], MAX_PIXEL_SIDE), min(images.shape[3], MAX_PIXEL_SIDE))
    out = []
    for start in range(0, len(images), 1024):
        chunk = images[start:start + 1024].float() * dataset.scale
        if side != tuple(images.shape[2:]):
            chunk = torch.nn.functional.adaptive_avg_pool2d(chunk, side)
        out.append(chunk.reshape(len(chunk), -1).numpy())  # (n, C, h, w) -> (n, C * h * w)
    return np.concatenate(out) if out else np.zeros((0, images.shape[1] * side[0] * side[1]), np.float32)


def subset(size: int, cap: int) -> np.ndarray | None:
    """A fixed random ``cap`` of ``size`` indices, in order; ``None`` when all fit."""
    return None if size <= cap else np.sort(np.random.default_rng(SEED).permutation(size)[:cap])


def labels_of(dataset: Dataset) -> np.ndarray:
    """The class ids of a split, in order (its ``labels`` tensor, or read example by example)."""
    labels = getattr(dataset, "labels", None)
    if isinstance(labels, torch.Tensor):
        return labels.numpy().astype(np.int64)
    return np.asarray([int(dataset[i][1]) for i in range(len(dataset))], dtype=np.int64)  # type: ignore[arg-type]


def _train_cap(dataset: Dataset) -> int:
    """How many training examples the linear baseline reads from ``dataset``."""
    if isinstance(dataset, ArrayImageDataset):
        channels, height, width = dataset.images.shape[1:]
        features = channels * min(height, MAX_PIXEL_SIDE) * min(width, MAX_PIXEL_SIDE)
    elif isinstance(dataset, ArrayDataset):
        features = dataset.features.shape[1]
    else:
        return MAX_TRAIN_TEXTS
    return max(MIN_TRAIN_EXAMPLES, MAX_TRAIN_VALUES // max(features, 1))


def _linear_inputs(dataset: Dataset, rows: np.ndarray | None = None) -> tuple[str, Any] | None:
    """``(what, inputs)`` a linear baseline reads from a split (``rows`` of it, or all), or
    ``None`` if none fits."""
    if isinstance(dataset, ArrayImageDataset):
        return "pixels", pixels(dataset, rows)
    if isinstance(dataset, ArrayDataset):
        features = dataset.features.numpy()
        return "features", features if rows is None else features[rows]
    texts = getattr(dataset, "texts", None)
    if isinstance(texts, list) and all(isinstance(t, str) for t in texts):
        return "texts", texts if rows is None else [texts[i] for i in rows]
    return None


@dataclass
class Baselines:
    """A run's baselines: the majority class and, where one fits, a linear model.

    Args:
        majority: the majority class id; ``majority_count`` of the ``train_examples`` have it.
        linear: the linear baseline, or ``None`` (``why`` says why).
        name: the linear baseline's name in the report ("logistic regression on pixels").
    """

    majority: int
    majority_count: int
    train_examples: int
    linear: LinearFit | None
    name: str | None
    why: str | None = None

    def document(self, labels: list[str], test_sha256: str, test_examples: int) -> dict[str, Any]:
        """baselines.json (see :mod:`shendu.predict.baselines`)."""
        linear = None if self.linear is None else {
            "name": self.name, "inputs": self.linear.inputs, "C": self.linear.C, "C_grid": list(self.linear.grid),
            "train_examples": self.linear.train_examples, "features": self.linear.features,
            "seconds": round(self.linear.seconds, 3), "test_predictions": [int(p) for p in self.linear.predictions]}
        return {"task": TASK, "test_sha256": test_sha256, "test_examples": test_examples,
                "majority": {"class": self.majority, "label": labels[self.majority], "train_count": self.majority_count,
                             "train_examples": self.train_examples},
                "linear": linear, **({"why": self.why} if self.why else {})}

    def note(self, labels: list[str]) -> str:
        """The report's note on how the baselines were made."""
        share = self.majority_count / max(self.train_examples, 1)
        text = (f"Baselines, on the same train and test splits as the model (baselines.json): the majority class "
                f"always answers {labels[self.majority]!r}, the most frequent training label ({self.majority_count:,} "
                f"of {self.train_examples:,}, {share * 100:.1f}%)")
        if self.linear is None:
            return f"{text}; no linear baseline: {self.why}."
        fit = self.linear
        cap = (f" (a random {fit.train_examples:,} of the {self.train_examples:,}, the cap for a quick baseline)"
               if fit.train_examples < self.train_examples else "")
        return (f"{text}; {self.name}: scikit-learn's LogisticRegression on the {fit.inputs} ({fit.features:,} "
                f"features) of {fit.train_examples:,} training examples{cap}, C = {fit.C:g} chosen on the validation "
                f"split from {', '.join(f'{c:g}' for c in fit.grid)}; {fit.seconds:.1f} s.")


def fit_baselines(train: Dataset, val: Dataset, test: Dataset, num_classes: int, input_kind: str) -> Baselines:
    """The majority class and the linear baseline of one split set (``input_kind``: the input
    spec's kind). A linear baseline that cannot be fitted (one training class, no n-gram in two
    texts) is left out with the reason, never fails the run."""
    train_labels = labels_of(train)
    majority = majority_class(train_labels, num_classes)
    count = int((train_labels == majority).sum())
    name = LINEAR_NAMES.get(input_kind, "logistic regression")
    rows = subset(len(train_labels), _train_cap(train))
    parts = [_linear_inputs(train, rows), _linear_inputs(val), _linear_inputs(test)]
    if any(part is None for part in parts):
        return Baselines(majority, count, len(train_labels), None, None,
                         f"the splits of these {input_kind} inputs hold nothing a linear model reads (pixels, "
                         "feature vectors or raw texts)")
    (kind, x_train), (_, x_val), (_, x_test) = parts  # type: ignore[misc]
    y_train = train_labels if rows is None else train_labels[rows]
    splits = ((x_train, y_train), (x_val, labels_of(val)), (x_test, labels_of(test)))
    try:
        linear = text_logistic(*splits) if kind == "texts" else array_logistic(*splits, inputs=f"standardised {kind}")
    except ValueError as exc:  # e.g. one class in training, an empty vocabulary
        log.warning("the %s baseline could not be fitted (%s); the report gives the majority class only", name, exc)
        return Baselines(majority, count, len(train_labels), None, None, f"it could not be fitted ({exc})")
    return Baselines(majority, count, len(train_labels), linear, name)


def task_baselines(task: TrainingTask) -> Baselines | None:
    """A training run's baselines, or ``None`` when it has none (switched off with
    ``--set baseline=false``, or a kind that is not a plain classifier)."""
    if not getattr(task.config, "baseline", True) or task.kind not in BASELINE_KINDS:
        return None
    data = task.data
    return fit_baselines(data.train, data.val, data.test, len(data.labels), data.input_spec.kind)


def scored(baselines: Baselines, labels: list[str], targets: Sequence[int], test_sha256: str) -> tuple[dict, dict]:
    """``(baselines.json, metrics)``: the document, and its metrics scored on ``targets`` by the
    function ``shendu evaluate`` re-scores them with."""
    document = baselines.document(labels, test_sha256, len(targets))
    return document, baseline_metrics(document, targets)
