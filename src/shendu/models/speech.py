"""The documents' speech recogniser: an acoustic MLP per frame, a 2-layer bidirectional LSTM,
and a log-softmax over characters (plus CTC's blank, class 0)."""

from __future__ import annotations

import torch
from torch import nn

from shendu.models.recurrent import PaddedLSTM


class SpeechRecognizer(nn.Module):
    """``(features (B, T, F), lengths (B,)) -> log-probabilities (B, T, classes)``.

    The BiLSTM is a :class:`~shendu.models.recurrent.PaddedLSTM` over the right-padded batch
    (what ``nn.LSTM`` gives on packed sequences, without packing), so a clip's output does not
    depend on the padding of the batch it sits in. Its layers are this model's
    ``forward_layers`` and ``backward_layers``, the names of the weights in trained run folders.
    """

    def __init__(self, input_dim: int = 80, num_classes: int = 16, mlp_dim: int = 256, hidden_size: int = 128,
                 num_layers: int = 2, dropout: float = 0.2) -> None:
        super().__init__()
        self.acoustic = nn.Sequential(
            nn.Linear(input_dim, mlp_dim), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(mlp_dim, mlp_dim), nn.ReLU(), nn.Dropout(dropout),
        )
        lstm = PaddedLSTM(mlp_dim, hidden_size, num_layers, bidirectional=True, dropout=dropout)
        # lstm's layers and dropout are registered here, as before PaddedLSTM, so the weights keep
        # their keys (forward_layers.0.weight_ih_l0, ...); lstm itself stays out of the module tree
        self.forward_layers, self.backward_layers = lstm.forward_layers, lstm.backward_layers
        object.__setattr__(self, "lstm", lstm)
        self.dropout = lstm.dropout
        self.fc = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, features: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        x = self.acoustic(features)
        if lengths is None:
            lengths = torch.full((len(x),), x.shape[1], dtype=torch.int64)
        x, _ = self.lstm(x, lengths.to(x.device))  # (B, T, 2 * hidden_size)
        return torch.log_softmax(self.fc(x), dim=-1)


def speech_recognizer(input_dim: int = 80, num_classes: int = 16, mlp_dim: int = 256, hidden_size: int = 128,
                      num_layers: int = 2, dropout: float = 0.2) -> SpeechRecognizer:
    return SpeechRecognizer(input_dim, num_classes, mlp_dim, hidden_size, num_layers, dropout)
