"""The documents' stock-price LSTM, as a forecaster over look-back windows."""

from __future__ import annotations

import torch
from torch import nn


class LSTMForecaster(nn.Module):
    """Stacked LSTM over a ``(B, lookback, 1)`` window -> linear head -> ``(B, horizon)``.

    ``residual=True`` reads the window relative to its last value and forecasts the change
    from that value (the output is ``last + head(lstm(x - last))``): the network never sees the
    level, so values outside the training range (a price at a new high, CO2 rising every year)
    look like the ones it trained on, and an untrained model starts close to the persistence
    forecast. ``residual=False`` reads and forecasts levels, as the documents' model does.
    """

    def __init__(self, input_size: int = 1, hidden_size: int = 64, num_layers: int = 2, horizon: int = 1,
                 dropout: float = 0.0, residual: bool = True) -> None:
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers=num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.fc = nn.Linear(hidden_size, horizon)
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.residual:
            output, _ = self.lstm(x)
            return self.fc(output[:, -1])
        last = x[:, -1:, :1]
        output, _ = self.lstm(x - last)
        return self.fc(output[:, -1]) + last[:, 0]


def lstm_forecaster(input_size: int = 1, hidden_size: int = 64, num_layers: int = 2, horizon: int = 1,
                    dropout: float = 0.0, residual: bool = True) -> LSTMForecaster:
    return LSTMForecaster(input_size, hidden_size, num_layers, horizon, dropout, residual)
