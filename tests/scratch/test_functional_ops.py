"""The newer nn.functional ops against torch: forward and every input gradient on generated cases.

Cases come from seeded generators (one per test), so the shapes and parameters vary widely
but every run checks the same ones.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import shendu.scratch as st
import shendu.scratch.nn.functional as F

from .helpers import helper_test_exception, helper_test_op

REDUCTIONS = ["mean", "sum", "none"]


def as_torch(array):
    return None if array is None else torch.from_numpy(array)


@pytest.fixture(autouse=True, scope="module")
def _torch_on_one_thread():
    """torch's thread pool spins on a busy 2-core machine (0.4 s for one tiny grouped conv); one thread doesn't."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _cases(seed: int, count: int, make) -> list:
    rng = np.random.default_rng(seed)
    return [make(rng, i) for i in range(count)]


# ---- pad -------------------------------------------------------------------------------------------

def _pad_case(rng, i):
    mode = ["constant", "reflect", "replicate", "circular"][i % 4]
    width = int(rng.integers(1, 4))  # pads the last `width` dims
    ndim = width + int(rng.integers(1, 3))  # batched or unbatched
    shape = tuple(int(n) for n in rng.integers(2, 6, size=ndim))
    pad = []
    for axis in range(ndim - 1, ndim - 1 - width, -1):
        size = shape[axis]
        high = size - 1 if mode == "reflect" else size  # reflect needs pad < size
        # negative widths crop; torch's circular mode reads uninitialized memory for them, so none there
        low = {"constant": -(size // 2), "circular": 0}.get(mode, -1)
        pad += [int(rng.integers(low, high + 1)), int(rng.integers(low, high + 1))]
    return shape, tuple(pad), mode


@pytest.mark.parametrize("shape,pad,mode", _cases(1, 16, _pad_case))
def test_pad(shape, pad, mode):
    value = {"value": 1.5} if mode == "constant" else {}
    helper_test_op([shape], lambda x: TF.pad(x, pad, mode=mode, **value), lambda x: F.pad(x, pad, mode=mode, **value))


@pytest.mark.parametrize("shape,pad,mode", [((2, 3), (1,), "constant"), ((2, 3), (1, 1, 1, 1, 1, 1), "constant"),
                                            ((2, 3, 4), (4, 0), "reflect"), ((2, 3, 4), (1, 1), "foo"),
                                            ((5,), (1, 1), "reflect"), ((1, 2, 3, 4), (1, 1), "replicate"),
                                            ((2, 3, 4), (5, 0), "circular"), ((2, 3, 4), (-3, -2), "constant"),
                                            ((1, 3, 1), (2, -2), "constant"), ((2, 3, 1), (0, -1), "replicate")])
def test_pad_errors_match_torch(shape, pad, mode):
    helper_test_exception([shape], lambda x: TF.pad(x, pad, mode=mode), lambda x: F.pad(x, pad, mode=mode))
    if mode == "reflect" and len(shape) == 3:
        helper_test_exception([shape], lambda x: TF.pad(x, (1, 1), mode=mode, value=2.0),
                              lambda x: F.pad(x, (1, 1), mode=mode, value=2.0))


# ---- convolution ------------------------------------------------------------------------------------

def _conv2d_case(rng, i):
    groups = [1, 2, "depthwise", 3][i % 4]
    cin_per = 1 if groups == "depthwise" else int(rng.integers(1, 3))
    groups = int(rng.integers(2, 5)) if groups == "depthwise" else groups
    cin, cout = cin_per * groups, groups * (1 if i % 4 == 2 else int(rng.integers(1, 3)))
    kernel = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    dilation = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    padding = "same" if i % 5 == 4 else (int(rng.integers(0, 2)), int(rng.integers(0, 2)))
    if padding == "same":
        stride = 1
    size = [d * (k - 1) + 1 + int(rng.integers(0, 4)) for k, d in zip(kernel, dilation, strict=True)]
    return (int(rng.integers(1, 3)), cin, *size), (cout, cin_per, *kernel), stride, padding, dilation, groups, i % 2 == 0


@pytest.mark.parametrize("x_shape,w_shape,stride,padding,dilation,groups,bias", _cases(2, 12, _conv2d_case))
def test_conv2d_groups_and_dilation(x_shape, w_shape, stride, padding, dilation, groups, bias):
    shapes = [x_shape, w_shape] + ([(w_shape[0],)] if bias else [])
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    helper_test_op(shapes, lambda *t: TF.conv2d(*t, **kwargs), lambda *t: F.conv2d(*t, **kwargs))


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("kernel,dilation", [((2, 4), (1, 1)), ((2, 3), (3, 2)), ((4, 1), (1, 1))])
def test_conv2d_same_padding_with_even_kernels(kernel, dilation):
    # torch pads the odd extra row/column at the bottom/right
    helper_test_op([(1, 2, 6, 7), (3, 2, *kernel)], lambda x, w: TF.conv2d(x, w, padding="same", dilation=dilation),
                   lambda x, w: F.conv2d(x, w, padding="same", dilation=dilation))


def test_depthwise_conv2d_float32_chained():
    # a MobileNet-style block: depthwise 3x3 then pointwise 1x1; the second conv reads the first's layout
    def block(lib, x, dw, pw):
        return lib.conv2d(lib.relu(lib.conv2d(x, dw, padding=1, groups=4)), pw)

    helper_test_op([(2, 4, 6, 5), (4, 1, 3, 3), (6, 4, 1, 1)], lambda *t: block(TF, *t), lambda *t: block(F, *t),
                   dtype=np.float32)


def _conv1d_case(rng, i):
    groups = [1, 2, 3][i % 3]
    cin, cout = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    kernel, dilation = int(rng.integers(1, 4)), int(rng.integers(1, 3))
    padding = "same" if i == 3 else int(rng.integers(0, 3))
    stride = 1 if padding == "same" else int(rng.integers(1, 3))
    length = dilation * (kernel - 1) + 1 + int(rng.integers(0, 5))
    x_shape = (cin, length) if i == 4 else (int(rng.integers(1, 3)), cin, length)  # i == 4: unbatched
    return x_shape, (cout, cin // groups, kernel), stride, padding, dilation, groups


@pytest.mark.parametrize("x_shape,w_shape,stride,padding,dilation,groups", _cases(3, 6, _conv1d_case))
def test_conv1d(x_shape, w_shape, stride, padding, dilation, groups):
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    helper_test_op([x_shape, w_shape, (w_shape[0],)], lambda *t: TF.conv1d(*t, **kwargs),
                   lambda *t: F.conv1d(*t, **kwargs))


@pytest.mark.parametrize("x_shape,w_shape,kwargs", [
    ((1, 4, 5, 5), (6, 2, 3, 3), dict(groups=4)),  # in channels not divisible
    ((1, 4, 5, 5), (3, 2, 3, 3), dict(groups=2)),  # out channels not divisible
    ((1, 4, 5, 5), (3, 4, 3, 3), dict(dilation=3)),  # dilated kernel larger than the input
    ((1, 4, 5, 5), (3, 4, 3, 3), dict(stride=2, padding="same")),
    ((1, 4, 5, 5), (3, 4, 3, 3), dict(padding="full")),
])
def test_conv2d_errors_match_torch(x_shape, w_shape, kwargs):
    helper_test_exception([x_shape, w_shape], lambda x, w: TF.conv2d(x, w, **kwargs), lambda x, w: F.conv2d(x, w, **kwargs))


def test_conv1d_wrong_rank_raises_like_torch():
    helper_test_exception([(1, 4, 5, 5), (3, 4, 3)], TF.conv1d, F.conv1d)


# ---- pooling ----------------------------------------------------------------------------------------

def _pool_case(rng, i):
    kernel = (int(rng.integers(2, 4)), int(rng.integers(1, 4)))
    stride = (int(rng.integers(1, 4)), int(rng.integers(1, 3)))
    padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
    size = tuple(k + int(rng.integers(0, 5)) for k in kernel)
    return (int(rng.integers(1, 3)), 2, *size), kernel, stride, padding, bool(i % 2 == 0 or i % 3 == 0)


@pytest.mark.parametrize("shape,kernel,stride,padding,ceil_mode", _cases(4, 10, _pool_case))
def test_max_pool2d_ceil_mode(shape, kernel, stride, padding, ceil_mode):
    x = np.random.default_rng(sum(shape)).permutation(int(np.prod(shape))).reshape(shape) / 7.0  # no ties
    helper_test_op(None, lambda t: TF.max_pool2d(t, kernel, stride, padding, ceil_mode=ceil_mode),
                   lambda t: F.max_pool2d(t, kernel, stride, padding, ceil_mode=ceil_mode), inputs=[x])


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("shape,kernel,stride,padding,ceil_mode", _cases(5, 8, _pool_case))
def test_avg_pool2d_ceil_mode_and_count_include_pad(shape, kernel, stride, padding, ceil_mode, count_include_pad):
    kwargs = dict(ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    helper_test_op([shape], lambda t: TF.avg_pool2d(t, kernel, stride, padding, **kwargs),
                   lambda t: F.avg_pool2d(t, kernel, stride, padding, **kwargs))


def test_pool_extras_match_torch():
    helper_test_op([(2, 3, 7, 6)], lambda t: TF.avg_pool2d(t, 3, 2, 1, ceil_mode=True, divisor_override=4),
                   lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, divisor_override=4))
    x = np.random.default_rng(0).permutation(60).reshape(2, 3, 10) / 5.0
    helper_test_op(None, lambda t: TF.max_pool1d(t, 3, 2, 1, ceil_mode=True),
                   lambda t: F.max_pool1d(t, 3, 2, 1, ceil_mode=True), inputs=[x])
    helper_test_op([(2, 3, 9)], lambda t: TF.avg_pool1d(t, 4, 3, 2, ceil_mode=True, count_include_pad=False),
                   lambda t: F.avg_pool1d(t, 4, 3, 2, ceil_mode=True, count_include_pad=False))
    helper_test_op(None, lambda t: TF.max_pool2d(t.reshape(1, 2, 5, 6), 2, 1, dilation=2),
                   lambda t: F.max_pool2d(t.reshape(1, 2, 5, 6), 2, 1, dilation=2), inputs=[x])
    helper_test_op([(1, 2, 1, 4)], lambda t: TF.avg_pool2d(t, (3, 2), 3, ceil_mode=True),  # window larger than H
                   lambda t: F.avg_pool2d(t, (3, 2), 3, ceil_mode=True))
    helper_test_exception([(1, 2, 1, 4)], lambda t: TF.max_pool2d(t, (3, 2)), lambda t: F.max_pool2d(t, (3, 2)))


@pytest.mark.parametrize("shape,output_size", [((2, 3, 7, 5), (3, 2)), ((1, 2, 8, 8), 4), ((2, 4, 5), (1, None))])
def test_adaptive_avg_pool2d(shape, output_size):
    helper_test_op([shape], lambda t: TF.adaptive_avg_pool2d(t, output_size),
                   lambda t: F.adaptive_avg_pool2d(t, output_size))


# ---- activations ------------------------------------------------------------------------------------

ACTIVATIONS = {
    "silu": ({}, {}),
    "elu": ({"alpha": 0.7}, {"alpha": 0.7}),
    "softplus": ({"beta": 2.0, "threshold": 3.0}, {"beta": 2.0, "threshold": 3.0}),
    "softplus_default": ({}, {}),
    "gelu_tanh": ({"approximate": "tanh"}, {"approximate": "tanh"}),
    "mish": ({}, {}),
    "hardtanh": ({"min_val": -0.5, "max_val": 1.2}, {"min_val": -0.5, "max_val": 1.2}),
    "relu6": ({}, {}),
    "logsigmoid": ({}, {}),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation(name, dtype):
    fn = name.split("_")[0]
    torch_kwargs, scratch_kwargs = ACTIVATIONS[name]
    rng = np.random.default_rng(len(name))
    x = (rng.standard_normal((4, 7)) * 4).astype(dtype)  # both sides of every kink, the softplus threshold
    x[0, :3] = [30.0, -30.0, 7.0]  # the far tails (overflow-prone)
    helper_test_op(None, lambda t: getattr(TF, fn)(t, **torch_kwargs), lambda t: getattr(F, fn)(t, **scratch_kwargs),
                   inputs=[x], dtype=dtype)


# ---- losses -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted,pos_weighted", [(False, False), (True, False), (False, True), (True, True)])
def test_binary_cross_entropy_with_logits(weighted, pos_weighted, reduction):
    rng = np.random.default_rng(weighted * 2 + pos_weighted)
    logits, target = rng.standard_normal((4, 3)) * 3, rng.random((4, 3))
    weight = rng.uniform(0.5, 2.0, (4, 1)) if weighted else None  # broadcasts over classes
    pos_weight = rng.uniform(0.5, 3.0, 3) if pos_weighted else None  # per class
    helper_test_op(None,  # gradients of the logits and of the (soft) target
                   lambda x, t: TF.binary_cross_entropy_with_logits(x, t, as_torch(weight), reduction=reduction,
                                                                    pos_weight=as_torch(pos_weight)),
                   lambda x, t: F.binary_cross_entropy_with_logits(x, t, weight, reduction=reduction,
                                                                   pos_weight=pos_weight),
                   inputs=[logits, target])


def test_binary_cross_entropy_with_logits_is_stable_and_checks_shape():
    x = np.array([-200.0, -30.0, 0.0, 30.0, 200.0])
    helper_test_op(None, lambda t: TF.binary_cross_entropy_with_logits(t, torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0], dtype=torch.float64)),
                   lambda t: F.binary_cross_entropy_with_logits(t, np.array([1.0, 0.0, 1.0, 1.0, 0.0])), inputs=[x])
    helper_test_exception([(4, 3)], lambda x: TF.binary_cross_entropy_with_logits(x, torch.zeros(4)),
                          lambda x: F.binary_cross_entropy_with_logits(x, np.zeros(4, np.float32)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kwargs", [("l1_loss", {}), ("smooth_l1_loss", {"beta": 1.0}),
                                         ("smooth_l1_loss", {"beta": 0.3}), ("smooth_l1_loss", {"beta": 0.0}),
                                         ("huber_loss", {"delta": 0.5})])
def test_regression_losses(name, kwargs, reduction):
    rng = np.random.default_rng(len(name))
    x, t = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    helper_test_op(None, lambda a, b: getattr(TF, name)(a, b, reduction=reduction, **kwargs),
                   lambda a, b: getattr(F, name)(a, b, reduction=reduction, **kwargs), inputs=[x, t])


def test_regression_loss_errors_match_torch():
    helper_test_exception([(3,), (3,)], lambda a, b: TF.smooth_l1_loss(a, b, beta=-1.0),
                          lambda a, b: F.smooth_l1_loss(a, b, beta=-1.0))
    helper_test_exception([(3,), (3,)], lambda a, b: TF.huber_loss(a, b, delta=0.0), lambda a, b: F.huber_loss(a, b, delta=0.0))


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")  # torch's advice to use batchmean
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("reduction", ["batchmean", "mean", "sum", "none"])
def test_kl_div(reduction, log_target):
    rng = np.random.default_rng(1)
    logp = np.log(rng.dirichlet(np.ones(4), size=3))
    q = rng.dirichlet(np.ones(4), size=3)
    target = np.log(q) if log_target else q
    helper_test_op(None, lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target),
                   lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target), inputs=[logp, target])


