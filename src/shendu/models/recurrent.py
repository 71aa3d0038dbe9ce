"""A stacked (bi)directional LSTM over a right-padded batch, without packing.

Shared by the text classifier (:class:`shendu.models.text.LSTMClassifier`) and the speech
recogniser (:class:`shendu.models.speech.SpeechRecognizer`).
"""

from __future__ import annotations

import torch
from torch import nn


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each sequence's first ``lengths[b]`` steps, leaving its padding in place
    (``(B, T, ...)``; its own inverse)."""
    steps = torch.arange(x.shape[1], device=x.device)[None, :]
    index = torch.where(steps < lengths[:, None], lengths[:, None] - 1 - steps, steps)
    return x.gather(1, index[..., None].expand_as(x)) if x.dim() == 3 else x.gather(1, index)


class PaddedLSTM(nn.Module):
    """``nn.LSTM(batch_first=True)`` over a right-padded batch, each sequence read within its length.

    Each layer and direction is its own one-layer ``nn.LSTM`` run over the whole padded batch:
    a forward LSTM's outputs at the real steps never see the padding that follows them, and
    the backward direction runs on each sequence reversed within its length (padding still
    last), then is reversed back. Every sequence so gets what ``nn.LSTM`` gives on a packed
    sequence with the same weights, without packing (whose backward pass is ~3x slower on CPU
    when lengths differ), and its output does not depend on the padding of its batch.

    The weights are ``forward_layers[k]`` and ``backward_layers[k]`` (each with torch's
    ``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``): layer ``k`` of
    ``nn.LSTM``'s ``weight_ih_l{k}`` and ``weight_ih_l{k}_reverse``.

    Args:
        input_size, hidden_size, num_layers, bidirectional: as in ``nn.LSTM``.
        dropout: on the inputs of every layer but the first, as in ``nn.LSTM``.

    Shape:
        ``x (B, T, input_size)``, ``lengths (B,)`` (each at least 1, on ``x``'s device) ->
        ``outputs (B, T, D * hidden_size)`` and ``final (B, D * hidden_size)``, with ``D = 2``
        if bidirectional else 1. ``final`` is the last layer's final hidden state of each
        direction joined, the forward one after step ``lengths[b]`` (``torch.cat([h_n[-2],
        h_n[-1]], 1)`` of a packed ``nn.LSTM``). Outputs at padded steps are not meaningful.
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

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for i, forward_layer in enumerate(self.forward_layers):
            if i:
                x = self.dropout(x)
            forward_out, _ = forward_layer(x)  # (B, T, H)
            if self.backward_layers is None:
                x = forward_out
            else:
                backward_out, _ = self.backward_layers[i](reverse_padded(x, lengths))
                x = torch.cat([forward_out, reverse_padded(backward_out, lengths)], dim=2)  # (B, T, 2H)
        hidden = self.hidden_size
        last = x[torch.arange(x.shape[0], device=x.device), lengths - 1, :hidden]  # forward: (B, H) at the end
        if self.backward_layers is None:
            return x, last
        return x, torch.cat([last, x[:, 0, hidden:]], dim=1)  # backward: its final state is at step 0; (B, 2H)


__all__ = ["PaddedLSTM", "reverse_padded"]
