"""Regressions against torch: silent wrong answers and crashes that the scratch engine once had.

1. batch_norm / layer_norm with weight=None and a bias took the bias for the weight (forward off
   by several units); batch_norm with a weight and no bias crashed in backward.
2. cross_entropy broadcast float targets of the wrong shape silently, and crashed on unbatched
   probability targets.
"""

import itertools
import zlib

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import shendu.scratch as st
import shendu.scratch.nn.functional as F

from .helpers import assert_close, helper_test_exception, helper_test_op

AFFINE = list(itertools.product([False, True], repeat=2))  # (has_weight, has_bias)
AFFINE_IDS = [f"weight{int(w)}-bias{int(b)}" for w, b in AFFINE]
REDUCTIONS = ["mean", "sum", "none"]


@pytest.fixture(autouse=True, scope="module")
def _torch_on_one_thread():
    """torch's thread pool spins on a busy 2-core machine (0.4 s for one tiny grouped conv); one thread doesn't."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _affine_inputs(rng, x_shape, param_shape, has_weight, has_bias):
    """Arrays for helper_test_op (x, then the present params) and a splitter back to (x, w, b)."""
    arrays = [rng.standard_normal(x_shape) * 3 + 1]
    arrays += [rng.standard_normal(param_shape) * 2 + 3 for flag in (has_weight, has_bias) if flag]

    def split(x, *params):
        params = list(params)
        weight = params.pop(0) if has_weight else None
        bias = params.pop(0) if has_bias else None
        return x, weight, bias

    return arrays, split


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("has_weight,has_bias", AFFINE, ids=AFFINE_IDS)
@pytest.mark.parametrize("x_shape", [(5, 3), (4, 3, 6)])
def test_batch_norm_every_weight_bias_combination(x_shape, has_weight, has_bias, training):
    rng = np.random.default_rng(len(x_shape) * 10 + has_weight * 2 + has_bias)
    arrays, split = _affine_inputs(rng, x_shape, (3,), has_weight, has_bias)
    mean0, var0 = rng.standard_normal(3), rng.uniform(0.5, 2.0, 3)
    ours_mean, ours_var = mean0.copy(), var0.copy()
    theirs_mean, theirs_var = torch.from_numpy(mean0.copy()), torch.from_numpy(var0.copy())
    helper_test_op(
        None,
        lambda *t: TF.batch_norm(*split(*t)[:1], theirs_mean, theirs_var, *split(*t)[1:], training=training,
                                 momentum=0.2),
        lambda *t: F.batch_norm(*split(*t)[:1], ours_mean, ours_var, *split(*t)[1:], training=training,
                                momentum=0.2),
        inputs=arrays,
    )
    assert_close(ours_mean, theirs_mean, atol=1e-12, rtol=1e-10, what="running_mean")
    assert_close(ours_var, theirs_var, atol=1e-12, rtol=1e-10, what="running_var")


@pytest.mark.parametrize("has_weight,has_bias", AFFINE, ids=AFFINE_IDS)
@pytest.mark.parametrize("x_shape,normalized", [((4, 5), (5,)), ((2, 3, 4), (3, 4))])
def test_layer_norm_every_weight_bias_combination(x_shape, normalized, has_weight, has_bias):
    rng = np.random.default_rng(sum(x_shape) + has_weight * 2 + has_bias)
    arrays, split = _affine_inputs(rng, x_shape, normalized, has_weight, has_bias)
    helper_test_op(None, lambda *t: TF.layer_norm(split(*t)[0], normalized, *split(*t)[1:]),
                   lambda *t: F.layer_norm(split(*t)[0], normalized, *split(*t)[1:]), inputs=arrays)


def test_bias_without_weight_is_not_taken_for_the_weight():
    x = st.tensor([[0.0, 2.0], [2.0, 0.0]])
    bias = st.tensor([5.0, -5.0])
    out = F.layer_norm(x, (2,), None, bias).numpy()
    np.testing.assert_allclose(out, [[4.0, -4.0], [6.0, -6.0]], atol=1e-4)  # xhat + bias, not xhat * bias


@pytest.mark.parametrize("name", ["BatchNorm1d", "LayerNorm"])
def test_norm_module_without_bias_matches_torch(name):
    from shendu.scratch import nn

    rng = np.random.default_rng(0)
    kwargs = {"affine": True} if name == "BatchNorm1d" else {"bias": False}
    theirs, ours = getattr(torch.nn, name)(4, **kwargs).double(), getattr(nn, name)(4, **kwargs).double()
    if name == "BatchNorm1d":  # torch's BatchNorm has no bias=False; take the bias away by hand
        theirs.bias, ours.bias = None, None
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((6, 4))
    helper_test_op(None, theirs, ours, inputs=[x])


# ---- cross_entropy --------------------------------------------------------------------------------

def _case_rng(*key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))  # hash() of str varies per process


@pytest.mark.parametrize("logits_shape,target_shape", [((4, 3), (4,)), ((4, 3), (4, 2)), ((4, 3), (3,)),
                                                      ((4, 3, 5), (4, 5)), ((3,), (2,)), ((2, 3), (2, 3, 1))])
def test_cross_entropy_float_target_of_wrong_shape_raises_like_torch(logits_shape, target_shape):
    target = np.random.default_rng(0).random(target_shape).astype(np.float32)
    error = helper_test_exception([logits_shape], lambda x: TF.cross_entropy(x, torch.from_numpy(target)),
                                  lambda x: F.cross_entropy(x, st.tensor(target)))
    assert "target" in str(error)


def test_cross_entropy_target_errors_match_torch():
    x, probs = np.zeros((4, 3), np.float32), np.full((4, 3), 1 / 3, np.float32)
    ints = np.ones((4, 3), np.int64)
    for t_kwargs, target in [({}, ints), ({"ignore_index": 0}, probs), ({"label_smoothing": 1.5}, probs),
                             ({"weight": np.ones(2, np.float32)}, probs), ({"weight": np.ones(2, np.float32)}, ints[:, 0])]:
        torch_kwargs = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in t_kwargs.items()}
        helper_test_exception(None, lambda a, t=target, kw=torch_kwargs: TF.cross_entropy(a, torch.from_numpy(t), **kw),
                              lambda a, t=target, kw=t_kwargs: F.cross_entropy(a, st.tensor(t), **kw), inputs=[x])


@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_unbatched_probability_targets(reduction, weighted, smoothing):
    rng = _case_rng("unbatched-probs", reduction, weighted, smoothing)
    logits, probs = rng.standard_normal(5) * 2, rng.dirichlet(np.ones(5))
    weight = rng.uniform(0.5, 2.0, 5) if weighted else None
    tw = None if weight is None else torch.from_numpy(weight)
    helper_test_op(None,  # gradients of the logits *and* of the target
                   lambda x, t: TF.cross_entropy(x, t, weight=tw, reduction=reduction, label_smoothing=smoothing),
                   lambda x, t: F.cross_entropy(x, t, weight=weight, reduction=reduction, label_smoothing=smoothing),
                   inputs=[logits, probs])


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_unbatched_class_index(reduction, weighted, smoothing):
    rng = _case_rng("unbatched-index", reduction, weighted, smoothing)
    target = np.array(rng.integers(0, 4))  # 0-d
    weight = rng.uniform(0.5, 2.0, 4) if weighted else None
    tw = None if weight is None else torch.from_numpy(weight)
    out, _ = helper_test_op(
        [(4,)], lambda x: TF.cross_entropy(x, torch.from_numpy(target), weight=tw, reduction=reduction,
                                           label_smoothing=smoothing),
        lambda x: F.cross_entropy(x, target, weight=weight, reduction=reduction, label_smoothing=smoothing))
    assert out[0].shape == ()


def _class_index_cases(count: int = 10) -> list:
    """Seeded random (logits shape, ignore_index, weighted, reduction, smoothing, dtype) cases."""
    rng, cases = np.random.default_rng(2024), []
    for i in range(count):
        n, c = int(rng.integers(1, 6)), int(rng.integers(2, 6))
        shape = (n, c) if i % 3 else (n, c, int(rng.integers(1, 4)), int(rng.integers(1, 3)))
        cases.append((shape, int(rng.integers(0, c)) if rng.random() < 0.5 else -100, bool(rng.random() < 0.5),
                      REDUCTIONS[i % 3], float(rng.choice([0.0, 0.1, 0.45])),
                      np.float64 if rng.random() < 0.7 else np.float32))
    return cases


@pytest.mark.parametrize("shape,ignore_index,weighted,reduction,smoothing,dtype", _class_index_cases())
def test_cross_entropy_class_index_targets(shape, ignore_index, weighted, reduction, smoothing, dtype):
    rng = _case_rng("index", shape, ignore_index, reduction)
    c = shape[1]
    target = rng.integers(0, c, size=(shape[0], *shape[2:]))
    if ignore_index >= 0:
        target.flat[0] = ignore_index  # at least one ignored element
    weight = rng.uniform(0.5, 2.0, c).astype(dtype) if weighted else None
    tw = None if weight is None else torch.from_numpy(weight)
    kwargs = dict(ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)
    helper_test_op([shape], lambda x: TF.cross_entropy(x, torch.from_numpy(target), weight=tw, **kwargs),
                   lambda x: F.cross_entropy(x, target, weight=weight, **kwargs), dtype=dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_batched_probability_targets_with_weight_and_smoothing(reduction):
    rng = _case_rng("probs", reduction)
    logits = rng.standard_normal((3, 4, 2))
    probs = rng.dirichlet(np.ones(4), size=(3, 2)).transpose(0, 2, 1)  # (N, C, d): sums to 1 over C
    weight = rng.uniform(0.5, 2.0, 4)
    helper_test_op(None, lambda x, t: TF.cross_entropy(x, t, torch.from_numpy(weight), reduction=reduction,
                                                       label_smoothing=0.25),
                   lambda x, t: F.cross_entropy(x, t, weight, reduction=reduction, label_smoothing=0.25),
                   inputs=[logits, probs])


def test_cross_entropy_everything_ignored_is_nan_with_zero_gradient_like_torch():
    target = np.full(3, -100)
    for smoothing in (0.0, 0.1):
        ours_x, theirs_x = st.zeros(3, 2, requires_grad=True), torch.zeros(3, 2, requires_grad=True)
        ours = F.cross_entropy(ours_x, target, label_smoothing=smoothing)
        theirs = TF.cross_entropy(theirs_x, torch.from_numpy(target), label_smoothing=smoothing)
        assert np.isnan(ours.item()) and np.isnan(theirs.item())
        ours.backward()
        theirs.backward()
        np.testing.assert_array_equal(ours_x.grad.numpy(), theirs_x.grad.numpy())