# ---- attention --------------------------------------------------------------------------------------

def _sdpa_case(rng, i):
    batch, heads, length, source, embed = (int(n) for n in rng.integers(1, 4, 2).tolist() + rng.integers(1, 6, 2).tolist()
                                           + [rng.integers(2, 6)])
    mask = ["none", "bool", "float", "causal", "bool_broadcast", "scale"][i % 6]
    return (batch, heads, length, source, embed), mask


@pytest.mark.parametrize("shape,mask", _cases(6, 12, _sdpa_case))
def test_scaled_dot_product_attention(shape, mask):
    b, h, length, source, e = shape
    rng = np.random.default_rng(sum(shape))
    kwargs, t_kwargs = {}, {}
    if mask in ("bool", "bool_broadcast"):
        m = rng.random((length, source) if mask == "bool_broadcast" else (b, h, length, source)) < 0.7
        m[..., 0] = True  # every query may attend somewhere
        kwargs, t_kwargs = {"attn_mask": st.tensor(m)}, {"attn_mask": torch.from_numpy(m)}
    elif mask == "float":
        m = rng.standard_normal((b, 1, length, source))
        kwargs, t_kwargs = {"attn_mask": m}, {"attn_mask": torch.from_numpy(m)}
    elif mask == "causal":
        kwargs = t_kwargs = {"is_causal": True}
    elif mask == "scale":
        kwargs = t_kwargs = {"scale": 0.3}
    helper_test_op([(b, h, length, e), (b, h, source, e), (b, h, source, e + 1)],
                   lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, dropout_p=0.0, **t_kwargs),
                   lambda q, k, v: F.scaled_dot_product_attention(q, k, v, dropout_p=0.0, **kwargs))


