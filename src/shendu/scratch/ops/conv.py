"""2-D convolution and pooling on NCHW tensors, by im2col and loops over kernel positions.

Internally the ops work channels-last, (N, H, W, C): a patch row then copies C contiguous
floats, and the output, a (N*Ho*Wo, O) matrix from one BLAS call, is already channels-last.
Results are returned as (N, C, H, W) *views* of channels-last memory, so the next op's
`transpose(0, 2, 3, 1)` is free; numpy's elementwise ops keep that layout in between.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..tensor import Function, Tensor
from . import workspace
from .shape import unsqueeze


def pair(value) -> tuple:
    return (value, value) if isinstance(value, int) else tuple(value)


def _output_size(size: int, kernel: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - kernel) // stride + 1


def _window(array: np.ndarray, p: int, q: int, out_hw: tuple, stride: tuple) -> np.ndarray:
    """The (N, Ho, Wo, C) view of channels-last `array` that kernel offset (p, q) reads."""
    (ho, wo), (sh, sw) = out_hw, stride
    return array[:, p : p + sh * (ho - 1) + 1 : sh, q : q + sw * (wo - 1) + 1 : sw, :]


class Conv2d(Function):
    """out[n, o, i, j] = bias[o] + sum_{c,p,q} weight[o, c, p, q] * xpad[n, c, i*sh + p, j*sw + q].

    Shapes: x (N, C, H, W), weight (O, C, KH, KW), bias (O,) -> (N, O, Ho, Wo) with
    Ho = (H + 2 ph - KH) // sh + 1 and Wo likewise; xpad is x zero-padded by (ph, pw).
    """

    __slots__ = ("stride", "padding", "cols", "w2", "x_shape", "padded_hw", "out_hw")

    def __init__(self, stride: tuple, padding: tuple):
        self.stride, self.padding = stride, padding

    def forward(self, x, weight, bias=None):
        n, c, h, w = x.shape
        o, _, kh, kw = weight.shape
        (sh, sw), (ph, pw) = self.stride, self.padding
        xh = x.transpose(0, 2, 3, 1)  # (N, H, W, C)
        if ph or pw:
            xh = np.pad(xh, ((0, 0), (ph, ph), (pw, pw), (0, 0)))  # (N, H+2ph, W+2pw, C)
        else:
            xh = np.ascontiguousarray(xh)  # one cheap copy makes the big patch gather contiguous
        ho, wo = _output_size(h, kh, sh, ph), _output_size(w, kw, sw, pw)
        windows = sliding_window_view(xh, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]  # (N, Ho, Wo, C, KH, KW)
        cols = workspace.empty("conv2d.cols", (n * ho * wo, kh * kw * c), x.dtype)  # (N*Ho*Wo, KH*KW*C)
        np.copyto(cols.reshape(n, ho, wo, kh, kw, c), windows.transpose(0, 1, 2, 4, 5, 3))  # patch order (kh, kw, c)
        w2 = weight.transpose(2, 3, 1, 0).reshape(kh * kw * c, o)  # (KH*KW*C, O), the patch order
        out = np.matmul(cols, w2, out=workspace.empty("conv2d.out", (n * ho * wo, o), x.dtype))  # (N*Ho*Wo, O)
        if bias is not None:
            out += bias
        self.cols, self.w2, self.x_shape = cols, w2, x.shape
        self.padded_hw, self.out_hw = xh.shape[1:3], (ho, wo)
        return out.reshape(n, ho, wo, o).transpose(0, 3, 1, 2)  # (N, O, Ho, Wo), channels-last memory

    def backward(self, grad):
        n, c, h, w = self.x_shape
        (ho, wo), (ph, pw) = self.out_hw, self.padding
        o = grad.shape[1]
        g2 = grad.transpose(0, 2, 3, 1).reshape(n * ho * wo, o)  # (N*Ho*Wo, O), free if channels-last
        x_in, w_in = self.inputs[0], self.inputs[1]
        gx = gw = gb = None
        if w_in.requires_grad:
            kh, kw = w_in.shape[2:]
            gw = (self.cols.T @ g2).reshape(kh, kw, c, o)  # (KH, KW, C, O)
            gw = np.ascontiguousarray(gw.transpose(3, 2, 0, 1))  # (O, C, KH, KW)
        if len(self.inputs) == 3 and self.inputs[2].requires_grad:
            gb = g2.sum(axis=0)
        if x_in.requires_grad:
            kh, kw = w_in.shape[2:]
            dcols = workspace.empty("conv2d.dcols", self.cols.shape, grad.dtype)  # (N*Ho*Wo, KH*KW*C)
            np.matmul(g2, self.w2.T, out=dcols)
            dcols = dcols.reshape(n, ho, wo, kh, kw, c)  # (N, Ho, Wo, KH, KW, C)
            dxh = np.zeros((n, *self.padded_hw, c), grad.dtype)  # (N, Hp, Wp, C)
            # col2im as KH*KW strided adds: far faster than np.add.at over every patch element.
            for p in range(kh):
                for q in range(kw):
                    _window(dxh, p, q, self.out_hw, self.stride)[...] += dcols[:, :, :, p, q, :]
            gx = dxh[:, ph : ph + h, pw : pw + w, :].transpose(0, 3, 1, 2)  # (N, C, H, W)
        return (gx, gw) if len(self.inputs) == 2 else (gx, gw, gb)


class MaxPool2d(Function):
    """out[n, c, i, j] = max over the (KH, KW) window at (i*sh - ph, j*sw - pw) (-inf padding).

    The gradient goes to the first maximal element of each window in row-major order, as torch.
    Shapes: x (N, C, H, W) -> (N, C, Ho, Wo).
    """

    __slots__ = ("kernel", "stride", "padding", "xh", "out", "x_shape", "out_hw")

    def __init__(self, kernel: tuple, stride: tuple, padding: tuple):
        self.kernel, self.stride, self.padding = kernel, stride, padding

    def forward(self, x):
        n, c, h, w = self.x_shape = x.shape
        (kh, kw), (sh, sw), (ph, pw) = self.kernel, self.stride, self.padding
        xh = x.transpose(0, 2, 3, 1)  # (N, H, W, C)
        if ph or pw:
            xh = np.pad(xh, ((0, 0), (ph, ph), (pw, pw), (0, 0)), constant_values=-np.inf)
        self.out_hw = (_output_size(h, kh, sh, ph), _output_size(w, kw, sw, pw))
        out = _window(xh, 0, 0, self.out_hw, self.stride).copy()  # (N, Ho, Wo, C)
        for k in range(1, kh * kw):
            np.maximum(out, _window(xh, k // kw, k % kw, self.out_hw, self.stride), out=out)
        self.xh, self.out = xh, out
        return out.transpose(0, 3, 1, 2)  # (N, C, Ho, Wo), channels-last memory

    def backward(self, grad):
        n, c, h, w = self.x_shape
        (kh, kw), (ph, pw) = self.kernel, self.padding
        g = grad.transpose(0, 2, 3, 1)  # (N, Ho, Wo, C)
        dxh = np.zeros(self.xh.shape, grad.dtype)  # (N, Hp, Wp, C)
        unclaimed = np.ones(self.out.shape, bool)  # windows whose maximum is not yet found
        for k in range(kh * kw):  # row-major scan: the first position equal to the max wins ties
            hit = _window(self.xh, k // kw, k % kw, self.out_hw, self.stride) == self.out
            hit &= unclaimed
            unclaimed &= ~hit
            _window(dxh, k // kw, k % kw, self.out_hw, self.stride)[...] += g * hit
        return (dxh[:, ph : ph + h, pw : pw + w, :].transpose(0, 3, 1, 2),)  # (N, C, H, W)


class AvgPool2d(Function):
    """out[n, c, i, j] = mean over the (KH, KW) window, zero padding counted (torch's default).

    Shapes: x (N, C, H, W) -> (N, C, Ho, Wo).
    """

    __slots__ = ("kernel", "stride", "padding", "x_shape", "padded_hw", "out_hw")

    def __init__(self, kernel: tuple, stride: tuple, padding: tuple):
        self.kernel, self.stride, self.padding = kernel, stride, padding

    def forward(self, x):
        n, c, h, w = self.x_shape = x.shape
        (kh, kw), (sh, sw), (ph, pw) = self.kernel, self.stride, self.padding
        xh = x.transpose(0, 2, 3, 1)  # (N, H, W, C)
        if ph or pw:
            xh = np.pad(xh, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
        self.padded_hw = xh.shape[1:3]
        self.out_hw = (_output_size(h, kh, sh, ph), _output_size(w, kw, sw, pw))
        out = _window(xh, 0, 0, self.out_hw, self.stride).copy()  # (N, Ho, Wo, C)
        for k in range(1, kh * kw):
            out += _window(xh, k // kw, k % kw, self.out_hw, self.stride)
        out /= kh * kw
        return out.transpose(0, 3, 1, 2)  # (N, C, Ho, Wo)

    def backward(self, grad):
        n, c, h, w = self.x_shape
        (kh, kw), (ph, pw) = self.kernel, self.padding
        g = grad.transpose(0, 2, 3, 1) / (kh * kw)  # (N, Ho, Wo, C)
        dxh = np.zeros((n, *self.padded_hw, c), grad.dtype)  # (N, Hp, Wp, C)
        for k in range(kh * kw):
            _window(dxh, k // kw, k % kw, self.out_hw, self.stride)[...] += g
        return (dxh[:, ph : ph + h, pw : pw + w, :].transpose(0, 3, 1, 2),)  # (N, C, H, W)


def _check_input(x: Tensor, name: str) -> None:
    if x.ndim != 4:
        raise RuntimeError(
            f"Expected 3D (unbatched) or 4D (batched) input to {name}, but got input of size: {list(x.shape)}"
        )


def _check_window(x: Tensor, kernel: tuple, padding: tuple) -> None:
    padded = (x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1])
    if padded[0] < kernel[0] or padded[1] < kernel[1]:
        raise RuntimeError(
            f"Calculated padded input size per channel: ({padded[0]} x {padded[1]}). "
            f"Kernel size: ({kernel[0]} x {kernel[1]}). Kernel size can't be greater than actual input size"
        )


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0) -> Tensor:
    """2-D cross-correlation, as torch.nn.functional.conv2d with groups=1, dilation=1.

    Args:
        x: (N, C, H, W) or unbatched (C, H, W).
        weight: (O, C, KH, KW); bias: (O,) or None.
        stride, padding: int or (h, w) pair; padding may also be "valid" or "same" (stride 1).

    Raises:
        RuntimeError: wrong input rank, channel mismatch, or a kernel larger than the padded input.
    """
    if x.ndim == 3:
        return conv2d(unsqueeze(x, 0), weight, bias, stride, padding)[0]
    _check_input(x, "conv2d")
    kernel = weight.shape[2:]
    if padding == "valid":
        padding = 0
    elif padding == "same":
        if any(k % 2 == 0 for k in kernel) or pair(stride) != (1, 1):
            raise NotImplementedError("padding='same' needs odd kernel sizes and stride 1")
        padding = (kernel[0] // 2, kernel[1] // 2)
    stride, padding = pair(stride), pair(padding)
    if x.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype):
        raise RuntimeError(
            f"Input type ({x.dtype}) and weight type ({weight.dtype}) should be the same"
            + ("" if bias is None else f", and bias type ({bias.dtype})")
        )
    if weight.shape[1] != x.shape[1]:
        raise RuntimeError(
            f"Given groups=1, weight of size {list(weight.shape)}, expected input{list(x.shape)} "
            f"to have {weight.shape[1]} channels, but got {x.shape[1]} channels instead"
        )
    _check_window(x, kernel, padding)
    op = Conv2d(stride, padding)
    return op(x, weight) if bias is None else op(x, weight, bias)


def _pool(op_cls, name: str, x: Tensor, kernel_size, stride, padding) -> Tensor:
    if x.ndim == 3:
        return _pool(op_cls, name, unsqueeze(x, 0), kernel_size, stride, padding)[0]
    _check_input(x, name)
    kernel = pair(kernel_size)
    stride = kernel if stride is None or stride == [] else pair(stride)
    padding = pair(padding)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise RuntimeError(
            f"pad should be at most half of effective kernel size, but got pad={padding} "
            f"and kernel_size={kernel}"
        )
    _check_window(x, kernel, padding)
    return op_cls(kernel, stride, padding)(x)


def max_pool2d(x: Tensor, kernel_size, stride=None, padding=0) -> Tensor:
    """Max pooling over (N, C, H, W); stride defaults to kernel_size."""
    return _pool(MaxPool2d, "max_pool2d", x, kernel_size, stride, padding)


def avg_pool2d(x: Tensor, kernel_size, stride=None, padding=0) -> Tensor:
    """Average pooling over (N, C, H, W), zero padding included in the count."""
    return _pool(AvgPool2d, "avg_pool2d", x, kernel_size, stride, padding)
