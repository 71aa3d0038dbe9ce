"""Loss modules against torch's (reductions, weights, ignore_index), both state-dict directions."""

import numpy as np
import pytest
import torch

import shendu.scratch as st
from shendu.scratch import nn

from ..helpers import helper_test_exception, helper_test_module


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_and_bce(reduction):
    rng = np.random.default_rng(0)
    p, t = rng.uniform(0.05, 0.95, (4, 3)), (rng.random((4, 3)) > 0.5).astype(np.float64)
    helper_test_module(torch.nn.MSELoss(reduction=reduction), nn.MSELoss(reduction=reduction), [p, t])
    helper_test_module(torch.nn.BCELoss(reduction=reduction), nn.BCELoss(reduction=reduction), [p, t])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["CrossEntropyLoss", "NLLLoss"])
def test_class_losses_with_weight_and_ignore_index(name, reduction):
    rng = np.random.default_rng(0)
    logits, target = rng.standard_normal((6, 4)), np.array([0, 1, 3, 2, 1, 1])
    weight = np.array([1.0, 2.0, 0.5, 1.5])
    theirs = getattr(torch.nn, name)(weight=torch.from_numpy(weight), ignore_index=1, reduction=reduction)
    ours = getattr(nn, name)(weight=weight, ignore_index=1, reduction=reduction)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    helper_test_module(theirs, ours, [logits, target])


def test_bad_reduction_raises_value_error():
    with pytest.raises(ValueError):
        torch.nn.MSELoss(reduction="avg")(torch.zeros(2), torch.zeros(2))
    with pytest.raises(ValueError):
        nn.MSELoss(reduction="avg")


def test_target_out_of_range_raises_index_error():
    helper_test_exception(None, torch.nn.CrossEntropyLoss(), nn.CrossEntropyLoss(),
                          inputs=[np.zeros((2, 3), np.float32), np.array([0, 3])])


def test_gradcheck_loss_modules():
    x = st.Tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    assert st.gradcheck(lambda t: nn.CrossEntropyLoss()(t, np.array([1, 0, 3])), x)
    assert st.gradcheck(lambda t: nn.MSELoss(reduction="sum")(t, st.zeros(3, 4, dtype=st.float64)), x)
