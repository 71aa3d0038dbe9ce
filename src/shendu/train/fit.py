"""Train a task into a run folder with Lightning, then test, save and report."""

from __future__ import annotations

import logging
import time
import warnings
from typing import Any

import lightning as L
import torch
from lightning.fabric.utilities.rank_zero import rank_zero_only
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint, RichProgressBar
from lightning.pytorch.loggers import TensorBoardLogger
from torch.utils.data import DataLoader

from shendu.errors import RunFolderError
from shendu.models import build_model, factory_path
from shendu.runfolder import CONFIG, ENV, HISTORY, RunFolder
from shendu.train.callbacks import FreezeBackbone, HistoryCallback
from shendu.train.checkpoint_io import AtomicCheckpointIO, load_checkpoint
from shendu.train.config import resolved_precision
from shendu.train.env import collect_env
from shendu.train.finish import FitResult, finish_run
from shendu.train.task import TrainingTask

log = logging.getLogger(__name__)

MONITOR = "val_loss"
LAST = "last.ckpt"
BEST = "best.ckpt"


def make_loaders(task: TrainingTask) -> tuple[DataLoader, DataLoader]:
    """The training loader (shuffled per epoch from the seed, resumable mid-epoch: see
    :mod:`shendu.data.sampling`) and an in-order validation loader.

    Both loaders have generators of their own, so iterating them draws nothing from the
    global generator that dropout uses.
    """
    from shendu.data.sampling import EpochShuffle, SeededSamples

    cfg = task.config
    common = {"batch_size": cfg.batch_size, "num_workers": cfg.num_workers,
              "persistent_workers": cfg.num_workers > 0}
    common["collate_fn"] = getattr(task.data.train, "collate_fn", None)
    lengths = getattr(task.data.train, "lengths", None)
    train_generator = torch.Generator().manual_seed(cfg.seed)
    if lengths is not None:  # texts: batches of similar length, shuffled
        from shendu.data.tokenize import BucketBatchSampler

        sampler = BucketBatchSampler(lengths, cfg.batch_size, cfg.seed)
        train = ResumableLoader(task.data.train, batch_sampler=sampler, generator=train_generator,
                                **{k: v for k, v in common.items() if k != "batch_size"})
    else:
        train = ResumableLoader(SeededSamples(task.data.train), sampler=EpochShuffle(len(task.data.train), cfg.seed),
                                generator=train_generator, **common)
    val = DataLoader(task.data.val, shuffle=False, generator=torch.Generator().manual_seed(cfg.seed), **common)
    return train, val


class ResumableLoader(DataLoader):
    """A DataLoader that Lightning counts as resumable mid-epoch (it has ``state_dict``).

    The position itself is kept by :class:`shendu.train.resume.ResumeState`, from the batches
    the training loop finished: the loader's own count would be one batch ahead, because
    Lightning reads the next batch before the current one is trained on.
    """

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        pass


def load_partial(model: torch.nn.Module, state: dict) -> None:
    """Load pretrained weights into ``model``; only the new head may be left out."""
    result = model.load_state_dict(state, strict=False)
    if result.unexpected_keys or any(not k.startswith("fc.") for k in result.missing_keys):
        raise RunFolderError(
            f"pretrained weights do not fit the model: missing {result.missing_keys[:5]}, unexpected "
            f"{result.unexpected_keys[:5]}. Pass weights of the same architecture."
        )


