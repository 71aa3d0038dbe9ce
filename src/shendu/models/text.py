"""Text classifiers over padded token ids (id 0 = padding): the documents' LSTM classifier,
the LSTM with attention pooling, and the Transformer built from their MultiHeadAttention and
TransformerBlock.

Every model finds lengths and masks from ``ids != 0`` itself, so a review gives the same
logits alone or inside a padded batch (the LSTMs read each review within its length, see
:class:`shendu.models.recurrent.PaddedLSTM`; attention masks padding).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from shendu.models.recurrent import PaddedLSTM, reverse_padded


def _lengths(ids: torch.Tensor) -> torch.Tensor:
    return (ids != 0).sum(dim=1).clamp(min=1)


class AttentionPooling(nn.Module):
    """Additive attention over time: ``softmax(v . tanh(W h_t))`` over the real tokens, then the
    weighted sum of the ``h_t`` (the documents' LSTM-with-attention)."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.proj = nn.Linear(hidden, hidden)
        self.score = nn.Linear(hidden, 1, bias=False)

    def forward(self, outputs: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        scores = self.score(torch.tanh(self.proj(outputs))).squeeze(-1)  # (B, T)
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)
        return torch.bmm(weights.unsqueeze(1), outputs).squeeze(1), weights


class LSTMClassifier(nn.Module):
    """Embedding -> stacked LSTM -> (last hidden state | attention pooling) -> dense -> logits.

    The LSTM is a :class:`~shendu.models.recurrent.PaddedLSTM` over the right-padded batch:
    every review gives what ``nn.LSTM`` on a packed sequence would (the tests check it with
    the same weights), without packing. Its layers are this model's ``forward_layers`` and
    ``backward_layers``, the names of the weights in trained run folders.

    Args:
        vocab_size: tokenizer vocabulary size (id 0 = padding).
        embedding_dim, hidden_size, num_layers: as in ``nn.LSTM``.
        bidirectional: read the review both ways (final states of both directions are joined).
        attention: pool all time steps with :class:`AttentionPooling` instead of using the
            last hidden state; :meth:`forward_with_attention` returns its weights too.
        dense: width of the ReLU layer before the output (the documents' Dense(64)).
        dropout: on embeddings, between LSTM layers and before the head.
    """

    def __init__(self, vocab_size: int, num_classes: int = 2, embedding_dim: int = 128, hidden_size: int = 64,
                 num_layers: int = 2, bidirectional: bool = False, attention: bool = False, dense: int = 64,
                 dropout: float = 0.3) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        width = hidden_size * (2 if bidirectional else 1)
        lstm = PaddedLSTM(embedding_dim, hidden_size, num_layers, bidirectional, dropout)
        # lstm's layers and dropout are registered here, as before PaddedLSTM, so the weights keep
        # their keys (forward_layers.0.weight_ih_l0, ...); lstm itself stays out of the module tree
        self.forward_layers, self.backward_layers = lstm.forward_layers, lstm.backward_layers
        object.__setattr__(self, "lstm", lstm)
        self.attention = AttentionPooling(width) if attention else None
        self.dropout = lstm.dropout
        self.fc = nn.Sequential(nn.Linear(width, dense), nn.ReLU(), nn.Dropout(dropout), nn.Linear(dense, num_classes))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.forward_with_attention(ids)[0]

    def forward_with_attention(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The logits and, with attention pooling, each token's weight ``(B, T)`` (``None`` without)."""
        lengths = _lengths(ids)
        x, final = self.lstm(self.dropout(self.embedding(ids)), lengths)  # (B, T, D*H), (B, D*H)
        weights = None
        if self.attention is None:
            features = final
        else:
            mask = torch.arange(ids.shape[1], device=ids.device)[None, :] < lengths[:, None]
            features, weights = self.attention(x, mask)
        return self.fc(self.dropout(features)), weights


class MultiHeadAttention(nn.Module):
    """The documents' multi-head attention: project to ``num_heads`` heads of ``d_k``, scaled
    dot-product attention with a mask, join the heads, project out.

    ``mask``: ``(B, 1, 1, T)`` or ``(B, 1, T, T)``, nonzero where attending is allowed.
    Checked against ``torch.nn.MultiheadAttention`` in the tests (same weights, same output).
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

    def scaled_dot_product_attention(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                     mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_k)
        if mask is not None:
            scores = scores.masked_fill(mask == 0, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return weights @ v, weights

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.attend(query, key, value, mask)[0]

    def attend(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
               mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The output and the attention weights ``(B, heads, T_query, T_key)``."""
        batch = query.shape[0]

        def heads(x: torch.Tensor) -> torch.Tensor:  # (B, T, d_model) -> (B, heads, T, d_k)
            return x.view(batch, -1, self.num_heads, self.d_k).transpose(1, 2)

        out, weights = self.scaled_dot_product_attention(heads(self.W_q(query)), heads(self.W_k(key)),
                                                         heads(self.W_v(value)), mask)
        out = out.transpose(1, 2).contiguous().view(batch, -1, self.d_model)
        return self.W_o(out), weights


class TransformerBlock(nn.Module):
    """The documents' block: attention + residual + LayerNorm, feed-forward + residual +
    LayerNorm (post-norm, as in "Attention Is All You Need")."""

    def __init__(self, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.attention = MultiHeadAttention(d_model, num_heads)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.feed_forward = nn.Sequential(nn.Linear(d_model, d_ff), nn.ReLU(), nn.Linear(d_ff, d_model))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.forward_with_attention(x, mask)[0]

    def forward_with_attention(self, x: torch.Tensor,
                               mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The block's output and its attention weights ``(B, heads, T, T)``."""
        attended, weights = self.attention.attend(x, x, x, mask)
        x = self.norm1(x + self.dropout(attended))
        return self.norm2(x + self.dropout(self.feed_forward(x))), weights


def sinusoidal_positions(length: int, d_model: int) -> torch.Tensor:
    """``PE[p, 2i] = sin(p / 10000^(2i/d))``, ``PE[p, 2i+1] = cos(...)``: ``(length, d_model)``."""
    position = torch.arange(length, dtype=torch.float32)[:, None]
    div = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model))
    table = torch.zeros(length, d_model)
    table[:, 0::2] = torch.sin(position * div)
    table[:, 1::2] = torch.cos(position * div[: d_model // 2])
    return table


class TransformerClassifier(nn.Module):
    """Token embedding + sinusoidal positions -> ``num_layers`` TransformerBlocks (padding
    masked) -> mean over the real tokens -> logits. :meth:`forward_with_attention` also returns
    the attention each token received in the last block (for ``predict --explain``)."""

    def __init__(self, vocab_size: int, num_classes: int = 2, d_model: int = 128, num_heads: int = 4, d_ff: int = 256,
                 num_layers: int = 2, max_length: int = 512, dropout: float = 0.1) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=0)
        # N(0, 1/d_model), as in "Attention Is All You Need" and fairseq: times sqrt(d_model) the
        # token vectors have unit scale, like the positions they are added to (torch's default
        # N(0, 1) would make them sqrt(d_model) = 11x larger and drown the positions)
        nn.init.normal_(self.embedding.weight, std=d_model**-0.5)
        with torch.no_grad():
            self.embedding.weight[0].zero_()
        self.register_buffer("positions", sinusoidal_positions(max_length, d_model), persistent=False)
        self.blocks = nn.ModuleList(TransformerBlock(d_model, num_heads, d_ff, dropout) for _ in range(num_layers))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(d_model, num_classes)
        self.scale = math.sqrt(d_model)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.forward_with_attention(ids)[0]

    def forward_with_attention(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The logits and the attention each token received in the last block, averaged over
        heads and real queries, normalised to sum to 1 over the tokens: ``(B, T)``."""
        if ids.shape[1] > self.positions.shape[0]:
            raise ValueError(f"sequence of {ids.shape[1]} tokens is longer than max_length {self.positions.shape[0]}")
        keep = ids != 0  # (B, T)
        x = self.dropout(self.embedding(ids) * self.scale + self.positions[: ids.shape[1]])
        mask = keep[:, None, None, :]  # keys a query may attend to
        for block in self.blocks:
            x, weights = block.forward_with_attention(x, mask)  # weights: (B, heads, T, T)
        received = (weights.mean(dim=1) * keep[:, :, None]).sum(dim=1)  # attention each key got from real queries
        pooled = (x * keep[..., None]).sum(dim=1) / keep.sum(dim=1, keepdim=True).clamp(min=1)
        return self.fc(self.dropout(pooled)), received / received.sum(dim=1, keepdim=True)


def lstm_classifier(**kwargs: object) -> LSTMClassifier:
    return LSTMClassifier(**kwargs)  # type: ignore[arg-type]


def transformer_classifier(**kwargs: object) -> TransformerClassifier:
    return TransformerClassifier(**kwargs)  # type: ignore[arg-type]


__all__ = ["AttentionPooling", "LSTMClassifier", "MultiHeadAttention", "TransformerBlock",
           "TransformerClassifier", "lstm_classifier", "reverse_padded", "sinusoidal_positions", "transformer_classifier"]
