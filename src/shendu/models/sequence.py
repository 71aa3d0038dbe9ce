"""Sequence models: one recurrent layer (vanilla RNN, LSTM or GRU) read to its last step, then a
Linear. A classifier (logits) or a regressor (values): the same network, trained with another loss.

The vanilla RNN is Elman's (1990); the LSTM Hochreiter & Schmidhuber's (1997) with the forget gate
of Gers et al. (2000); the GRU Cho et al.'s (2014), all in torch's form (``nn.RNN``, ``nn.LSTM``,
``nn.GRU``). Their scratch twins (same keys, same outputs) are in ``shendu.scratch.zoo_sequence``.

    model = lstm_net(input_size=5, hidden_size=32, num_outputs=4)   # keys rnn.weight_ih_l0, ..., fc.bias
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["CELLS", "SequenceNet", "gru_net", "lstm_net", "rnn_net"]

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class SequenceNet(nn.Module):
    """``x (B, T, input_size)`` -> recurrent layer -> its hidden state after the last step -> Linear.

    Args:
        cell: ``"rnn"`` (tanh Elman RNN), ``"lstm"`` or ``"gru"``.
        input_size: features per step.
        hidden_size: the recurrent state's size.
        num_outputs: classes (the outputs are logits) or regression targets.
        num_layers: stacked recurrent layers (torch's ``num_layers``).

    Shape:
        input ``(B, T, input_size)``, output ``(B, num_outputs)``.

    Raises:
        ValueError: an unknown ``cell``.
    """

    def __init__(self, cell: str = "lstm", input_size: int = 1, hidden_size: int = 32, num_outputs: int = 2,
                 num_layers: int = 1) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}; got {cell!r}")
        self.cell = cell
        self.rnn = CELLS[cell](input_size, hidden_size, num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output, _ = self.rnn(x)  # (B, T, H)
        return self.fc(output[:, -1])  # (B, num_outputs)


def _sequence_net(cell: str, input_size: int, hidden_size: int, num_outputs: int, num_layers: int) -> SequenceNet:
    return SequenceNet(cell, input_size, hidden_size, num_outputs, num_layers)


def rnn_net(input_size: int = 1, hidden_size: int = 32, num_outputs: int = 2, num_layers: int = 1) -> SequenceNet:
    """A vanilla (Elman, tanh) RNN read to its last step, then a Linear."""
    return _sequence_net("rnn", input_size, hidden_size, num_outputs, num_layers)


def lstm_net(input_size: int = 1, hidden_size: int = 32, num_outputs: int = 2, num_layers: int = 1) -> SequenceNet:
    """An LSTM read to its last step, then a Linear."""
    return _sequence_net("lstm", input_size, hidden_size, num_outputs, num_layers)


def gru_net(input_size: int = 1, hidden_size: int = 32, num_outputs: int = 2, num_layers: int = 1) -> SequenceNet:
    """A GRU read to its last step, then a Linear."""
    return _sequence_net("gru", input_size, hidden_size, num_outputs, num_layers)
