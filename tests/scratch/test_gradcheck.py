"""gradcheck itself: passes correct backward passes, catches wrong ones, agrees with torch's."""

import numpy as np
import pytest
import torch

import shendu.scratch as st
from shendu.scratch import Function, GradcheckError


class WrongSquare(Function):
    """x^2 with a deliberately wrong derivative (x instead of 2x)."""

    __slots__ = ("x",)

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad):
        return (grad * self.x,)


def test_catches_a_wrong_backward():
    x = st.Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    with pytest.raises(GradcheckError, match="mismatch"):
        st.gradcheck(lambda t: WrongSquare()(t), x)
    assert st.gradcheck(lambda t: WrongSquare()(t), x, raise_exception=False) is False
    assert issubclass(GradcheckError, RuntimeError)


def test_passes_where_torch_gradcheck_passes():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 2)), rng.standard_normal((2, 4))

    def fn(lib_matmul, x, y):
        return lib_matmul(x, y).tanh() * 3

    assert torch.autograd.gradcheck(lambda x, y: fn(torch.matmul, x, y),
                                    (torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)))
    assert st.gradcheck(lambda x, y: fn(st.matmul, x, y),
                        (st.Tensor(a, requires_grad=True), st.Tensor(b, requires_grad=True)))


def test_converts_float32_inputs_to_float64_and_handles_tuple_outputs():
    x = st.randn(3, 4, requires_grad=True)
    assert st.gradcheck(lambda t: (t.max(1).values, t.sum(0) * 2), x)
    assert x.dtype == np.float32 and x.grad is None  # the caller's tensor is untouched


def test_checks_parameters_a_function_closes_over():
    # float64 inputs are perturbed in place, so a module's own parameter can be checked ...
    m = st.nn.Linear(3, 2).double()
    x = st.Tensor(np.random.default_rng(0).standard_normal((4, 3)))
    assert st.gradcheck(lambda w: (m(x) ** 2).sum(), (m.weight,))
    assert m.weight.grad is None  # ... and left as it was

    class WrongLinear(st.Function):
        __slots__ = ()

        def forward(self, w):
            return w * 3.0

        def backward(self, grad):
            return (grad * 2.0,)

    w = st.Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(GradcheckError):
        st.gradcheck(lambda _: WrongLinear()(w), (w,))
