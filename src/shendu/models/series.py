"""The documents' stock-price LSTM, as a forecaster over look-back windows.

Two forecasters share the architecture (stacked LSTM, last hidden state, linear head):

- :class:`ChangeForecaster` (the recipes' model, :func:`series_forecaster`): reads the window's differences and forecasts
  the change from the last value, shrunk toward persistence by a factor fitted on validation data.
- :class:`LSTMForecaster`: the documents' model on levels (``residual=False``), and the earlier
  residual form (``residual=True``, :func:`lstm_forecaster`) that older run folders name.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["ChangeForecaster", "LSTMForecaster", "lstm_forecaster", "series_forecaster"]


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


class ChangeForecaster(nn.Module):
    """Forecast the change from the last value, from the window's differences, shrunk toward
    persistence.

    A window ``x`` of scaled values ``(B, lookback, input_size)`` becomes its one-step
    differences ``(B, lookback - 1, input_size)``, divided by ``change_scale`` (the typical
    one-step change of the training part, so the LSTM reads numbers near 1). The stacked LSTM's
    last hidden state goes through a linear head to ``(B, horizon)``: the change from the last
    value to each of the next ``horizon`` values, in units of ``change_scale``. Then::

        forecast = last + shrinkage * change_scale * head(lstm(diff(x) / change_scale))

    The head starts at zero, so an untrained model *is* persistence (a random walk's best
    forecast), and weight decay pulls it back there. ``shrinkage`` is a buffer in ``[0, 1]``
    saved with the weights; training fits it on the validation split
    (:func:`shendu.train.forecast.shrinkage_factor`), so every reader of the weights (predict,
    evaluate, serve, ONNX export) applies it. Shrinking toward a simple benchmark is the usual
    forecast-combination remedy for an estimated model's variance (Stock & Watson 2004).

    Args:
        input_size: values per time step (the first is the series forecast).
        hidden_size, num_layers, dropout: the LSTM.
        horizon: values forecast at once.
        change_scale: the divisor of the differences and the head's unit (> 0).
    """

    def __init__(self, input_size: int = 1, hidden_size: int = 64, num_layers: int = 2, horizon: int = 1,
                 dropout: float = 0.0, change_scale: float = 1.0) -> None:
        super().__init__()
        if not change_scale > 0:
            raise ValueError(f"change_scale must be a positive number; got {change_scale!r}.")
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers=num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.fc = nn.Linear(hidden_size, horizon)
        nn.init.zeros_(self.fc.weight)
        nn.init.zeros_(self.fc.bias)
        self.change_scale = float(change_scale)
        self.register_buffer("shrinkage", torch.ones(()))

    def change(self, x: torch.Tensor) -> torch.Tensor:
        """The unshrunk forecast change from the last value, ``(B, horizon)``, in ``x``'s units."""
        if x.shape[1] < 2:
            raise ValueError(f"a window needs at least 2 values to have a difference; got shape {tuple(x.shape)}.")
        differences = (x[:, 1:] - x[:, :-1]) / self.change_scale  # (B, lookback - 1, input_size)
        output, _ = self.lstm(differences)
        return self.fc(output[:, -1]) * self.change_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, -1, :1] + self.shrinkage * self.change(x)


def lstm_forecaster(input_size: int = 1, hidden_size: int = 64, num_layers: int = 2, horizon: int = 1,
                    dropout: float = 0.0, residual: bool = True) -> LSTMForecaster:
    return LSTMForecaster(input_size, hidden_size, num_layers, horizon, dropout, residual)


def series_forecaster(input_size: int = 1, hidden_size: int = 64, num_layers: int = 2, horizon: int = 1,
                      dropout: float = 0.0, residual: bool = True, change_scale: float = 1.0) -> nn.Module:
    """The forecasting recipes' model: a :class:`ChangeForecaster`, or with ``residual=False`` the
    documents' LSTM on levels (``change_scale`` is then unused)."""
    if residual:
        return ChangeForecaster(input_size, hidden_size, num_layers, horizon, dropout, change_scale)
    return LSTMForecaster(input_size, hidden_size, num_layers, horizon, dropout, residual=False)