def test_scaled_dot_product_attention_gqa_fully_masked_rows_and_float32():
    helper_test_op([(2, 4, 3, 5), (2, 2, 6, 5), (2, 2, 6, 5)],
                   lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, enable_gqa=True),
                   lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True), dtype=np.float32)
    m = np.ones((3, 4), bool)
    m[1] = False  # query 1 may attend nowhere: torch gives zeros, not NaN
    helper_test_op([(1, 2, 3, 5), (1, 2, 4, 5), (1, 2, 4, 5)],
                   lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, attn_mask=torch.from_numpy(m)),
                   lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=m))
    helper_test_exception([(1, 1, 2, 3)] * 3,
                          lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, torch.ones(2, 2, dtype=torch.bool), is_causal=True),
                          lambda q, k, v: F.scaled_dot_product_attention(q, k, v, np.ones((2, 2), bool), is_causal=True))


def test_scaled_dot_product_attention_dropout_is_seeded_and_scales():
    q = st.tensor(np.random.default_rng(0).standard_normal((2, 2, 4, 3)))
    plain = F.scaled_dot_product_attention(q, q, q).numpy()
    st.manual_seed(5)
    a = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5).numpy()
    st.manual_seed(5)
    b = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, plain)


# ---- one_hot, normalize, group_norm, rms_norm ----------------------------------------------------------

