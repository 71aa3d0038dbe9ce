"""2-D pooling by hand: the output size, and given numbers, every window's max or average.

As ``torch.nn.MaxPool2d`` / ``AvgPool2d`` with their defaults: the stride defaults to the kernel
size, max pooling pads with -inf (padding never wins), average pooling pads with zeros that
count in the average (``count_include_pad=True``), and padding may be at most half the kernel.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from shendu.lab.explain.conv import resolve_shape
from shendu.lab.explain.numbers import (
    ExplainError,
    Pair,
    ShapeError,
    fmt,
    pair_text,
    shape_text,
    signed_sum,
)
from shendu.lab.explain.windows import (
    OUTPUT_SIZE_FORMULA,
    SizeSteps,
    TorchCheck,
    check_fits,
    pad,
    size_steps,
    window,
)

MODES = ("max", "avg")


@dataclass(frozen=True)
class PoolWindow:
    """One output value: the input under the window and its max or average."""

    row: int
    col: int
    positions: list[tuple[int, int]]
    values: list[float]
    output: float
    steps: str


@dataclass(frozen=True)
class PoolExplanation:
    """The output-size formula per side and, given numbers, each window and the output matrix."""

    mode: str
    size: Pair
    kernel: Pair
    stride: Pair
    padding: Pair
    dilation: Pair
    formula: str
    sides: list[SizeSteps]
    output_shape: Pair
    image: list[list[float]] | None
    padded: list[list[float]] | None
    windows: list[PoolWindow]
    output: list[list[float]] | None
    torch: TorchCheck | None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def check_pool(mode: str, kernel: Pair, padding: Pair, dilation: Pair) -> None:
    """What torch's pooling refuses before any size: a mode it lacks, a dilated average, and
    padding over half the kernel ("pad should be at most half of effective kernel size")."""
    if mode not in MODES:
        raise ExplainError(f"--mode must be max or avg; got {mode!r}.")
    if mode == "avg" and dilation != (1, 1):
        raise ShapeError(f"average pooling has no dilation (torch.nn.AvgPool2d takes none); got --dilation "
                         f"{pair_text(dilation)}. Leave --dilation out, or use --mode max.")
    half = (kernel[0] // 2, kernel[1] // 2)
    if padding[0] > half[0] or padding[1] > half[1]:
        raise ShapeError(f"pooling pads at most half the kernel on each side: expected --padding of at most "
                         f"{pair_text(half)} for --kernel {shape_text(kernel)}, got {pair_text(padding)} (a window "
                         f"could then cover padding only). Use --padding {pair_text(half)} or less, or a larger "
                         "--kernel (torch: \"pad should be at most half of effective kernel size\").")


def explain_pool(size: Pair | None = None, kernel: Pair | None = None, stride: Pair | None = None,
                 padding: Pair = (0, 0), dilation: Pair = (1, 1), mode: str = "max",
                 image: list[list[float]] | None = None, check: bool = True, digits: int = 4) -> PoolExplanation:
    """One-channel ``max_pool2d`` / ``avg_pool2d`` explained.

    Args:
        size: the input's (height, width); read from ``image`` when that is given.
        stride: defaults to ``kernel``, as in torch.
        check: also ask torch (float64) for the same output.

    Raises:
        ShapeError: padding over half the kernel, a kernel larger than the padded input, a dilated
            average (torch raises RuntimeError for each).
        ExplainError: an unknown mode, no kernel, or --size disagreeing with --image.
    """
    size = resolve_shape(size, image, "--size", "--image")
    if kernel is None:
        raise ExplainError("--kernel is needed: the pooling window's size (e.g. --kernel 2); got none.")
    stride = kernel if stride is None else stride
    check_pool(mode, kernel, padding, dilation)
    check_fits(size, kernel, padding, dilation)
    sides = size_steps(size, kernel, stride, padding, dilation)
    output_shape = (sides[0].output, sides[1].output)
    padded, windows, output = None, [], None
    if image is not None:
        padded = pad(image, padding, float("-inf") if mode == "max" else 0.0)
        output = []
        for i in range(output_shape[0]):
            output.append([])
            for j in range(output_shape[1]):
                positions, values = window(padded, i, j, kernel, stride, dilation)
                shown = ", ".join(fmt(v, digits) for v in values)
                if mode == "max":
                    result = max(values)
                    steps = f"max({shown}) = {fmt(result, digits)}"
                else:
                    result = sum(values) / len(values)
                    steps = f"({signed_sum(values, digits)}) / {len(values)} = {fmt(result, digits)}"
                windows.append(PoolWindow(i, j, positions, values, result, steps))
                output[-1].append(result)
    torch = None
    if check:
        from shendu.lab.explain.torch_check import check_pool2d

        torch = check_pool2d(mode, size, kernel, stride, padding, dilation, output_shape, image, output)
    return PoolExplanation(mode, size, kernel, stride, padding, dilation, OUTPUT_SIZE_FORMULA, sides, output_shape,
                           image, padded, windows, output, torch)
