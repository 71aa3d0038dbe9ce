"""A 2-D convolution by hand: its output size, and given numbers, every window's products and sum.

Deep learning's "convolution" (``torch.nn.Conv2d``) is a cross-correlation: the kernel slides over
the input unflipped, and each output is sum(window × kernel) + bias. The documents' exercise,
a 3x3 image 1..9 and the 2x2 kernel (1, 0 / 0, -1), gives a 2x2 output of -4s.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from shendu.lab.explain.numbers import ExplainError, Pair, fmt, paren, shape_text, signed_sum
from shendu.lab.explain.windows import (
    OUTPUT_SIZE_FORMULA,
    SizeSteps,
    TorchCheck,
    check_fits,
    pad,
    shape_of,
    size_steps,
    window,
)


@dataclass(frozen=True)
class ConvWindow:
    """One output value: the input under the window, its products with the kernel, their sum."""

    row: int
    col: int
    positions: list[tuple[int, int]]
    values: list[float]
    products: list[float]
    output: float
    steps: str


@dataclass(frozen=True)
class ConvExplanation:
    """The output-size formula per side and, given numbers, each window and the output matrix,
    with torch's answer to the same question (``torch``: None when the check was skipped)."""

    size: Pair
    kernel: Pair
    stride: Pair
    padding: Pair
    dilation: Pair
    formula: str
    sides: list[SizeSteps]
    output_shape: Pair
    image: list[list[float]] | None
    weights: list[list[float]] | None
    bias: float
    padded: list[list[float]] | None
    windows: list[ConvWindow]
    output: list[list[float]] | None
    torch: TorchCheck | None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def resolve_shape(given: Pair | None, matrix: list[list[float]] | None, option: str, matrix_option: str) -> Pair:
    """A size taken from the numbers when they are given (and then ``given`` must agree)."""
    if matrix is None:
        if given is None:
            raise ExplainError(f"{option} is needed (e.g. {option} 3 or {option} 28x28), or the numbers themselves "
                               f"with {matrix_option}; got neither.")
        return given
    shape = shape_of(matrix)
    if given is not None and given != shape:
        raise ExplainError(f"{option} {shape_text(given)} disagrees with {matrix_option}, which is {shape_text(shape)}; "
                           f"leave {option} out when giving {matrix_option} (its size is read from the numbers).")
    return shape


def explain_conv(size: Pair | None = None, kernel: Pair | None = None, stride: Pair = (1, 1),
                 padding: Pair = (0, 0), dilation: Pair = (1, 1), image: list[list[float]] | None = None,
                 weights: list[list[float]] | None = None, bias: float = 0.0, check: bool = True,
                 digits: int = 4) -> ConvExplanation:
    """A one-channel ``conv2d`` explained (zero padding, as ``padding_mode="zeros"``).

    Args:
        size: the input's (height, width); read from ``image`` when that is given.
        kernel: the kernel's (height, width); read from ``weights`` when that is given.
        image, weights: the numbers, rows of equal length; both or neither for the products.
        check: also ask torch (``torch.nn.functional.conv2d``, float64) for the same output.

    Raises:
        ShapeError: a kernel larger than the padded input (as torch's RuntimeError).
        ExplainError: sizes that disagree with the numbers, or an image without weights.
    """
    if not math.isfinite(bias):
        raise ExplainError(f"--bias takes a finite number; got {bias}. Give an ordinary number (e.g. 0.5).")
    if image is not None and weights is None:
        raise ExplainError("--image needs --weights, the kernel's numbers (e.g. --weights 1,0/0,-1), to compute the "
                           "windows; got --image alone. Add --weights, or give only --size for the output size.")
    size = resolve_shape(size, image, "--size", "--image")
    kernel = resolve_shape(kernel, weights, "--kernel", "--weights")
    check_fits(size, kernel, padding, dilation)
    sides = size_steps(size, kernel, stride, padding, dilation)
    output_shape = (sides[0].output, sides[1].output)
    padded, windows, output = None, [], None
    if image is not None and weights is not None:
        padded = pad(image, padding, 0.0)
        flat_weights = [w for row in weights for w in row]
        output = []
        for i in range(output_shape[0]):
            output.append([])
            for j in range(output_shape[1]):
                positions, values = window(padded, i, j, kernel, stride, dilation)
                products = [v * w for v, w in zip(values, flat_weights, strict=True)]
                total = sum(products) + bias
                terms = " + ".join(f"{paren(v, digits)}×{paren(w, digits)}"
                                   for v, w in zip(values, flat_weights, strict=True))
                steps = f"{terms} = {signed_sum([*products, bias] if bias else products, digits)} = {fmt(total, digits)}"
                windows.append(ConvWindow(i, j, positions, values, products, total, steps))
                output[-1].append(total)
    torch = None
    if check:
        from shendu.lab.explain.torch_check import check_conv2d

        torch = check_conv2d(size, kernel, stride, padding, dilation, output_shape, image, weights, bias, output)
    return ConvExplanation(size, kernel, stride, padding, dilation, OUTPUT_SIZE_FORMULA, sides, output_shape, image,
                           weights, bias, padded, windows, output, torch)