def test_one_hot_matches_torch():
    for classes, num in [(np.array([0, 2, 1, 2]), -1), (np.array([[1, 0], [3, 2]]), 5), (np.array(2), 3)]:
        ours, theirs = F.one_hot(st.tensor(classes), num), TF.one_hot(torch.from_numpy(classes), num)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert ours.dtype == np.int64
    for classes, num in [(np.array([-1, 2]), 3), (np.array([3, 2]), 3), (np.zeros(0, np.int64), -1)]:
        helper_test_exception(None, lambda c, n=num: TF.one_hot(c, n), lambda c, n=num: F.one_hot(c, n), inputs=[classes])
    helper_test_exception(None, lambda c: TF.one_hot(c, 3), lambda c: F.one_hot(c, 3), inputs=[np.array([1.0, 2.0])])


@pytest.mark.parametrize("p,dim,shape", [(2.0, 1, (3, 4)), (1.0, -1, (2, 3, 4)), (3.0, 0, (4, 2)),
                                         (float("inf"), 1, (2, 5, 3)), (2.0, 0, (5,))])
def test_normalize(p, dim, shape):
    helper_test_op([shape], lambda x: TF.normalize(x, p=p, dim=dim), lambda x: F.normalize(x, p=p, dim=dim))


def test_normalize_clamps_small_norms_to_eps():
    x = np.array([[0.0, 0.0, 0.0], [1e-3, -2e-3, 5e-4], [1.0, 2.0, -2.0]])
    helper_test_op(None, lambda t: TF.normalize(t, eps=1e-2), lambda t: F.normalize(t, eps=1e-2), inputs=[x])


