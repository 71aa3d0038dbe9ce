"""The core ops against torch: forward and gradient on generated shapes (0-d, size 0, size 1,
broadcasting, negative dims), finite-difference checks, errors, and the method and function
forms torch has."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import shendu.scratch as st

from .helpers import helper_test_exception, helper_test_op


def ties(shape, seed=0):
    """float64 values drawn from {-1, 0, 1, 2}: plenty of ties (and zeros) on purpose."""
    return np.random.default_rng(seed).integers(-1, 3, size=shape).astype(np.float64)


def random_shapes(seed: int, count: int, max_ndim: int = 3):
    """Seeded shapes with 0-d, size-0 and size-1 dims among them."""
    rng = np.random.default_rng(seed)
    shapes = [(), (0,), (1,), (3, 1), (2, 0, 3)]
    while len(shapes) < count:
        shapes.append(tuple(int(n) for n in rng.choice([1, 2, 3, 4], size=rng.integers(1, max_ndim + 1))))
    return shapes


def broadcastable_pair(rng, shape):
    """A shape that broadcasts with `shape` (some dims set to 1, maybe fewer leading dims)."""
    other = [1 if rng.random() < 0.3 else n for n in shape]
    return tuple(other[int(rng.integers(0, len(other) + 1)):]) if other else ()


# ---- elementwise binary -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["maximum", "minimum"])
@pytest.mark.parametrize("seed", range(6))
def test_maximum_minimum_split_ties_like_torch(name, seed):
    rng = np.random.default_rng(seed)
    shape = random_shapes(seed, 6)[seed]
    other = broadcastable_pair(rng, shape)
    helper_test_op(None, getattr(torch, name), getattr(st, name), inputs=[ties(shape, seed), ties(other, seed + 1)])
    helper_test_op(None, lambda a, b: getattr(a, name)(b), lambda a, b: getattr(a, name)(b),
                   inputs=[ties(shape, seed), ties(other, seed + 1)])


def test_maximum_propagates_nan_and_takes_tensors_only():
    a, b = np.array([np.nan, 1.0, 2.0]), np.array([1.0, np.nan, 2.0])
    helper_test_op(None, torch.maximum, st.maximum, inputs=[a, b])
    with pytest.raises(TypeError):
        torch.maximum(torch.ones(2), 1.0)
    with pytest.raises(TypeError, match="must be Tensor"):
        st.maximum(st.ones(2), 1.0)


def test_clamp_with_tensor_bounds_matches_torch_on_generated_ties():
    rng = np.random.default_rng(0)
    for case in range(150):
        shape = [(4,), (2, 4), (3, 1, 4)][case % 3]
        x = rng.choice([0.0, 1.0, 2.0, np.nan] if case % 5 == 0 else [0.0, 1.0, 2.0], size=shape)
        lo = rng.choice([0.0, 1.0, 2.0], size=(4,)) if case % 4 != 1 else None
        hi = rng.choice([0.0, 1.0, 2.0], size=(1, 4) if case % 2 else (4,)) if case % 4 != 2 else None
        arrays = [v for v in (x, lo, hi) if v is not None]

        def call(m, *tensors, lo=lo, hi=hi):
            it = iter(tensors[1:])
            return m.clamp(tensors[0], min=next(it) if lo is not None else None, max=next(it) if hi is not None else None)

        helper_test_op(None, lambda *t: call(torch, *t), lambda *t: call(st, *t), inputs=arrays, seed=case)


def test_sin_cos_and_friends():
    for name in ("sin", "cos", "log1p", "expm1", "rsqrt", "reciprocal", "square"):
        low = 0.5 if name in ("rsqrt", "reciprocal") else -0.9
        for shape in [(), (0,), (2, 3)]:
            helper_test_op([shape], getattr(torch, name), getattr(st, name), low=low)
            helper_test_op([shape], lambda x, n=name: getattr(x, n)(), lambda x, n=name: getattr(x, n)(), low=low)


# ---- masking, triangles, gather / scatter ----------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_masked_fill_broadcasts_and_its_value_gets_a_gradient(seed):
    rng = np.random.default_rng(seed)
    shape = random_shapes(seed + 10, 6)[seed]
    mask = np.asarray(rng.random(broadcastable_pair(rng, shape)) < 0.5)
    helper_test_op([shape], lambda x: x.masked_fill(torch.from_numpy(mask), -2.5),
                   lambda x: x.masked_fill(st.tensor(mask), -2.5))
    helper_test_op([shape, ()], lambda x, v: torch.masked_fill(x, torch.from_numpy(mask), v),
                   lambda x, v: st.masked_fill(x, st.tensor(mask), v))


def test_masked_fill_keeps_the_input_dtype_and_checks_its_arguments():
    mask = np.array([True, False])
    for values, fill in (([1, 2], 0.7), ([1.0, 2.0], 7), ([1.0, 2.0], np.float64(3.5))):
        got, expected = st.tensor(values).masked_fill(st.tensor(mask), fill), torch.tensor(values).masked_fill(torch.tensor(mask), fill)
        assert got.dtype == expected.numpy().dtype and got.tolist() == expected.tolist()
    helper_test_exception([(2,)], lambda x: x.masked_fill(torch.tensor([1, 0]), 1.0),
                          lambda x: x.masked_fill(st.tensor([1, 0]), 1.0))
    helper_test_exception([(2,)], lambda x: x.masked_fill(torch.tensor([True, False]), torch.ones(1)),
                          lambda x: x.masked_fill(st.tensor([True, False]), st.ones(1)))


@pytest.mark.parametrize("name", ["tril", "triu"])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 2), (2, 3, 4), (0, 3), (1, 1)])
def test_tril_triu_every_diagonal(name, shape):
    for diagonal in range(-4, 5):
        helper_test_op([shape], lambda x, d=diagonal: getattr(torch, name)(x, d),
                       lambda x, d=diagonal: getattr(st, name)(x, d))
    helper_test_op([shape], lambda x: getattr(x, name)(diagonal=1), lambda x: getattr(x, name)(diagonal=1))


def test_tril_needs_two_dims():
    helper_test_exception([(3,)], torch.tril, st.tril)


@pytest.mark.parametrize("seed", range(8))
def test_gather_and_scatter_add_on_generated_indices(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(int(n) for n in rng.integers(1, 4, size=rng.integers(1, 4)))
    dim = int(rng.integers(-len(shape), len(shape)))
    axis = dim % len(shape)
    index_shape = tuple(int(rng.integers(1, n + 1)) if d != axis else int(rng.integers(1, 5))
                        for d, n in enumerate(shape))
    index = rng.integers(0, shape[axis], size=index_shape)  # repeats on purpose
    helper_test_op([shape], lambda x: torch.gather(x, dim, torch.from_numpy(index)),
                   lambda x: st.gather(x, dim, st.tensor(index)))
    helper_test_op([shape], lambda x: x.gather(dim, torch.from_numpy(index)), lambda x: x.gather(dim, st.tensor(index)))
    helper_test_op([shape, index_shape], lambda x, s: torch.scatter_add(x, dim, torch.from_numpy(index), s),
                   lambda x, s: st.scatter_add(x, dim, st.tensor(index), s))
    helper_test_op([shape, index_shape], lambda x, s: x.scatter_add(dim, torch.from_numpy(index), s),
                   lambda x, s: x.scatter_add(dim, st.tensor(index), s))


def test_gather_scatter_zero_dim_and_errors():
    helper_test_op([()], lambda x: torch.gather(x, 0, torch.tensor(0)), lambda x: st.gather(x, 0, st.tensor(0)))
    for index in ([[5]], [[-1]], [0], np.zeros((2, 5), np.int64), [[0.0]]):
        helper_test_exception([(3, 4)], lambda x, i=index: torch.gather(x, 0, torch.tensor(i)),
                              lambda x, i=index: st.gather(x, 0, st.tensor(i)))
    helper_test_exception([(3, 4), (2, 2)],
                          lambda x, s: torch.scatter_add(x, 0, torch.zeros(2, 2, dtype=torch.long), s.double()),
                          lambda x, s: st.scatter_add(x, 0, st.zeros(2, 2, dtype=st.int64), s.double()))


def test_scatter_add_with_src_larger_than_index():
    # torch's forward reads only the part of src that index covers; its backward refuses this
    # case, ours gives that part the gathered gradient and the rest zero.
    x, src = st.zeros(3, 4, requires_grad=True), st.ones(3, 4, requires_grad=True)
    index = st.tensor([[0, 1], [2, 0]])
    out = st.scatter_add(x, 0, index, src)
    expected = torch.zeros(3, 4).scatter_add(0, torch.tensor([[0, 1], [2, 0]]), torch.ones(3, 4))
    np.testing.assert_array_equal(out.detach().numpy(), expected.numpy())
    out.sum().backward()
    assert src.grad.numpy()[:2, :2].tolist() == [[1, 1], [1, 1]] and src.grad.numpy().sum() == 4


# ---- shape ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_flip_and_repeat_on_generated_shapes(seed):
    rng = np.random.default_rng(seed)
    shape = random_shapes(seed + 20, 8)[seed]
    ndim = len(shape)
    dims = tuple(int(d) for d in rng.permutation(np.arange(-ndim, 0))[: rng.integers(0, ndim + 1)]) if ndim else ()
    helper_test_op([shape], lambda x: torch.flip(x, dims), lambda x: st.flip(x, dims))
    if dims:  # the method form needs at least one dim, in torch as here
        helper_test_op([shape], lambda x: x.flip(*dims), lambda x: x.flip(*dims))
    sizes = tuple(int(n) for n in rng.integers(0, 3, size=ndim + int(rng.integers(0, 2))))
    helper_test_op([shape], lambda x: x.repeat(*sizes), lambda x: x.repeat(*sizes))
    helper_test_op([shape], lambda x: x.repeat(sizes), lambda x: x.repeat(sizes))


def test_flip_and_repeat_errors():
    helper_test_exception([(2, 3)], lambda x: torch.flip(x, (0, 0)), lambda x: st.flip(x, (0, 0)))
    helper_test_exception([(2, 3)], lambda x: torch.flip(x, 0), lambda x: st.flip(x, 0))
    helper_test_exception([(2, 3)], lambda x: x.flip(), lambda x: x.flip())
    helper_test_exception([(2, 3)], lambda x: x.repeat(2), lambda x: x.repeat(2))


# ---- reductions and scans ---------------------------------------------------------------------------


def dims_for(rng, ndim):
    """A random dim argument: an int (negative too) or a tuple of distinct dims."""
    if ndim == 0:
        return int(rng.choice([0, -1]))
    if rng.random() < 0.5:
        return int(rng.integers(-ndim, ndim))
    picked = rng.permutation(ndim)[: rng.integers(1, ndim + 1)]
    return tuple(int(d) - ndim if rng.random() < 0.5 else int(d) for d in picked)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # the test's loss sums -inf + inf
@pytest.mark.parametrize("seed", range(10))
def test_argmin_argmax_cumsum_logsumexp_prod_any_all(seed):
    rng = np.random.default_rng(seed)
    shape = random_shapes(seed + 30, 10)[seed]
    ndim = len(shape)
    dim = int(rng.integers(-max(ndim, 1), max(ndim, 1)))
    keepdim = bool(rng.random() < 0.5)
    x = ties(shape, seed)
    if 0 not in shape or ndim == 0:
        for name in ("argmin", "argmax"):
            helper_test_op(None, lambda t, n=name: getattr(t, n)(), lambda t, n=name: getattr(t, n)(), inputs=[x], grad=False)
        if ndim == 0 or shape[dim] > 0:
            for name in ("argmin", "argmax"):
                helper_test_op(None, lambda t, n=name: getattr(torch, n)(t, dim, keepdim),
                               lambda t, n=name: getattr(st, n)(t, dim, keepdim), inputs=[x], grad=False)
    helper_test_op(None, lambda t: torch.cumsum(t, dim), lambda t: st.cumsum(t, dim), inputs=[x])
    helper_test_op(None, lambda t: t.cumsum(dim), lambda t: t.cumsum(dim), inputs=[x])
    dims = dims_for(rng, ndim)
    helper_test_op(None, lambda t: torch.logsumexp(t, dims, keepdim), lambda t: st.logsumexp(t, dims, keepdim), inputs=[x])
    helper_test_op(None, lambda t: torch.prod(t, dim, keepdim), lambda t: st.prod(t, dim, keepdim), inputs=[x])
    helper_test_op(None, lambda t: t.prod(), lambda t: t.prod(), inputs=[x])
    for name in ("any", "all"):
        helper_test_op(None, lambda t, n=name: getattr(torch, n)(t, dims, keepdim),
                       lambda t, n=name: getattr(st, n)(t, dims, keepdim), inputs=[x], grad=False)
        helper_test_op(None, lambda t, n=name: getattr(t, n)(), lambda t, n=name: getattr(t, n)(), inputs=[x], grad=False)


@pytest.mark.parametrize("values", [[1.0, 0.0, 3.0], [0.0, 0.0, 3.0], [2.0, 3.0, 4.0], [0.0], [[1.0, 0.0], [0.0, 0.0], [2.0, 3.0]]])
def test_prod_gradient_with_zeros(values):
    x = np.array(values)
    helper_test_op(None, lambda t: t.prod(), lambda t: t.prod(), inputs=[x])
    helper_test_op(None, lambda t: t.prod(-1), lambda t: t.prod(-1), inputs=[x])
    helper_test_op(None, lambda t: t.prod(0, keepdim=True), lambda t: t.prod(0, keepdim=True), inputs=[x])


@pytest.mark.parametrize("values", [[-np.inf, -np.inf], [np.inf, 1.0], [1.0, 2.0, 3.0], [[1000.0, 1000.0], [-1000.0, 0.0]]])
def test_logsumexp_with_infinities_and_large_values(values):
    x = np.array(values)
    helper_test_op(None, lambda t: torch.logsumexp(t, -1), lambda t: st.logsumexp(t, -1), inputs=[x])


@pytest.mark.parametrize("name", ["amax", "amin"])
@pytest.mark.parametrize("seed", range(4))
def test_amax_amin_share_ties(name, seed):
    rng = np.random.default_rng(seed)
    shape = (2, 3, 4)[: 1 + seed % 3]
    dims = dims_for(rng, len(shape))
    helper_test_op(None, lambda t: getattr(torch, name)(t, dims), lambda t: getattr(st, name)(t, dims), inputs=[ties(shape, seed)])
    helper_test_op(None, lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), inputs=[ties(shape, seed)])


def test_max_min_of_0d_and_against_a_tensor():
    helper_test_op([()], lambda t: tuple(t.max(0)), lambda t: tuple(t.max(0)))
    helper_test_op([(3,), (3,)], torch.max, st.max)
    helper_test_op([(3,), (3,)], torch.min, st.min)


@pytest.mark.parametrize(
    "fn",
    [lambda m, x: m.maximum(x, x.flip((0,))), lambda m, x: x.masked_fill(x > 0.5, 1.0), lambda m, x: m.tril(x, -1),
     lambda m, x: x.gather(1, m.tensor([[0, 0], [2, 1], [1, 1]])), lambda m, x: x.flip((0, 1)), lambda m, x: x.repeat(2, 1, 2),
     lambda m, x: x.cumsum(1), lambda m, x: m.logsumexp(x, 1), lambda m, x: x.prod(1), lambda m, x: x.sin() * x.cos(),
     lambda m, x: x.amax(1), lambda m, x: x.clamp(min=x.flip((0,))), lambda m, x: x.std(0), lambda m, x: x ** x.abs()],
    ids=["maximum", "masked_fill", "tril", "gather", "flip", "repeat", "cumsum", "logsumexp", "prod", "sin_cos",
         "amax", "clamp_tensor", "std", "pow"],
)
def test_gradcheck_new_ops(fn):
    x = st.tensor(np.random.default_rng(0).uniform(0.2, 2.0, size=(3, 3)), requires_grad=True)
    assert st.gradcheck(lambda t: fn(st, t), x)


# ---- names ---------------------------------------------------------------------------------------

FUNCTIONS = ["maximum", "minimum", "masked_fill", "gather", "scatter_add", "sin", "cos", "tril", "triu", "flip",
             "argmin", "cumsum", "logsumexp", "prod", "any", "all", "neg", "add", "sub", "mul", "div", "pow", "eq",
             "ne", "lt", "le", "gt", "ge", "square", "std", "amax", "amin", "floor_divide", "remainder", "rsqrt",
             "reciprocal", "sign", "floor", "ceil", "round", "trunc", "log1p", "expm1", "logical_not", "result_type",
             "promote_types"]
METHODS = FUNCTIONS[:-2] + ["view", "view_as", "reshape_as", "expand_as", "size", "type_as", "exp", "repeat", "t",
                            "int", "bool", "to", "contiguous", "cpu", "is_floating_point", "clip", "negative",
                            "true_divide", "multiply", "subtract", "greater", "less"]


def test_function_and_method_forms_exist_where_torch_has_them():
    for name in FUNCTIONS:
        assert hasattr(torch, name) and callable(getattr(st, name)), name
        assert name in st.__all__, name
    for name in METHODS:
        assert hasattr(torch.Tensor, name) and hasattr(st.Tensor, name), name


def test_method_spellings_of_arithmetic_match_torch():
    a, b = np.array([[1.0, -2.0, 3.0]]), np.array([[2.0], [0.5]])
    for call in (lambda x, y: x.add(y, alpha=2), lambda x, y: x.sub(y, alpha=0.5), lambda x, y: x.mul(y),
                 lambda x, y: x.div(y), lambda x, y: x.pow(y.abs()), lambda x, y: x.neg() * y,
                 lambda x, y: x.view(3, 1) @ y.view(1, 2), lambda x, y: x.square() + y.exp(),
                 lambda x, y: x.type_as(y) * y):
        helper_test_op(None, call, call, inputs=[a, b])
    for name in ("eq", "ne", "lt", "le", "gt", "ge"):
        helper_test_op(None, lambda x, y, n=name: getattr(x, n)(y), lambda x, y, n=name: getattr(x, n)(y),
                       inputs=[a, b], grad=False)
    helper_test_op(None, lambda x: x.div(-0.75, rounding_mode="floor"), lambda x: x.div(-0.75, rounding_mode="floor"), inputs=[a])
    helper_test_op(None, lambda x: x.div(-0.75, rounding_mode="trunc"), lambda x: x.div(-0.75, rounding_mode="trunc"), inputs=[a])
    assert st.tensor(a).size() == torch.tensor(a).size() and st.tensor(a).size(-1) == 3


# ---- sorting, norms, selection, in-place --------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_sort_argsort_topk_with_ties(seed):
    rng = np.random.default_rng(seed)
    shape = [(5,), (3, 4), (2, 3, 4), (), (4, 1), (3,)][seed]
    x = ties(shape, seed)
    if seed == 5:
        x[1] = np.nan  # NaN sorts as the largest value
    dim = int(rng.integers(-max(len(shape), 1), max(len(shape), 1)))
    for descending in (False, True):
        helper_test_op(None, lambda t, d=descending: tuple(torch.sort(t, dim=dim, descending=d, stable=True)),
                       lambda t, d=descending: tuple(st.sort(t, dim=dim, descending=d, stable=True)), inputs=[x])
        helper_test_op(None, lambda t, d=descending: t.argsort(dim=dim, descending=d, stable=True),
                       lambda t, d=descending: t.argsort(dim=dim, descending=d, stable=True), inputs=[x], grad=False)
    k = int(rng.integers(0, (shape[dim] if shape else 1) + 1))
    distinct = rng.permutation(int(np.prod(shape))).reshape(shape).astype(np.float64)  # topk picks any of equal values
    for largest in (True, False):
        helper_test_op(None, lambda t, lg=largest: tuple(t.topk(k, dim, largest=lg)),
                       lambda t, lg=largest: tuple(t.topk(k, dim, largest=lg)), inputs=[distinct])
    helper_test_exception([(3,)], lambda t: t.topk(4), lambda t: t.topk(4))


@pytest.mark.parametrize("p", ["fro", 2, 1, 3, np.inf, -np.inf])
def test_norm_with_zero_rows(p):
    x = np.array([[0.0, 0.0, 0.0], [3.0, -4.0, 1.0]])
    helper_test_op(None, lambda t: t.norm(p), lambda t: t.norm(p), inputs=[x])
    helper_test_op(None, lambda t: torch.norm(t, p, dim=1, keepdim=True), lambda t: st.norm(t, p, dim=1, keepdim=True),
                   inputs=[x])


def test_selection_ops():
    x = np.arange(12.0).reshape(3, 4) - 5
    helper_test_op(None, lambda t: t.index_select(1, torch.tensor([3, 0, 3])),
                   lambda t: t.index_select(1, st.tensor([3, 0, 3])), inputs=[x])
    helper_test_op(None, lambda t: t.masked_select(torch.tensor([True, False, True, True])),
                   lambda t: t.masked_select(st.tensor([True, False, True, True])), inputs=[x])
    helper_test_op(None, lambda t: t.narrow(1, -3, 2), lambda t: t.narrow(1, -3, 2), inputs=[x])
    helper_test_op(None, lambda t: t.unbind(1), lambda t: t.unbind(1), inputs=[x])
    helper_test_op(None, lambda t: t.nonzero(), lambda t: t.nonzero(), inputs=[x], grad=False)
    helper_test_op(None, lambda t: t.nonzero(as_tuple=True), lambda t: t.nonzero(as_tuple=True), inputs=[x], grad=False)
    for values in ([[0.0]], [1.0, np.nan, np.inf, -np.inf]):
        for name in ("isnan", "isinf", "isfinite"):
            helper_test_op(None, lambda t, n=name: getattr(t, n)(), lambda t, n=name: getattr(t, n)(),
                           inputs=[np.array(values)], grad=False)
    helper_test_exception([(3,)], lambda t: t.index_select(0, torch.tensor([[0]])), lambda t: t.index_select(0, st.tensor([[0]])))
    helper_test_exception([(3,)], lambda t: t.index_select(0, torch.tensor([3])), lambda t: t.index_select(0, st.tensor([3])))
    assert st.allclose(st.tensor([1.0]), st.tensor([1.0 + 1e-6])) is True
    assert st.tensor([1.0]).allclose(st.tensor([1.1])) is False


@pytest.mark.parametrize("name,args", [("add_", (np.array([1.0, 2.0]),)), ("sub_", (1.5,)), ("mul_", (np.array([[2.0], [3.0]]),)),
                                       ("div_", (4,)), ("clamp_", (-0.5, 0.5))])
def test_in_place_ops_outside_the_graph(name, args):
    x = np.random.default_rng(0).standard_normal((2, 2))
    t, s = torch.tensor(x), st.tensor(x)
    t_args = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    s_args = [st.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    assert getattr(s, name)(*s_args) is s
    getattr(t, name)(*t_args)
    np.testing.assert_allclose(s.numpy(), t.numpy())


def test_in_place_errors_match_torch():
    for fn in (lambda m: m.ones(2, dtype=m.int64).add_(0.5), lambda m: m.ones(2).add_(m.ones(2, 2))):
        with pytest.raises(RuntimeError):
            fn(torch)
        with pytest.raises(RuntimeError):
            fn(st)
    with pytest.raises(RuntimeError, match="in-place"):
        st.ones(2, requires_grad=True).add_(1.0)


def test_new_factories_mm_bmm():
    for fn in (lambda m: m.tensor([1.0]).new_zeros(2, 3), lambda m: m.tensor([1]).new_full((2,), 1.5),
               lambda m: m.tensor([1.0]).new_tensor([1, 2]), lambda m: m.tensor([1], dtype=m.int32).new_ones((2,))):
        got, expected = fn(st), fn(torch).numpy()
        assert got.dtype == expected.dtype and got.tolist() == expected.tolist()
    helper_test_op([(2, 3), (3, 4)], lambda a, b: a.mm(b), lambda a, b: a.mm(b))
    helper_test_op([(2, 2, 3), (2, 3, 4)], lambda a, b: a.bmm(b), lambda a, b: a.bmm(b))
    helper_test_exception([(2, 2, 3), (2, 3, 4)], lambda a, b: a.mm(b), lambda a, b: a.mm(b))
