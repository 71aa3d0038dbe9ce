"""The documents' speech recogniser: an acoustic MLP per frame, a 2-layer bidirectional LSTM,
and a log-softmax over characters (plus CTC's blank, class 0)."""

from __future__ import annotations

import torch
from torch import nn


class SpeechRecognizer(nn.Module):
    """``(features (B, T, F), lengths (B,)) -> log-probabilities (B, T, classes)``.

    The BiLSTM reads packed sequences, so a clip's output does not depend on the padding of the
    batch it sits in.
    """

    def __init__(self, input_dim: int = 80, num_classes: int = 16, mlp_dim: int = 256, hidden_size: int = 128,
                 num_layers: int = 2, dropout: float = 0.2) -> None:
        super().__init__()
        self.acoustic = nn.Sequential(
            nn.Linear(input_dim, mlp_dim), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(mlp_dim, mlp_dim), nn.ReLU(), nn.Dropout(dropout),
        )
        self.lstm = nn.LSTM(mlp_dim, hidden_size, num_layers=num_layers, batch_first=True, bidirectional=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.fc = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, features: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        x = self.acoustic(features)
        if lengths is None:
            lengths = torch.full((len(x),), x.shape[1], dtype=torch.int64)
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        output, _ = self.lstm(packed)
        output, _ = nn.utils.rnn.pad_packed_sequence(output, batch_first=True, total_length=x.shape[1])
        return torch.log_softmax(self.fc(output), dim=-1)


def speech_recognizer(input_dim: int = 80, num_classes: int = 16, mlp_dim: int = 256, hidden_size: int = 128,
                      num_layers: int = 2, dropout: float = 0.2) -> SpeechRecognizer:
    return SpeechRecognizer(input_dim, num_classes, mlp_dim, hidden_size, num_layers, dropout)
