"""The speed paths against torch: chunked, threaded conv2d; tiled max-pooling; threads.parallel.

Cases are generated from a seeded generator: batches that cut into several chunks (with a
short last one), stride, padding, dilation and groups for conv2d; tiling and non-tiling
windows, ties and NaNs for max-pooling. Each is run with 1 and 2 threads, which must give
the same bits.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import shendu.scratch as st
import shendu.scratch.functional as F
from shendu.scratch import threads
from shendu.scratch.ops.conv import images_per_chunk
from shendu.scratch.ops.pool import MaxPool2d

from .helpers import assert_close, tolerance


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def num_threads(request):
    before = st.get_num_threads()
    st.set_num_threads(request.param)
    yield request.param
    st.set_num_threads(before or 1)


def _rng(case: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(case.encode()))


def _compare(torch_fn, scratch_fn, arrays: list, dtype, needs_grad: list, seed: int = 0, atol=None) -> list:
    """Outputs and the gradients of the inputs in `needs_grad`, scratch against torch; scratch's arrays back."""
    t_in = [torch.tensor(a, requires_grad=r) for a, r in zip(arrays, needs_grad, strict=True)]
    s_in = [st.Tensor(a.copy(), requires_grad=r) for a, r in zip(arrays, needs_grad, strict=True)]
    t_out, s_out = torch_fn(*t_in), scratch_fn(*s_in)
    tol = tolerance(dtype, atol)
    assert_close(s_out, t_out, what="output", **tol)
    upstream = np.random.default_rng(seed).standard_normal(t_out.shape).astype(dtype)
    (t_out * torch.from_numpy(upstream)).sum().backward()
    (s_out * st.Tensor(upstream)).sum().backward()
    got = [s_out.data.copy()]
    for i, (s, t) in enumerate(zip(s_in, t_in, strict=True)):
        if t.grad is None:
            assert s.grad is None, f"input {i}: torch has no gradient"
            continue
        assert_close(s.grad, t.grad, what=f"grad of input {i}", **tol)
        got.append(s.grad.data.copy())
    return got


# ---- conv2d: chunks over the batch, on threads ------------------------------------------------------

