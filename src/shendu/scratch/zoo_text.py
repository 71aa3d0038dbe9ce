"""Scratch twins of the text classifiers in `shendu.models.text` (and of `PaddedLSTM`).

Same constructors, attribute names and forward as their torch namesakes, so a torch
`state_dict()` loads with `strict=True` both ways (`forward_layers.0.weight_ih_l0`,
`blocks.1.attention.W_q.weight`, ...) and both compute the same logits. As in torch, every
model finds lengths and masks from ``ids != 0`` itself, so a review gives the same logits
alone or inside a right-padded batch.

Built from the engine's primitives only: the backward direction's reverse-within-length is
an integer-array gather (its own inverse), and torch's ``masked_fill(~mask, -inf)`` before
a softmax is ``where(mask, scores, -inf)``.

    from shendu.scratch import zoo
    model = zoo.lstm_classifier(vocab_size=20000, bidirectional=True, attention=True)
"""

from __future__ import annotations

import math

import numpy as np

from . import nn
from .ops.activation import softmax, tanh
from .ops.elementwise import where
from .ops.shape import cat
from .tensor import Tensor

__all__ = ["AttentionPooling", "LSTMClassifier", "MultiHeadAttention", "PaddedLSTM", "TransformerBlock",
           "TransformerClassifier", "lstm_classifier", "reverse_padded", "sinusoidal_positions",
           "transformer_classifier"]


def _ids(ids) -> np.ndarray:
    return np.asarray(ids.data if isinstance(ids, Tensor) else ids)


def _lengths(ids: np.ndarray) -> np.ndarray:
    return np.maximum((ids != 0).sum(axis=1), 1)  # (B,), like torch's .clamp(min=1)


def reverse_padded(x: Tensor, lengths: np.ndarray) -> Tensor:
    """Reverse each sequence's first ``lengths[b]`` steps, leaving its padding in place
    (``(B, T, ...)``; its own inverse). An integer-array gather, as torch's ``gather``."""
    steps = np.arange(x.shape[1])[None, :]  # (1, T)
    last = lengths[:, None] - 1  # (B, 1)
    index = np.where(steps <= last, last - steps, steps)  # (B, T)
    return x[np.arange(x.shape[0])[:, None], index]


class PaddedLSTM(nn.Module):
    """Twin of `shendu.models.recurrent.PaddedLSTM`: a stacked (bi)directional LSTM over a
    right-padded batch, each sequence read within its length (what a packed ``nn.LSTM`` gives).

    Each layer and direction is a one-layer ``nn.LSTM(batch_first=True)`` over the whole
    batch; the backward one reads each sequence reversed within its length.

    Shape:
        ``x (B, T, input_size)``, ``lengths (B,)`` numpy ints >= 1 -> ``outputs (B, T, D*H)``
        and ``final (B, D*H)`` (the forward state after step ``lengths[b]``, the backward
        state at step 0).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
                 dropout: float = 0.0) -> None:
        super().__init__()
        directions = 2 if bidirectional else 1
        sizes = [input_size] + [hidden_size * directions] * (num_layers - 1)
        self.hidden_size = hidden_size
        self.forward_layers = nn.ModuleList(nn.LSTM(n, hidden_size, batch_first=True) for n in sizes)
        self.backward_layers = (nn.ModuleList(nn.LSTM(n, hidden_size, batch_first=True) for n in sizes)
                                if bidirectional else None)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, lengths: np.ndarray) -> tuple[Tensor, Tensor]:
        for i, forward_layer in enumerate(self.forward_layers):
            if i:
                x = self.dropout(x)
            forward_out, _ = forward_layer(x)  # (B, T, H)
            if self.backward_layers is None:
                x = forward_out
            else:
                backward_out, _ = self.backward_layers[i](reverse_padded(x, lengths))
                x = cat([forward_out, reverse_padded(backward_out, lengths)], 2)  # (B, T, 2H)
        hidden = self.hidden_size
        last = x[np.arange(x.shape[0]), lengths - 1, :hidden]  # forward: (B, H) at the end
        if self.backward_layers is None:
            return x, last
        return x, cat([last, x[:, 0, hidden:]], 1)  # backward: its final state is at step 0; (B, 2H)


class AttentionPooling(nn.Module):
    """Additive attention over time: ``softmax(v . tanh(W h_t))`` over the real tokens, then
    the weighted sum of the ``h_t``. ``mask (B, T)`` bool, True at real tokens."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.proj = nn.Linear(hidden, hidden)
        self.score = nn.Linear(hidden, 1, bias=False)

    def forward(self, outputs: Tensor, mask: np.ndarray) -> tuple[Tensor, Tensor]:
        scores = self.score(tanh(self.proj(outputs))).squeeze(-1)  # (B, T)
        weights = softmax(where(mask, scores, -math.inf), 1)  # torch: masked_fill(~mask, -inf)
        return (weights.unsqueeze(1) @ outputs).squeeze(1), weights  # (B, 1, T) @ (B, T, H) -> (B, H)


