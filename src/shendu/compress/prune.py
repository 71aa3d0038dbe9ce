"""``shendu compress --prune l1``: magnitude pruning, unstructured or structured, optionally
fine-tuned, as a new run folder holding an ordinary float32 torch model.

Unstructured: L1 magnitude pruning of the weight of every Linear and Conv layer, made
permanent with ``prune.remove``. The documents prune each layer on its own
(``prune.l1_unstructured``); we rank the weights of all those layers together, with one
threshold (``prune.global_unstructured`` with ``L1Unstructured``), because per layer destroys
small layers that matter. Measured on a trained mnist-cnn at amount 0.8: per layer leaves each
9-weight conv1 filter about 2 weights and test accuracy falls from 98.8% to 16.1% (65.4% after
2 epochs of fine-tuning); globally, 80.6% of fc1 (98% of the weights, and redundant), 44% of
conv2, 32% of fc2 and 13% of conv1 go, and accuracy is 98.5% before any fine-tuning. So
``--amount`` is the share of all these weights; the share of each layer is reported (model.json's
``variant.details.sparsity``, the report: at high amounts it shows a layer being emptied,
which one threshold does not prevent). Biases are kept. The file stays dense float32 (the
same size): zeros pay off when the file is compressed, which the report measures, or with
sparse kernels.

Structured (``--structured``): see :mod:`shendu.compress.shrink`; the model gets narrower.

Fine-tuning (``--finetune-epochs``): :func:`shendu.train.finetune.finetune` on the recipe's
training data at a tenth of the recipe's learning rate, with the pruning masks attached, so
pruned weights stay zero.
"""

from __future__ import annotations

import copy
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.utils import prune

from shendu.compress.runs import VariantRun, variant_path, write_variant
from shendu.errors import ShenduError
from shendu.predict.variant import Variant
from shendu.runfolder import WEIGHTS, RunFolder

# exact types: a subclass such as MultiheadAttention's out_proj is read by its owner directly,
# around the forward hook that applies the mask
PRUNABLE = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
FINETUNE_LR_FACTOR = 0.1


def check_prune_arguments(amount: float, finetune_epochs: int) -> None:
    """Raise ShenduError for an ``amount`` outside (0, 1) or a negative ``finetune_epochs``."""
    if not 0 < amount < 1:  # also refuses nan
        raise ShenduError(f"--amount must be a share of the weights strictly between 0 and 1 (0.8 removes 80%); "
                          f"got {amount}.")
    if finetune_epochs < 0:
        raise ShenduError(f"--finetune-epochs must be 0 or more; got {finetune_epochs}.")


def prunable_layers(model: nn.Module) -> dict[str, nn.Module]:
    """``{module name: module}`` of the Linear and Conv layers whose weight is pruned."""
    return {name: module for name, module in model.named_modules() if type(module) in PRUNABLE}


def prune_l1_unstructured(model: nn.Module, amount: float) -> None:
    """Mask the ``amount`` share of the weights of all prunable layers with the smallest
    magnitude, ranked together (``weight`` becomes ``weight_orig * weight_mask``)."""
    parameters = [(module, "weight") for module in prunable_layers(model).values()]
    prune.global_unstructured(parameters, pruning_method=prune.L1Unstructured, amount=amount)


def make_permanent(model: nn.Module) -> None:
    """``prune.remove`` every mask: ``weight`` becomes a plain parameter with its zeros."""
    for module in prunable_layers(model).values():
        if prune.is_pruned(module):
            prune.remove(module, "weight")


def layer_sparsity(model: nn.Module) -> dict[str, tuple[int, int]]:
    """``{layer: (zero weights, weights)}`` of every prunable layer."""
    return {name: (int((module.weight == 0).sum()), module.weight.numel())
            for name, module in prunable_layers(model).items()}


