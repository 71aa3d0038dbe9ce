"""The change forecaster: zero output is persistence, and its forward is the documented formula
(checked against torch's own LSTM and Linear with copied weights)."""

import pytest
import torch
from torch import nn

from shendu.models.series import ChangeForecaster, LSTMForecaster, series_forecaster


@pytest.mark.parametrize("seed", range(4))
def test_an_untrained_or_fully_shrunk_model_forecasts_exactly_the_last_value(seed):
    generator = torch.Generator().manual_seed(seed)
    lookback, horizon, batch = (int(v) for v in torch.randint(2, 9, (3,), generator=generator))
    x = torch.randn(batch, lookback, 1, generator=generator) * 3
    model = ChangeForecaster(hidden_size=6, num_layers=2, horizon=horizon, change_scale=0.4).eval()
    assert torch.equal(model.change(x), torch.zeros(batch, horizon))  # the head starts at zero
    assert torch.equal(model(x), x[:, -1, :1].expand(batch, horizon))
    with torch.no_grad():  # a trained head, shrunk all the way (k = 0): persistence again
        for p in model.parameters():
            p.normal_(generator=generator)
        model.shrinkage.fill_(0.0)
    assert not torch.equal(model.change(x), torch.zeros(batch, horizon))
    assert torch.equal(model(x), x[:, -1, :1].expand(batch, horizon))


def test_forward_is_last_plus_k_times_the_change_read_from_the_differences():
    torch.manual_seed(0)
    model = ChangeForecaster(hidden_size=5, num_layers=2, horizon=3, change_scale=0.7).eval()
    nn.init.normal_(model.fc.weight)
    nn.init.normal_(model.fc.bias)
    model.shrinkage.fill_(0.4)
    lstm = nn.LSTM(1, 5, num_layers=2, batch_first=True)
    lstm.load_state_dict(model.lstm.state_dict())
    fc = nn.Linear(5, 3)
    fc.load_state_dict(model.fc.state_dict())
    x = torch.randn(4, 9, 1)
    differences = torch.stack([x[:, t + 1] - x[:, t] for t in range(8)], dim=1) / 0.7
    output, _ = lstm(differences)
    expected = x[:, -1] + 0.4 * 0.7 * fc(output[:, -1])
    torch.testing.assert_close(model(x), expected, rtol=1e-5, atol=1e-6)
    # the network reads changes only: a window shifted by a constant gets the same forecast change
    torch.testing.assert_close(model(x + 5.0), expected + 5.0, rtol=1e-5, atol=1e-5)
    assert "shrinkage" in model.state_dict()  # saved with the weights, so every reader applies it


def test_the_recipes_factory_builds_either_forecaster_and_refuses_a_bad_scale():
    assert isinstance(series_forecaster(hidden_size=4, num_layers=1), ChangeForecaster)
    level = series_forecaster(hidden_size=4, num_layers=1, residual=False)
    assert isinstance(level, LSTMForecaster) and not level.residual
    with pytest.raises(ValueError, match="change_scale must be a positive number; got 0"):
        ChangeForecaster(change_scale=0)
    with pytest.raises(ValueError, match="at least 2 values"):
        ChangeForecaster(hidden_size=4)(torch.zeros(1, 1, 1))
