"""Classifiers for short texts read as characters: a logistic regression and a fastText bag over
hashed character n-grams, a character TextCNN, and their ensemble (``reviews-zh``'s model).

Every model reads right-padded token ids (id 0 = padding) from the run's own ``tokenizer.json``;
the n-grams are hashed from those ids inside the model (fastText's hashing trick), so predict
and serve rebuild the features from the tokenizer and the weights alone: no n-gram vocabulary
file. A review gives the same logits alone or inside a padded batch: n-grams that touch padding
are dropped and the CNN's windows over padding are masked.
"""

from __future__ import annotations

import torch
from torch import nn

# the n-gram hash: a polynomial in the token ids modulo a prime below 2**31, so every product
# stays below 2**52 (no int64 overflow, whatever the n) and n-grams that differ in one token land far apart
_HASH_STEP, _HASH_ORDER, _HASH_MODULUS = 1_000_003, 999_983, 2_147_483_647


def hashed_ngrams(ids: torch.Tensor, max_n: int, vocab_size: int, buckets: int) -> torch.Tensor:
    """The unigram ids and the hashed 2..``max_n``-grams of each text, side by side.

    A unigram keeps its token id; an n-gram ``(t_1 .. t_n)`` becomes ``vocab_size + ((h * Q + n)
    mod buckets)`` with ``h = (...((t_1 * P + t_2) mod M) * P + ... + t_n) mod M``, so unigrams and
    n-gram buckets never share a row of an embedding with ``vocab_size + buckets`` rows. An
    n-gram that touches padding becomes 0 (padding), so padding never changes a text's features.
    Token ids must be below 2**21 (no int64 overflow).

    Args:
        ids: ``(B, T)`` int64 token ids, 0 = padding (right-padded).
        max_n: the longest n-gram (1: unigrams only).
        vocab_size: the tokenizer's vocabulary size.
        buckets: rows the n-grams are hashed into.

    Returns:
        ``(B, F)`` int64 feature ids with ``F = sum(max(T - n + 1, 0) for n in 1..max_n)``.
    """
    length = ids.shape[1]
    features = [ids]
    for n in range(2, max_n + 1):
        if length < n:
            break
        code = ids[:, : length - n + 1]
        real = code != 0
        for k in range(1, n):
            following = ids[:, k : length - n + 1 + k]  # (B, T - n + 1): the k-th token of each n-gram
            code = (code * _HASH_STEP + following) % _HASH_MODULUS
            real = real & (following != 0)
        code = (code * _HASH_ORDER + n) % buckets + vocab_size
        features.append(torch.where(real, code, torch.zeros_like(code)))
    return torch.cat(features, dim=1)


class NgramBag(nn.Module):
    """The embeddings of a text's tokens and hashed n-grams, summed and divided by
    ``count ** count_power`` (1: their mean, fastText; 0.5: the sum over the square root of the
    count, which keeps a long review's evidence larger than a short one's).

    Joulin et al. (2017), "Bag of Tricks for Efficient Text Classification".
    """

    def __init__(self, vocab_size: int, buckets: int, max_n: int, embedding_dim: int,
                 count_power: float = 1.0) -> None:
        super().__init__()
        self.vocab_size, self.buckets, self.max_n, self.count_power = vocab_size, buckets, max_n, count_power
        self.embedding = nn.Embedding(vocab_size + buckets, embedding_dim, padding_idx=0)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """``(B, T)`` ids -> ``(B, embedding_dim)``."""
        features = hashed_ngrams(ids, self.max_n, self.vocab_size, self.buckets)  # (B, F)
        real = (features != 0).unsqueeze(-1)  # (B, F, 1)
        total = (self.embedding(features) * real).sum(dim=1)
        return total / real.sum(dim=1).clamp(min=1).float() ** self.count_power


