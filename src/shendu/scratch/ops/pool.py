"""Max, average and adaptive average pooling over NCHW tensors, by loops over kernel positions.

Like conv2d they work channels-last and never loop over the batch. ceil_mode windows that
run past the padded input read -inf (max) or are left out of the divisor (average), as torch.
Max-pooling with windows that tile the input (stride = kernel, no padding or dilation, the
usual `max_pool2d(x, 2)`) takes a faster path: the input viewed as (N, Ho, KH, Wo, KW, C),
and in backward each window position's values copied into a contiguous slab, where the
first-maximum masks and the gradient take a few long passes; in batch chunks on the
threads of `set_num_threads`.

Dtypes follow torch's CPU kernels: max_pool2d takes floats and integers, avg_pool floats and
int64 (a sum divided with truncation toward zero, as C++ integer division), max_pool1d and
adaptive_avg_pool2d floats only; the rest raise NotImplementedError, after the argument checks.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Function, Tensor
from ..threads import parallel
from . import workspace
from .conv import check_input, images_per_chunk, pair, window
from .shape import unsqueeze


def pool_output_size(size: int, kernel: int, stride: int, pad: int, dilation: int, ceil_mode: bool) -> int:
    """torch's pooling_output_shape: the last window must start inside the input or its left padding."""
    span = dilation * (kernel - 1) + 1
    out = (size + 2 * pad - span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


# What each torch CPU kernel takes: (a test of the dtype, its description).
_FLOATS = (lambda dtype: dtype.kind == "f", "float")
_NUMBERS = (lambda dtype: dtype.kind in "fiu", "float or integer")
_FLOATS_OR_INT64 = (lambda dtype: dtype.kind == "f" or dtype == np.int64, "float or int64")


def _require(x: Tensor, kernel: str, supported: tuple, name: str) -> None:
    """NotImplementedError where torch's CPU `kernel` has no version for x's dtype."""
    takes, description = supported
    if not takes(x.dtype):
        raise NotImplementedError(
            f'"{kernel}" not implemented for {x.dtype}: {name} takes {description} input (as torch), got '
            f"{x.dtype}; convert first, e.g. `x.float()`"
        )


def _lowest(dtype: np.dtype):
    """What max-pooling pads with: -inf, or the lowest integer."""
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _padded(x: np.ndarray, padding: tuple, out_hw: tuple, stride: tuple, span: tuple, fill) -> np.ndarray:
    """(N, H, W, C) view of x (N, C, H, W), padded by `padding` plus what ceil_mode windows need."""
    xh = x.transpose(0, 2, 3, 1)  # (N, H, W, C)
    extra = [max((o - 1) * s + k - (n + 2 * p), 0)
             for o, s, k, n, p in zip(out_hw, stride, span, x.shape[2:], padding, strict=True)]
    if any(padding) or any(extra):
        (ph, pw), (eh, ew) = padding, extra
        xh = np.pad(xh, ((0, 0), (ph, ph + eh), (pw, pw + ew), (0, 0)), constant_values=fill)
    return xh


class MaxPool2d(Function):
    """out[n, c, i, j] = max over the (KH, KW) window at (i*sh - ph, j*sw - pw) (-inf padding).

    The gradient goes to the first maximal element of each window in row-major order, or to
    its last NaN, as torch's CPU kernel (which moves the index on `val > max || isnan(val)`).
    Shapes: x (N, C, H, W) -> (N, C, Ho, Wo).
    """

    __slots__ = ("kernel", "stride", "padding", "dilation", "ceil_mode", "xh", "out", "x_shape", "out_hw")

    def __init__(self, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple = (1, 1),
                 ceil_mode: bool = False):
        self.kernel, self.stride, self.padding = kernel, stride, padding
        self.dilation, self.ceil_mode = dilation, ceil_mode

    def _offsets(self):
        (kh, kw), (dh, dw) = self.kernel, self.dilation
        return [(p * dh, q * dw) for p in range(kh) for q in range(kw)]  # row-major

    def forward(self, x):
        self.x_shape = x.shape
        (kh, kw), (dh, dw) = self.kernel, self.dilation
        self.out_hw = tuple(pool_output_size(n, k, s, p, d, self.ceil_mode) for n, k, s, p, d in
                            zip(x.shape[2:], self.kernel, self.stride, self.padding, self.dilation, strict=True))
        if self._tiled():
            return self._forward_tiled(x)
        xh = _padded(x, self.padding, self.out_hw, self.stride, (dh * (kh - 1) + 1, dw * (kw - 1) + 1),
                     _lowest(x.dtype))
        offsets = self._offsets()
        out = window(xh, *offsets[0], self.out_hw, self.stride).copy()  # (N, Ho, Wo, C)
        for p, q in offsets[1:]:
            np.maximum(out, window(xh, p, q, self.out_hw, self.stride), out=out)
        self.xh, self.out = xh, out
        return out.transpose(0, 3, 1, 2)  # (N, C, Ho, Wo), channels-last memory

    def backward(self, grad):
        if self._tiled():
            return (self._backward_tiled(grad),)
        n, c, h, w = self.x_shape
        ph, pw = self.padding
        g = grad.transpose(0, 2, 3, 1)  # (N, Ho, Wo, C)
        dxh = np.zeros(self.xh.shape, grad.dtype)  # (N, Hp, Wp, C)
        unclaimed = np.ones(self.out.shape, bool)  # windows whose maximum is not yet found
        for p, q in self._offsets():  # row-major scan: the first position equal to the max wins ties
            hit = window(self.xh, p, q, self.out_hw, self.stride) == self.out
            hit &= unclaimed
            unclaimed &= ~hit
            window(dxh, p, q, self.out_hw, self.stride)[...] += g * hit
        if np.isnan(self.out).any():  # torch moves the index to every NaN it meets: the last one wins
            unclaimed = np.isnan(self.out)
            for p, q in reversed(self._offsets()):
                hit = np.isnan(window(self.xh, p, q, self.out_hw, self.stride))
                hit &= unclaimed
                unclaimed &= ~hit
                window(dxh, p, q, self.out_hw, self.stride)[...] += g * hit
        return (dxh[:, ph : ph + h, pw : pw + w, :].transpose(0, 3, 1, 2),)  # (N, C, H, W)

    # ---- windows that tile the input: stride = kernel, no padding, no dilation ----------------
    def _tiled(self) -> bool:
        (kh, kw), (h, w) = self.kernel, self.x_shape[2:]
        return (self.stride == self.kernel and self.padding == (0, 0) and self.dilation == (1, 1)
                and self.out_hw == (h // kh, w // kw))

    def _tiles(self) -> np.ndarray:
        """The (N, Ho, KH, Wo, KW, C) view of the input's windows (rows/columns past the last window dropped)."""
        (ho, wo), (kh, kw) = self.out_hw, self.kernel
        n, c = self.xh.shape[0], self.xh.shape[3]
        return self.xh[:, : ho * kh, : wo * kw].reshape(n, ho, kh, wo, kw, c)  # splits H and W: a view

    def _chunks(self, itemsize: int) -> tuple:
        n, c = self.x_shape[:2]
        size = images_per_chunk(n, self.out_hw[0] * self.out_hw[1], 2 * self.kernel[0] * self.kernel[1] * c, itemsize)
        return size, -(-n // size)

    def _forward_tiled(self, x):
        kh, kw = self.kernel
        self.xh = x.transpose(0, 2, 3, 1)  # (N, H, W, C), a view: nothing is copied
        tiles = self._tiles()
        out = np.empty_like(tiles[:, :, 0, :, 0])  # (N, Ho, Wo, C), in the input's memory order
        size, count = self._chunks(x.itemsize)

        def run(i: int) -> None:
            part, target = tiles[i * size : (i + 1) * size], out[i * size : (i + 1) * size]
            np.copyto(target, part[:, :, 0, :, 0])
            for k in range(1, kh * kw):
                np.maximum(target, part[:, :, k // kw, :, k % kw], out=target)

        parallel(run, count)
        self.out = out
        return out.transpose(0, 3, 1, 2)  # (N, C, Ho, Wo), channels-last memory

    def _backward_tiled(self, grad):
        """The gradient goes to each window's first maximum (row-major), or its last NaN, as torch's kernel."""
        (kh, kw), (ho, wo) = self.kernel, self.out_hw
        n, c, h, w = self.x_shape
        tiles, g = self._tiles(), grad.transpose(0, 2, 3, 1)  # (N, Ho, Wo, C)
        dxh = (np.zeros if (h, w) != (ho * kh, wo * kw) else np.empty)((n, h, w, c), grad.dtype)  # (N, H, W, C)
        dtiles = dxh[:, : ho * kh, : wo * kw].reshape(n, ho, kh, wo, kw, c)  # a view of dxh
        size, count = self._chunks(grad.itemsize)

        def run(i: int) -> None:
            chunk = slice(i * size, (i + 1) * size)
            out, dtile = self.out[chunk], dtiles[chunk]
            nb = len(out)
            # numpy loops over rows of C floats are slow on the interleaved windows: copy each
            # window position's values into a contiguous slab, work on slabs, copy back.
            slabs = workspace.empty("max_pool2d.slabs", (kh * kw, size, ho, wo, c), grad.dtype)[:, :nb]
            np.copyto(slabs.reshape(kh, kw, nb, ho, wo, c), tiles[chunk].transpose(2, 4, 0, 1, 3, 5))
            hits = workspace.empty("max_pool2d.hits", (kh * kw, size, ho, wo, c), np.bool_)[:, :nb]
            np.equal(slabs[0], out, out=hits[0])
            seen = hits[0].copy()
            for k in range(1, kh * kw):  # row-major: only the first position equal to the max gets the gradient
                np.equal(slabs[k], out, out=hits[k])
                np.greater(hits[k], seen, out=hits[k])  # hit and not seen before
                seen |= hits[k]
            if np.isnan(out).any():  # torch moves the index to every NaN it meets: the last one wins
                seen[...] = False
                for k in range(kh * kw - 1, -1, -1):
                    nan = np.isnan(slabs[k])
                    np.greater(nan, seen, out=nan)
                    seen |= nan
                    hits[k] |= nan  # windows with a NaN have no other hit (their max is NaN)
            gc = workspace.empty("max_pool2d.grad", (size, ho, wo, c), grad.dtype)[:nb]
            np.copyto(gc, g[chunk])  # channels-last and contiguous, whatever the incoming layout
            for k in range(kh * kw):
                np.multiply(gc, hits[k], out=slabs[k])  # the slabs now hold the gradient
            np.copyto(dtile, slabs.reshape(kh, kw, nb, ho, wo, c).transpose(2, 3, 0, 4, 1, 5))

        parallel(run, count)
        return dxh.transpose(0, 3, 1, 2)  # (N, C, H, W)


def _divisors(size: int, out: int, kernel: int, stride: int, pad: int, count_include_pad: bool) -> np.ndarray:
    """Per output position along one dim, the count torch's avg_pool2d divides by."""
    start = np.arange(out) * stride - pad
    end = np.minimum(start + kernel, size + pad)
    if count_include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


class AvgPool2d(Function):
    """out[n, c, i, j] = sum over the (KH, KW) window / divisor.

    The divisor is KH*KW (zero padding counted, torch's default), or with
    count_include_pad=False only the input elements in the window; windows that ceil_mode adds
    past the padded input count only what lies inside it; divisor_override replaces it.
    Shapes: x (N, C, H, W) -> (N, C, Ho, Wo).
    """

    __slots__ = ("kernel", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override",
                 "divisor", "x_shape", "padded_hw", "out_hw")

    def __init__(self, kernel: tuple, stride: tuple, padding: tuple, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None):
        self.kernel, self.stride, self.padding = kernel, stride, padding
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override

    def _divisor(self, hw: tuple):
        """A number, or an (Ho, Wo, 1) array when windows differ."""
        if self.divisor_override:
            return self.divisor_override
        if self.count_include_pad and not self.ceil_mode:
            return self.kernel[0] * self.kernel[1]
        dh, dw = (_divisors(n, o, k, s, p, self.count_include_pad) for n, o, k, s, p in
                  zip(hw, self.out_hw, self.kernel, self.stride, self.padding, strict=True))
        return (dh[:, None] * dw[None, :])[:, :, None]  # (Ho, Wo, 1): broadcasts over (N, Ho, Wo, C)

    def forward(self, x):
        n, c, h, w = self.x_shape = x.shape
        kh, kw = self.kernel
        self.out_hw = tuple(pool_output_size(size, k, s, p, 1, self.ceil_mode) for size, k, s, p in
                            zip(x.shape[2:], self.kernel, self.stride, self.padding, strict=True))
        xh = _padded(x, self.padding, self.out_hw, self.stride, self.kernel, 0)
        self.padded_hw = xh.shape[1:3]
        out = window(xh, 0, 0, self.out_hw, self.stride).copy()  # (N, Ho, Wo, C)
        for k in range(1, kh * kw):
            out += window(xh, k // kw, k % kw, self.out_hw, self.stride)
        self.divisor = self._divisor((h, w))
        if out.dtype.kind == "f":
            out /= self.divisor
        else:  # int64: C++ integer division, truncated toward zero (numpy's // floors)
            d = self.divisor
            quotient = out // d
            out = quotient + ((quotient * d != out) & ((out < 0) != (np.asarray(d) < 0)))
        return out.transpose(0, 3, 1, 2)  # (N, C, Ho, Wo)

    def backward(self, grad):
        n, c, h, w = self.x_shape
        (kh, kw), (ph, pw) = self.kernel, self.padding
        g = grad.transpose(0, 2, 3, 1) / self.divisor  # (N, Ho, Wo, C)
        dxh = np.zeros((n, *self.padded_hw, c), grad.dtype)  # (N, Hp, Wp, C)
        for k in range(kh * kw):
            window(dxh, k // kw, k % kw, self.out_hw, self.stride)[...] += g
        return (dxh[:, ph : ph + h, pw : pw + w, :].transpose(0, 3, 1, 2),)  # (N, C, H, W)


class AdaptiveAvgPool2d(Function):
    """out[n, c, i, j] = mean of x over rows floor(i H / Ho) .. ceil((i + 1) H / Ho) and likewise columns.

    Shapes: x (N, C, H, W) -> (N, C, Ho, Wo). Loops over the Ho * Wo output cells.
    """

    __slots__ = ("cells", "x_shape")

    def __init__(self, out_hw: tuple):
        self.cells = out_hw

    @staticmethod
    def _bounds(size: int, out: int) -> list:
        return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]

    def forward(self, x):
        self.x_shape = x.shape
        (ho, wo), (h, w) = self.cells, x.shape[2:]
        if h % ho == 0 and w % wo == 0:  # equal windows: one reshape and a mean
            return x.reshape(*x.shape[:2], ho, h // ho, wo, w // wo).mean(axis=(3, 5))  # (N, C, Ho, kh, Wo, kw)
        out = np.empty((*x.shape[:2], ho, wo), x.dtype)
        for i, (h0, h1) in enumerate(self._bounds(h, ho)):
            for j, (w0, w1) in enumerate(self._bounds(w, wo)):
                out[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
        return out

    def backward(self, grad):
        (ho, wo), (h, w) = self.cells, self.x_shape[2:]
        gx = np.zeros(self.x_shape, grad.dtype)
        for i, (h0, h1) in enumerate(self._bounds(h, ho)):
            for j, (w0, w1) in enumerate(self._bounds(w, wo)):
                gx[:, :, h0:h1, w0:w1] += grad[:, :, i, j, None, None] / ((h1 - h0) * (w1 - w0))
        return (gx,)


def _pool_args(x: Tensor, kernel_size, stride, padding, dilation=1, ceil_mode: bool = False) -> tuple:
    kernel = pair(kernel_size)
    stride = kernel if stride is None or stride == [] or stride == () else pair(stride)
    padding, dilation = pair(padding), pair(dilation)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise RuntimeError(
            f"pad should be at most half of effective kernel size, but got pad={padding} "
            f"and kernel_size={kernel}"
        )
    out = [pool_output_size(n, k, s, p, d, ceil_mode)
           for n, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation, strict=True)]
    if min(out) < 1:
        raise RuntimeError(
            f"Given input size: ({x.shape[1]}x{x.shape[2]}x{x.shape[3]}). Calculated output size: "
            f"({x.shape[1]}x{out[0]}x{out[1]}). Output size is too small: the (dilated) kernel "
            f"{kernel} is larger than the padded input"
        )
    return kernel, stride, padding, dilation


def _max_pool(x: Tensor, kernel_size, stride, padding, dilation, ceil_mode: bool, kernel: str, supported: tuple,
              name: str) -> Tensor:
    """Max pooling of a 4-D x after the argument checks, then the dtype check of torch's `kernel`."""
    kernel_size, stride, padding, dilation = _pool_args(x, kernel_size, stride, padding, dilation, ceil_mode)
    _require(x, kernel, supported, name)
    return MaxPool2d(kernel_size, stride, padding, dilation, ceil_mode)(x)


def max_pool2d(x: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:
    """Max pooling over (N, C, H, W) or (C, H, W), as torch.nn.functional.max_pool2d.

    stride defaults to kernel_size; ceil_mode rounds the output size up (windows past the
    input read -inf, or the lowest integer). return_indices is not supported. Takes floats
    and integers.

    Raises:
        RuntimeError: wrong rank, padding over half the kernel, a window larger than the input.
        NotImplementedError: return_indices=True, or bool input.
    """
    if return_indices:
        raise NotImplementedError("max_pool2d(return_indices=True) is not implemented in shendu.scratch")
    if x.ndim == 3:
        return max_pool2d(unsqueeze(x, 0), kernel_size, stride, padding, dilation, ceil_mode)[0]
    check_input(x, "max_pool2d")
    return _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d", _NUMBERS, "max_pool2d")


def avg_pool2d(x: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Average pooling over (N, C, H, W) or (C, H, W), as torch.nn.functional.avg_pool2d.

    Takes floats and int64 (whose sums are divided with truncation toward zero, as torch).

    Raises:
        RuntimeError: wrong rank, padding over half the kernel, a window larger than the input,
            divisor_override 0.
        NotImplementedError: input that is neither float nor int64.
    """
    if x.ndim == 3:
        return avg_pool2d(unsqueeze(x, 0), kernel_size, stride, padding, ceil_mode, count_include_pad,
                          divisor_override)[0]
    check_input(x, "avg_pool2d")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    kernel, stride, padding, _ = _pool_args(x, kernel_size, stride, padding, 1, ceil_mode)
    _require(x, "avg_pool2d", _FLOATS_OR_INT64, "avg_pool")
    return AvgPool2d(kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)(x)


def _one_d(value) -> tuple:
    """A 1-D pooling size as the (1, value) pair of the equivalent 2-D pooling."""
    return (1, value if isinstance(value, int) else value[0])


def max_pool1d(x: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:
    """Max pooling over (N, C, L) or (C, L): max_pool2d on a height-1 view. Floats only, as torch.

    Raises:
        RuntimeError: as max_pool2d.
        NotImplementedError: return_indices=True, or input that is not float.
    """
    if return_indices:
        raise NotImplementedError("max_pool1d(return_indices=True) is not implemented in shendu.scratch")
    if x.ndim not in (2, 3):
        check_input(x, "max_pool1d", dims=1)
    stride = None if stride is None or stride == [] else _one_d(stride)
    x4 = unsqueeze(x, -2) if x.ndim == 3 else unsqueeze(unsqueeze(x, 0), -2)  # (N, C, 1, L)
    out = _max_pool(x4, _one_d(kernel_size), stride, (0, pair(padding)[0]), _one_d(dilation), ceil_mode,
                    "max_pool1d_impl", _FLOATS, "max_pool1d")
    return out.squeeze(-2) if x.ndim == 3 else out[0].squeeze(-2)  # (N, C, 1, Lo) -> (N, C, Lo)


def avg_pool1d(x: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Average pooling over (N, C, L) or (C, L): avg_pool2d on a height-1 view (floats and int64)."""
    if x.ndim not in (2, 3):
        check_input(x, "avg_pool1d", dims=1)
    stride = None if stride is None or stride == [] else _one_d(stride)
    out = avg_pool2d(unsqueeze(x, -2), _one_d(kernel_size), stride, (0, pair(padding)[0]), ceil_mode,
                     count_include_pad)
    return out.squeeze(-2)  # (N, C, 1, Lo) -> (N, C, Lo)


def adaptive_avg_pool2d(x: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed (Ho, Wo) output, as torch.nn.functional.adaptive_avg_pool2d.

    output_size: int or (Ho, Wo); None in the pair keeps that input size. Floats only, as torch.

    Raises:
        RuntimeError: wrong rank, a non-positive output size, or a (1, 1) output of a tensor
            that is not float (torch takes the mean there, which needs a float dtype).
        NotImplementedError: any other output of a tensor that is not float.
    """
    if x.ndim == 3:
        return adaptive_avg_pool2d(unsqueeze(x, 0), output_size)[0]
    check_input(x, "adaptive_avg_pool2d")
    out_hw = pair(output_size)
    out_hw = tuple(x.shape[2 + i] if s is None else int(s) for i, s in enumerate(out_hw))
    if out_hw == (1, 1) and x.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): could not infer output dtype: adaptive_avg_pool2d to (1, 1) averages over H and W, "
            f"which needs a float input; got {x.dtype}; convert first, e.g. `x.float()`"
        )
    if min(out_hw) <= 0:
        raise RuntimeError(f"adaptive_avg_pool2d: output_size must be positive; got {list(out_hw)}")
    _require(x, "adaptive_avg_pool2d", _FLOATS, "adaptive_avg_pool2d")
    return AdaptiveAvgPool2d(out_hw)(x)


__all__ = ["adaptive_avg_pool2d", "avg_pool1d", "avg_pool2d", "max_pool1d", "max_pool2d"]
