import pytest
import torch

from shendu.train.config import OPTIMIZERS, SCHEDULERS, TrainConfig
from shendu.train.module import build_optimizer, build_scheduler


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_builds_and_steps(name):
    param = torch.nn.Parameter(torch.tensor([3.0]))
    optimizer = build_optimizer([param], TrainConfig(optimizer=name, lr=0.1))
    for _ in range(5):
        optimizer.zero_grad()
        (param**2).sum().backward()
        optimizer.step()
    assert abs(param.item()) < 3.0


@pytest.mark.parametrize("name", SCHEDULERS)
def test_every_scheduler_builds(name):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    config = build_scheduler(optimizer, TrainConfig(scheduler=name, epochs=4, lr=0.1), steps_per_epoch=10)
    if name == "none":
        assert config is None
    else:
        assert config["scheduler"] is not None
        if name == "plateau":
            assert config["monitor"] == "val_loss"


def test_supervised_module_takes_any_loss_and_metrics():
    from torchmetrics import MeanSquaredError, MetricCollection

    from shendu.train.module import SupervisedModule

    model = torch.nn.Linear(3, 1)
    module = SupervisedModule(model, torch.nn.MSELoss(), MetricCollection({"mse": MeanSquaredError()}),
                              TrainConfig(scheduler="none"), steps_per_epoch=1)
    x, y = torch.randn(8, 3), torch.randn(8, 1)
    loss = module.loss_fn(module(x), y)
    assert torch.isclose(loss, torch.nn.functional.mse_loss(model(x), y))
    assert set(module.val_metrics.keys()) == {"val_mse"}
