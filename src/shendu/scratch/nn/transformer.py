"""TransformerEncoderLayer and TransformerEncoder with torch's parameter names and semantics."""

from __future__ import annotations

import copy

from ..ops.activation import gelu, relu
from .attention import MultiheadAttention
from .linear import Dropout, Linear
from .module import Module, ModuleList
from .norm import LayerNorm


class TransformerEncoderLayer(Module):
    """Self-attention block then a position-wise feed-forward block, each with a residual.

    Vaswani et al., "Attention Is All You Need", 2017. Post-norm (norm_first=False, the paper):
        x = norm1(x + sa(x)); x = norm2(x + ff(x))
    Pre-norm (norm_first=True; Xiong et al., 2020):
        x = x + sa(norm1(x)); x = x + ff(norm2(x))
    with ff(x) = linear2(dropout(activation(linear1(x)))).

    Args:
        d_model: model width; nhead: attention heads; dim_feedforward: hidden width of ff.
        dropout: applied after attention, inside ff, and after ff.
        activation: "relu", "gelu", or a callable.
        batch_first: (B, T, E) instead of (T, B, E).
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation="relu", layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, dtype=None):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout, bias, batch_first, dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias, dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias, dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        if activation == "relu":
            activation = relu
        elif activation == "gelu":
            activation = gelu
        elif isinstance(activation, str):
            raise RuntimeError(f"activation should be relu/gelu, not {activation}")
        self.activation = activation

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        """Shapes: src (T, B, E) or (B, T, E) if batch_first; masks as MultiheadAttention."""
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x))


class TransformerEncoder(Module):
    """`num_layers` deep copies of `encoder_layer` applied in turn, then an optional norm."""

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int, norm: Module | None = None):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal: bool = False):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=is_causal)
        return x if self.norm is None else self.norm(x)


__all__ = ["TransformerEncoder", "TransformerEncoderLayer"]
