"""Scratch twins of the sequence models in `shendu.models.sequence`: same factories, same keys.

A vanilla RNN, LSTM or GRU read to its last step, then a Linear. The constructor, attribute names
(``rnn``, ``fc``) and forward are the torch model's, so a torch `state_dict()` loads with
`strict=True` both ways (``rnn.weight_ih_l0``, ``rnn.weight_hh_l0``, ``rnn.bias_ih_l0``,
``rnn.bias_hh_l0``, ``fc.weight``, ``fc.bias``) and both compute the same outputs.

    from shendu.scratch import zoo_sequence
    model = zoo_sequence.gru_net(input_size=5, hidden_size=32, num_outputs=4)
"""

from __future__ import annotations

from . import nn
from .tensor import Tensor

__all__ = ["CELLS", "SequenceNet", "gru_net", "lstm_net", "rnn_net"]

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class SequenceNet(nn.Module):
    """Twin of `shendu.models.sequence.SequenceNet`: ``x (B, T, input_size)`` -> recurrent layer
    -> its hidden state after the last step -> Linear -> ``(B, num_outputs)``.

    Args: as the torch model (cell ``"rnn"``, ``"lstm"`` or ``"gru"``, input_size, hidden_size,
    num_outputs, num_layers).

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

    def forward(self, x: Tensor) -> Tensor:
        output, _ = self.rnn(x)  # (B, T, H)
        return self.fc(output[:, -1])  # (B, num_outputs)


def _sequence_net(cell: str, input_size: int, hidden_size: int, num_outputs: int, num_layers: int) -> SequenceNet:
    return SequenceNet(cell, input_size, hidden_size, num_outputs, num_layers)


def rnn_net(input_size: int = 1, hidden_size: int = 32, num_outputs: int = 2, num_layers: int = 1) -> SequenceNet:
    return _sequence_net("rnn", input_size, hidden_size, num_outputs, num_layers)


def lstm_net(input_size: int = 1, hidden_size: int = 32, num_outputs: int = 2, num_layers: int = 1) -> SequenceNet:
    return _sequence_net("lstm", input_size, hidden_size, num_outputs, num_layers)


def gru_net(input_size: int = 1, hidden_size: int = 32, num_outputs: int = 2, num_layers: int = 1) -> SequenceNet:
    return _sequence_net("gru", input_size, hidden_size, num_outputs, num_layers)
