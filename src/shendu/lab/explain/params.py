"""A recipe's model counted by hand: each layer's parameters from its sizes (a Linear has
in × out weights and out biases, a Conv2d c_in × c_out × k_h × k_w weights and c_out biases, ...),
added up and checked against torch's own count, ``sum(p.numel() for p in model.parameters())``.

The model is built from the recipe's factory and kwargs on torch's meta device: no data is loaded
and no memory is allocated for the weights. Kwargs that training reads from the data (the number
of classes, a vocabulary size) take the defaults the recipe's ``model_kwargs`` documents, and the
explanation says which.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from shendu.lab.explain.numbers import ExplainError

if TYPE_CHECKING:
    from torch import nn

    from shendu.recipes.base import Recipe


@dataclass(frozen=True)
class LayerCount:
    """One module's own parameters (not its children's): the formula from its sizes, the number
    it gives, and what torch counts for the same tensors."""

    name: str
    type: str
    formula: str
    arithmetic: str
    count: int
    numel: int
    trainable: int
    shapes: dict[str, list[int]]
    shared: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ParamsExplanation:
    """Per-layer counts, their total (``total``, from the formulas), torch's ``numel`` and the
    trainable share; ``data_defaults``: the data-dependent kwargs that took their defaults."""

    recipe: str
    factory: str
    kwargs: dict[str, Any]
    settings: dict[str, Any]
    data_defaults: dict[str, Any]
    layers: list[LayerCount]
    total: int
    trainable: int
    numel: int
    matches: bool

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _product(factors: list[int]) -> str:
    return " × ".join(map(str, factors))


def _linear(m: Any) -> tuple[str, str, int]:
    if m.bias is None:
        return "in × out", _product([m.in_features, m.out_features]), m.in_features * m.out_features
    count = m.in_features * m.out_features + m.out_features
    return "in × out + out", f"{_product([m.in_features, m.out_features])} + {m.out_features}", count


def _conv(m: Any) -> tuple[str, str, int]:
    kernel = list(m.kernel_size)
    letters = " × ".join(f"k{i + 1}" for i in range(len(kernel))) if len(kernel) != 2 else "k_h × k_w"
    c_in = m.in_channels // m.groups
    c_in_text = "c_in" if m.groups == 1 else "(c_in / groups)"
    weights = c_in * m.out_channels * math.prod(kernel)
    formula, arithmetic = f"{c_in_text} × c_out × {letters}", _product([c_in, m.out_channels, *kernel])
    if m.bias is None:
        return formula, arithmetic, weights
    return f"{formula} + c_out", f"{arithmetic} + {m.out_channels}", weights + m.out_channels


def _embedding(m: Any) -> tuple[str, str, int]:
    return ("num_embeddings × embedding_dim", _product([m.num_embeddings, m.embedding_dim]),
            m.num_embeddings * m.embedding_dim)


def _norm(m: Any, size: int, what: str) -> tuple[str, str, int]:
    pieces = (m.weight is not None) + (getattr(m, "bias", None) is not None)
    if pieces == 0:
        return "none (no affine weights)", "0", 0
    return (f"{pieces} × {what} (scale γ{' and shift β' if pieces == 2 else ''}; running statistics, if any, are "
            "buffers, not parameters)", f"{pieces} × {size}", pieces * size)


def _recurrent(m: Any) -> tuple[str, str, int] | None:
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}.get(m.mode.split("_")[0])
    if gates is None or getattr(m, "proj_size", 0):
        return None
    directions = 2 if m.bidirectional else 1
    h = m.hidden_size
    parts, count = [], 0
    for layer in range(m.num_layers):
        size = m.input_size if layer == 0 else h * directions
        bias = 2 * h if m.bias else 0
        count += gates * (size * h + h * h + bias) * directions
        parts.append(f"{gates} × ({size} × {h} + {h} × {h}{f' + 2 × {h}' if m.bias else ''})"
                     + (" × 2" if directions == 2 else ""))
    formula = (f"{gates} gates × (in × hidden + hidden × hidden{' + 2 × hidden' if m.bias else ''})"
               f"{' × 2 directions' if directions == 2 else ''}, per layer")
    return formula, " + ".join(parts), count


def _attention(m: Any) -> tuple[str, str, int] | None:
    if not m._qkv_same_embed_dim or m.bias_k is not None:
        return None
    e = m.embed_dim
    if m.in_proj_bias is None:
        return "3E × E (query, key, value projections; out_proj counted apart)", f"{3 * e} × {e}", 3 * e * e
    return ("3E × E + 3E (query, key, value projections; out_proj counted apart)", f"{3 * e} × {e} + {3 * e}",
            3 * e * e + 3 * e)


def layer_formula(module: nn.Module) -> tuple[str, str, int] | None:
    """(formula, arithmetic, count) for a module type whose count follows from its sizes, or
    None for any other (its count is then read from the shapes of its tensors)."""
    from torch import nn

    if isinstance(module, nn.Linear):
        return _linear(module)
    if isinstance(module, nn.Conv1d | nn.Conv2d | nn.Conv3d):
        return _conv(module)
    if isinstance(module, nn.Embedding):
        return _embedding(module)
    if isinstance(module, nn.modules.batchnorm._NormBase):
        return _norm(module, module.num_features, "channels")
    if isinstance(module, nn.GroupNorm):
        return _norm(module, module.num_channels, "channels")
    if isinstance(module, nn.LayerNorm):
        return _norm(module, math.prod(module.normalized_shape), "normalized size")
    if isinstance(module, nn.RNNBase):
        return _recurrent(module)
    if isinstance(module, nn.MultiheadAttention):
        return _attention(module)
    return None


def count_layers(model: nn.Module) -> list[LayerCount]:
    """One row per module that owns parameters, in ``named_modules`` order; a tensor shared by
    several modules is counted once, where it first appears."""
    seen: dict[int, str] = {}
    rows = []
    for name, module in model.named_modules():
        own = list(module.named_parameters(recurse=False))
        if not own:
            continue
        fresh = [(n, p) for n, p in own if id(p) not in seen]
        shared = [f"{n} (= {seen[id(p)]})" for n, p in own if id(p) in seen]
        for n, p in fresh:
            seen[id(p)] = f"{name}.{n}" if name else n
        shapes = {n: list(p.shape) for n, p in fresh}
        numel = sum(p.numel() for _, p in fresh)
        trainable = sum(p.numel() for _, p in fresh if p.requires_grad)
        known = layer_formula(module) if not shared else None
        if known is None:
            formula = "sum of its tensors' sizes"
            arithmetic = " + ".join(f"{_product(s) or 1} ({n})" for n, s in shapes.items()) or "0"
            count = sum(math.prod(s) for s in shapes.values())
        else:
            formula, arithmetic, count = known
        rows.append(LayerCount(name or "(model)", type(module).__name__, formula, arithmetic, count, numel, trainable,
                               shapes, shared))
    return rows


def data_defaults(recipe: Recipe, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The arguments of the recipe's ``model_kwargs`` after its config (and after those a
    ``functools.partial`` binds): what training reads from the data, here left at their documented
    defaults. Each maps to the value the model got when a kwarg has its name, else the default."""
    bound = getattr(recipe.model_kwargs, "keywords", {})
    parameters = list(inspect.signature(recipe.model_kwargs).parameters.values())[1:]
    return {p.name: kwargs.get(p.name, p.default) for p in parameters
            if p.default is not inspect.Parameter.empty and p.name not in bound}


