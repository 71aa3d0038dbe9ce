"""The explanations as a person reads them on a terminal: rich tables and the formulas filled in.
Each function takes an explanation from this package and a ``rich`` console; nothing here computes."""

from __future__ import annotations

from rich import box
from rich.columns import Columns
from rich.console import Console
from rich.table import Table

from shendu.lab.explain.activations import DerivativeExplanation
from shendu.lab.explain.conv import ConvExplanation
from shendu.lab.explain.neuron import NeuronExplanation
from shendu.lab.explain.numbers import fmt, pair_text, shape_text
from shendu.lab.explain.params import ParamsExplanation
from shendu.lab.explain.pool import PoolExplanation
from shendu.lab.explain.windows import SizeSteps, TorchCheck
from shendu.terminal import safe_text

AGREE = 1e-6
"""A central difference with h = 1e-5 is within ~1e-10 of a smooth derivative in float64."""


def neuron(e: NeuronExplanation, console: Console, digits: int = 4) -> None:
    console.print("[bold]one neuron[/]: z = x · w + b = Σ x_i × w_i + b, then a = activation(z)", highlight=False)
    table = Table()
    for column in ("i", "x_i", "w_i", "x_i × w_i"):
        table.add_column(column, justify="right")
    for i, (x, w, steps) in enumerate(zip(e.inputs, e.weights, e.products_steps, strict=True), 1):
        table.add_row(str(i), fmt(x, digits), fmt(w, digits), steps)
    console.print(table)
    console.print(f"z = {' + '.join(f'x{i}×w{i}' for i in range(1, len(e.inputs) + 1))} + b = {e.z_steps}")
    console.print(f"{e.activation}: {e.formula}")
    console.print(f"a = {e.activation}({fmt(e.z, digits)}) = {e.activation_steps}", highlight=False)


def derivative(e: DerivativeExplanation, console: Console, digits: int = 4, title: str | None = None) -> None:
    x = fmt(e.x, digits)
    table = Table(title=title or f"{e.activation} at x = {x} (as {e.torch_name})", title_justify="left",
                  show_header=False, box=box.SIMPLE)
    table.add_column("what", style="bold")
    table.add_column("formula")
    table.add_column("at x")
    table.add_row("value", e.formula, e.value_steps)
    table.add_row("derivative", e.derivative_formula, e.derivative_steps)
    table.add_row("finite difference", f"(f(x + h) - f(x - h)) / 2h, h = {e.h:g}",
                  f"({e.f_plus:.10g} - {_paren10(e.f_minus)}) / {2 * e.h:g} = {fmt(e.finite_difference, digits)}")
    verdict = ("[green]they agree[/]" if e.difference <= AGREE
               else "[yellow]they differ: x is at the kink[/]" if e.at_kink else "[red]they differ[/]")
    table.add_row("difference", "|derivative - finite difference|", f"{e.difference:.3g}: {verdict}")
    console.print(table, highlight=False)
    if e.note:
        console.print(e.note, highlight=False)


def _paren10(value: float) -> str:
    return f"({value:.10g})" if value < 0 else f"{value:.10g}"


def matrix(values: list[list[float]], title: str, digits: int = 4) -> Table:
    table = Table(title=title, show_header=False, box=box.SQUARE, padding=(0, 1))
    for _ in values[0]:
        table.add_column(justify="right")
    for row in values:
        table.add_row(*(fmt(v, digits) for v in row))
    return table


def _sides(sides: list[SizeSteps], console: Console, formula: str) -> None:
    console.print(f"output size per side: out = {formula}  (n input, k kernel, s stride, p padding, d dilation)",
                  highlight=False)
    height, width = sides
    same = (height.size, height.kernel, height.stride, height.padding, height.dilation) == (
        width.size, width.kernel, width.stride, width.padding, width.dilation)
    for side in (sides[:1] if same else sides):
        console.print(f"  {'height = width' if same else side.axis}: {side.steps}", highlight=False)


def _torch(check: TorchCheck | None, console: Console, shape: tuple[int, int], values: bool) -> None:
    if check is None:
        return
    if not check.matches:
        what = (f"a {shape_text(check.shape)} output, not {shape_text(shape)}" if check.shape != shape
                else f"values up to {check.max_difference:.3g} apart")
        console.print(f"[bold red]differs from torch[/]: {check.function} gives {what}.", highlight=False)
    elif values:
        console.print(f"[green]matches torch[/]: {check.function} gives the same {shape_text(check.shape)} output "
                      f"(largest difference {check.max_difference:.3g}).", highlight=False)
    else:
        console.print(f"[green]matches torch[/]: {check.function} gives a {shape_text(check.shape)} output too.",
                      highlight=False)


