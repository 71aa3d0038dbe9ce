"""Tokenizers (Hugging Face ``tokenizers``) and the padded batches text models read.

A tokenizer is trained on the training split only and saved in the run folder as
``tokenizer.json``, so ``predict`` and ``serve`` tokenise exactly as training did. Id 0 is
always padding: models find their masks and lengths from ``ids != 0``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers
from torch.utils.data import Dataset, Sampler

from shendu.data.sampling import epoch_generator
from shendu.errors import RunFolderError

PAD, UNK = "[PAD]", "[UNK]"
MAX_TOKENIZER_BYTES = 64 * 2**20  # a BERT tokenizer.json is 0.7 MB, a multilingual one 17 MB
KINDS = ("word", "bpe", "char")


def build_tokenizer(texts: Sequence[str], kind: str = "word", vocab_size: int = 20000, min_frequency: int = 2) -> Tokenizer:
    """Train a tokenizer on ``texts``.

    ``word``: lower-cased words and punctuation (BERT's pre-tokenizer), the ``vocab_size``
    most frequent. ``bpe``: byte-pair sub-words over the same pre-tokens. ``char``: one token
    per character for CJK text (BERT's Chinese handling), words for embedded Latin text.
    HTML line breaks (``<br />`` in IMDB) become spaces.
    """
    if kind not in KINDS:
        raise ValueError(f"tokenizer must be one of {', '.join(KINDS)}; got {kind!r}")
    model = models.BPE(unk_token=UNK) if kind == "bpe" else models.WordLevel(unk_token=UNK)
    tokenizer = Tokenizer(model)
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex(r"<br\s*/?>"), " "),
        normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True),
    ])
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    common = {"vocab_size": vocab_size, "special_tokens": [PAD, UNK], "min_frequency": min_frequency}
    trainer = trainers.BpeTrainer(**common) if kind == "bpe" else trainers.WordLevelTrainer(**common)
    tokenizer.train_from_iterator(texts, trainer)
    if tokenizer.token_to_id(PAD) != 0:
        raise AssertionError("the padding token must have id 0")
    return tokenizer


def load_tokenizer(path: Path | str) -> Tokenizer:
    """Read a run folder's ``tokenizer.json`` (at most MAX_TOKENIZER_BYTES); raise RunFolderError
    if it is missing, too large or broken."""
    path = Path(path)
    fix = "a text run folder needs the tokenizer it was trained with. Restore it or train again."
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise RunFolderError(f"{path} is a folder, not a tokenizers JSON file; {fix}")
        if size > MAX_TOKENIZER_BYTES:
            raise RunFolderError(f"{path} is {size:,} bytes; tokenizer files over {MAX_TOKENIZER_BYTES:,} bytes "
                                 f"are refused; {fix}")
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise RunFolderError(f"{path} is missing; {fix}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RunFolderError(f"{path} is not a tokenizers JSON file ({type(exc).__name__}); {fix}") from None
    _check_merges(text, path, fix)
    try:
        return Tokenizer.from_str(text)
    except BaseException as exc:  # noqa: BLE001 (tokenizers raises plain Exception, or panics: a BaseException)
        if not _failed(exc):
            raise
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:120]
        raise RunFolderError(f"{path} is not a tokenizers JSON file ({first}); {fix}") from None


def _check_merges(text: str, path: Path, fix: str) -> None:
    """Refuse a BPE merge whose result is not in the vocabulary: tokenizers panics on some of
    those (a Rust panic prints its own message and backtrace) instead of raising."""
    import json

    try:
        model = json.loads(text).get("model")
    except (ValueError, RecursionError, AttributeError):
        return  # not a JSON object: Tokenizer.from_str says what is wrong
    if not isinstance(model, dict) or model.get("type") != "BPE" or model.get("continuing_subword_prefix"):
        return
    vocab, merges = model.get("vocab"), model.get("merges")
    if not isinstance(vocab, dict) or not isinstance(merges, list):
        return
    for index, merge in enumerate(merges):
        pair = merge.split(" ") if isinstance(merge, str) else merge
        if isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair):
            if pair[0] + pair[1] not in vocab:
                joined = repr(pair[0] + pair[1])[:60]
                raise RunFolderError(f"{path} `model.merges[{index}]` makes the token {joined}, which `model.vocab` "
                                     f"lacks: the file is damaged; {fix}")


def _failed(exc: BaseException) -> bool:
    """``exc`` is an error of the tokenizers library (an Exception, or a Rust panic, which pyo3
    raises as a BaseException), not an interruption."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def encode(tokenizer: Tokenizer, texts: Sequence[str], max_length: int, special_tokens: bool = False,
           head: int | None = None) -> list[np.ndarray]:
    """Token ids per text, cut to ``max_length``; a text with no tokens becomes ``[UNK]``.

    ``special_tokens``: add the tokenizer's own (``[CLS] ... [SEP]`` for BERT encoders), kept
    inside ``max_length``. ``head``: keep the first ``head`` and the last ``max_length - head``
    tokens of a long text instead of its first ``max_length`` ("head+tail" truncation, Sun et
    al. 2019, "How to Fine-Tune BERT for Text Classification?": reviews often end with the
    verdict). ``None`` keeps the head only (and the closing special token, if any).
    """
    if head is not None and not 0 <= head <= max_length:
        raise ValueError(f"head must be between 0 and max_length ({max_length}); got {head}.")
    unk = tokenizer.token_to_id(UNK)
    tokenizer.no_padding()
    tokenizer.no_truncation()
    out = []
    try:
        encodings = tokenizer.encode_batch(list(texts), add_special_tokens=special_tokens)
    except BaseException as exc:  # noqa: BLE001 (a damaged tokenizer that loaded can still panic on a text)
        if not _failed(exc):
            raise
        raise RunFolderError(f"the run's tokenizer.json failed on these texts ({type(exc).__name__}: "
                             f"{str(exc)[:120]}); it is damaged. Restore it or train again.") from None
    for encoding in encodings:
        ids = encoding.ids
        if len(ids) > max_length:
            keep = head if head is not None else max_length - 1 if special_tokens else max_length  # [SEP] stays
            ids = ids[:keep] + ids[len(ids) - (max_length - keep):]
        out.append(np.asarray(ids or [unk], dtype=np.int64))
    return out


def pad_ids(sequences: Sequence[np.ndarray | torch.Tensor]) -> torch.Tensor:
    """Right-pad with 0 to the longest sequence: ``(B, T)`` int64."""
    length = max(len(s) for s in sequences)
    batch = torch.zeros(len(sequences), length, dtype=torch.int64)
    for i, s in enumerate(sequences):
        batch[i, : len(s)] = torch.as_tensor(s)
    return batch


def text_collate(batch: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad a batch to its longest text (dynamic padding; id 0)."""
    ids, labels = zip(*batch, strict=True)
    return pad_ids(ids), torch.stack(labels)


class TokenizedTextDataset(Dataset):
    """Pre-tokenised texts with labels; yields ``(ids, label)``; ``collate_fn`` batches them.

    ``texts``: the raw texts the ids came from, when kept (the training split keeps them, so a
    teacher with a tokenizer of its own can read the same reviews: `shendu distill`).
    """

    collate_fn = staticmethod(text_collate)

    def __init__(self, ids: list[np.ndarray], labels: np.ndarray, texts: list[str] | None = None) -> None:
        if len(ids) != len(labels):
            raise ValueError(f"ids and labels differ in length: {len(ids)} != {len(labels)}")
        if texts is not None and len(texts) != len(ids):
            raise ValueError(f"texts and ids differ in length: {len(texts)} != {len(ids)}")
        self.ids = ids
        self.labels = torch.as_tensor(np.asarray(labels), dtype=torch.long)
        self.texts = texts

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def lengths(self) -> list[int]:
        """Tokens per text (training batches group texts of similar length)."""
        return [len(ids) for ids in self.ids]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.from_numpy(self.ids[index]), self.labels[index]



class BucketBatchSampler(Sampler[list[int]]):
    """Shuffled batches of texts of similar length (less padding, same examples per epoch).

    Each epoch: shuffle, cut into pools of ``pool`` batches, sort each pool by length, cut it
    into batches, shuffle the batches. Like Hugging Face's ``LengthGroupedSampler``. The order
    depends on ``seed`` and the epoch only (:meth:`set_epoch`), so a resumed run sees the
    batches an uninterrupted one would (:meth:`resume_at`).
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int, pool: int = 50) -> None:
        self.lengths = torch.as_tensor(list(lengths))
        self.batch_size = batch_size
        self.seed = seed
        self.pool = pool
        self.epoch = 0
        self._resume: tuple[int, int] | None = None

    def __len__(self) -> int:
        return -(-len(self.lengths) // self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def resume_at(self, epoch: int, batches: int, batch_size: int) -> None:
        """Start epoch ``epoch`` after its first ``batches`` batches (``batch_size`` is this sampler's)."""
        self._resume = (epoch, batches)

    def __iter__(self) -> Iterator[list[int]]:
        generator = epoch_generator(self.seed, self.epoch)
        order = torch.randperm(len(self.lengths), generator=generator)
        size = self.batch_size * self.pool
        batches = []
        for start in range(0, len(order), size):
            chunk = order[start : start + size]
            chunk = chunk[torch.argsort(self.lengths[chunk], descending=True, stable=True)]
            batches += [chunk[i : i + self.batch_size].tolist() for i in range(0, len(chunk), self.batch_size)]
        skip = self._resume[1] if self._resume is not None and self._resume[0] == self.epoch else 0
        for index in torch.randperm(len(batches), generator=generator).tolist()[skip:]:
            yield batches[index]
