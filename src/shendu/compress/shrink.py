"""Structured pruning: remove whole channels and units, so the layers (and the model) shrink.

Unstructured pruning leaves a layer its shape and zeros some of its weights; the model is as
big and as slow as before unless sparse kernels run it. Here a pruned output channel (or
unit) is removed together with the input it fed in the next layer, and a new, narrower model
of the same class is built through its factory: fewer parameters, fewer multiply-adds.

Each output channel is ranked by the L1 norm of its weights (what
``torch.nn.utils.prune.ln_structured(n=1, dim=0)`` ranks by), over the inputs still kept, and
the top ``1 - amount`` share is kept, in its original order (Li et al., *Pruning Filters for
Efficient ConvNets*, 2017). Supported: ``MNISTNet`` (conv1, conv2 channels and fc1 units) and
``TwoLayerNet`` (hidden units); other models need their own slicing, listed in ``SHRINKERS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from shendu.errors import ShenduError
from shendu.models.mlp import TwoLayerNet
from shendu.models.mnist import MNISTNet

State = dict[str, torch.Tensor]


def kept_units(weight: torch.Tensor, amount: float) -> torch.Tensor:
    """Indices (ascending) of the output units of ``weight`` ``(out, ...)`` to keep: the
    ``out - round(amount * out)`` of largest L1 norm (torch.nn.utils.prune's count), at least one."""
    count = weight.shape[0]
    keep = max(1, count - round(amount * count))
    norms = weight.detach().abs().flatten(1).sum(dim=1)  # (out, ...) -> (out,)
    return torch.topk(norms, keep).indices.sort().values


def _shrink_mnist_net(model: MNISTNet, amount: float) -> tuple[dict[str, tuple[int, int]], State]:
    conv1 = kept_units(model.conv1.weight, amount)
    conv2_weight = model.conv2.weight[:, conv1]  # (conv2, kept conv1, 3, 3)
    conv2 = kept_units(conv2_weight, amount)
    # fc1 reads the pooled conv2 maps flattened channel-major: channel c is columns c*area ... (c+1)*area - 1
    area = model.fc1.in_features // model.conv2.out_channels
    columns = (conv2[:, None] * area + torch.arange(area)).flatten()  # (kept conv2, area) -> (kept conv2 * area,)
    fc1_weight = model.fc1.weight[:, columns]
    hidden = kept_units(fc1_weight, amount)
    widths = {"conv1": (model.conv1.out_channels, len(conv1)), "conv2": (model.conv2.out_channels, len(conv2)),
              "hidden": (model.fc1.out_features, len(hidden))}
    state = {"conv1.weight": model.conv1.weight[conv1], "conv1.bias": model.conv1.bias[conv1],
             "conv2.weight": conv2_weight[conv2], "conv2.bias": model.conv2.bias[conv2],
             "fc1.weight": fc1_weight[hidden], "fc1.bias": model.fc1.bias[hidden],
             "fc2.weight": model.fc2.weight[:, hidden], "fc2.bias": model.fc2.bias}
    return widths, state


def _shrink_two_layer_net(model: TwoLayerNet, amount: float) -> tuple[dict[str, tuple[int, int]], State]:
    hidden = kept_units(model.fc1.weight, amount)
    state = {"fc1.weight": model.fc1.weight[hidden], "fc1.bias": model.fc1.bias[hidden],
             "fc2.weight": model.fc2.weight[:, hidden], "fc2.bias": model.fc2.bias}
    return {"hidden": (model.fc1.out_features, len(hidden))}, state


# model class -> (what it prunes, for messages; the slicing: {factory kwarg: (old, new width)}, new state_dict)
SHRINKERS: dict[type[nn.Module], tuple[str, Callable[..., tuple[dict[str, tuple[int, int]], State]]]] = {
    MNISTNet: ("conv1 and conv2 output channels and fc1 units", _shrink_mnist_net),
    TwoLayerNet: ("hidden units (fc1)", _shrink_two_layer_net),
}


def check_shrinkable(model: nn.Module) -> None:
    """Raise ShenduError unless structured pruning knows how to slice ``model``'s class."""
    if type(model) not in SHRINKERS:
        supported = "; ".join(f"{cls.__name__} ({what})" for cls, (what, _) in SHRINKERS.items())
        raise ShenduError(f"--structured pruning supports {supported}; this run's model is "
                          f"{type(model).__name__}. Prune it without --structured (L1 unstructured) instead.")


@dataclass
class Shrunk:
    """A structurally pruned model.

    Args:
        model: the narrower model, built by the factory with ``kwargs``, kept weights loaded.
        kwargs: the factory's kwargs with the new widths.
        widths: ``{factory kwarg: (old width, new width)}``.
        pruned: what was pruned, in words.
    """

    model: nn.Module
    kwargs: dict[str, Any]
    widths: dict[str, tuple[int, int]]
    pruned: str


def shrink(model: nn.Module, factory: str, kwargs: dict[str, Any], amount: float) -> Shrunk:
    """Remove the ``amount`` share of ``model``'s channels/units of smallest L1 norm.

    Args:
        model: an ``MNISTNet`` or ``TwoLayerNet`` (left unchanged).
        factory: its factory path (model.json's ``factory``); it must take the width kwargs.
        kwargs: the factory's kwargs for ``model``.
        amount: the share of each pruned layer's outputs to remove, in (0, 1).

    Raises:
        ShenduError: ``model``'s class has no entry in :data:`SHRINKERS`.
    """
    from shendu.models import build_model

    check_shrinkable(model)
    pruned, slicer = SHRINKERS[type(model)]
    with torch.no_grad():
        widths, state = slicer(model, amount)
        new_kwargs = {**kwargs, **{name: new for name, (_, new) in widths.items()}}
        smaller = build_model(factory, new_kwargs)
        smaller.load_state_dict({k: v.clone() for k, v in state.items()})
    return Shrunk(smaller.eval(), new_kwargs, widths, pruned)


__all__ = ["SHRINKERS", "Shrunk", "check_shrinkable", "kept_units", "shrink"]