def build_trainer(task: TrainingTask, run: RunFolder, history: HistoryCallback,
                  train_loader: DataLoader | None = None) -> L.Trainer:
    """The Lightning Trainer of a run; with ``train_loader``, checkpoints also hold the position
    in the epoch and the random generators (exact resume), and SIGTERM/SIGINT stop cleanly."""
    from shendu.data.sampling import epoch_sampler
    from shendu.train.resume import ResumeState
    from shendu.train.signals import GracefulStop

    cfg = task.config
    callbacks: list[L.Callback] = [
        history,
        ResumeState(None if train_loader is None else epoch_sampler(train_loader), cfg.batch_size,
                    task.recipe_config),
        GracefulStop(run.checkpoints / LAST),
        # best.ckpt: weights of the lowest-val-loss epoch (for restore_best and users);
        # last.ckpt: the full training state (optimizer, scheduler, loops) for --resume.
        ModelCheckpoint(dirpath=run.checkpoints, filename="best", monitor=MONITOR, mode="min",
                        save_top_k=1, save_weights_only=True, enable_version_counter=False),
        ModelCheckpoint(dirpath=run.checkpoints, filename="last", monitor=None, save_top_k=1,
                        enable_version_counter=False),
    ]
    if cfg.early_stopping_patience > 0:
        callbacks.append(EarlyStopping(monitor=MONITOR, mode="min", patience=cfg.early_stopping_patience))
    if cfg.freeze_epochs > 0:
        callbacks.append(FreezeBackbone(cfg.freeze_epochs))
    if cfg.progress:
        callbacks.append(RichProgressBar(leave=True))
    return L.Trainer(
        max_epochs=cfg.epochs,
        accelerator=cfg.accelerator,
        devices=cfg.devices if cfg.devices == "auto" else int(cfg.devices),
        num_nodes=cfg.num_nodes,
        gradient_clip_val=cfg.gradient_clip_val or None,
        precision=resolved_precision(cfg.precision, cfg.accelerator),
        deterministic="warn",
        logger=TensorBoardLogger(save_dir=str(run.path), name="tb", version="", default_hp_metric=False),
        callbacks=callbacks,
        enable_progress_bar=cfg.progress,
        enable_model_summary=False,
        plugins=[AtomicCheckpointIO()],
        num_sanity_val_steps=0,
        log_every_n_steps=max(1, len(task.data.train) // cfg.batch_size),  # type: ignore[arg-type]
    )


def fit(task: TrainingTask, run: RunFolder, resume: bool = False) -> FitResult:
    """Train ``task`` into ``run``; with ``resume``, continue from ``checkpoints/last.ckpt``.

    Files appear in this order: config.json and env.json first, history.csv and checkpoints
    each epoch, then model.safetensors, model.json, metrics.json (the run is complete once
    metrics.json exists), curves.png and report.md.
    """
    cfg = task.config
    cfg.validate()
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    ckpt_path = None
    if resume:
        ckpt_path = run.checkpoints / LAST
        if not ckpt_path.is_file():
            raise RunFolderError(
                f"Cannot resume {run.path}: it has no {ckpt_path.relative_to(run.path)} (the run "
                "stopped before its first epoch ended). Train again with `shendu train`."
            )
    model = build_model(factory_path(task.factory), task.model_kwargs)
    if ckpt_path is not None:  # a resume that cannot work fails here, before anything is written
        from shendu.train.resume import check_resume

        check_resume(ckpt_path, task.recipe_config, model)
    env = collect_env(task.data)
    if rank_zero_only.rank == 0:  # with several devices, only the first process writes
        if not resume:
            run.write_json(CONFIG, task.recipe_config)
        run.write_json(ENV, env)

    if task.init_weights is not None:
        load_partial(model, task.init_weights)
    if cfg.channels_last:
        model = model.to(memory_format=torch.channels_last)
    train_loader, val_loader = make_loaders(task)
    kind = task.train_kind
    module = kind.make_module(task, model, len(train_loader))
    history = HistoryCallback(run.file(HISTORY), columns=kind.history_columns)
    trainer = build_trainer(task, run, history, train_loader)
    # deterministic="warn" turns on torch.use_deterministic_algorithms, which by default also fills
    # every new tensor with NaN before an op writes it (a debugging aid against ops that read
    # uninitialised memory): ~90 fills a step of mnist-cnn, ~10% of its time on one core. The runs stay
    # deterministic without it (tests/reliability/test_exact_resume.py checks bitwise equality).
    torch.utils.deterministic.fill_uninitialized_memory = False

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        warnings.filterwarnings("ignore", message=".*could not find the monitored key.*")
        warnings.filterwarnings("ignore", message=".*smaller than the logging interval.*")
        trainer.fit(module, train_loader, val_loader, ckpt_path=ckpt_path, weights_only=True)
    train_seconds = time.perf_counter() - started
    if not trainer.is_global_zero:
        return FitResult(run, {}, history.rows)

    best = run.checkpoints / BEST
    best_epoch = len(history.rows)
    if cfg.restore_best and best.is_file():
        checkpoint = load_checkpoint(best)
        module.load_state_dict(checkpoint["state_dict"])
        best_epoch = int(checkpoint["epoch"]) + 1
    extra: dict[str, Any] = {"skipped_steps": module.skipped_steps} if getattr(module, "skipped_steps", 0) else {}
    restore_members = getattr(module, "restore_member_bests", None)  # an ensemble trained apart (train/members.py)
    if restore_members is not None:
        member_epochs = restore_members()
        if member_epochs:
            extra["member_weights_epochs"] = member_epochs
            best_epoch = max(member_epochs.values())
    model = module.model.cpu().eval().to(memory_format=torch.contiguous_format)

    metrics = finish_run(task, run, model, history.rows, env, weights_epoch=best_epoch, wall_seconds=train_seconds,
                         extra_metrics=extra or None)
    return FitResult(run, metrics, history.rows)
