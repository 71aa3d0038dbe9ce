"""One neuron by hand: z = w·x + b, then a = activation(z) (the documents' first exercise:
inputs (1, 2, 3), weights (0.2, 0.8, -0.5), bias 2 give z = 0.2 + 1.6 - 1.5 + 2 = 2.3 and
sigmoid(2.3) = 0.9089). torch computes the same with ``torch.nn.Linear(3, 1)`` and an activation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from shendu.lab.explain.activations import get_activation
from shendu.lab.explain.numbers import ExplainError, fmt, paren, signed_sum


@dataclass(frozen=True)
class NeuronExplanation:
    """Every step of one neuron: the products x_i·w_i, their sum with the bias, the activation."""

    inputs: list[float]
    weights: list[float]
    bias: float
    products: list[float]
    products_steps: list[str]
    z: float
    z_steps: str
    activation: str
    formula: str
    activation_steps: str
    output: float

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def explain_neuron(inputs: Sequence[float], weights: Sequence[float], bias: float = 0.0,
                   activation: str = "identity", digits: int = 4) -> NeuronExplanation:
    """The output of one neuron, step by step (formulas filled in with ``digits`` decimals).

    Raises:
        ExplainError: ``weights`` not one per input, no inputs, or an unknown activation.
    """
    function = get_activation(activation)
    if not math.isfinite(bias):
        raise ExplainError(f"--bias takes a finite number; got {bias}. Give an ordinary number (e.g. 2).")
    if not inputs:
        raise ExplainError("--inputs needs at least one number (e.g. 1,2,3); got none.")
    if len(weights) != len(inputs):
        raise ExplainError(f"--weights needs one weight per input: expected {len(inputs)} numbers (--inputs has "
                           f"{len(inputs)}), got {len(weights)}. Give as many weights as inputs.")
    products = [x * w for x, w in zip(inputs, weights, strict=True)]
    products_steps = [f"{paren(x, digits)} × {paren(w, digits)} = {fmt(p, digits)}"
                      for x, w, p in zip(inputs, weights, products, strict=True)]
    z = sum(products) + bias
    z_steps = f"{signed_sum([*products, bias], digits)} = {fmt(z, digits)}"
    return NeuronExplanation(list(inputs), list(weights), bias, products, products_steps, z, z_steps,
                             function.name, function.formula, function.value_steps(z, digits), function.function(z))