def _conv_cases(count: int) -> list:
    """Random geometries whose batches cut into 1 to 17 chunks (the last one often short)."""
    rng, cases = _rng("conv2d"), []
    while len(cases) < count:
        groups = int(rng.choice([1, 1, 2, 3]))
        c, o = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 4))
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        stride, padding = (int(rng.integers(1, 3)), int(rng.integers(1, 3))), (int(rng.integers(0, 2)), int(rng.integers(0, 2)))
        dilation = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        h, w = int(rng.integers(kh * dilation[0], 10)), int(rng.integers(kw * dilation[1], 10))
        n = int(rng.choice([1, 3, 9, 17])) if dilation == (1, 1) else 3  # torch's dilated conv is slow
        cases.append(((n, c, h, w), (o, c // groups, kh, kw), stride, padding, dilation, groups))
    return cases


@pytest.mark.parametrize("case", _conv_cases(12), ids=lambda c: f"x{c[0]}-w{c[1]}-s{c[2]}-p{c[3]}-d{c[4]}-g{c[5]}")
def test_conv2d_chunks_match_torch(case, num_threads):
    x_shape, w_shape, stride, padding, dilation, groups = case
    rng = _rng(str(case))
    arrays = [rng.standard_normal(s) for s in (x_shape, w_shape, (w_shape[0],))]
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    _compare(lambda *t: TF.conv2d(*t, **kwargs), lambda *t: F.conv2d(*t, **kwargs), arrays, np.float64,
             [True, True, True])


@pytest.mark.parametrize("needs_grad", [(False, True, True), (True, False, False), (True, True, False)],
                         ids=["frozen-input", "frozen-weights", "frozen-bias"])
def test_conv2d_gradients_only_where_asked(needs_grad, num_threads):
    rng = _rng(f"frozen{needs_grad}")
    arrays = [rng.standard_normal(s) for s in ((19, 3, 9, 8), (4, 3, 3, 3), (4,))]
    _compare(TF.conv2d, F.conv2d, arrays, np.float64, list(needs_grad))


def test_conv2d_mnist_shapes_float32_and_same_bits_on_any_thread_count():
    """MNISTNet's two layers (batch 64, float32): torch's answers, and identical bits on 1 or 2 threads."""
    rng = _rng("mnist")
    x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    w1, b1 = (rng.standard_normal(s).astype(np.float32) * 0.3 for s in ((32, 1, 3, 3), (32,)))
    w2, b2 = (rng.standard_normal(s).astype(np.float32) * 0.1 for s in ((64, 32, 3, 3), (64,)))

    def net(lib, x, w1, b1, w2, b2):
        return lib.max_pool2d(lib.relu(lib.conv2d(lib.relu(lib.conv2d(x, w1, b1)), w2, b2)), 2)

    runs = []
    before = st.get_num_threads()
    try:
        for count in (1, 2):
            st.set_num_threads(count)
            # float32 sums over 43,264 positions: absolute tolerance on gradients of size ~100
            runs.append(_compare(lambda *t: net(TF, *t), lambda *t: net(F, *t), [x, w1, b1, w2, b2], np.float32,
                                 [False, True, True, True, True], atol=5e-3))
    finally:
        st.set_num_threads(before or 1)
    for one, two in zip(*runs, strict=True):
        np.testing.assert_array_equal(one, two)


def test_conv2d_empty_batch():
    x, w = st.zeros(0, 2, 5, 5, requires_grad=True), st.ones(3, 2, 3, 3, requires_grad=True)
    y = F.conv2d(x, w)
    assert y.shape == tuple(TF.conv2d(torch.zeros(0, 2, 5, 5), torch.ones(3, 2, 3, 3)).shape)
    y.sum().backward()
    assert x.grad.shape == (0, 2, 5, 5) and np.all(w.grad.data == 0)


def test_images_per_chunk_depends_on_shapes_only():
    assert images_per_chunk(64, 24 * 24, 2 * 288 + 64, 4) == 2  # MNISTNet's conv2: ~1.5 MB per image
    assert images_per_chunk(64, 26 * 26, 2 * 9 + 32, 4) == 8  # conv1: small rows, still 8 chunks
    assert images_per_chunk(3, 10_000, 10_000, 8) == 1
    assert images_per_chunk(0, 4, 4, 4) == 1


# ---- max-pooling: windows that tile the input, and the ones that do not -------------------------

def _pool_cases() -> list:
    tiled = [((4, 3, 8, 8), 2, None), ((9, 2, 9, 7), 2, None), ((3, 5, 6, 9), 3, None), ((2, 4, 8, 9), (2, 3), None),
             ((1, 1, 5, 5), 1, None), ((17, 2, 4, 4), 2, 2)]
    other = [((4, 3, 8, 8), 2, 1), ((3, 2, 7, 7), 3, 2), ((2, 2, 6, 6), (2, 2), (1, 2))]
    return [(*c, True) for c in tiled] + [(*c, False) for c in other]


@pytest.mark.parametrize("values", ["normal", "ties", "nan"])
@pytest.mark.parametrize("shape,kernel,stride,tiled", _pool_cases(), ids=lambda v: str(v))
def test_max_pool2d_matches_torch(shape, kernel, stride, tiled, values, num_threads):
    rng = _rng(f"{shape}{kernel}{stride}{values}")
    x = rng.standard_normal(shape)
    if values == "ties":  # relu'd and rounded: whole windows of zeros, repeated maxima
        x = np.maximum(np.round(x), 0)
    elif values == "nan":  # torch sends the gradient to a window's last NaN
        x[rng.random(shape) < 0.15] = np.nan
        x[rng.random(shape) < 0.1] = -np.inf
    channels_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)  # a conv output's layout
    for array in (x, channels_last):
        _compare(lambda t: TF.max_pool2d(t, kernel, stride), lambda t: F.max_pool2d(t, kernel, stride),
                 [array], np.float64, [True])
    probe = MaxPool2d(_pair(kernel), _pair(stride or kernel), (0, 0))
    probe.forward(x)
    assert probe._tiled() == tiled, "the case list says which cases take the tiled path"


def _pair(value) -> tuple:
    return (value, value) if isinstance(value, int) else tuple(value)


def test_max_pool2d_ceil_mode_with_a_remainder_is_not_tiled():
    rng = _rng("ceil")
    x = rng.standard_normal((3, 2, 7, 5))
    _compare(lambda t: TF.max_pool2d(t, 2, ceil_mode=True), lambda t: F.max_pool2d(t, 2, ceil_mode=True),
             [x], np.float64, [True])


# ---- threads.parallel -------------------------------------------------------------------------------

def test_parallel_keeps_order_restores_blas_and_runs_nested_calls_serially(num_threads):
    blas_before = threads._openblas()[1]() if threads._openblas() else None
    inner = []

    def fn(i):
        inner.append(threads.parallel(lambda j: (i, j), 3))  # nested: serial
        return i * i

    assert threads.parallel(fn, 10) == [i * i for i in range(10)]
    assert sorted(inner) == [[(i, 0), (i, 1), (i, 2)] for i in range(10)]
    if blas_before is not None:
        assert threads._openblas()[1]() == blas_before


def test_parallel_raises_the_first_error_after_all_threads_stop(num_threads):
    done = []

    def fn(i):
        if i == 3:
            raise ValueError("chunk 3 failed")
        done.append(i)

    with pytest.raises(ValueError, match="chunk 3"):
        threads.parallel(fn, 8)
    assert threads.parallel(lambda i: i, 4) == [0, 1, 2, 3]  # the region lock was released


# ---- blas.matmul: products in blocks on our threads, OpenBLAS's own threads asleep -----------------

def _product_cases() -> list:
    """(a shape, b shape): below OpenBLAS's threading size, in row blocks, in column blocks, batched, vectors."""
    return [((3, 4), (4, 5)), ((64, 9216 // 8), (9216 // 8, 128)), ((64, 128), (128, 2304)), ((700, 64), (64, 48)),
            ((2, 33, 64), (64, 300)), ((4, 3, 70, 40), (4, 3, 40, 90)), ((300,), (300, 900)), ((900, 300), (300,))]


@pytest.mark.parametrize("a_shape,b_shape", _product_cases(), ids=lambda s: str(s))
def test_matmul_blocks_match_torch_and_same_bits_on_any_thread_count(a_shape, b_shape, num_threads):
    rng = _rng(f"matmul{a_shape}{b_shape}")
    a, b = rng.standard_normal(a_shape).astype(np.float32), rng.standard_normal(b_shape).astype(np.float32)
    got = _compare(torch.matmul, st.matmul, [a, b], np.float32, [True, True], atol=1e-4)
    st.set_num_threads(3 - num_threads)  # the other thread count gives the same bits
    again = _compare(torch.matmul, st.matmul, [a, b], np.float32, [True, True], atol=1e-4)
    for one, two in zip(got, again, strict=True):
        np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize("x_shape", [(64, 9216 // 4), (2, 40, 2304), (5, 2304), (2304,)], ids=str)
def test_linear_blocks_match_torch(x_shape, num_threads):
    rng = _rng(f"linear{x_shape}")
    arrays = [rng.standard_normal(s) for s in (x_shape, (128, 2304), (128,))]
    _compare(TF.linear, F.linear, arrays, np.float64, [True, True, True])


def test_products_leave_openblas_thread_count_and_errors_as_they_were(num_threads):
    getter = threads._openblas()[1] if threads._openblas() else (lambda: None)
    before = getter()
    st.matmul(st.ones(300, 300), st.ones(300, 300))
    assert getter() == before
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        st.matmul(st.ones(300, 299), st.ones(300, 300))
    with pytest.raises(RuntimeError, match="in_features=300"):
        F.linear(st.ones(300, 299), st.ones(300, 300))


# ---- dropout: masks from raw generator bits ---------------------------------------------------------

@pytest.mark.parametrize("p", [0.1, 0.25, 0.5, 0.9])
def test_dropout_mask_from_raw_bits_keeps_one_minus_p_and_scales(p):
    st.manual_seed(7)
    x = st.ones(301, 333, requires_grad=True)  # an odd element count: the last raw draw is half used
    y = F.dropout(x, p)
    kept = y.data != 0
    assert abs(kept.mean() - (1 - p)) < 4 * np.sqrt(p * (1 - p) / kept.size)
    np.testing.assert_allclose(y.data[kept], np.float32(1 / (1 - p)), rtol=1e-6)
    y.backward(st.ones(301, 333))
    np.testing.assert_array_equal(x.grad.data, y.data)  # d/dx = the mask
    st.manual_seed(7)
    np.testing.assert_array_equal(F.dropout(st.ones(301, 333), p).data, y.data)  # seeded


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_parallel_works_in_a_forked_child():
    import os

    st.set_num_threads(2)
    assert threads.parallel(lambda i: i, 4) == [0, 1, 2, 3]  # the parent's pool threads exist now
    pid = os.fork()
    if pid == 0:  # child: a pool made before the fork has no threads here; it must not hang
        try:
            ok = threads.parallel(lambda i: i * 2, 6) == [0, 2, 4, 6, 8, 10]
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
