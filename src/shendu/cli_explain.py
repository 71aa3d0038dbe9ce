"""`shendu explain neuron|activation|derivative|conv|pool|params`: small calculators that show
each step of the source documents' exercises (issue 17). They register on :data:`shendu.cli.app`
when `shendu.cli` imports this module; the calculators live in :mod:`shendu.lab.explain` and are
imported only when a command runs (torch only by those that check against it)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from shendu.cli import app, console, user_errors
from shendu.errors import ShenduError
from shendu.terminal import json_text

explain_app = typer.Typer(
    name="explain",
    help="Calculators that show every step: a neuron, an activation and its derivative, a convolution's or "
         "pooling's output, a model's parameter count.",
    no_args_is_help=True,
)
app.add_typer(explain_app, name="explain")

Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
Digits = Annotated[int, typer.Option(help="Decimals shown in the worked steps (JSON keeps every digit).")]
Check = Annotated[bool, typer.Option(help="Also compute it with torch and say whether the answers match.")]
MaxWindows = Annotated[int, typer.Option(help="Show at most this many windows' computations.")]
Size = Annotated[str | None, typer.Option(help="Input size: N (N x N) or HxW, e.g. 28x28; read from --image when "
                                               "given.")]
Padding = Annotated[str, typer.Option(help="Zeros added on each side: N or HxW.")]
Dilation = Annotated[str, typer.Option(help="Spacing between kernel positions: N or HxW (1: adjacent).")]
Image = Annotated[str | None, typer.Option(help="The input's numbers: rows separated by /, values by commas "
                                                "(1,2,3/4,5,6/7,8,9).")]


def _show(result: Any, as_json: bool, render: Any) -> None:
    if as_json:
        console.out(json_text(result.to_dict()), highlight=False)
    else:
        render()


def _digits(digits: int) -> int:
    if not 0 <= digits <= 15:
        raise ShenduError(f"--digits must be between 0 and 15; got {digits}.")
    return digits


def _fail_if_torch_differs(check: Any) -> None:
    if check is not None and not check.matches:
        raise typer.Exit(1)


@explain_app.command()
def neuron(
    inputs: Annotated[str, typer.Option(help="The inputs x, separated by commas (1,2,3).")],
    weights: Annotated[str, typer.Option(help="One weight per input (0.2,0.8,-0.5).")],
    bias: Annotated[float, typer.Option(help="The bias b.")] = 0.0,
    activation: Annotated[str, typer.Option(help="identity, sigmoid, tanh, relu, leaky_relu, gelu or softplus.")]
    = "identity",
    digits: Digits = 4,
    as_json: Json = False,
) -> None:
    """One neuron by hand: each x_i × w_i, their sum with the bias (z), then the activation of z."""
    from shendu.lab.explain import render
    from shendu.lab.explain.neuron import explain_neuron
    from shendu.lab.explain.numbers import parse_vector

    with user_errors():
        result = explain_neuron(parse_vector(inputs, "--inputs"), parse_vector(weights, "--weights"), bias,
                                activation, _digits(digits))
    _show(result, as_json, lambda: render.neuron(result, console, digits))


def _derivative(name: str, at: float, h: float, digits: int, as_json: bool, title: str | None) -> None:
    from shendu.lab.explain import render
    from shendu.lab.explain.activations import explain_derivative

    with user_errors():
        result = explain_derivative(name, at, h, _digits(digits))
    _show(result, as_json, lambda: render.derivative(result, console, digits, title))


Name = Annotated[str, typer.Argument(help="identity, sigmoid, tanh, relu, leaky_relu, gelu or softplus.")]
At = Annotated[float, typer.Option(help="The point x.")]
Step = Annotated[float, typer.Option("--h", help="The finite-difference step h.")]


@explain_app.command()
def activation(name: Name, at: At, h: Step = 1e-5, digits: Digits = 4, as_json: Json = False) -> None:
    """NAME's value at x with its formula filled in, and its derivative there."""
    _derivative(name, at, h, digits, as_json, None)


@explain_app.command()
def derivative(name: Name, at: At, h: Step = 1e-5, digits: Digits = 4, as_json: Json = False) -> None:
    """NAME's derivative at x: the analytic formula next to a central finite difference.

    The difference (f(x+h) - f(x-h)) / 2h and how far apart the two are; at a kink, torch's
    convention (relu'(0) = 0)."""
    from shendu.lab.explain.numbers import fmt

    _derivative(name, at, h, digits, as_json, f"derivative of {name} at x = {fmt(at, digits)}")


