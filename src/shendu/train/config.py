"""Training hyper-parameters shared by every recipe (each recipe subclasses with its own)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from shendu.train.optimizers import OPTIMIZER_CHOICES, SCHEDULER_CHOICES

OPTIMIZERS = tuple(OPTIMIZER_CHOICES)
SCHEDULERS = tuple(SCHEDULER_CHOICES)
ENGINES = ("torch", "scratch")
PRECISIONS = ("32-true", "bf16-mixed", "16-mixed", "auto")
ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps")
NONFINITE = ("stop", "skip")


def _cuda_chosen(accelerator: str) -> bool:
    """Whether training will run on CUDA (``"gpu_available"``: whether torch sees a GPU at all)."""
    if accelerator in ("gpu", "cuda"):
        return True
    import torch

    return accelerator in ("auto", "gpu_available") and torch.cuda.is_available()


def resolved_precision(precision: str, accelerator: str) -> str:
    """What ``lightning.Trainer(precision=...)`` gets: ``precision`` itself, or for ``"auto"``
    ``bf16-mixed`` where the hardware computes bfloat16 natively (a CPU with AVX512-BF16 or AMX, a
    CUDA GPU that supports it) and ``32-true`` elsewhere (emulated bfloat16 is slower than float32)."""
    if precision != "auto":
        return precision
    import torch

    if _cuda_chosen(accelerator):
        native = torch.cuda.is_bf16_supported()
    else:
        native = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    return "bf16-mixed" if native else "32-true"


def set_flag(name: str) -> str:
    """How a setting is given on the command line: ``--set name=``."""
    return f"--set {name}="


def option_flag(name: str) -> str:
    """A setting with an option of its own: ``batch_size`` -> ``--batch-size``."""
    return "--" + name.replace("_", "-")


def _interval(low: float, high: float, include_low: bool, include_high: bool) -> str:
    if not include_low and not include_high:
        return f"between {low} and {high}"
    return f"in {'[' if include_low else '('}{low}, {high}{']' if include_high else ')'}"


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run.

    Args:
        epochs: passes over the training split.
        batch_size: examples per optimisation step.
        lr: learning rate (peak rate for ``onecycle``).
        seed: seeds torch, numpy and Python; the same seed gives the same run.
        optimizer: one of ``sgd``, ``momentum`` (SGD with momentum 0.9), ``rmsprop``,
            ``adam``, ``adamw``.
        weight_decay: L2 penalty coefficient (decoupled for AdamW).
        scheduler: ``plateau`` (ReduceLROnPlateau on val loss, the documents' adaptive LR),
            ``onecycle``, ``cosine``, ``step`` or ``none``.
        plateau_patience, plateau_factor: ReduceLROnPlateau settings.
        early_stopping_patience: epochs without val-loss improvement before stopping;
            0 disables early stopping.
        restore_best: test and save the weights of the epoch with the lowest val loss
            (Keras' ``restore_best_weights``); ``False`` keeps the last epoch's weights, the
            better choice when a schedule anneals the learning rate to zero.
        gradient_clip_val: clip the global gradient norm to this value; 0 disables.
        devices: passed to ``lightning.Trainer(devices=...)``; ``"auto"`` picks one.
        num_nodes: machines taking part (``lightning.Trainer(num_nodes=...)``), for multi-node
            runs started by torchrun or SLURM (docs/scaling.md).
        accelerator: ``"auto"``, ``"cpu"`` or ``"gpu"``.
        num_workers: DataLoader worker processes (0 = load in the training process).
        progress: show a progress bar.
        freeze_epochs: fine-tuning: train only the head (``fc``) for this many epochs first.
        engine: ``torch`` (Lightning) or ``scratch`` (the NumPy engine, shendu.scratch).
        precision: passed to ``lightning.Trainer(precision=...)``: ``32-true``, ``bf16-mixed``
            (autocast to bfloat16 with float32 master weights: 1.4-1.7x faster fine-tuning steps of
            imdb-minilm on this machine's AVX512-BF16 CPU, see benchmarks/minilm_step.py) or
            ``16-mixed`` (CUDA only), or ``auto``: ``bf16-mixed`` where the hardware computes
            bfloat16 natively (AVX512-BF16 or AMX CPUs, recent CUDA GPUs), else ``32-true``
            (:func:`resolved_precision`; the scratch engine always computes in float32). Validation
            runs in it too; the final test and ``shendu evaluate`` always run in float32.
        channels_last: torch engine: keep weights and activations channels-last (NHWC) while
            training, which oneDNN's CPU convolutions and max-pooling run faster (MNISTNet in
            bf16-mixed on one AMD EPYC core: 17-22% less time a step); the saved weights are
            ordinary contiguous tensors. Dropout draws its mask in memory order, so a run differs
            from its NCHW twin. Ignored by the scratch engine and by models without 4-d weights.
        on_nonfinite: what a NaN or infinite loss or gradient does: ``stop`` the run at that
            step with a message naming it (nothing non-finite is ever written as weights), or
            ``skip`` the step (no update) and count it in the report.
        baseline: classifiers: after training, fit the majority class and a cheap linear
            baseline (logistic regression on pixels or features, TF-IDF + logistic regression on
            texts) on the same splits and report the model beside them (shendu.train.baselines);
            ``false`` skips them (seconds on the shipped samples, about a minute on IMDB).
            Forecasters always compare with persistence and SARIMA.
    """

    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    seed: int = 0
    optimizer: str = "adam"
    weight_decay: float = 0.0
    scheduler: str = "plateau"
    plateau_patience: int = 3
    plateau_factor: float = 0.5
    early_stopping_patience: int = 0
    restore_best: bool = True
    gradient_clip_val: float = 0.0
    devices: str = "auto"
    num_nodes: int = 1
    accelerator: str = "auto"
    num_workers: int = 0
    progress: bool = True
    engine: str = "torch"
    freeze_epochs: int = 0
    precision: str = "32-true"
    channels_last: bool = False
    on_nonfinite: str = "stop"
    baseline: bool = True

    def validate(self) -> None:
        """Raise ValueError naming the first field that is out of range."""
        self.require_at_least(1, "epochs", "batch_size", flag=option_flag)
        if not 0 < self.lr < float("inf"):
            raise ValueError(f"--lr must be a positive, finite number (e.g. --lr 0.001); got {self.lr}.")
        self.require_at_least(1, "num_nodes")
        self.require_at_least(0, "weight_decay", "gradient_clip_val", "num_workers", "plateau_patience",
                              "early_stopping_patience", "freeze_epochs")
        for name in ("weight_decay", "gradient_clip_val"):
            if getattr(self, name) == float("inf"):
                raise ValueError(f"--set {name}= must be finite; got inf.")
        self.require_in(0, 1, "plateau_factor", include_low=False)
        devices = str(self.devices)
        if devices != "auto" and not (devices.isdigit() and int(devices) >= 1):
            raise ValueError(f"--devices must be auto or a whole number of processes/GPUs, at least 1 (e.g. "
                             f"--devices 2); got {devices!r}.")
        if self.accelerator not in ACCELERATORS:
            raise ValueError(f"--set accelerator= must be one of {', '.join(ACCELERATORS)}; got {self.accelerator!r}.")
        if self.accelerator in ("gpu", "cuda") and not _cuda_chosen("gpu_available"):
            raise ValueError(f"--set accelerator={self.accelerator} needs a CUDA GPU, and torch sees none here; "
                             "use --set accelerator=cpu (or auto).")
        if self.on_nonfinite not in NONFINITE:
            raise ValueError(f"--set on_nonfinite= must be one of {', '.join(NONFINITE)}; got {self.on_nonfinite!r}.")
        if self.engine == "scratch" and self.on_nonfinite == "skip":
            raise ValueError("--set on_nonfinite=skip is for --engine torch; the scratch engine stops at the first "
                             "non-finite loss (leave on_nonfinite at stop).")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"--optimizer must be one of {', '.join(OPTIMIZERS)}; got {self.optimizer!r}.")
        if self.engine not in ENGINES:
            raise ValueError(f"--engine must be one of {', '.join(ENGINES)}; got {self.engine!r}.")
        if self.precision not in PRECISIONS:
            raise ValueError(f"--set precision= must be one of {', '.join(PRECISIONS)}; got {self.precision!r}.")
        if self.precision == "16-mixed" and not _cuda_chosen(self.accelerator):
            raise ValueError("--set precision=16-mixed needs a CUDA GPU; on a CPU use bf16-mixed or 32-true.")
        if self.engine == "scratch" and self.precision not in ("32-true", "auto"):
            raise ValueError(f"--set precision={self.precision} is for --engine torch; the scratch engine "
                             "computes in NumPy float32/float64 (leave precision at 32-true).")
        if self.scheduler not in SCHEDULERS:
            raise ValueError(f"--scheduler must be one of {', '.join(SCHEDULERS)}; got {self.scheduler!r}.")

    def require_at_least(self, low: float, *names: str, unit: str = "",
                         flag: Callable[[str], str] = set_flag) -> None:
        """Raise ValueError for the first of the fields ``names`` whose value is below ``low``:
        ``--set beam= must be at least 1; got 0.`` (``unit`` follows ``low``: ``" reviews"``;
        ``flag`` spells the setting, ``--set name=`` unless it has an option of its own)."""
        for name in names:
            value = getattr(self, name)
            if value < low:
                raise ValueError(f"{flag(name)} must be at least {low}{unit}; got {value}.")

    def require_in(self, low: float, high: float, *names: str, include_low: bool = True,
                   include_high: bool = False, flag: Callable[[str], str] = set_flag) -> None:
        """Raise ValueError for the first of the fields ``names`` outside the interval from ``low``
        to ``high`` (``[low, high)`` by default): ``--set dropout= must be in [0, 1); got 1.``;
        an open interval reads ``--set val_fraction= must be between 0 and 0.5; got 0.``"""
        for name in names:
            value = getattr(self, name)
            above = value >= low if include_low else value > low
            below = value <= high if include_high else value < high
            if not (above and below):
                raise ValueError(f"{flag(name)} must be {_interval(low, high, include_low, include_high)}; "
                                 f"got {value}.")

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Build from a dict (config.json), ignoring keys this config does not have."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})