def _windows(rows: list[tuple[str, str, str]], console: Console, max_windows: int, padded: bool) -> None:
    table = Table(title="every window", title_justify="left")
    for column in ("output", f"window (rows; cols{' of the padded input' if padded else ''})", "computation"):
        table.add_column(column, overflow="fold")
    for row in rows[:max_windows]:
        table.add_row(*row)
    console.print(table, highlight=False)
    if len(rows) > max_windows:
        console.print(f"… and {len(rows) - max_windows} more windows (--max-windows {len(rows)} shows all).")


def _span(positions: list[tuple[int, int]]) -> str:
    rows = sorted({r for r, _ in positions})
    cols = sorted({c for _, c in positions})
    return f"rows {','.join(map(str, rows))}; cols {','.join(map(str, cols))}"


def conv(e: ConvExplanation, console: Console, digits: int = 4, max_windows: int = 64) -> None:
    console.print(f"[bold]conv2d[/]: input {shape_text(e.size)}, kernel {shape_text(e.kernel)}, stride "
                  f"{pair_text(e.stride)}, padding {pair_text(e.padding)}, dilation {pair_text(e.dilation)}",
                  highlight=False)
    _sides(e.sides, console, e.formula)
    console.print(f"output: [bold]{shape_text(e.output_shape)}[/] (height x width)", highlight=False)
    if e.output is not None and e.image is not None and e.weights is not None and e.padded is not None:
        pictures = [matrix(e.image, "image", digits), matrix(e.weights, "kernel", digits)]
        if e.padded is not e.image and max(e.padding) > 0:
            pictures.append(matrix(e.padded, "image, zero-padded", digits))
        console.print(Columns(pictures))
        console.print("Each output is the sum of the window's values times the kernel's (torch's conv2d is a "
                      "cross-correlation: the kernel is not flipped)" + (f", plus the bias {fmt(e.bias, digits)}."
                                                                          if e.bias else "."), highlight=False)
        _windows([(f"({w.row},{w.col})", _span(w.positions), w.steps) for w in e.windows], console, max_windows,
                 max(e.padding) > 0)
        console.print(matrix(e.output, "output", digits))
    _torch(e.torch, console, e.output_shape, e.output is not None)


def pool(e: PoolExplanation, console: Console, digits: int = 4, max_windows: int = 64) -> None:
    console.print(f"[bold]{e.mode}_pool2d[/]: input {shape_text(e.size)}, kernel {shape_text(e.kernel)}, stride "
                  f"{pair_text(e.stride)}, padding {pair_text(e.padding)}"
                  + (f", dilation {pair_text(e.dilation)}" if e.mode == "max" else ""), highlight=False)
    _sides(e.sides, console, e.formula)
    console.print(f"output: [bold]{shape_text(e.output_shape)}[/] (height x width)", highlight=False)
    if e.output is not None and e.image is not None and e.padded is not None:
        pictures = [matrix(e.image, "image", digits)]
        if max(e.padding) > 0:
            fill = "-inf (never the max)" if e.mode == "max" else "0 (counted in the average)"
            pictures.append(matrix(e.padded, f"padded with {fill}", digits))
        console.print(Columns(pictures))
        _windows([(f"({w.row},{w.col})", _span(w.positions), w.steps) for w in e.windows], console, max_windows,
                 max(e.padding) > 0)
        console.print(matrix(e.output, "output", digits))
    _torch(e.torch, console, e.output_shape, e.output is not None)


def params(e: ParamsExplanation, console: Console) -> None:
    table = Table(title=f"{e.recipe}: {e.factory}", title_justify="left")
    for column in ("layer", "type", "formula", "arithmetic"):
        table.add_column(column, overflow="fold")
    for column in ("parameters", "trainable"):
        table.add_column(column, justify="right")
    for row in e.layers:
        count = f"{row.count:,}" if row.count == row.numel else f"[red]{row.count:,} (torch: {row.numel:,})[/]"
        shared = f" (shares {', '.join(row.shared)})" if row.shared else ""
        table.add_row(safe_text(row.name) + shared, row.type, row.formula, row.arithmetic, count, f"{row.trainable:,}")
    console.print(table, highlight=False)
    verdict = "[green]matches torch[/]" if e.matches else "[bold red]differs from torch[/]"
    console.print(f"total {e.total:,} parameters ({e.trainable:,} trainable); torch's sum(p.numel() for p in "
                  f"model.parameters()) = {e.numel:,}: {verdict}", highlight=False)
    if e.settings:
        console.print("settings: " + ", ".join(f"--set {k}={safe_text(v)}" for k, v in e.settings.items()),
                      highlight=False)
    if e.data_defaults:
        shown = ", ".join(f"{k}={safe_text(v)}" for k, v in e.data_defaults.items())
        console.print(f"built without loading data: {shown} come from the data when training; here they take the "
                      "recipe's documented defaults, so a model trained on other data may count differently.",
                      highlight=False)