@explain_app.command()
def conv(
    size: Size = None,
    kernel: Annotated[str | None, typer.Option(help="Kernel size: N or HxW; read from --weights when given.")] = None,
    stride: Annotated[str, typer.Option(help="Step of the window: N or HxW.")] = "1",
    padding: Padding = "0",
    dilation: Dilation = "1",
    image: Image = None,
    weights: Annotated[str | None, typer.Option(help="The kernel's numbers, as --image (1,0/0,-1).")] = None,
    bias: Annotated[float, typer.Option(help="Added to every output (with --image).")] = 0.0,
    check: Check = True,
    max_windows: MaxWindows = 64,
    digits: Digits = 4,
    as_json: Json = False,
) -> None:
    """A convolution's output size and, given numbers, every window's products and sum.

    The output size floor((n + 2p - d(k-1) - 1)/s) + 1 with the numbers filled in; with --image
    and --weights every window, checked against torch.nn.functional.conv2d."""
    from shendu.lab.explain import render
    from shendu.lab.explain.conv import explain_conv
    from shendu.lab.explain.numbers import parse_matrix, parse_pair

    with user_errors():
        result = explain_conv(
            None if size is None else parse_pair(size, "--size", 1),
            None if kernel is None else parse_pair(kernel, "--kernel", 1),
            parse_pair(stride, "--stride", 1), parse_pair(padding, "--padding", 0),
            parse_pair(dilation, "--dilation", 1),
            None if image is None else parse_matrix(image, "--image"),
            None if weights is None else parse_matrix(weights, "--weights"), bias, check, _digits(digits))
    _show(result, as_json, lambda: render.conv(result, console, digits, max_windows))
    _fail_if_torch_differs(result.torch)


@explain_app.command()
def pool(
    size: Size = None,
    kernel: Annotated[str, typer.Option(help="Window size: N or HxW.")] = "2",
    stride: Annotated[str | None, typer.Option(help="Step of the window: N or HxW (default: the kernel size, "
                                                    "as torch).")] = None,
    padding: Padding = "0",
    dilation: Dilation = "1",
    mode: Annotated[str, typer.Option(help="max or avg.")] = "max",
    image: Image = None,
    check: Check = True,
    max_windows: MaxWindows = 64,
    digits: Digits = 4,
    as_json: Json = False,
) -> None:
    """Pooling's output size and, given numbers, every window's max or average.

    Checked against torch.nn.functional.max_pool2d / avg_pool2d."""
    from shendu.lab.explain import render
    from shendu.lab.explain.numbers import parse_matrix, parse_pair
    from shendu.lab.explain.pool import explain_pool

    with user_errors():
        result = explain_pool(
            None if size is None else parse_pair(size, "--size", 1), parse_pair(kernel, "--kernel", 1),
            None if stride is None else parse_pair(stride, "--stride", 1), parse_pair(padding, "--padding", 0),
            parse_pair(dilation, "--dilation", 1), mode.strip().lower(),
            None if image is None else parse_matrix(image, "--image"), check, _digits(digits))
    _show(result, as_json, lambda: render.pool(result, console, digits, max_windows))
    _fail_if_torch_differs(result.torch)


@explain_app.command()
def params(
    recipe: Annotated[str, typer.Argument(help="Recipe name (see `shendu list`).")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="Any recipe setting, KEY=VALUE (repeatable).")]
    = None,
    as_json: Json = False,
) -> None:
    """RECIPE's model's parameters counted layer by layer, checked against torch.

    Linear: in × out + out; Conv2d: c_in × c_out × k × k + c_out; ...; the total and trainable
    count next to torch's sum(p.numel()). No data is loaded."""
    from shendu.recipes import get_recipe
    from shendu.recipes.options import parse_sets

    with user_errors():
        the_recipe = get_recipe(recipe)
        settings = parse_sets(set_ or [], the_recipe.config_cls)
        from shendu.lab.explain import render
        from shendu.lab.explain.params import explain_params

        result = explain_params(the_recipe, settings)
    _show(result, as_json, lambda: render.params(result, console))
    if not result.matches:
        raise typer.Exit(1)
