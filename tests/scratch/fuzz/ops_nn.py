"""Registry entries: nn.functional layers (linear, conv1d/2d, pooling, pad, embedding, one_hot,
normalize, scaled_dot_product_attention, dropout) and the normalizations."""

from __future__ import annotations

import numpy as np

from . import generators as g
from .core import Arr, Case
from .forms import FUNCTIONAL, custom, entries

# float32 gradients of a normalization amplify rounding by 1 / std, large for the near-constant
# groups the generator makes on purpose (ties); both engines round, differently.
NORM_RTOL = 2e-3


def _float(rng, odd: float = 0.03) -> str:
    return g.draw_dtype(rng, g.FLOATS, odd)


def _maybe_other(rng, dtype: str, share: float = 0.03) -> str:
    return dtype if not g.chance(rng, share) else g.pick(rng, [d for d in g.DTYPES if d != dtype])


def _spatial_arg(rng, dims: int, low: int, high: int):
    values = [int(rng.integers(low, high + 1)) for _ in range(dims)]
    return values[0] if dims == 1 or g.chance(rng, 0.5) and len(set(values)) == 1 else tuple(values)


def linear(rng):
    dtype = _float(rng)
    lead = g.draw_shape(rng, max_ndim=2, max_size=3)
    n_in, n_out = int(rng.integers(0 if g.chance(rng, 0.05) else 1, 4)), int(rng.integers(1, 4))
    x = g.tensor(rng, lead + (n_in if g.chance(rng, 0.95) else n_in + 1,), dtype)
    weight = g.tensor(rng, (n_out, n_in) if g.chance(rng, 0.9) else (n_in,), _maybe_other(rng, dtype))
    bias = g.tensor(rng, (n_out,) if g.chance(rng, 0.9) else (), dtype) if g.chance(rng, 0.6) else None
    return Case((x, weight, bias))


