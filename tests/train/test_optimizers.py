"""The one optimizer/scheduler table builds the same thing in torch and in the scratch engine."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from shendu import scratch
from shendu.scratch import optim as scratch_optim
from shendu.train.config import OPTIMIZERS, SCHEDULERS, TrainConfig
from shendu.train.optimizers import (
    OPTIMIZER_CHOICES,
    SCHEDULER_CHOICES,
    create_optimizer,
    create_scheduler,
    lightning_scheduler,
)

# a validation loss that improves, plateaus (patience 2 runs out twice), then improves again
VAL_LOSSES = [1.0, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.5, 0.4, 0.4, 0.4]


def _twins(config: TrainConfig) -> tuple[torch.optim.Optimizer, scratch_optim.Optimizer]:
    """The torch and scratch optimizers for ``config`` over the same starting parameter."""
    start = np.array([3.0, -2.0])
    torch_parameter = torch.nn.Parameter(torch.tensor(start))
    scratch_parameter = scratch.Tensor(start.copy(), requires_grad=True)
    return (create_optimizer(torch.optim, [torch_parameter], config),
            create_optimizer(scratch_optim, [scratch_parameter], config))


def _descend(optimizer) -> None:
    """One step on ``sum(p**2)`` (either engine)."""
    optimizer.zero_grad()
    (parameter,) = optimizer.param_groups[0]["params"]
    (parameter**2).sum().backward()
    optimizer.step()


def test_config_names_come_from_the_table():
    assert OPTIMIZERS == tuple(OPTIMIZER_CHOICES) == ("sgd", "momentum", "rmsprop", "adam", "adamw")
    assert SCHEDULERS == tuple(SCHEDULER_CHOICES) == ("none", "plateau", "onecycle", "cosine", "step")


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_builds_in_both_engines_and_they_take_the_same_steps(name):
    config = TrainConfig(optimizer=name, lr=0.1, weight_decay=0.01)
    torch_optimizer, scratch_optimizer = _twins(config)
    assert type(torch_optimizer).__name__ == type(scratch_optimizer).__name__ == OPTIMIZER_CHOICES[name].cls
    torch_group, scratch_group = torch_optimizer.param_groups[0], scratch_optimizer.param_groups[0]
    assert torch_group["lr"] == scratch_group["lr"] == 0.1
    assert torch_group["weight_decay"] == scratch_group["weight_decay"] == 0.01
    assert torch_group.get("momentum", 0.0) == scratch_group.get("momentum", 0.0) == (0.9 if name == "momentum" else 0.0)
    for _ in range(5):
        _descend(torch_optimizer)
        _descend(scratch_optimizer)
    torch_value = torch_group["params"][0].detach().numpy()
    np.testing.assert_allclose(scratch_group["params"][0].data, torch_value, rtol=1e-10)
    assert np.all(np.abs(torch_value) < [3.0, 2.0])  # it descended


@pytest.mark.parametrize("name", SCHEDULERS)
def test_every_scheduler_gives_the_same_lr_sequence_in_both_engines(name):
    config = TrainConfig(scheduler=name, lr=0.1, epochs=4, plateau_patience=2, plateau_factor=0.5)
    torch_optimizer, scratch_optimizer = _twins(config)
    torch_scheduler, steps_on = create_scheduler(torch.optim, torch_optimizer, config, steps_per_epoch=3)
    scratch_scheduler, scratch_steps_on = create_scheduler(scratch_optim, scratch_optimizer, config, steps_per_epoch=3)
    assert steps_on == scratch_steps_on
    if name == "none":
        assert torch_scheduler is None and scratch_scheduler is None and steps_on == "epoch"
        return
    assert type(torch_scheduler).__name__ == type(scratch_scheduler).__name__ == SCHEDULER_CHOICES[name].cls
    torch_lrs, scratch_lrs = [], []
    for val_loss in VAL_LOSSES[:11]:  # OneCycle here lasts epochs * steps_per_epoch = 12 steps
        for optimizer, scheduler, lrs in ((torch_optimizer, torch_scheduler, torch_lrs),
                                          (scratch_optimizer, scratch_scheduler, scratch_lrs)):
            _descend(optimizer)
            scheduler.step(val_loss) if steps_on == "val_loss" else scheduler.step()
            lrs.append(optimizer.param_groups[0]["lr"])
    assert scratch_lrs == pytest.approx(torch_lrs, rel=1e-12)
    assert len(set(torch_lrs)) > 1  # the schedule did change the lr


@pytest.mark.parametrize("name, expected", [
    ("none", None),
    ("plateau", {"monitor": "val_loss", "interval": "epoch"}),
    ("onecycle", {"interval": "step"}),
    ("cosine", {"interval": "epoch"}),
    ("step", {"interval": "epoch"}),
])
def test_lightning_gets_the_interval_and_monitor_the_table_says(name, expected):
    config = TrainConfig(scheduler=name, epochs=4)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler, steps_on = create_scheduler(torch.optim, optimizer, config, steps_per_epoch=10)
    got = lightning_scheduler(scheduler, steps_on)
    if expected is None:
        assert got is None
    else:
        assert got == {"scheduler": scheduler, **expected}


def test_unknown_names_raise_value_error_listing_the_choices():
    parameter = torch.nn.Parameter(torch.zeros(1))
    with pytest.raises(ValueError, match="unknown optimizer 'lion'; expected one of sgd, momentum"):
        create_optimizer(torch.optim, [parameter], TrainConfig(optimizer="lion"))
    optimizer = torch.optim.SGD([parameter], lr=0.1)
    with pytest.raises(ValueError, match="unknown scheduler 'warmup'; expected one of none, plateau"):
        create_scheduler(scratch_optim, optimizer, TrainConfig(scheduler="warmup"), steps_per_epoch=1)


def test_config_module_imports_without_torch():
    """``shendu.train.config`` (and the table it takes its names from) import no torch."""
    code = ("import sys, types, pathlib, shendu\n"
            "package = types.ModuleType('shendu.train')\n"  # skip shendu/train/__init__.py, which imports Lightning
            "package.__path__ = [str(pathlib.Path(shendu.__file__).parent / 'train')]\n"
            "sys.modules['shendu.train'] = package\n"
            "from shendu.train.config import OPTIMIZERS, TrainConfig\n"
            "TrainConfig(accelerator='cpu').validate()\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