def prune_run(run: Path | str, amount: float, structured: bool = False, finetune_epochs: int = 0,
              out: Path | None = None) -> tuple[RunFolder, dict[str, Any]]:
    """Prune the run's model by L1 magnitude and write it as a new run folder.

    Args:
        run: a complete float32 torch run folder.
        amount: the share of each layer's weights (``structured``: of its channels/units) removed, in (0, 1).
        structured: remove whole channels/units (MNISTNet, TwoLayerNet) instead of zeroing weights.
        finetune_epochs: train this many epochs after pruning (masks kept), 0 for none.
        out: the folder to write the new run in (default: beside ``run``).

    Raises:
        ShenduError: bad arguments, an incomplete or non-float32 run, ``structured`` on a model it
            does not support, fine-tuning of a kind it does not train; nothing is written.
    """
    from shendu.compress.commands import _float_parent
    from shendu.compress.shrink import check_shrinkable, shrink
    from shendu.models import build_model

    check_prune_arguments(amount, finetune_epochs)
    parent = _float_parent(run, "compress --prune")
    model = copy.deepcopy(parent.model).cpu().float()
    if structured:
        check_shrinkable(model)
    elif not prunable_layers(model):
        raise ShenduError(f"L1 pruning zeros weights of Linear and Conv layers; {type(model).__name__} has none "
                          f"(its layers: {', '.join(sorted({type(m).__name__ for m in model.modules()}))}).")
    task = _finetune_task(parent, finetune_epochs) if finetune_epochs else None

    kwargs, details, extra = dict(parent.spec.kwargs), {"amount": amount, "finetune_epochs": finetune_epochs}, {}
    if structured:
        shrunk = shrink(model, parent.spec.factory, parent.spec.kwargs, amount)
        model, kwargs = shrunk.model, shrunk.kwargs
        details["widths"] = {name: {"old": old, "new": new} for name, (old, new) in shrunk.widths.items()}
        losses = _finetune(model, task, finetune_epochs)
    else:
        prune_l1_unstructured(model, amount)
        losses = _finetune(model, task, finetune_epochs)
        make_permanent(model)
    # test exactly what `shendu.load` will rebuild from the written files
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    rebuilt = build_model(parent.spec.factory, kwargs)
    rebuilt.load_state_dict(state)
    rebuilt.eval()
    num_parameters = sum(p.numel() for p in rebuilt.parameters())
    extra["num_parameters"] = num_parameters
    extra["finetune_epochs"] = finetune_epochs
    if task is not None:
        details.update(finetune_lr=task.config.lr * FINETUNE_LR_FACTOR, finetune_train_loss=losses)

    if structured:
        what = _structured_what(shrunk.pruned, details["widths"], amount, parent.spec.num_parameters, num_parameters)
    else:
        sparsity = layer_sparsity(rebuilt)
        zeros, weights = sum(z for z, _ in sparsity.values()), sum(n for _, n in sparsity.values())
        details["global"] = True
        details["sparsity"] = {name: z / n for name, (z, n) in sparsity.items()}
        deflated = {"parent": _deflated_bytes(parent.run.file(WEIGHTS).read_bytes()),
                    "variant": _deflated_bytes(_safetensors_bytes(state))}
        extra.update(sparsity=zeros / weights, zero_weights=zeros, deflate_bytes=deflated["variant"],
                     parent_deflate_bytes=deflated["parent"])
        what = _unstructured_what(sparsity, amount, parent.spec.num_parameters, deflated)
    if task is not None:
        what += " " + _finetune_what(task, finetune_epochs, losses, masked=not structured)

    method = "prune-structured" if structured else "prune-l1"
    variant = Variant(method, str(run), parent.spec.weights_sha256, "torch", details)
    spec = replace(parent.spec, kwargs=kwargs, num_parameters=num_parameters, format="torch", variant=variant)
    widths = {name: w["new"] for name, w in details.get("widths", {}).items()}  # structured: config.json follows
    result = VariantRun(model=rebuilt, spec=spec, what=what, extra_metrics=extra, config_updates=widths,
                        write_weights=lambda folder: folder.save_weights(state, metadata={"format": "pt"}))
    suffix = f"pruned{amount * 100:g}{'-structured' if structured else ''}"
    return write_variant(parent, result, variant_path(parent.run.path, suffix, out))


