"""Multi-head attention (Vaswani et al., "Attention Is All You Need", 2017), torch's layout."""

from __future__ import annotations

import math

import numpy as np

from .. import functional as F
from ..ops.activation import softmax
from ..ops.matmul import linear
from ..ops.shape import chunk
from ..tensor import Tensor
from . import init
from .linear import Linear
from .module import Module, Parameter


def _additive_mask(mask, dtype) -> np.ndarray | None:
    """A bool mask (True = may not attend) or a float mask as an additive float array."""
    if mask is None:
        return None
    m = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if m.dtype == bool:
        return np.where(m, -np.inf, 0.0).astype(dtype)
    return m.astype(dtype)


def causal_mask(size: int, dtype=np.float32) -> np.ndarray:
    """(size, size) additive mask with -inf above the diagonal: position i sees only j <= i."""
    return np.triu(np.full((size, size), -np.inf, dtype), k=1)


def _attend(q: Tensor, k: Tensor, v: Tensor, mask=None, dropout_p: float = 0.0, training: bool = False) -> tuple:
    """softmax(q k^T / sqrt(d) + mask) v.

    Shapes: q (B, h, L, d), k and v (B, h, S, d), mask broadcastable to (B, h, L, S).
    Returns (output (B, h, L, d), attention weights (B, h, L, S) after dropout).
    """
    scores = (q * math.sqrt(1.0 / q.shape[-1])) @ k.transpose(-2, -1)  # (B, h, L, S)
    if mask is not None:
        scores = scores + Tensor(mask)
    weights = F.dropout(softmax(scores, -1), dropout_p, training)
    return weights @ v, weights


class MultiheadAttention(Module):
    """Attention over `num_heads` subspaces of size embed_dim // num_heads, then a projection.

    Args:
        embed_dim: model width E (query, key and value all have E features).
        num_heads: heads h; E must be divisible by h.
        dropout: dropout on the attention weights, in training.
        bias: learn in_proj_bias and out_proj.bias.
        batch_first: inputs (B, L, E) instead of (L, B, E).

    Parameters as torch: in_proj_weight (3E, E) = [W_q; W_k; W_v], in_proj_bias (3E,),
    out_proj.weight (E, E), out_proj.bias (E,).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 batch_first: bool = False, dtype=None):
        super().__init__()
        if embed_dim % num_heads:
            raise AssertionError(f"embed_dim must be divisible by num_heads; got {embed_dim} and {num_heads}")
        dtype = dtype or np.float32
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout, self.batch_first = dropout, batch_first
        self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype))
        if bias:
            self.in_proj_bias = Parameter(np.empty(3 * embed_dim, dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def _project(self, query, key, value) -> tuple:
        w, b = self.in_proj_weight, self.in_proj_bias
        if query is key and key is value:  # self-attention: one matmul for q, k and v
            return chunk(linear(query, w, b), 3, -1)
        e = self.embed_dim
        ws = (w[:e], w[e : 2 * e], w[2 * e :])
        bs = (None, None, None) if b is None else (b[:e], b[e : 2 * e], b[2 * e :])
        return tuple(linear(x, wi, bi) for x, wi, bi in zip((query, key, value), ws, bs, strict=True))

    def _split_heads(self, x: Tensor) -> Tensor:
        b, n, _ = x.shape
        return x.reshape(b, n, self.num_heads, self.head_dim).transpose(1, 2)  # (B, h, n, d)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask=None,
                need_weights: bool = True, attn_mask=None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple:
        """Attend from query positions to key/value positions.

        Shapes: query (L, B, E), key and value (S, B, E) ((B, *, E) if batch_first, or unbatched
        (L, E)); key_padding_mask (B, S) with True = ignore; attn_mask (L, S) or (B*h, L, S),
        bool (True = may not attend) or float (added to the scores).
        Returns (output like query, weights (B, L, S) averaged over heads, (B, h, L, S) if not
        average_attn_weights, or None if not need_weights).

        Raises:
            AssertionError: the last dim of query is not embed_dim (torch's exception type).
        """
        if query.shape[-1] != self.embed_dim:
            raise AssertionError(f"was expecting embedding dimension of {self.embed_dim}, but got {query.shape[-1]}")
        unbatched = query.ndim == 2
        if unbatched:  # (L, E) -> (1, L, E)
            query, key, value = (t if t is None else t.unsqueeze(0) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = np.asarray(getattr(key_padding_mask, "data", key_padding_mask))[None]
        elif not self.batch_first:  # (L, B, E) -> (B, L, E)
            same_kv, same_qk = key is value, query is key
            query = query.transpose(0, 1)  # (B, L, E)
            key = query if same_qk else key.transpose(0, 1)  # (B, S, E)
            value = key if same_kv else value.transpose(0, 1)  # (B, S, E)
        b, length, _ = query.shape
        source = key.shape[1]
        q, k, v = (self._split_heads(t) for t in self._project(query, key, value))  # (B, h, *, d)
        mask = _additive_mask(attn_mask, q.dtype)
        if mask is None and is_causal:
            mask = causal_mask(length, q.dtype)
        if mask is not None and mask.ndim == 3:
            mask = mask.reshape(b, self.num_heads, length, source)  # (B*h, L, S) -> (B, h, L, S)
        padding = _additive_mask(key_padding_mask, q.dtype)
        if padding is not None:
            padding = padding.reshape(b, 1, 1, source)  # (B, S) -> (B, 1, 1, S)
            mask = padding if mask is None else mask + padding
        out, weights = _attend(q, k, v, mask, self.dropout, self.training)
        out = out.transpose(1, 2).reshape(b, length, self.embed_dim)  # (B, L, E)
        out = self.out_proj(out)
        if unbatched:
            out = out[0]
        elif not self.batch_first:
            out = out.transpose(0, 1)  # (L, B, E)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(1)  # (B, L, S)
        return out, (weights[0] if unbatched else weights)

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, batch_first={self.batch_first}"