def conv(dims: int):
    def draw(rng):
        dtype = _float(rng)
        groups = int(g.pick(rng, [1, 1, 1, 2, 3]))
        c_in, c_out = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
        kernel = tuple(int(rng.integers(1, 4)) for _ in range(dims))
        spatial = tuple(int(rng.integers(1, 7)) for _ in range(dims))
        batch = () if g.chance(rng, 0.15) else (int(rng.integers(1, 3)),)
        x = g.tensor(rng, batch + (c_in if g.chance(rng, 0.95) else c_in + 1,) + spatial, dtype)
        weight = g.tensor(rng, (c_out, c_in // groups) + kernel, _maybe_other(rng, dtype))
        kwargs = {}
        if g.chance(rng, 0.5):
            kwargs["bias"] = g.tensor(rng, (c_out,), dtype)
        if g.chance(rng, 0.5):
            kwargs["stride"] = _spatial_arg(rng, dims, 1, 3)
        r = rng.random()
        if r < 0.4:
            kwargs["padding"] = _spatial_arg(rng, dims, 0, 2)
        elif r < 0.55:
            kwargs["padding"] = g.pick(rng, ["same", "valid", "same"])
        if g.chance(rng, 0.4):
            kwargs["dilation"] = _spatial_arg(rng, dims, 1, 2)
        if groups > 1 or g.chance(rng, 0.05):
            kwargs["groups"] = groups if g.chance(rng, 0.95) else groups + 1
        return Case((x, weight), kwargs)

    return draw


def pool(dims: int, kind: str):
    def draw(rng):
        dtype = _float(rng, odd=0.05)
        batch = () if g.chance(rng, 0.15) else (int(rng.integers(1, 3)),)
        shape = batch + (int(rng.integers(1, 3)),) + tuple(int(rng.integers(1, 7)) for _ in range(dims))
        x = g.tensor(rng, shape, dtype)
        kernel = int(rng.integers(1, 4))
        kwargs = {"kernel_size": _spatial_arg(rng, dims, 1, 3) if g.chance(rng, 0.4) else kernel}
        if g.chance(rng, 0.6):
            kwargs["stride"] = _spatial_arg(rng, dims, 1, 3)
        if g.chance(rng, 0.5):
            kwargs["padding"] = int(rng.integers(0, kernel // 2 + (2 if g.chance(rng, 0.05) else 1)))
        if kind == "max" and g.chance(rng, 0.3):
            kwargs["dilation"] = _spatial_arg(rng, dims, 1, 2)
        if g.chance(rng, 0.4):
            kwargs["ceil_mode"] = g.chance(rng, 0.6)
        if kind == "avg" and g.chance(rng, 0.4):
            kwargs["count_include_pad"] = g.chance(rng, 0.5)
        if kind == "avg" and dims == 2 and g.chance(rng, 0.2):
            kwargs["divisor_override"] = int(rng.integers(0 if g.chance(rng, 0.1) else 1, 5))
        return Case((x,), kwargs)

    return draw


def adaptive_avg_pool2d(rng):
    batch = () if g.chance(rng, 0.2) else (int(rng.integers(1, 3)),)
    x = g.tensor(rng, batch + (int(rng.integers(1, 3)), int(rng.integers(1, 7)), int(rng.integers(1, 7))), _float(rng))
    r = rng.random()
    size = int(rng.integers(1, 5)) if r < 0.4 else (int(rng.integers(1, 5)), int(rng.integers(1, 5))) if r < 0.8 \
        else (None, int(rng.integers(1, 5)))
    return Case((x, size))


def pad(rng):
    mode = g.pick(rng, ["constant", "constant", "reflect", "replicate", "circular"])
    if mode == "constant":
        x = g.tensor(rng, g.draw_shape(rng, min_ndim=1), g.draw_dtype(rng))
        pairs = int(rng.integers(1, x.array.ndim + 1))
        widths = [int(rng.integers(-2 if g.chance(rng, 0.3) else 0, 3)) for _ in range(2 * pairs)]
    else:
        pairs = int(rng.integers(1, 4))
        lead = int(rng.integers(1, 3)) if g.chance(rng, 0.95) else 0
        x = g.tensor(rng, tuple(int(rng.integers(1, 3)) for _ in range(lead))
                     + tuple(int(rng.integers(1, 5)) for _ in range(pairs)), _float(rng))
        widths = [int(rng.integers(0, 3)) for _ in range(2 * pairs)]
    if g.chance(rng, 0.03):
        widths.append(1)
    kwargs = {"mode": mode} if mode != "constant" or g.chance(rng, 0.3) else {}
    if mode == "constant" and g.chance(rng, 0.3) or g.chance(rng, 0.03):
        kwargs["value"] = g.scalar(rng, ("float", "int"))
    return Case((x, tuple(widths)), kwargs)


def embedding(rng):
    num, dim = int(rng.integers(1, 6)), int(rng.integers(1, 4))
    weight = g.tensor(rng, (num, dim), _float(rng))
    indices = g.index_tensor(rng, g.draw_shape(rng, max_ndim=3), num, bad=0.05)
    if g.chance(rng, 0.03):
        indices = Arr(indices.array.astype(np.float32))
    kwargs = {"padding_idx": int(rng.integers(-num, num))} if g.chance(rng, 0.3) else {}
    return Case((indices, weight), kwargs)


def one_hot(rng):
    shape = g.draw_shape(rng, max_ndim=3)
    classes = int(rng.integers(1, 5))
    indices = g.index_tensor(rng, shape, classes, bad=0.0)
    if indices.array.size and g.chance(rng, 0.05):
        indices.array.reshape(-1)[0] = -1
    if g.chance(rng, 0.03):
        indices = Arr(indices.array.astype(g.pick(rng, [np.float32, np.int32])))
    r = rng.random()
    args = (indices,) if r < 0.3 else (indices, -1) if r < 0.5 else (indices, classes + int(rng.integers(-1, 3)))
    return Case(args)


def normalize(rng):
    x = g.tensor(rng, g.draw_shape(rng), g.draw_dtype(rng, g.FLOATS, 0.05), ties=0.3)
    kwargs = {}
    if g.chance(rng, 0.5):
        kwargs["p"] = float(g.pick(rng, [1, 2, 3, 0.5, np.inf]))
    if g.chance(rng, 0.8):
        kwargs["dim"] = g.draw_dim(rng, x.array.ndim)
    if g.chance(rng, 0.2):
        kwargs["eps"] = float(g.pick(rng, [1e-12, 1e-3, 1.0]))
    return Case((x,), kwargs)


def attention(rng):
    dtype = _float(rng)
    batch = g.draw_shape(rng, max_ndim=2, max_size=3, zero=0.0)
    length, source = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    embed, value_embed = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    query = g.tensor(rng, batch + (length, embed), dtype)
    key_batch = batch
    kwargs = {}
    if len(batch) >= 1 and batch[-1] % 2 == 0 and g.chance(rng, 0.2):
        key_batch = batch[:-1] + (batch[-1] // 2,)
        kwargs["enable_gqa"] = True
    key = g.tensor(rng, key_batch + (source, embed if g.chance(rng, 0.97) else embed + 1), dtype)
    value = g.tensor(rng, key_batch + (source, value_embed), dtype)
    r = rng.random()
    if r < 0.25:
        kwargs["attn_mask"] = g.tensor(rng, g.broadcast_partner(rng, batch + (length, source), bad=0.02), "bool")
    elif r < 0.4:
        kwargs["attn_mask"] = g.tensor(rng, g.broadcast_partner(rng, batch + (length, source), bad=0.02), dtype)
    if g.chance(rng, 0.3 if "attn_mask" not in kwargs else 0.05):
        kwargs["is_causal"] = True
    if g.chance(rng, 0.3):
        kwargs["scale"] = float(rng.uniform(0.1, 2))
    values = True
    if g.chance(rng, 0.1):
        kwargs["dropout_p"] = float(g.pick(rng, [0.0, 0.5]))
        values = kwargs["dropout_p"] == 0.0
    return Case((query, key, value), kwargs, values=values)


def dropout(rng):
    x = g.tensor(rng, g.draw_shape(rng), g.draw_dtype(rng, g.FLOATS, 0.05))
    p = float(g.pick(rng, [0.0, 0.3, 0.5, 1.0, 1.5]))
    training = g.chance(rng, 0.7)
    kwargs = {"p": p} if g.chance(rng, 0.8) else {}
    if g.chance(rng, 0.8):
        kwargs["training"] = training
    else:
        training = True
    random = training and kwargs.get("p", 0.5) not in (0.0, 1.0)
    return Case((x,), kwargs, values=not random)


def _channels_input(rng, dtype, min_ndim: int = 2):
    batch = int(rng.integers(1, 4))
    channels = int(rng.integers(1, 4))
    spatial = g.draw_shape(rng, max_ndim=2, max_size=3, zero=0.0)
    return g.tensor(rng, (batch, channels) + spatial if min_ndim == 2 or g.chance(rng, 0.9) else (channels,), dtype)


def batch_norm(rng):
    dtype = _float(rng)
    x = _channels_input(rng, dtype)
    channels = x.array.shape[1] if x.array.ndim > 1 else 1
    training = g.chance(rng, 0.5)
    stat = channels if g.chance(rng, 0.95) else channels + 1
    mean = Arr(rng.uniform(-1, 1, stat).astype(dtype)) if not training or g.chance(rng, 0.7) else None
    var = Arr(rng.uniform(0.5, 2, stat).astype(dtype)) if mean is not None else None
    kwargs = {"training": training}
    if g.chance(rng, 0.6):
        kwargs["weight"] = g.tensor(rng, (channels,), dtype)
    if g.chance(rng, 0.6):
        kwargs["bias"] = g.tensor(rng, (channels,), dtype)
    if g.chance(rng, 0.3):
        kwargs["momentum"] = float(rng.uniform(0, 1))
    if g.chance(rng, 0.3):
        kwargs["eps"] = float(g.pick(rng, [1e-5, 1e-3, 0.1]))
    return Case((x, mean, var), kwargs)


def batch_norm_call(engine, x, mean, var, **kwargs):
    """The output and the running statistics, which training updates in place."""
    return engine.F.batch_norm(x, mean, var, **kwargs), mean, var


def layer_norm(rng, rms: bool = False):
    dtype = _float(rng)
    x = g.tensor(rng, g.draw_shape(rng, min_ndim=1), dtype)
    k = int(rng.integers(1, x.array.ndim + 1))
    normalized = list(x.array.shape[-k:])
    if g.chance(rng, 0.05):
        normalized[0] += 1
    kwargs = {}
    if g.chance(rng, 0.6):
        kwargs["weight"] = g.tensor(rng, tuple(normalized), dtype)
    if not rms and g.chance(rng, 0.6):
        kwargs["bias"] = g.tensor(rng, tuple(normalized), dtype)
    if g.chance(rng, 0.3):
        kwargs["eps"] = float(g.pick(rng, [1e-5, 1e-3, 0.1]))
    shape = tuple(normalized) if g.chance(rng, 0.7) else normalized
    return Case((x, shape[0] if len(shape) == 1 and g.chance(rng, 0.3) else shape), kwargs)


def group_norm(rng):
    dtype = _float(rng)
    groups = int(rng.integers(1, 4))
    channels = groups * int(rng.integers(1, 3)) + (1 if g.chance(rng, 0.05) else 0)
    shape = (int(rng.integers(1, 3)), channels) + g.draw_shape(rng, max_ndim=2, max_size=3)
    x = g.tensor(rng, shape, dtype)
    kwargs = {}
    if g.chance(rng, 0.6):
        kwargs["weight"] = g.tensor(rng, (channels,), dtype)
    if g.chance(rng, 0.6):
        kwargs["bias"] = g.tensor(rng, (channels,), dtype)
    if g.chance(rng, 0.3):
        kwargs["eps"] = float(g.pick(rng, [1e-5, 1e-3, 0.1]))
    return Case((x, groups), kwargs)


def build() -> list:
    ops = []
    ops += entries("linear", linear, (FUNCTIONAL,))
    ops += entries("conv1d", conv(1), (FUNCTIONAL,))
    ops += entries("conv2d", conv(2), (FUNCTIONAL,))
    for dims in (1, 2):
        ops += entries(f"max_pool{dims}d", pool(dims, "max"), (FUNCTIONAL,))
        ops += entries(f"avg_pool{dims}d", pool(dims, "avg"), (FUNCTIONAL,))
    ops += entries("adaptive_avg_pool2d", adaptive_avg_pool2d, (FUNCTIONAL,))
    ops += entries("pad", pad, (FUNCTIONAL,))
    ops += entries("embedding", embedding, (FUNCTIONAL,))
    ops += entries("one_hot", one_hot, (FUNCTIONAL,))
    ops += entries("normalize", normalize, (FUNCTIONAL,), rtol=NORM_RTOL)
    ops += entries("scaled_dot_product_attention", attention, (FUNCTIONAL,))
    ops += entries("dropout", dropout, (FUNCTIONAL,))
    ops.append(custom("F.batch_norm", batch_norm_call, batch_norm, rtol=NORM_RTOL))
    ops += entries("layer_norm", layer_norm, (FUNCTIONAL,), rtol=NORM_RTOL)
    ops += entries("rms_norm", lambda rng: layer_norm(rng, rms=True), (FUNCTIONAL,), rtol=NORM_RTOL)
    ops += entries("group_norm", group_norm, (FUNCTIONAL,), rtol=NORM_RTOL)
    return ops