@pytest.mark.parametrize("affine", [(True, True), (True, False), (False, True), (False, False)])
@pytest.mark.parametrize("shape,groups", [((2, 6, 5), 3), ((3, 4, 2, 3), 2), ((2, 4), 4)])
def test_group_norm(shape, groups, affine):
    c = shape[1]
    params = [(c,) for flag in affine if flag]

    def split(x, *rest):
        rest = list(rest)
        return x, (rest.pop(0) if affine[0] else None), (rest.pop(0) if affine[1] else None)

    helper_test_op([shape, *params], lambda *t: TF.group_norm(split(*t)[0], groups, *split(*t)[1:]),
                   lambda *t: F.group_norm(split(*t)[0], groups, *split(*t)[1:]))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("normalized,weighted,eps", [((4,), True, None), ((3, 4), False, None), ((4,), True, 1e-3)])
def test_rms_norm(normalized, weighted, eps, dtype):
    shapes = [(2, 3, 4)] + ([normalized] if weighted else [])
    helper_test_op(shapes, lambda x, *w: TF.rms_norm(x * 1e-3, normalized, *w, eps=eps),  # small x: eps matters
                   lambda x, *w: F.rms_norm(x * 1e-3, normalized, *w, eps=eps), dtype=dtype)


def test_norm_shape_errors_match_torch():
    helper_test_exception([(2, 6, 3)], lambda x: TF.group_norm(x, 4), lambda x: F.group_norm(x, 4))
    helper_test_exception([(4, 3), (2,)], lambda x, w: TF.layer_norm(x, (3,), w), lambda x, w: F.layer_norm(x, (3,), w))
    helper_test_exception([(4, 3), (2,)], lambda x, w: TF.rms_norm(x, (3,), w), lambda x, w: F.rms_norm(x, (3,), w))