def _finetune_task(parent: Any, epochs: int) -> Any:
    """The recipe's task rebuilt from the parent's config.json, for ``epochs`` of fine-tuning."""
    from shendu.recipes import get_recipe
    from shendu.train.finetune import check_finetune_kind

    recipe = get_recipe(parent.config.recipe)
    try:
        config = recipe.config_from_dict({**parent.config.config, "epochs": epochs, "progress": False})
    except ValueError as exc:
        raise ShenduError(f"{parent.run.path}'s config.json does not rebuild the recipe's training data: {exc} "
                          "Leave out --finetune-epochs.") from None
    task = recipe.make_task(config)
    check_finetune_kind(task)
    return task


def _finetune(model: nn.Module, task: Any, epochs: int) -> list[float]:
    if task is None:
        return []
    from shendu.train.finetune import finetune

    return finetune(model, task, epochs, task.config.lr * FINETUNE_LR_FACTOR)


def _safetensors_bytes(state: dict[str, torch.Tensor]) -> bytes:
    from safetensors.torch import save

    return save({k: v.contiguous() for k, v in state.items()}, metadata={"format": "pt"})


def _deflated_bytes(data: bytes) -> int:
    return len(zlib.compress(data, 6))


def _unstructured_what(sparsity: dict[str, tuple[int, int]], amount: float, parameters: int,
                       deflated: dict[str, int]) -> str:
    layers = ", ".join(f"{name} {z / n * 100:.1f}% of {n:,}" for name, (z, n) in sparsity.items())
    zeros, weights = sum(z for z, _ in sparsity.values()), sum(n for _, n in sparsity.values())
    return (f"L1 unstructured pruning with one threshold for all {len(sparsity)} Linear/Conv layers "
            f"(torch.nn.utils.prune.global_unstructured with L1Unstructured, amount {amount:g}, made permanent "
            f"with prune.remove): the {amount * 100:g}% of their weights with the smallest magnitude, ranked "
            f"together, are zero: {zeros:,} of {weights:,} weights ({zeros / weights * 100:.1f}%), "
            f"{zeros / parameters * 100:.1f}% of all {parameters:,} parameters. Zero weights per layer: {layers}; "
            f"biases and other layers are untouched. The weights are stored dense (float32), so the file keeps its "
            f"size; compressed (zlib deflate) it is {deflated['variant']:,} bytes against the parent's "
            f"{deflated['parent']:,} ({deflated['parent'] / max(deflated['variant'], 1):.2f}x smaller).")


def _structured_what(pruned: str, widths: dict[str, dict[str, int]], amount: float, parent_parameters: int,
                     parameters: int) -> str:
    changes = ", ".join(f"{name} {w['old']} -> {w['new']}" for name, w in widths.items())
    return (f"Structured L1 pruning: the {amount * 100:g}% of {pruned} with the smallest L1 norm were removed, "
            f"with the inputs they fed in the next layer, and a smaller model of the same class was built "
            f"with the kept weights: {changes}; {parent_parameters:,} -> {parameters:,} parameters "
            f"({parameters / parent_parameters * 100:.1f}%).")


def _finetune_what(task: Any, epochs: int, losses: list[float], masked: bool) -> str:
    config = task.config
    kept = " with the pruning masks attached, so pruned weights stayed zero" if masked else ""
    return (f"Then fine-tuned for {epochs} epoch{'s' if epochs != 1 else ''} on the recipe's training split "
            f"({len(task.data.train):,} examples, as training saw them) with {config.optimizer} at a constant rate of "
            f"{config.lr * FINETUNE_LR_FACTOR:g} (a tenth of the recipe's {config.lr:g}, no schedule){kept}; mean "
            f"training loss per epoch: {', '.join(f'{loss:.4f}' for loss in losses)}.")


__all__ = ["PRUNABLE", "check_prune_arguments", "layer_sparsity", "make_permanent", "prunable_layers",
           "prune_l1_unstructured", "prune_run"]
