"""image-folder: train a classifier on any folder of class sub-folders (small CNN or ResNet)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shendu.errors import ShenduError
from shendu.recipes.base import Recipe, recipe_config_json
from shendu.train.config import TrainConfig

if TYPE_CHECKING:
    import torch

    from shendu.train.task import TrainingTask

log = logging.getLogger(__name__)
ARCHS = ("small", "resnet18", "resnet50")


@dataclass
class ImageFolderConfig(TrainConfig):
    """image-folder settings.

    Args:
        data: the folder of class folders (required).
        model: ``small`` (a 3-stage CNN), ``resnet18`` or ``resnet50``.
        weights: for ResNets: ``DEFAULT`` (torchvision's ImageNet weights, from the torch
            cache or a download), a local ``.safetensors``/``.pth`` file, or ``none``.
        freeze_epochs: train only the new head for this many epochs, then everything.
        image_size: images are resized to this square.
        augment: random resized crop (scale 0.8-1) and colour jitter on training images.
        split_seed: the seed of the stratified train/val/test split of the folder.
    """

    epochs: int = 15
    batch_size: int = 32
    lr: float = 3e-3
    scheduler: str = "onecycle"
    restore_best: bool = False
    data: str | None = None
    model: str = "small"
    weights: str = "none"
    freeze_epochs: int = 0
    image_size: int = 32
    augment: bool = True
    split_seed: int = 0


def model_kwargs(config: ImageFolderConfig, num_classes: int = 10) -> dict[str, Any]:
    if config.model == "small":
        return {"num_classes": num_classes}
    return {"arch": config.model, "num_classes": num_classes}


def pretrained_state(config: ImageFolderConfig) -> tuple[dict[str, torch.Tensor] | None, str]:
    """The backbone weights ``--weights`` asks for (without the ImageNet head) and a note."""
    import torch

    if config.model == "small" or config.weights.lower() == "none":
        why = ("the small CNN has no pretrained weights" if config.model == "small"
               else "`--weights none` was given")
        return None, f"No pretrained weights were used: {why}; the network was trained from random initialisation."
    if config.weights.upper() == "DEFAULT":
        from torchvision.models import ResNet18_Weights, ResNet50_Weights

        weights = {"resnet18": ResNet18_Weights, "resnet50": ResNet50_Weights}[config.model].DEFAULT
        try:
            state = weights.get_state_dict(progress=False, weights_only=True)
        except Exception as exc:  # URLError, HTTPError, ...: no network and nothing cached
            raise ShenduError(
                f"--weights DEFAULT needs torchvision's ImageNet weights for {config.model} "
                f"({weights.url.rsplit('/', 1)[-1]}), which are not in the torch cache "
                f"({torch.hub.get_dir()}/checkpoints) and could not be downloaded ({type(exc).__name__}). "
                "Copy the file there, pass --weights PATH, or --weights none."
            ) from None
        source = f"torchvision ImageNet weights {weights}"
    else:
        path = Path(config.weights)
        if not path.is_file():
            raise ShenduError(f"--weights must be DEFAULT, none or a weights file; got {path} (no such file).")
        try:
            if path.suffix == ".safetensors":
                from safetensors.torch import load_file

                state = load_file(path)
            else:
                state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 (torch and safetensors raise many kinds for a damaged file)
            raise ShenduError(f"--weights {path} could not be read as a state_dict ({_why(exc)}). Pass a "
                              ".safetensors or .pth file of a ResNet's weights, DEFAULT or none.") from None
        if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                                  for k, v in state.items()):
            raise ShenduError(f"--weights {path} must hold a state_dict (names to tensors); got "
                              f"{'a dict of other values' if isinstance(state, dict) else 'a ' + type(state).__name__}.")
        source = f"the weights file {path}"
    backbone = {k: v for k, v in state.items() if not k.startswith("fc.")}
    return backbone, f"Backbone initialised from {source}; the classification head is new."


def _why(exc: Exception) -> str:
    """What was wrong, in our words: torch's own message about a pickle advises loading it
    with ``weights_only=False``, which would run the file's code."""
    text = str(exc)
    if "weights_only" in text or "Unsupported global" in text:
        return "it holds Python objects other than tensors, which shendu never unpickles"
    return f"{type(exc).__name__}: {(text.strip().splitlines() or [''])[0][:200]}"


def make_task(config: ImageFolderConfig) -> TrainingTask:
    from shendu.data.folder import folder_bundle
    from shendu.models.folder import resnet_classifier, small_cnn
    from shendu.train.task import TrainingTask

    if config.model not in ARCHS:
        raise ShenduError(f"--set model= must be one of {', '.join(ARCHS)}; got {config.model!r}.")
    data = folder_bundle(config.data, image_size=config.image_size, augment=config.augment,
                         split_seed=config.split_seed)
    init, note = pretrained_state(config)
    notes = [note]
    if data.extra["skipped"]:
        notes.append(f"{len(data.extra['skipped'])} unreadable files were skipped: "
                     + ", ".join(data.extra["skipped"][:10]) + (" ..." if len(data.extra["skipped"]) > 10 else ""))
    return TrainingTask(
        recipe=RECIPE.name,
        title=f"Image folder with {config.model}",
        factory=small_cnn if config.model == "small" else resnet_classifier,
        model_kwargs=model_kwargs(config, len(data.labels)),
        data=data,
        config=config,
        recipe_config=recipe_config_json(RECIPE, config),
        notes=notes,
        init_weights=init,
    )


RECIPE = Recipe(
    name="image-folder",
    summary="any folder of class sub-folders: small CNN, or ResNet-18/50 fine-tuning",
    data="your folder: --data DIR with DIR/<class>/*.png|jpg",
    config_cls=ImageFolderConfig,
    factory="shendu.models.folder:small_cnn",
    model_kwargs=model_kwargs,
    make_task=make_task,
    target=None,
    parameters=94_986,
)
