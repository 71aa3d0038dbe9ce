"""Conv1d and Conv2d layers (stride, padding, dilation, groups, padding_mode), torch's parameters."""

from __future__ import annotations

import math

import numpy as np

from ..ops.conv import conv1d, conv2d
from ..ops.pad import pad
from . import init
from .module import Module, Parameter

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """Shared by Conv1d and Conv2d: parameters, checks, init, padding modes.

    Weights start as kaiming_uniform_(a=sqrt(5)) with fan_in = in_channels / groups * prod(kernel),
    and the bias as U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as torch.
    """

    dims = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", dtype=None):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {set(_PADDING_MODES)}, but got padding_mode='{padding_mode}'")
        tup = self._tuple
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.dilation = tup(kernel_size), tup(stride), tup(dilation)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Invalid padding string '{padding}', should be one of ('valid', 'same')")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = tup(padding)
        self.padding_mode = padding_mode
        dtype = dtype or np.float32
        self.weight = Parameter(np.empty((out_channels, in_channels // groups, *self.kernel_size), dtype))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _tuple(self, value) -> tuple:
        return (value,) * self.dims if isinstance(value, int) else tuple(value)

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in else 0
            init.uniform_(self.bias, -bound, bound)

    def _explicit_padding(self, x):
        """(x, padding for the conv op): non-zero padding modes pad first, like torch."""
        if self.padding_mode == "zeros":
            return x, self.padding
        if self.padding == "same":
            total = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation, strict=True)]
            widths = [(t // 2, t - t // 2) for t in total]
        elif self.padding == "valid":
            widths = [(0, 0)] * self.dims
        else:
            widths = [(p, p) for p in self.padding]
        flat = tuple(w for pair_ in reversed(widths) for w in pair_)  # F.pad order: last dim first
        return pad(x, flat, mode=self.padding_mode), 0

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")
        if self.dilation != (1,) * self.dims:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv2d(_ConvNd):
    """2-D cross-correlation with a learned (out, in / groups, kh, kw) kernel.

    Shapes: x (N, in_channels, H, W) -> (N, out_channels, Ho, Wo),
    Ho = (H + 2 padding - dilation (kernel - 1) - 1) // stride + 1.
    """

    dims = 2

    def forward(self, x):
        x, padding = self._explicit_padding(x)
        return conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-D cross-correlation with a learned (out, in / groups, k) kernel.

    Shapes: x (N, in_channels, L) -> (N, out_channels, Lo),
    Lo = (L + 2 padding - dilation (kernel - 1) - 1) // stride + 1.
    """

    dims = 1

    def forward(self, x):
        x, padding = self._explicit_padding(x)
        return conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


__all__ = ["Conv1d", "Conv2d"]