def test_gradcheck_new_ops():
    rng = np.random.default_rng(0)
    x = st.Tensor(rng.standard_normal((2, 4, 5)), requires_grad=True)
    w = st.Tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)
    assert st.gradcheck(lambda a, b: F.conv1d(a, b, padding=2, dilation=2, groups=2), (x, w))
    assert st.gradcheck(lambda a: F.pad(a, (2, 1), mode="reflect"), x)
    assert st.gradcheck(lambda a: F.avg_pool1d(a, 3, 2, 1, ceil_mode=True, count_include_pad=False), x)
    assert st.gradcheck(lambda a: F.group_norm(a, 2), x)
    assert st.gradcheck(lambda a: F.normalize(a, dim=2), x)
    assert st.gradcheck(lambda a: F.softplus(a, beta=2.0, threshold=1.0) + F.elu(a) + F.silu(a) + F.mish(a), x)
    assert st.gradcheck(lambda a: F.hardtanh(a, -0.7, 0.9) + F.logsigmoid(a) + F.gelu(a, approximate="tanh"), x)
    assert st.gradcheck(lambda a: F.rms_norm(a, (5,)) + F.pad(a, (-1, 1), value=2.0), x)
    img = st.Tensor(rng.standard_normal((2, 4, 6, 5)), requires_grad=True)
    w2 = st.Tensor(rng.standard_normal((4, 1, 2, 3)), requires_grad=True)
    assert st.gradcheck(lambda a, b: F.conv2d(a, b, stride=(2, 1), dilation=(2, 1), groups=4), (img, w2))
    assert st.gradcheck(lambda a: F.max_pool2d(a, 3, 2, 1, ceil_mode=True) + 0, img)
    assert st.gradcheck(lambda a: F.adaptive_avg_pool2d(a, (4, 3)), img)
    t = st.Tensor(rng.random((2, 4, 5)), requires_grad=True)
    assert st.gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=np.arange(1.0, 6.0)), (x, t))
    assert st.gradcheck(lambda a, b: F.smooth_l1_loss(a, b, beta=0.5) + F.l1_loss(a, b) + F.huber_loss(a, b), (x, t))
    assert st.gradcheck(lambda a, b: F.kl_div(F.log_softmax(a, 2), b, reduction="batchmean"), (x, t))
    q, k = (st.Tensor(rng.standard_normal((1, 2, 3, 4)), requires_grad=True) for _ in range(2))
    assert st.gradcheck(lambda a, b: F.scaled_dot_product_attention(a, b, b, is_causal=True), (q, k))