class NgramLogistic(nn.Module):
    """Logistic regression over token and hashed n-gram counts: an :class:`NgramBag` whose
    embedding width is the number of classes (each n-gram's row is its weight per class).

    Its weights start at zero and are used times ``scale``: with Adam that moves them ``scale``
    times faster than the deep branches trained beside it, which a linear model over sparse
    features needs (~2e-2 against ~5e-3).
    """

    def __init__(self, vocab_size: int, num_classes: int, buckets: int, max_n: int, scale: float = 4.0) -> None:
        super().__init__()
        self.bag = NgramBag(vocab_size, buckets, max_n, num_classes, count_power=0.5)
        nn.init.zeros_(self.bag.embedding.weight)
        self.bias = nn.Parameter(torch.zeros(num_classes))
        self.scale = scale

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.scale * self.bag(ids) + self.bias


class FastText(nn.Module):
    """fastText: the mean embedding of a text's tokens and hashed n-grams -> dropout -> a small
    ReLU layer -> logits."""

    def __init__(self, vocab_size: int, num_classes: int, buckets: int, max_n: int, embedding_dim: int = 32,
                 hidden: int = 64, dropout: float = 0.5) -> None:
        super().__init__()
        self.bag = NgramBag(vocab_size, buckets, max_n, embedding_dim)
        bound = 1 / embedding_dim  # fastText's uniform(-1/dim, 1/dim)
        nn.init.uniform_(self.bag.embedding.weight, -bound, bound)
        with torch.no_grad():
            self.bag.embedding.weight[0].zero_()
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(embedding_dim, hidden), nn.ReLU(),
                                  nn.Dropout(dropout), nn.Linear(hidden, num_classes))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.head(self.bag(ids))


