"""torch's indexing rules in `x[index]` and `x[index] = value`, checked against torch itself.

Hand-picked cases name the rules (ints select before advanced indexing, where the index
dims go, nested sequences, bools, None, Ellipsis); a seeded generator then composes random
indexes from every kind of item and compares shapes, values, gradients and exception types.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import shendu.scratch as st

pytestmark = pytest.mark.filterwarnings(
    "ignore:indexing with dtype torch.uint8:UserWarning",
    "ignore:Using a non-tuple sequence:UserWarning",
)

# ---- hand-picked rules ----------------------------------------------------------------------

X = np.arange(60.0).reshape(3, 4, 5)

NAMED = {
    "int then slice then list (torch: (4, 2), numpy: (2, 4))": lambda L: (0, slice(None), L([1, 2])),
    "slice then int then list": lambda L: (slice(None), 0, L([1, 2])),
    "int then list": lambda L: (0, L([1, 2])),
    "lists separated by a slice go first": lambda L: (L([0, 1]), slice(None), L([1, 2])),
    "nested tuple is an index tensor": lambda L: ((0,),),
    "list inside a tuple": lambda L: ((0, 1),),
    "None between lists separates them": lambda L: (L([0, 1]), None, L([1, 2])),
    "None, int, None, list": lambda L: (None, 0, None, L([1, 2])),
    "Ellipsis then int and list": lambda L: (Ellipsis, 0, L([1, 2])),
    "list, Ellipsis, list": lambda L: (L([0, 1]), Ellipsis, L([1, 2])),
    "True adds a dim indexed by [0]": lambda L: (slice(None), True, L([1, 2])),
    "False gives an empty dim": lambda L: (False, 0),
    "0-d int tensor selects like an int": lambda L: (slice(None), L(1, 0), L([1, 2])),
    "bool list is a mask": lambda L: (slice(None), [True, False, True, True], 1),
    "2-d mask": lambda L: (L(np.arange(12).reshape(3, 4) % 3 == 0),),
    "2-d index tensor after an int": lambda L: (0, slice(1, 3), L([[1], [2]])),
    "2-d index tensor first": lambda L: (L([[0]]), slice(None), L([1, 2])),
    "negative indices": lambda L: (L([-1, -3]), -1),
    "empty list": lambda L: ([],),
    "slice with negative start and stop": lambda L: (slice(-3, -1), slice(None, None, 2), slice(-4, 10, 3)),
}


def _converter(engine):
    def convert(value, ndim=None):
        array = np.asarray(value)
        return torch.from_numpy(array) if engine == "torch" else st.tensor(array)

    return convert


@pytest.mark.parametrize("name", list(NAMED))
def test_named_index_matches_torch(name):
    t = torch.tensor(X, requires_grad=True)
    s = st.tensor(X, requires_grad=True)
    t_out, s_out = t[NAMED[name](_converter("torch"))], s[NAMED[name](_converter("st"))]
    assert s_out.shape == tuple(t_out.shape), f"{name}: {s_out.shape} != torch {tuple(t_out.shape)}"
    np.testing.assert_array_equal(s_out.detach().numpy(), t_out.detach().numpy())
    upstream = np.random.default_rng(0).standard_normal(tuple(t_out.shape))
    (t_out * torch.from_numpy(upstream)).sum().backward()
    (s_out * st.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(s.grad.numpy(), t.grad.numpy())


def test_int_then_list_shape_is_torchs_not_numpys():
    x = st.zeros(3, 4, 5)
    assert x[0, :, [1, 2]].shape == (4, 2)  # numpy's x[0, :, [1, 2]] would be (2, 4)
    assert np.zeros((3, 4, 5))[0, :, [1, 2]].shape == (2, 4)


def test_non_tuple_sequence_is_read_as_a_tuple_with_torchs_warning():
    x = st.tensor(X)
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        out = x[[0, [1]]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch.tensor(X)[[0, [1]]]
    assert out.shape == tuple(expected.shape) == (1, 5)


@pytest.mark.parametrize(
    "index,error",
    [
        (5, IndexError), ((slice(None), 4), IndexError), ((0, 0, 0, 0), IndexError), (1.0, IndexError),
        ((slice(None, None, -1),), ValueError), ((slice(None, None, 0),), ValueError),
        ((slice(None), [4]), IndexError), ([True, False], IndexError), (([0, 1], [0, 1, 2]), IndexError),
        ((np.array([1.0]),), IndexError), ((slice(None), slice(None), -6), IndexError),
    ],
    ids=lambda v: repr(v)[:40],
)
def test_bad_index_raises_torchs_exception(index, error):
    with pytest.raises(error):
        torch.tensor(X)[index if not isinstance(index, tuple) else tuple(
            torch.from_numpy(i) if isinstance(i, np.ndarray) else i for i in index)]
    with pytest.raises(error) as caught:
        st.tensor(X)[index]
    assert str(caught.value)


def test_zero_dim_tensor_indexing():
    s, t = st.tensor(3.0), torch.tensor(3.0)
    for index in (None, Ellipsis, True, False, ()):
        assert s[index].shape == tuple(t[index].shape)
    with pytest.raises(IndexError, match="0-dim"):
        s[0]


def test_indexing_a_view_of_every_dim_gives_a_0d_tensor_with_gradient():
    s = st.tensor(X, requires_grad=True)
    out = s[1, 2, 3]
    assert out.shape == () and isinstance(out.data, np.ndarray)
    out.backward()
    assert s.grad.numpy()[1, 2, 3] == 1 and s.grad.numpy().sum() == 1


def test_repeated_index_gradients_add_up():
    t = torch.tensor(X, requires_grad=True)
    s = st.tensor(X, requires_grad=True)
    t[0, :, [1, 1, 2]].sum().backward()
    s[0, :, [1, 1, 2]].sum().backward()
    np.testing.assert_array_equal(s.grad.numpy(), t.grad.numpy())


def test_gradcheck_mixed_index():
    x = st.tensor(np.random.default_rng(0).standard_normal((3, 4, 5)), requires_grad=True)
    assert st.gradcheck(lambda a: a[0, :, [1, 2, 2]] * 2, x)
    assert st.gradcheck(lambda a: a[[0, 2], None, [1, 3]], x)


# ---- generated indexes ------------------------------------------------------------------------


def _random_item(rng, shape, dim):
    """One random index item for dim `dim` of `shape`, and how many dims it consumes."""
    size = shape[dim] if dim < len(shape) else 3
    hi = max(size, 1)
    r = rng.random()
    if r < 0.16:
        return ("int", int(rng.integers(-size - 1, size + 1)) if size else 0), 1
    if r < 0.32:
        def bound():
            return None if rng.random() < 0.3 else int(rng.integers(-size - 2, size + 3))
        step = None if rng.random() < 0.5 else int(rng.integers(1, 4))
        if rng.random() < 0.03:
            step = int(rng.integers(-2, 1))  # torch refuses steps <= 0
        start = bound()
        if rng.random() < 0.1 and start is not None:
            return ("tensor_slice", (start, bound(), step)), 1  # slice bounds given as 0-d tensors
        return ("slice", slice(start, bound(), step)), 1
    if r < 0.42:
        return ("none", None), 0
    if r < 0.47:
        return ("ellipsis", Ellipsis), 0
    if r < 0.53:
        return ("bool", bool(rng.random() < 0.7)), 0
    if r < 0.63:
        values = rng.integers(-size, hi, size=int(rng.integers(0, 4))).tolist() if size else []
        return ("list", values), 1
    if r < 0.73:
        index_shape = tuple(int(n) for n in rng.integers(1, 3, size=int(rng.integers(0, 3))))
        values = rng.integers(-size, hi, size=index_shape) if size else np.zeros(index_shape, np.int64)
        if rng.random() < 0.05:
            values = values.astype(np.float32)  # not a valid index tensor
        return ("tensor", values), 1
    if r < 0.83:
        n = min(int(rng.integers(1, 3)), max(len(shape) - dim, 1))
        mask_shape = tuple(shape[dim:dim + n]) if dim + n <= len(shape) else (size,)
        if rng.random() < 0.05:
            mask_shape = (size + 1,)  # the wrong shape: IndexError
        mask = rng.random(mask_shape) < 0.5
        kind = "bool_list" if (rng.random() < 0.3 and mask.ndim == 1) else "mask"
        if rng.random() < 0.1:
            kind = "uint8_mask"
        return (kind, mask), mask.ndim
    if r < 0.88:
        return ("int_0d", np.array(int(rng.integers(-size, hi)) if size else 0)), 1
    if r < 0.91:
        return ("bool_0d", np.array(rng.random() < 0.5)), 0
    if r < 0.95:
        return ("numpy_int", np.int64(int(rng.integers(-size, hi)) if size else 0)), 1
    return ("nested", [[int(rng.integers(0, hi)) for _ in range(2)] for _ in range(2)]), 1


def random_index_case(seed: int):
    """A seeded (shape, items, as_tuple) triple: items are (kind, value) pairs."""
    rng = np.random.default_rng(seed)
    shape = tuple(int(n) for n in rng.integers(0, 4, size=int(rng.integers(0, 5))))
    items, dim = [], 0
    for _ in range(int(rng.integers(0, len(shape) + 3))):
        item, used = _random_item(rng, shape, dim)
        items.append(item)
        dim += used
    as_tuple = rng.random() < 0.85 or len(items) != 1
    return shape, items, as_tuple


def build_index(items, as_tuple: bool, engine: str):
    """The index object for one engine (torch tensors or scratch tensors where tensors go)."""
    make = (lambda a: torch.from_numpy(np.asarray(a))) if engine == "torch" else (lambda a: st.tensor(np.asarray(a)))
    out = []
    for kind, value in items:
        if kind in ("tensor", "mask", "int_0d", "bool_0d"):
            out.append(make(value))
        elif kind == "uint8_mask":
            out.append(make(value.astype(np.uint8)))
        elif kind == "bool_list":
            out.append(value.tolist())
        elif kind == "tensor_slice":
            start, stop, step = value
            out.append(slice(make(start), None if stop is None else make(stop), step))
        else:
            out.append(value)
    return tuple(out) if as_tuple else out[0]


def check_getitem(seed: int) -> None:
    shape, items, as_tuple = random_index_case(seed)
    rng = np.random.default_rng(seed + 10**6)
    x = rng.standard_normal(shape)
    t, s = torch.tensor(x, requires_grad=True), st.tensor(x, requires_grad=True)
    t_index, s_index = build_index(items, as_tuple, "torch"), build_index(items, as_tuple, "st")
    what = f"seed {seed}: x{shape}[{items}]"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            t_out = t[t_index]
        except Exception as error:  # noqa: BLE001  (whatever torch raises, we must raise too)
            expected = RuntimeError if type(error).__name__ == "OutOfMemoryError" else type(error)
            with pytest.raises(expected):
                s[s_index]
            return
        s_out = s[s_index]
    assert s_out.shape == tuple(t_out.shape), f"{what}: shape {s_out.shape} != torch {tuple(t_out.shape)}"
    np.testing.assert_array_equal(s_out.detach().numpy(), t_out.detach().numpy(), err_msg=what)
    upstream = rng.standard_normal(tuple(t_out.shape))
    (t_out * torch.from_numpy(upstream)).sum().backward()
    (s_out * st.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(s.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12, err_msg=what)


def check_setitem(seed: int) -> None:
    shape, items, as_tuple = random_index_case(seed)
    rng = np.random.default_rng(seed + 2 * 10**6)
    x = rng.standard_normal(shape)
    t, s = torch.tensor(x), st.tensor(x)
    t_index, s_index = build_index(items, as_tuple, "torch"), build_index(items, as_tuple, "st")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            positions = torch.arange(max(t.numel(), 1)).reshape(shape)[t_index] if t.numel() else t[t_index]
        except Exception:  # noqa: BLE001  (getitem's errors are checked above)
            return
        unique = positions.numel() == torch.unique(positions).numel() if t.numel() else True
        value = rng.standard_normal(tuple(positions.shape)) if unique else 2.5  # repeats: one value
        try:
            t[t_index] = torch.tensor(value) if unique else value
        except Exception as error:  # noqa: BLE001
            with pytest.raises(type(error)):
                s[s_index] = st.tensor(value) if unique else value
            return
        s[s_index] = st.tensor(value) if unique else value
    np.testing.assert_array_equal(s.numpy(), t.numpy(), err_msg=f"seed {seed}: x{shape}[{items}] = ...")


FAST_SEEDS, SLOW_SEEDS = range(400), range(400, 5000)


def test_generated_getitem_matches_torch():
    for seed in FAST_SEEDS:
        check_getitem(seed)


def test_generated_setitem_matches_torch():
    for seed in range(200):
        check_setitem(seed)


@pytest.mark.slow
def test_generated_getitem_matches_torch_many():
    for seed in SLOW_SEEDS:
        check_getitem(seed)


@pytest.mark.slow
def test_generated_setitem_matches_torch_many():
    for seed in SLOW_SEEDS:
        check_setitem(seed)


def test_setitem_value_must_broadcast_like_torch():
    t, s = torch.zeros(3, 4, 5), st.zeros(3, 4, 5)
    with pytest.raises(RuntimeError):
        t[0, :, [1, 2]] = torch.zeros(2, 4)
    with pytest.raises(RuntimeError, match="shape mismatch"):
        s[0, :, [1, 2]] = st.zeros(2, 4)
    t[0, :, [1, 2]] = torch.arange(8.0).reshape(4, 2)
    s[0, :, [1, 2]] = st.arange(8.0).reshape(4, 2)
    np.testing.assert_array_equal(s.numpy(), t.numpy())
