"""`shendu lab regularization`: conclusions computed from its numbers; the L1 penalty's gradient in both
engines; shifts against padding and cropping; the early-stopping rule."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from shendu.lab import regularization as lab
from shendu.lab.engines import get_engine, linear_init
from shendu.lab.stats import summarize
from tests.lab.conftest import metrics_of


@pytest.mark.parametrize("engine_name", ["torch", "scratch"])
def test_the_l1_penalty_is_the_sum_of_absolute_weights_with_gradient_sign(engine_name):
    engine = get_engine(engine_name)
    settings = lab.Settings(hidden=[5, 4])
    sizes = (6, 5, 4, 3)
    start = linear_init(np.random.default_rng(0), sizes)
    model = lab.load_linears(engine, lab.build(engine, sizes, "batch_norm", settings), start)
    penalty = lab.l1_penalty(engine, model)
    weights = [start[f"{i}.weight"] for i in (0, 2, 4)]
    assert float(penalty.item()) == pytest.approx(sum(np.abs(w).sum() for w in weights), rel=1e-6)
    penalty.backward()
    linears = [layer for layer in model if isinstance(layer, engine.nn.Linear)]
    for layer, w in zip(linears, weights, strict=True):
        np.testing.assert_array_equal(engine.numpy(layer.weight.grad), np.sign(w))
        assert layer.bias.grad is None or not engine.numpy(layer.bias.grad).any()  # biases are not penalised


def test_linears_load_in_order_around_batch_norm_and_dropout():
    engine = get_engine("torch")
    start = linear_init(np.random.default_rng(1), (6, 5, 3))
    for method in ("batch_norm", "dropout", "none"):
        model = lab.load_linears(engine, lab.build(engine, (6, 5, 3), method, lab.Settings()), start)
        linears = [layer for layer in model if isinstance(layer, engine.nn.Linear)]
        np.testing.assert_array_equal(linears[0].weight.detach().numpy(), start["0.weight"])
        np.testing.assert_array_equal(linears[1].bias.detach().numpy(), start["2.bias"])
    assert [type(layer).__name__ for layer in lab.build(engine, (6, 5, 3), "batch_norm", lab.Settings())] == [
        "Linear", "BatchNorm1d", "ReLU", "Linear"]


def test_shifts_equal_padding_then_cropping():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 36)).astype(np.float32)  # 6x6 images
    got = lab.shift_images(np.random.default_rng(3), x, 2, -1.0)
    moves = np.random.default_rng(3).integers(-2, 3, (40, 2))
    for image, shifted, (dy, dx) in zip(x.reshape(-1, 6, 6), got.reshape(-1, 6, 6), moves, strict=True):
        padded = np.pad(image, 2, constant_values=-1.0)
        np.testing.assert_array_equal(shifted, padded[2 - dy:8 - dy, 2 - dx:8 - dx])


@pytest.mark.parametrize("losses, patience, expected", [
    ([1.0, 0.9, 0.8], 2, (False, 2)), ([1.0, 0.9, 0.95, 0.97], 2, (True, 1)), ([1.0, 0.9, 0.95], 2, (False, 1)),
    ([0.5, 0.5, 0.5], 2, (True, 0)), ([0.3], 1, (False, 0))])
def test_early_stopping_waits_patience_epochs_after_the_best(losses, patience, expected):
    assert lab.should_stop(losses, patience) == expected


def test_the_training_set_is_small_balanced_and_mixed():
    data = lab.mnist_small(300, 1000)
    assert data.x_train.shape == (300, 784) and data.x_test.shape == (1000, 784)
    assert np.bincount(data.y_train).tolist() == [30] * 10 and np.bincount(data.y_test).tolist() == [100] * 10
    assert len(set(data.y_train[-60:])) == 10  # the part early stopping holds out has every class


def test_conclusions_follow_the_numbers(lab_run):
    metrics = metrics_of(lab_run("regularization")[0])
    results = metrics["results"]
    assert lab.conclude(results) == metrics["conclusions"]
    changed = copy.deepcopy(results)
    table = {"none": (1.0, 0.80, 0.9), "l1": (1.0, 0.82, 0.5), "l2": (1.0, 0.83, 0.3), "dropout": (0.97, 0.85, 0.6),
             "batch_norm": (1.0, 0.81, 0.7), "augmentation": (0.9, 0.86, 0.2), "early_stopping": (0.95, 0.79, 0.8)}
    for method, (train, test, loss_gap) in table.items():
        changed[method]["final_train_acc"] = summarize([train, train])
        changed[method]["final_test_acc"] = summarize([test, test])
        changed[method]["gap"] = summarize([train - test, train - test])
        changed[method]["loss_gap"] = summarize([loss_gap, loss_gap])
    changed["l1"]["sparse_share"] = summarize([0.4, 0.5])
    changed["early_stopping"]["stopped_epoch"] = summarize([12, None])
    after = lab.conclude(changed)
    assert after[0].startswith("Without regularization the network reached 100.0% ± 0.0 on its")
    assert "a gap of 20.0 points. Augmentation (shifts) closed it most, to 4 ± 0 points (16.0 narrower); in order: " \
        "augmentation (shifts) 4.0, dropout 12.0, early stopping 16.0, L2 (weight decay) 17.0, L1 18.0, batch norm 19.0." \
        in after[0]
    assert after[1] == "The best held-out accuracy was augmentation (shifts)'s, 86.0% ± 0.0 (+6.0 points against none)."
    assert "0.90 without regularization; augmentation (shifts) cut it most, to 0.2 ± 0" in after[2]
    assert "L1 left 45.0% ± 7.1 of the weights near zero" in after[3]
    assert "stopped after 12 of" in after[4] and "in 1 of 2 seeds" in after[4]
    changed["augmentation"]["final_test_acc"] = summarize([0.70, 0.70])
    changed["augmentation"]["gap"] = summarize([0.0, 0.0])
    after = lab.conclude(changed)
    assert after[1].startswith("The best held-out accuracy was dropout's, 85.0% ± 0.0 (+5.0 points against none); "
                               "augmentation (shifts) narrowed the gap more but tested at 70.0% ± 0.0 (partly by "
                               "fitting its training images less).")