class LSTMClassifier(nn.Module):
    """Twin of `shendu.models.text.LSTMClassifier`: embedding -> PaddedLSTM -> (last hidden
    state | attention pooling) -> dense -> logits; ``ids (B, T)`` int, 0 = padding.

    Args: as the torch model (vocab_size, num_classes, embedding_dim, hidden_size,
    num_layers, bidirectional, attention, dense, dropout).
    """

    def __init__(self, vocab_size: int, num_classes: int = 2, embedding_dim: int = 128, hidden_size: int = 64,
                 num_layers: int = 2, bidirectional: bool = False, attention: bool = False, dense: int = 64,
                 dropout: float = 0.3) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        width = hidden_size * (2 if bidirectional else 1)
        lstm = PaddedLSTM(embedding_dim, hidden_size, num_layers, bidirectional, dropout)
        # registered here, as in torch, so the keys are forward_layers.0.weight_ih_l0, ...
        self.forward_layers, self.backward_layers = lstm.forward_layers, lstm.backward_layers
        object.__setattr__(self, "lstm", lstm)
        self.attention = AttentionPooling(width) if attention else None
        self.dropout = lstm.dropout
        self.fc = nn.Sequential(nn.Linear(width, dense), nn.ReLU(), nn.Dropout(dropout), nn.Linear(dense, num_classes))

    def forward(self, ids) -> Tensor:
        return self.forward_with_attention(ids)[0]

    def forward_with_attention(self, ids) -> tuple[Tensor, Tensor | None]:
        """The logits and, with attention pooling, each token's weight ``(B, T)`` (``None`` without)."""
        ids = _ids(ids)
        lengths = _lengths(ids)
        x, final = self.lstm(self.dropout(self.embedding(ids)), lengths)  # (B, T, D*H), (B, D*H)
        weights = None
        if self.attention is None:
            features = final
        else:
            mask = np.arange(ids.shape[1])[None, :] < lengths[:, None]  # (B, T)
            features, weights = self.attention(x, mask)
        return self.fc(self.dropout(features)), weights


class MultiHeadAttention(nn.Module):
    """Twin of the documents' multi-head attention (`shendu.models.text.MultiHeadAttention`).

    ``mask``: ``(B, 1, 1, T)`` or ``(B, 1, T, T)`` array, nonzero where attending is allowed.

    Raises:
        ValueError: ``d_model`` not divisible by ``num_heads``.
    """

    def __init__(self, d_model: int, num_heads: int) -> None:
        super().__init__()
        if d_model % num_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by num_heads ({num_heads})")
        self.d_model, self.num_heads, self.d_k = d_model, num_heads, d_model // num_heads
        self.W_q = nn.Linear(d_model, d_model)
        self.W_k = nn.Linear(d_model, d_model)
        self.W_v = nn.Linear(d_model, d_model)
        self.W_o = nn.Linear(d_model, d_model)

    def scaled_dot_product_attention(self, q: Tensor, k: Tensor, v: Tensor,
                                     mask: np.ndarray | None = None) -> tuple[Tensor, Tensor]:
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_k)  # (B, heads, T_q, T_k)
        if mask is not None:
            scores = where(np.asarray(mask) != 0, scores, -math.inf)  # torch: masked_fill(mask == 0, -inf)
        weights = softmax(scores, -1)
        return weights @ v, weights

    def forward(self, query: Tensor, key: Tensor, value: Tensor, mask: np.ndarray | None = None) -> Tensor:
        return self.attend(query, key, value, mask)[0]

    def attend(self, query: Tensor, key: Tensor, value: Tensor,
               mask: np.ndarray | None = None) -> tuple[Tensor, Tensor]:
        """The output and the attention weights ``(B, heads, T_query, T_key)``."""
        batch = query.shape[0]

        def heads(x: Tensor) -> Tensor:  # (B, T, d_model) -> (B, heads, T, d_k)
            return x.reshape(batch, -1, self.num_heads, self.d_k).transpose(1, 2)

        out, weights = self.scaled_dot_product_attention(heads(self.W_q(query)), heads(self.W_k(key)),
                                                         heads(self.W_v(value)), mask)
        out = out.transpose(1, 2).reshape(batch, -1, self.d_model)  # (B, heads, T, d_k) -> (B, T, d_model)
        return self.W_o(out), weights


