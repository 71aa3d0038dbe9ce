"""`scaled_dot_product_attention` with torch.nn.functional's signature and mask rules.

Vaswani et al., "Attention Is All You Need", 2017: softmax(q k^T * scale + mask) v. A bool
attn_mask marks the positions that *may* be attended (True = keep), as in torch's F.sdpa (the
opposite of nn.MultiheadAttention's masks); a float mask is added to the scores. Rows that
may attend nowhere give zeros, as torch's math path (its `_safe_softmax`) does.
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Function, Tensor
from .dropout import dropout
from .matmul import matmul


class SafeSoftmax(Function):
    """Softmax along `axis`, with 0 (not NaN) for rows that are all -inf."""

    __slots__ = ("axis", "out")

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, a):
        top = a.max(axis=self.axis, keepdims=True)
        e = np.exp(a - np.where(np.isfinite(top), top, 0))
        total = e.sum(axis=self.axis, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.out = np.where(total > 0, e / total, 0).astype(a.dtype, copy=False)
        return self.out

    def backward(self, grad):
        out = self.out
        return (out * (grad - (grad * out).sum(axis=self.axis, keepdims=True)),)


def _additive_mask(attn_mask, length: int, source: int, is_causal: bool, dtype):
    """The mask as something to add to the scores (an array, a Tensor, or None)."""
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                               "is_causal=True; pass one or the other")
        return np.where(np.tril(np.ones((length, source), bool)), 0.0, -np.inf).astype(dtype)  # (L, S)
    if attn_mask is None:
        return None
    if isinstance(attn_mask, Tensor) and attn_mask.dtype.kind == "f":
        return attn_mask  # may require grad
    mask = np.asarray(attn_mask.data if isinstance(attn_mask, Tensor) else attn_mask)
    if mask.dtype == bool:
        return np.where(mask, 0.0, -np.inf).astype(dtype)
    return mask.astype(dtype)


def _repeat_heads(x: Tensor, repeats: int) -> Tensor:
    """(..., Hk, S, E) -> (..., Hk * repeats, S, E), each head repeated in place (repeat_interleave)."""
    lead, (heads, s, e) = x.shape[:-3], x.shape[-3:]
    expanded = x.unsqueeze(-3).expand(*lead, heads, repeats, s, e)  # (..., Hk, r, S, E)
    return expanded.reshape(*lead, heads * repeats, s, e)  # (..., Hk * r, S, E)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(query key^T * scale + mask) value, as torch.nn.functional.scaled_dot_product_attention.

    Args:
        query: (..., L, E); key: (..., S, E); value: (..., S, Ev).
        attn_mask: broadcastable to (..., L, S); bool (True = may attend) or float (added).
        dropout_p: dropout on the attention weights (applied whenever > 0, as torch).
        is_causal: attend to positions j <= i only (top-left aligned when L != S).
        scale: defaults to 1 / sqrt(E).
        enable_gqa: key/value may have fewer heads (dim -3) than query, repeated to match.

    Returns:
        (..., L, Ev).

    Raises:
        RuntimeError: attn_mask together with is_causal, an attn_mask that does not broadcast to
            the scores (..., L, S), head counts that do not divide, or query, key and value not
            all of one floating point dtype.
    """
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{query.dtype} key.dtype: {key.dtype} and value.dtype: {value.dtype} instead.")
    if query.dtype.kind != "f":
        raise RuntimeError(f"scaled_dot_product_attention: expected floating point query, key and value; got "
                           f"{query.dtype} (torch: expected m1 and m2 to have the same dtype)")
    length, source, embed = query.shape[-2], key.shape[-2], query.shape[-1]
    if enable_gqa and key.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        if query.shape[-3] % key.shape[-3]:
            raise RuntimeError(f"enable_gqa needs the query's heads ({query.shape[-3]}) to be a multiple of the "
                               f"key's ({key.shape[-3]})")
        repeats = query.shape[-3] // key.shape[-3]
        key, value = _repeat_heads(key, repeats), _repeat_heads(value, repeats)
    scale = 1.0 / math.sqrt(embed) if scale is None else scale
    scores = matmul(query * scale, key.transpose(-2, -1))  # (..., L, S)
    mask = _additive_mask(attn_mask, length, source, is_causal, scores.dtype)
    if mask is not None:
        try:
            grown = np.broadcast_shapes(scores.shape, mask.shape) != scores.shape
        except ValueError:
            grown = True
        if grown:  # torch adds the mask to the scores in place: it may not enlarge them
            raise RuntimeError(f"scaled_dot_product_attention: attn_mask of shape {list(mask.shape)} does not "
                               f"broadcast to the attention scores' shape {list(scores.shape)} (..., L, S)")
        scores = scores + (mask if isinstance(mask, Tensor) else Tensor(mask))
    weights = SafeSoftmax(scores.ndim - 1)(scores)  # (..., L, S)
    if dropout_p > 0:
        weights = dropout(weights, dropout_p, True)
    return matmul(weights, value)  # (..., L, Ev)
