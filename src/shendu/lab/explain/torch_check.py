"""The same window computations done by torch, the independent reference the calculators print
next to their own answer. torch is imported here only, when a check runs."""

from __future__ import annotations

from typing import Any

from shendu.lab.explain.numbers import Pair
from shendu.lab.explain.windows import TorchCheck


def _functional(name: str) -> Any:
    import torch.nn.functional as F  # noqa: N812 - torch's own spelling

    return getattr(F, name)


def _compare(function: str, result: Any, expected: Pair, mine: list[list[float]] | None) -> TorchCheck:
    """torch's ``result`` against the expected output shape and, when given, the values ``mine``."""
    shape = (int(result.shape[-2]), int(result.shape[-1]))
    if mine is None or shape != expected:
        return TorchCheck(function, shape, None, shape == expected)
    theirs = result[0, 0].tolist()
    difference = max(abs(a - b) for row, other in zip(mine, theirs, strict=True)
                     for a, b in zip(row, other, strict=True))
    return TorchCheck(function, shape, difference, difference <= 1e-9 * max(1.0, *(abs(v) for r in mine for v in r)))


def _input(image: list[list[float]] | None, size: Pair) -> Any:
    import torch

    if image is None:  # shapes only: a meta tensor computes them without memory or arithmetic
        return torch.empty(1, 1, *size, device="meta", dtype=torch.float64)
    return torch.tensor(image, dtype=torch.float64)[None, None]  # (N=1, C=1, H, W)


def check_conv2d(size: Pair, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, expected: Pair,
                 image: list[list[float]] | None = None, weights: list[list[float]] | None = None,
                 bias: float = 0.0, output: list[list[float]] | None = None) -> TorchCheck:
    """``torch.nn.functional.conv2d`` on one channel in float64, compared with ``output``."""
    import torch

    x = _input(image, size)
    if weights is None:
        w = torch.empty(1, 1, *kernel, device="meta", dtype=torch.float64)
        b = None
    else:
        w = torch.tensor(weights, dtype=torch.float64)[None, None]  # (C_out=1, C_in=1, kH, kW)
        b = torch.tensor([bias], dtype=torch.float64)
    if (x.device.type == "meta") != (w.device.type == "meta"):
        x, w, b = x.to("meta"), w.to("meta"), None if b is None else b.to("meta")
    result = _functional("conv2d")(x, w, b, stride=stride, padding=padding, dilation=dilation)
    return _compare("torch.nn.functional.conv2d", result, expected, output if image is not None and weights is not None
                    else None)


def check_pool2d(mode: str, size: Pair, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
                 expected: Pair, image: list[list[float]] | None = None,
                 output: list[list[float]] | None = None) -> TorchCheck:
    """``torch.nn.functional.max_pool2d`` / ``avg_pool2d`` (count_include_pad=True) in float64."""
    x = _input(image, size)
    if mode == "max":
        result = _functional("max_pool2d")(x, kernel, stride, padding=padding, dilation=dilation)
    else:
        result = _functional("avg_pool2d")(x, kernel, stride, padding=padding)
    return _compare(f"torch.nn.functional.{mode}_pool2d", result, expected, output if image is not None else None)