class TransformerBlock(nn.Module):
    """Twin of `shendu.models.text.TransformerBlock`: attention + residual + LayerNorm,
    feed-forward + residual + LayerNorm (post-norm)."""

    def __init__(self, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.attention = MultiHeadAttention(d_model, num_heads)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.feed_forward = nn.Sequential(nn.Linear(d_model, d_ff), nn.ReLU(), nn.Linear(d_ff, d_model))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, mask: np.ndarray | None = None) -> Tensor:
        return self.forward_with_attention(x, mask)[0]

    def forward_with_attention(self, x: Tensor, mask: np.ndarray | None = None) -> tuple[Tensor, Tensor]:
        attended, weights = self.attention.attend(x, x, x, mask)
        x = self.norm1(x + self.dropout(attended))
        return self.norm2(x + self.dropout(self.feed_forward(x))), weights


def sinusoidal_positions(length: int, d_model: int) -> np.ndarray:
    """``PE[p, 2i] = sin(p / 10000^(2i/d))``, ``PE[p, 2i+1] = cos(...)``: ``(length, d_model)``
    float32, computed in float32 in torch's order of operations."""
    position = np.arange(length, dtype=np.float32)[:, None]
    div = np.exp(np.arange(0, d_model, 2, dtype=np.float32) * np.float32(-math.log(10000.0) / d_model))
    table = np.zeros((length, d_model), np.float32)
    table[:, 0::2] = np.sin(position * div)
    table[:, 1::2] = np.cos(position * div[: d_model // 2])
    return table


class TransformerClassifier(nn.Module):
    """Twin of `shendu.models.text.TransformerClassifier`: token embedding x sqrt(d_model) +
    sinusoidal positions -> ``num_layers`` TransformerBlocks (padding masked) -> mean over
    the real tokens -> logits.

    Raises:
        ValueError: a batch longer than ``max_length`` tokens.
    """

    def __init__(self, vocab_size: int, num_classes: int = 2, d_model: int = 128, num_heads: int = 4, d_ff: int = 256,
                 num_layers: int = 2, max_length: int = 512, dropout: float = 0.1) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=0)
        nn.init.normal_(self.embedding.weight, std=d_model**-0.5)  # N(0, 1/d_model), as the torch model
        self.embedding.weight.data[0] = 0
        self.register_buffer("positions", Tensor(sinusoidal_positions(max_length, d_model)), persistent=False)
        self.blocks = nn.ModuleList(TransformerBlock(d_model, num_heads, d_ff, dropout) for _ in range(num_layers))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(d_model, num_classes)
        self.scale = math.sqrt(d_model)

    def forward(self, ids) -> Tensor:
        return self.forward_with_attention(ids)[0]

    def forward_with_attention(self, ids) -> tuple[Tensor, Tensor]:
        """The logits and the attention each token received in the last block, averaged over
        heads and real queries, normalised to sum to 1 over the tokens: ``(B, T)``."""
        ids = _ids(ids)
        if ids.shape[1] > self.positions.shape[0]:
            raise ValueError(f"sequence of {ids.shape[1]} tokens is longer than max_length {self.positions.shape[0]}")
        keep = ids != 0  # (B, T)
        x = self.dropout(self.embedding(ids) * self.scale + self.positions[: ids.shape[1]])
        mask = keep[:, None, None, :]  # keys a query may attend to
        for block in self.blocks:
            x, weights = block.forward_with_attention(x, mask)  # weights: (B, heads, T, T)
        real = keep.astype(x.dtype)
        received = (weights.mean(1) * real[:, :, None]).sum(1)  # attention each key got from real queries
        count = np.maximum(real.sum(axis=1, keepdims=True), 1)  # (B, 1)
        pooled = (x * real[..., None]).sum(1) / count
        return self.fc(self.dropout(pooled)), received / received.sum(1, keepdim=True)


def lstm_classifier(**kwargs: object) -> LSTMClassifier:
    return LSTMClassifier(**kwargs)  # type: ignore[arg-type]


def transformer_classifier(**kwargs: object) -> TransformerClassifier:
    return TransformerClassifier(**kwargs)  # type: ignore[arg-type]