class TextCNN(nn.Module):
    """Kim (2014), "Convolutional Neural Networks for Sentence Classification": token embeddings,
    one 1-D convolution per kernel size, ReLU, max over time, dropout, logits.

    The max runs over the windows that lie inside the text (a text shorter than a kernel keeps
    its first window, padded with zero vectors whether it is alone or in a batch).
    """

    def __init__(self, vocab_size: int, num_classes: int, embedding_dim: int = 64, filters: int = 64,
                 kernel_sizes: tuple[int, ...] = (1, 2, 3, 4), dropout: float = 0.5) -> None:
        super().__init__()
        if not kernel_sizes or min(kernel_sizes) < 1:
            raise ValueError(f"kernel_sizes must be one or more widths >= 1; got {kernel_sizes!r}")
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.kernel_sizes = tuple(kernel_sizes)
        self.convs = nn.ModuleList(nn.Conv1d(embedding_dim, filters, width) for width in self.kernel_sizes)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(filters * len(self.kernel_sizes), num_classes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        widest = max(self.kernel_sizes)
        if ids.shape[1] < widest:
            ids = nn.functional.pad(ids, (0, widest - ids.shape[1]))
        lengths = (ids != 0).sum(dim=1, keepdim=True)  # (B, 1)
        x = self.embedding(ids).transpose(1, 2)  # (B, T, E) -> (B, E, T)
        pooled = []
        for width, conv in zip(self.kernel_sizes, self.convs, strict=True):
            h = torch.relu(conv(x))  # (B, filters, T - width + 1)
            start = torch.arange(h.shape[2], device=ids.device)[None, :]  # (1, T - width + 1)
            inside = (start + width <= lengths) | (start == 0)  # (B, T - width + 1)
            pooled.append(h.masked_fill(~inside[:, None, :], float("-inf")).amax(dim=2))
        return self.fc(self.dropout(torch.cat(pooled, dim=1)))


class NgramCNNClassifier(nn.Module):
    """An ensemble of three classifiers over the same token ids: a logistic regression over hashed
    n-grams (:class:`NgramLogistic`), a fastText bag (:class:`FastText`) and a character TextCNN
    (:class:`TextCNN`).

    Its logits are the mean of the members' log-probabilities, so its probabilities are their
    normalised geometric mean.

    How the members train (``train_apart``):

    - apart (``True``): each member minimises its own cross-entropy and keeps the weights of its
      own best validation epoch (:class:`shendu.train.members.MemberEnsembleModule`), as an
      ensemble of separately trained and separately early-stopped models;
    - together (``False``): the ensemble's logits are trained as one model. Their cross-entropy is
      the members' mean cross-entropy minus a term that is zero when they agree, and
      ``member_dropout`` makes each member answer alone on part of the reviews; all three share
      one stopping epoch.

    Args:
        vocab_size: tokenizer vocabulary size (id 0 = padding).
        buckets: rows the 2..``max_n``-grams are hashed into (per n-gram model).
        max_n: the longest n-gram.
        embedding_dim, hidden: the fastText bag's embedding width and ReLU layer.
        cnn_embedding_dim, filters, kernel_sizes: the TextCNN.
        dropout: of the fastText head and the TextCNN.
        linear_scale: see :class:`NgramLogistic`.
        member_dropout: in training together, each member is left out of each review's mean with
            this probability (never all of them); evaluation always averages all three.
        train_apart: train each member on its own loss, each kept at its own best epoch (above).
    """

    members = ("logistic", "fasttext", "cnn")

    def __init__(self, vocab_size: int, num_classes: int = 2, buckets: int = 262_144, max_n: int = 3,
                 embedding_dim: int = 32, hidden: int = 64, cnn_embedding_dim: int = 64, filters: int = 64,
                 kernel_sizes: tuple[int, ...] = (1, 2, 3, 4), dropout: float = 0.5,
                 linear_scale: float = 4.0, member_dropout: float = 0.0, train_apart: bool = False) -> None:
        super().__init__()
        if not 0 <= member_dropout < 1:
            raise ValueError(f"member_dropout must be in [0, 1); got {member_dropout}")
        self.member_dropout = member_dropout
        self.train_apart = train_apart
        self.logistic = NgramLogistic(vocab_size, num_classes, buckets, max_n, linear_scale)
        self.fasttext = FastText(vocab_size, num_classes, buckets, max_n, embedding_dim, hidden, dropout)
        self.cnn = TextCNN(vocab_size, num_classes, cnn_embedding_dim, filters, kernel_sizes, dropout)

    def member_logits(self, ids: torch.Tensor) -> torch.Tensor:
        """Each member's logits: ``(B, 3, C)`` (logistic, fastText, CNN)."""
        return torch.stack([getattr(self, name)(ids) for name in self.members], dim=1)

    @staticmethod
    def combine(member_logits: torch.Tensor) -> torch.Tensor:
        """The ensemble's logits from its members': ``(B, M, C)`` -> ``(B, C)``, the mean of their
        log-probabilities."""
        return torch.log_softmax(member_logits, dim=-1).mean(dim=1)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if not self.training or self.member_dropout == 0:
            return self.combine(self.member_logits(ids))
        log_probabilities = torch.log_softmax(self.member_logits(ids), dim=-1)  # (B, 3, C)
        # member dropout: each review's loss reads a random subset of the members (never none), so
        # each member must answer well on its own too, as when ensembled models are trained apart
        keep = torch.rand(log_probabilities.shape[:2], device=ids.device) >= self.member_dropout  # (B, 3)
        keep = keep | ~keep.any(dim=1, keepdim=True)
        weights = keep.float() / keep.sum(dim=1, keepdim=True)
        return (log_probabilities * weights.unsqueeze(-1)).sum(dim=1)


def ngram_cnn_classifier(**kwargs: object) -> NgramCNNClassifier:
    return NgramCNNClassifier(**kwargs)  # type: ignore[arg-type]


__all__ = ["FastText", "NgramBag", "NgramCNNClassifier", "NgramLogistic", "TextCNN", "hashed_ngrams",
           "ngram_cnn_classifier"]