def explain_params(recipe: Recipe, settings: dict[str, Any] | None = None) -> ParamsExplanation:
    """Count the parameters of ``recipe``'s model with ``settings`` (``--set`` values) applied.

    Raises:
        ExplainError: settings the recipe refuses, or that do not build its model.
    """
    import torch

    from shendu.models import resolve_factory

    settings = dict(settings or {})
    try:
        config = recipe.config_from_dict({**recipe.default_config().to_dict(), **settings})
        config.validate()
    except (TypeError, ValueError) as exc:
        raise ExplainError(str(exc)) from None
    kwargs = recipe.model_kwargs(config)
    factory_path = recipe.model_factory(config)
    factory = resolve_factory(factory_path)
    try:
        with torch.device("meta"):  # shapes only: no memory, no initialisation
            model = factory(**kwargs)
    except Exception as exc:  # noqa: BLE001 - whatever the factory refuses, the settings asked for
        shown = ", ".join(f"--set {k}={v}" for k, v in settings.items()) or "the default settings"
        raise ExplainError(f"{recipe.name}'s model ({factory_path}) cannot be built with {shown}: "
                           f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}. "
                           "Change those settings (see `shendu train " + recipe.name + " --help`).") from None
    layers = count_layers(model)
    total = sum(row.count for row in layers)
    numel = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return ParamsExplanation(recipe.name, factory_path, kwargs, settings, data_defaults(recipe, kwargs), layers, total,
                             trainable, numel, total == numel and all(r.count == r.numel for r in layers))
