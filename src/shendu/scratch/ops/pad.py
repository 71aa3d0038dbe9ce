"""`pad`: constant, reflect, replicate and circular padding, as torch.nn.functional.pad.

`pad` is (left, right) for the last dim, then (top, bottom) for the one before, and so on;
negative entries crop. Constant padding is two slice copies; the other modes gather with one
index map per padded dim (position in the output -> position in the input), so backward is
a scatter-add along each of those dims.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Function, Tensor

_NUMPY_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pairs(pad: tuple, ndim: int) -> list:
    """[(axis, before, after)] for the dims `pad` covers, last dim first."""
    return [(ndim - 1 - i, pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]


class ConstantPad(Function):
    """out = x surrounded by `value` (or cropped, for negative widths) along the padded dims."""

    __slots__ = ("pairs", "value", "in_slices", "out_slices", "x_shape")

    def __init__(self, pairs: list, value: float):
        self.pairs, self.value = pairs, value

    def forward(self, x):
        shape, in_slices, out_slices = list(x.shape), [slice(None)] * x.ndim, [slice(None)] * x.ndim
        for axis, before, after in self.pairs:
            size = x.shape[axis]
            shape[axis] = size + before + after
            kept = size - max(-before, 0) - max(-after, 0)
            in_slices[axis] = slice(max(-before, 0), max(-before, 0) + kept)
            out_slices[axis] = slice(max(before, 0), max(before, 0) + kept)
        self.in_slices, self.out_slices, self.x_shape = tuple(in_slices), tuple(out_slices), x.shape
        out = np.full(shape, self.value, x.dtype)
        out[self.out_slices] = x[self.in_slices]
        return out

    def backward(self, grad):
        gx = np.zeros(self.x_shape, grad.dtype)
        gx[self.in_slices] = grad[self.out_slices]
        return (gx,)


class IndexPad(Function):
    """out = x gathered along each padded axis by an index map (reflect, replicate, circular).

    `maps` is [(axis, indices)]: output position k along `axis` reads input position indices[k].
    """

    __slots__ = ("maps", "x_shape")

    def __init__(self, maps: list):
        self.maps = maps

    def forward(self, x):
        self.x_shape = x.shape
        for axis, indices in self.maps:
            x = np.take(x, indices, axis=axis)
        return x

    def backward(self, grad):
        shape = list(grad.shape)
        for axis, indices in reversed(self.maps):
            shape[axis] = self.x_shape[axis]
            gx = np.zeros(shape, grad.dtype)
            np.add.at(gx, (slice(None),) * axis + (indices,), grad)  # repeated sources sum
            grad = gx
        return (grad,)


def _index_map(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """Input position for every output position along one dim; negative widths crop."""
    full = np.pad(np.arange(size), (max(before, 0), max(after, 0)), mode=_NUMPY_MODES[mode])
    return full[max(-before, 0) : full.size - max(-after, 0)]


def _check_non_constant(x: Tensor, pad: tuple, mode: str) -> None:
    allowed = {2: (2, 3), 4: (3, 4), 6: (4, 5)}
    if x.ndim not in allowed.get(len(pad), ()):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {x.ndim}D input tensor. Supported combinations for "
            "non-constant padding: 2D or 3D input with padding size 2 (pads the last dim), 3D or 4D input with "
            "padding size 4 (the last 2 dims), 4D or 5D input with padding size 6 (the last 3 dims)"
        )
    for axis, before, after in _pairs(pad, x.ndim):
        size = x.shape[axis]
        if mode == "reflect" and (before >= size or after >= size):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input dimension, but got: "
                f"padding ({before}, {after}) at dimension {axis} of input {list(x.shape)}"
            )
        if mode == "circular" and (before > size or after > size):
            raise RuntimeError(f"Padding value causes wrapping around more than once: padding ({before}, {after}) "
                               f"at dimension {axis} of size {size}")
        if size == 0:
            raise RuntimeError(f"{mode} padding needs non-empty padded dims; got input of shape {list(x.shape)}")
        if size + before + after < 1:
            raise RuntimeError(f"input ({size} at dimension {axis}) is too small: padding ({before}, {after}) gives "
                               f"an output of size {size + before + after}; it must be >= 1")


def pad(x: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad (or, with negative widths, crop) the trailing dims of x, as torch.nn.functional.pad.

    Args:
        x: any shape; modes other than "constant" pad the last 1-3 dims of (N, C, *) or (C, *).
        pad: (left, right[, top, bottom[, front, back]]), the last dim's pair first.
        mode: "constant", "reflect" (mirror without repeating the edge), "replicate" (repeat the
            edge) or "circular" (wrap around).
        value: the fill for "constant" (0 when None).

    Raises:
        RuntimeError: an odd or too long `pad`, a value with a non-constant mode, a reflect width
            >= the dim, a circular width > the dim, a crop past the whole dim.
        NotImplementedError: an unknown mode, or a pad length the mode does not support for x's rank.
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError(f"Padding length must be divisible by 2; got pad={list(pad)}")
    if len(pad) > 2 * x.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {x.ndim}")
    if mode == "constant":
        for axis, before, after in _pairs(pad, x.ndim):
            if x.shape[axis] + min(before, 0) + min(after, 0) < 0:  # torch crops before it pads
                raise RuntimeError(f"narrow(): length must be non-negative; padding ({before}, {after}) crops more "
                                   f"than dimension {axis} of size {x.shape[axis]}")
        return ConstantPad(_pairs(pad, x.ndim), 0 if value is None else value)(x)
    if mode not in _NUMPY_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}; expected one of constant, reflect, "
                                  "replicate, circular")
    if value is not None and value != 0:  # torch lets value=0 through with any mode
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument; got value={value}')
    if x.data.dtype == np.bool_ and mode != "circular":  # torch's circular pad copies slices: bool works
        raise NotImplementedError(f'"{mode}" padding is not implemented for bool tensors, as in torch; pad .long() '
                                  f"or .float() values")
    _check_non_constant(x, pad, mode)
    maps = [(axis, _index_map(x.shape[axis], before, after, mode)) for axis, before, after in _pairs(pad, x.ndim)]
    return IndexPad(maps)(x)
