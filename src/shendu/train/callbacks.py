"""Callbacks: the per-epoch history behind history.csv and curves.png."""

from __future__ import annotations

import csv
import io
import math
import time
from pathlib import Path
from typing import Any

import lightning as L

from shendu.runfolder import atomic_write_text

HISTORY_COLUMNS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds")


def history_to_csv(rows: list[dict[str, Any]], columns: tuple[str, ...] = HISTORY_COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _fmt(row.get(k)) for k in columns})
    return out.getvalue()


def read_history(path: Path) -> list[dict[str, float]]:
    """Read history.csv back into rows of floats (empty cells become NaN)."""
    with open(path, newline="", encoding="utf-8") as f:
        return [{k: (float(v) if v not in ("", None) else math.nan) for k, v in row.items()} for row in csv.DictReader(f)]


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


class HistoryCallback(L.Callback):
    """Record one row per epoch (losses, metrics, learning rate, seconds) into history.csv.

    The rows are part of the callback's state, so a resumed run keeps the epochs it had.
    """

    def __init__(self, path: Path, columns: tuple[str, ...] = HISTORY_COLUMNS) -> None:
        self.path = Path(path)
        self.columns = columns
        self.rows: list[dict[str, Any]] = []
        self._epoch_start = 0.0

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._epoch_start = time.perf_counter()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        seconds = time.perf_counter() - self._epoch_start
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if getattr(v, "numel", lambda: 1)() == 1}
        row: dict[str, Any] = {"epoch": trainer.current_epoch + 1, "seconds": round(seconds, 4)}
        row.update({k: metrics.get(k) for k in self.columns if k in metrics})
        row["lr"] = trainer.optimizers[0].param_groups[0]["lr"] if trainer.optimizers else None
        self.rows = [r for r in self.rows if r["epoch"] < row["epoch"]] + [row]
        if trainer.is_global_zero:
            atomic_write_text(self.path, history_to_csv(self.rows, self.columns))

    def state_dict(self) -> dict[str, Any]:
        return {"rows": [dict(r) for r in self.rows]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.rows = [dict(r) for r in state_dict.get("rows", [])]


class FreezeBackbone(L.Callback):
    """Fine-tuning: train only the head (parameters named ``fc.*``) for the first
    ``epochs`` epochs, then every parameter."""

    def __init__(self, epochs: int, head: str = "fc.") -> None:
        self.epochs = epochs
        self.head = head

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        frozen = trainer.current_epoch < self.epochs
        for name, parameter in pl_module.model.named_parameters():  # type: ignore[union-attr]
            parameter.requires_grad_(not frozen or name.startswith(self.head))
