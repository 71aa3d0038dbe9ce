"""What convolution and pooling share: a window of k×k positions (spaced d apart) that slides
with stride s over an input padded by p on each side, and the size of what comes out,

    out = floor((n + 2p - d(k - 1) - 1) / s) + 1

(the formula of ``torch.nn.Conv2d`` and ``torch.nn.MaxPool2d``'s docs, per side; ``AvgPool2d``'s is
the same with d = 1). Each function checks what torch checks, with a message that says how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass

from shendu.lab.explain.numbers import Pair, ShapeError, pair_text, shape_text

OUTPUT_SIZE_FORMULA = "floor((n + 2p - d(k - 1) - 1) / s) + 1"
AXES = ("height", "width")


@dataclass(frozen=True)
class SizeSteps:
    """The output-size formula for one side, with its numbers filled in."""

    axis: str
    size: int
    kernel: int
    stride: int
    padding: int
    dilation: int
    output: int
    steps: str


def output_size(size: int, kernel: int, stride: int, padding: int = 0, dilation: int = 1) -> int:
    """Positions of the window along one side (``ceil_mode=False``, as torch's default)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def size_steps(size: Pair, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair) -> list[SizeSteps]:
    """The formula filled in for height and width."""
    out = []
    for axis, n, k, s, p, d in zip(AXES, size, kernel, stride, padding, dilation, strict=True):
        numerator = n + 2 * p - d * (k - 1) - 1
        result = output_size(n, k, s, p, d)
        steps = (f"floor(({n} + 2×{p} - {d}×({k} - 1) - 1) / {s}) + 1 = floor({numerator} / {s}) + 1 "
                 f"= {numerator // s} + 1 = {result}")
        out.append(SizeSteps(axis, n, k, s, p, d, result, steps))
    return out


def check_fits(size: Pair, kernel: Pair, padding: Pair, dilation: Pair, kernel_option: str = "--kernel") -> None:
    """Raise unless the (dilated) kernel fits inside the padded input, as torch requires
    ("Kernel size can't be greater than actual input size")."""
    padded = tuple(n + 2 * p for n, p in zip(size, padding, strict=True))
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
    if all(span <= n for span, n in zip(spans, padded, strict=True)):
        return
    dilated = f" (dilation {pair_text(dilation)} spreads it over {shape_text(spans)})" if max(dilation) > 1 else ""
    need = tuple(max(0, -(-(span - n) // 2)) for span, n in zip(spans, size, strict=True))
    largest = tuple((n - 1) // d + 1 for n, d in zip(padded, dilation, strict=True))
    raise ShapeError(
        f"the kernel does not fit the input: expected a kernel no larger than the padded input, "
        f"{shape_text(padded)} (input {shape_text(size)} plus --padding {pair_text(padding)} on each side); got "
        f"{kernel_option} {shape_text(kernel)}{dilated}. Use a kernel of at most {shape_text(largest)}, or pad the "
        f"input with --padding {pair_text(need)} or more (torch: \"Kernel size can't be greater than actual input "
        f"size\").")


def pad(image: list[list[float]], padding: Pair, fill: float) -> list[list[float]]:
    """``image`` with ``padding`` rows above and below and columns left and right of ``fill``."""
    ph, pw = padding
    width = len(image[0]) + 2 * pw
    rows = [[fill] * pw + list(row) + [fill] * pw for row in image]
    return [[fill] * width for _ in range(ph)] + rows + [[fill] * width for _ in range(ph)]


def window(padded: list[list[float]], row: int, col: int, kernel: Pair, stride: Pair, dilation: Pair
           ) -> tuple[list[tuple[int, int]], list[float]]:
    """The positions (in the padded input) and values under the window of output (row, col),
    kernel row by kernel row."""
    positions = [(row * stride[0] + a * dilation[0], col * stride[1] + b * dilation[1])
                 for a in range(kernel[0]) for b in range(kernel[1])]
    return positions, [padded[r][c] for r, c in positions]


@dataclass(frozen=True)
class TorchCheck:
    """What torch computed for the same input: its output shape, and the largest difference from
    this calculator's output (None when only the shape was checked)."""

    function: str
    shape: Pair
    max_difference: float | None
    matches: bool


def shape_of(matrix: list[list[float]]) -> Pair:
    return len(matrix), len(matrix[0])
