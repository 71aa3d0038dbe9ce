"""1-D and 2-D convolution (stride, padding, dilation, groups) by im2col and BLAS, in batch chunks.

Internally the op works channels-last, (N, H, W, C): a patch row then copies C contiguous
floats, and the output, a (N*Ho*Wo, O) matrix of BLAS products, is already channels-last.
Results are returned as (N, C, H, W) *views* of channels-last memory, so the next op's
`transpose(0, 2, 3, 1)` is free; numpy's elementwise ops keep that layout in between.

The batch is cut into chunks of a few images whose patch matrix fits in cache; each chunk
is one im2col copy and one matrix product (forward), or a fresh im2col, two products and a
col2im (backward), and `threads.parallel` runs the chunks on the threads of
`set_num_threads`. Nothing of the size of the whole patch matrix is ever written to memory.
With groups > 1 a chunk's patch matrix is (G, rows, KH*KW*C/G) and the products are batched
over groups. conv1d is conv2d on (N, C, 1, L). Pooling lives in `pool.py`.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..tensor import Function, Tensor
from ..threads import parallel
from . import workspace
from .pad import pad as _pad
from .shape import unsqueeze

_CHUNK_BYTES = 3 << 20  # a chunk's patch rows, their gradient and its outputs: about an L2/L3 share
_MIN_CHUNKS = 8  # cut even small batches, so that several threads have work


def pair(value) -> tuple:
    return (value, value) if isinstance(value, int) else tuple(value)


def output_size(size: int, kernel: int, stride: int, pad: int, dilation: int = 1) -> int:
    return (size + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1


def window(array: np.ndarray, p: int, q: int, out_hw: tuple, stride: tuple) -> np.ndarray:
    """The (N, Ho, Wo, ...) view of channels-last `array` that kernel offset (p, q) reads."""
    (ho, wo), (sh, sw) = out_hw, stride
    return array[:, p : p + sh * (ho - 1) + 1 : sh, q : q + sw * (wo - 1) + 1 : sw]


def images_per_chunk(n: int, positions: int, row: int, itemsize: int) -> int:
    """Images per chunk: `row` floats per output position fit in _CHUNK_BYTES, and >= _MIN_CHUNKS chunks.

    Depends on the shapes only (not on the thread count), so results do not depend on threads.
    """
    fit = _CHUNK_BYTES // max(positions * row * itemsize, 1)
    return max(1, min(fit, -(-n // _MIN_CHUNKS)))


class Conv2d(Function):
    """out[n, o, i, j] = bias[o] + sum_{c,p,q} weight[o, c, p, q] * xpad[n, g(o) C/G + c, i sh + p dh, j sw + q dw].

    Shapes: x (N, C, H, W), weight (O, C/G, KH, KW), bias (O,) -> (N, O, Ho, Wo) with
    Ho = (H + 2 ph - dh (KH - 1) - 1) // sh + 1 and Wo likewise; xpad is x zero-padded by
    (ph, pw); g(o) = o // (O/G) is the group of output channel o.
    """

    __slots__ = ("stride", "padding", "dilation", "groups", "xh", "w2", "x_shape", "out_hw", "kernel", "chunk")

    def __init__(self, stride: tuple, padding: tuple, dilation: tuple = (1, 1), groups: int = 1):
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups

    def forward(self, x, weight, bias=None):
        n, c, h, w = self.x_shape = x.shape
        o, cg, kh, kw = weight.shape
        (sh, sw), (ph, pw), (dh, dw), g = self.stride, self.padding, self.dilation, self.groups
        xh = x.transpose(0, 2, 3, 1)  # (N, H, W, C)
        if ph or pw:
            xh = np.pad(xh, ((0, 0), (ph, ph), (pw, pw), (0, 0)))  # (N, H+2ph, W+2pw, C)
        else:
            xh = np.ascontiguousarray(xh)  # free for channels-last input; makes the patch copies contiguous
        ho, wo = output_size(h, kh, sh, ph, dh), output_size(w, kw, sw, pw, dw)
        self.xh, self.out_hw, self.kernel = xh, (ho, wo), (kh, kw)
        # (G, KH*KW*C/G, O/G): rows in the patch order (kh, kw, c)
        self.w2 = weight.reshape(g, o // g, cg, kh, kw).transpose(0, 3, 4, 2, 1).reshape(g, kh * kw * cg, o // g)
        nb = self.chunk = images_per_chunk(n, ho * wo, 2 * kh * kw * c + o, x.itemsize)
        out = workspace.empty("conv2d.out", (n * ho * wo, o), x.dtype)  # (N*Ho*Wo, O)

        def run(i: int) -> None:
            start, stop = i * nb, min(n, (i + 1) * nb)
            rows = out[start * ho * wo : stop * ho * wo]  # (rows, O)
            cols = self._im2col(start, stop)  # (G, rows, KH*KW*C/G)
            if g == 1:
                np.matmul(cols[0], self.w2[0], out=rows)
            else:
                rows.reshape(-1, g, o // g)[...] = np.matmul(cols, self.w2).transpose(1, 0, 2)  # (rows, G, O/G)
            if bias is not None:
                rows += bias

        parallel(run, -(-n // nb))
        return out.reshape(n, ho, wo, o).transpose(0, 3, 1, 2)  # (N, O, Ho, Wo), channels-last memory

    def _im2col(self, start: int, stop: int) -> np.ndarray:
        """The (G, rows, KH*KW*C/G) patch matrix of images start..stop, in a reused buffer."""
        (ho, wo), (kh, kw), (sh, sw), (dh, dw), g = self.out_hw, self.kernel, self.stride, self.dilation, self.groups
        xh = self.xh[start:stop]  # (n, Hp, Wp, C)
        n, c = xh.shape[0], xh.shape[3]
        span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
        windows = sliding_window_view(xh, span, axis=(1, 2))[:, ::sh, ::sw, :, ::dh, ::dw]  # (n, Ho, Wo, C, KH, KW)
        buffer = workspace.empty("conv2d.cols", (g, self.chunk * ho * wo, kh * kw * c // g), xh.dtype)
        cols = buffer[:, : n * ho * wo]  # (G, rows, KH*KW*C/G)
        grouped = windows.reshape(n, ho, wo, g, c // g, kh, kw)  # split C into (G, C/G): a view
        target = cols.reshape(g, n, ho, wo, kh, kw, c // g)
        if kw * c // g >= 16:  # one copy, whose inner loop runs over a patch row's KW*C/G floats
            np.copyto(target, grouped.transpose(3, 0, 1, 2, 5, 6, 4))
        else:  # few channels (a first layer): one copy per kernel offset, inner loop along Wo
            for p in range(kh):
                for q in range(kw):
                    np.copyto(target[:, :, :, :, p, q], grouped[..., p, q].transpose(3, 0, 1, 2, 4))
        return cols

    def backward(self, grad):
        n, c, h, w = self.x_shape
        (ho, wo), (kh, kw), (ph, pw), g = self.out_hw, self.kernel, self.padding, self.groups
        o, cg, nb = grad.shape[1], c // g, self.chunk
        g2 = grad.transpose(0, 2, 3, 1).reshape(n * ho * wo, o)  # (N*Ho*Wo, O), free if channels-last
        need_x, need_w = self.inputs[0].requires_grad, self.inputs[1].requires_grad
        need_b = len(self.inputs) == 3 and self.inputs[2].requires_grad
        w2t = self.w2.transpose(0, 2, 1)  # (G, O/G, KH*KW*C/G)
        dxh = workspace.empty("conv2d.dx", self.xh.shape, grad.dtype) if need_x else None  # (N, Hp, Wp, C)

        def run(i: int) -> tuple:
            start, stop = i * nb, min(n, (i + 1) * nb)
            rows = g2[start * ho * wo : stop * ho * wo]  # (rows, O)
            grouped = rows.reshape(-1, g, o // g).transpose(1, 0, 2)  # (G, rows, O/G)
            gw = gb = None
            if need_w:
                cols = self._im2col(start, stop)  # recomputed: cheaper than keeping N*Ho*Wo patch rows
                gw = cols[0].T @ rows if g == 1 else np.matmul(cols.transpose(0, 2, 1), grouped)  # (G?, KH*KW*C/G, O/G)
            if need_b:
                gb = np.ones(len(rows), rows.dtype) @ rows  # a BLAS product: 8x faster than rows.sum(axis=0)
            if need_x:
                self._col2im(self._patch_gradients(rows, grouped, w2t), dxh[start:stop])
            return gw, gb

        results = parallel(run, -(-n // nb))
        gx = gw = gb = None
        if need_w:
            gw = np.zeros(self.w2.shape, grad.dtype)  # (G, KH*KW*C/G, O/G)
            for chunk_gw, _ in results:  # in chunk order: the same sum whatever the thread count
                gw += chunk_gw  # (G, KH*KW*C/G, O/G), broadcast from (KH*KW*C, O) when G = 1
            gw = gw.reshape(g, kh, kw, cg, o // g).transpose(0, 4, 3, 1, 2)  # (G, O/G, C/G, KH, KW)
            gw = np.ascontiguousarray(gw).reshape(o, cg, kh, kw)  # (O, C/G, KH, KW)
        if need_b:
            gb = np.zeros(o, grad.dtype)
            for _, chunk_gb in results:
                gb += chunk_gb
        if need_x:
            gx = dxh[:, ph : ph + h, pw : pw + w, :].transpose(0, 3, 1, 2)  # (N, C, H, W)
        return (gx, gw) if len(self.inputs) == 2 else (gx, gw, gb)

    def _patch_gradients(self, rows: np.ndarray, grouped: np.ndarray, w2t: np.ndarray) -> np.ndarray:
        """(KH*KW, rows, C): the gradient of each patch row's (p, q) entries, one contiguous block per offset.

        Adding a (rows, KH*KW*C) patch gradient's (p, q) columns straight into the image would
        run numpy's add over rows of C floats (slow: per-row overhead). Without groups one
        product per offset writes each block directly; with groups one copy rearranges them.
        """
        (ho, wo), (kh, kw), g = self.out_hw, self.kernel, self.groups
        c, m = w2t.shape[2] * g // (kh * kw), len(rows)
        blocks = workspace.empty("conv2d.col2im", (kh * kw, self.chunk * ho * wo, c), rows.dtype)[:, :m]
        if g == 1:
            per_offset = w2t[0].reshape(-1, kh * kw, c).transpose(1, 0, 2)  # (KH*KW, O, C): a view
            np.matmul(rows, per_offset, out=blocks)  # (rows, O) @ (KH*KW, O, C): one BLAS call per offset
            return blocks
        dcols = workspace.empty("conv2d.dcols", (g, self.chunk * ho * wo, kh * kw * c // g), rows.dtype)[:, :m]
        np.matmul(grouped, w2t, out=dcols)  # (G, rows, KH*KW*C/G)
        np.copyto(blocks.reshape(kh * kw, m, g, c // g), dcols.reshape(g, m, kh * kw, c // g).transpose(2, 1, 0, 3))
        return blocks

    def _col2im(self, blocks: np.ndarray, target: np.ndarray) -> None:
        """target (n, Hp, Wp, C) = the sum of the patch gradients blocks (KH*KW, n*Ho*Wo, C), each at its patch."""
        (ho, wo), (kh, kw), (dh, dw) = self.out_hw, self.kernel, self.dilation
        n, c = target.shape[0], target.shape[3]
        blocks = blocks.reshape(kh, kw, n, ho, wo, c)
        target[...] = 0
        for p in range(kh):
            for q in range(kw):
                window(target, p * dh, q * dw, self.out_hw, self.stride)[...] += blocks[p, q]


def check_input(x: Tensor, name: str, dims: int = 2) -> None:
    if x.ndim != dims + 2:
        raise RuntimeError(
            f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {name}, but got input of "
            f"size: {list(x.shape)}"
        )


def check_window(x: Tensor, kernel: tuple, padding: tuple, dilation: tuple = (1, 1)) -> None:
    padded = (x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1])
    span = (dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1)
    if padded[0] < span[0] or padded[1] < span[1]:
        raise RuntimeError(
            f"Calculated padded input size per channel: ({padded[0]} x {padded[1]}). "
            f"Kernel size: ({span[0]} x {span[1]}). Kernel size can't be greater than actual input size"
        )


def _check_conv_args(x: Tensor, weight: Tensor, groups: int) -> None:
    if groups < 1:
        raise RuntimeError(f"non-positive groups is not supported; got groups={groups}")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size {list(weight.shape)} instead")
    if weight.shape[1] * groups != x.shape[1]:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected input{list(x.shape)} "
            f"to have {weight.shape[1] * groups} channels, but got {x.shape[1]} channels instead"
        )


def _check_dtypes(x: Tensor, weight: Tensor, bias, dilation: tuple) -> None:
    """torch's dtype errors, in its order: the bias against the input, then the kernel's own
    dtypes (no bool; no int32 in the dilated kernel), then the weight against the input."""
    if bias is not None and bias.dtype != x.dtype:
        raise RuntimeError(f"Input type ({x.dtype}) and bias type ({bias.dtype}) should be the same; "
                           f"convert the bias, e.g. `bias.to(x.dtype)`")
    dilated = any(d != 1 for d in dilation)
    if x.dtype == bool:
        raise NotImplementedError(
            f'"{"slow_conv_dilated<>" if dilated else "slow_conv2d_cpu"}" not implemented for bool: convolution '
            f"does not take bool input (as torch); convert first, e.g. `x.float()` with `weight.float()`"
        )
    if dilated and x.dtype == np.int32:
        raise NotImplementedError(
            '"slow_conv_dilated<>" not implemented for int32: torch\'s dilated CPU convolution has no int32 '
            "version (its undilated one has); convert first, e.g. `x.long()` with `weight.long()`"
        )
    if weight.dtype != x.dtype:
        raise RuntimeError(f"Input type ({x.dtype}) and weight type ({weight.dtype}) should be the same; "
                           f"convert one, e.g. `weight.to(x.dtype)`")


def _same_padding(x: Tensor, kernel: tuple, stride: tuple, dilation: tuple) -> tuple:
    """torch's padding="same": (x padded by the odd extra on the right/bottom, symmetric padding)."""
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    total = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
    extra = [t % 2 for t in total]
    if any(extra):
        x = _pad(x, (0, extra[1], 0, extra[0]))  # F.pad order: last dim first
    return x, (total[0] // 2, total[1] // 2)


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-D cross-correlation, as torch.nn.functional.conv2d.

    Args:
        x: (N, C, H, W) or unbatched (C, H, W).
        weight: (O, C/groups, KH, KW); bias: (O,) or None.
        stride, padding, dilation: int or (h, w) pair; padding may also be "valid" or "same"
            (stride 1; an odd total padding puts the extra row/column at the bottom/right, as torch).
        groups: split the channels into groups convolved separately (groups=C: depthwise).

    Raises:
        RuntimeError: wrong input rank, dtype or channel mismatch, bad groups, a bad padding
            string, or a kernel larger than the padded input.
        NotImplementedError: bool input, or int32 input with dilation (torch's CPU kernels have
            no such version; integer inputs are otherwise computed in their dtype, as torch).
    """
    if x.ndim == 3:
        return conv2d(unsqueeze(x, 0), weight, bias, stride, padding, dilation, groups)[0]
    check_input(x, "conv2d")
    kernel, stride, dilation = weight.shape[2:], pair(stride), pair(dilation)
    _check_conv_args(x, weight, groups)
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise RuntimeError(f"Invalid padding string: '{padding}'; expected 'valid' or 'same'")
        padding = (0, 0) if padding == "valid" else None
        if padding is None:
            x, padding = _same_padding(x, kernel, stride, dilation)
    padding = pair(padding)
    check_window(x, kernel, padding, dilation)
    _check_dtypes(x, weight, bias, dilation)
    op = Conv2d(stride, padding, dilation, groups)
    return op(x, weight) if bias is None else op(x, weight, bias)


def _first(value) -> int:
    return value if isinstance(value, int) else value[0]


def conv1d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-D cross-correlation, as torch.nn.functional.conv1d (computed as conv2d with height 1).

    Shapes: x (N, C, L) or unbatched (C, L), weight (O, C/groups, K), bias (O,) -> (N, O, Lo).

    Raises:
        RuntimeError: as conv2d (input rank: 2-D or 3-D).
        NotImplementedError: as conv2d.
    """
    if x.ndim not in (2, 3):
        check_input(x, "conv1d", dims=1)
    if weight.ndim != 3:
        raise RuntimeError(f"conv1d expects a 3-D weight (out_channels, in_channels/groups, kernel); got shape "
                           f"{list(weight.shape)}")
    if not isinstance(padding, str):
        padding = (0, _first(padding))
    out = conv2d(unsqueeze(x, -2), unsqueeze(weight, 2), bias, (1, _first(stride)), padding,
                 (1, _first(dilation)), groups)  # (N, O, 1, Lo)
    return out.squeeze(-2)  # (N, O, Lo)
