"""Writing a variant run folder: the parent's files, the new model, metrics on the same test
split, a report, all or nothing (built in a hidden folder, renamed into place at the end)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from torch import nn

from shendu.data.base import dataset_checksum
from shendu.errors import RunFolderError, ShenduError
from shendu.predict.baselines import rescore_baselines
from shendu.predict.predictor import ModelSpec, Predictor
from shendu.runfolder import CONFIG, METRICS, MODEL, REPORT, WEIGHTS, RunFolder

# files of a run that describe its own model and training; everything else (config.json,
# env.json, tokenizer.json, baselines.json, ...) is what a variant needs from its parent
OWN_FILES = {WEIGHTS, "model.onnx", MODEL, METRICS, REPORT, "history.csv", "curves.png",
             "teacher_logits.safetensors", "distill.json"}  # a distilled parent's training inputs


def open_parent(run: Path | str) -> Predictor:
    """A complete run folder to make a variant of (its metrics.json is what the variant is
    compared with)."""
    from shendu.predict import load

    folder = RunFolder.open(run, require=(CONFIG, MODEL))
    if not folder.file(METRICS).is_file():
        raise RunFolderError(f"{folder.path} is not complete (no metrics.json): finish it first with "
                             f"`shendu train --resume {folder.path}`, then compress or export it.")
    return load(folder.path)


def variant_path(parent: Path, suffix: str, out: Path | None) -> Path:
    """``<out or parent's folder>/<parent name>-<suffix>`` (``-2``, ``-3``... when taken)."""
    root = Path(out) if out is not None else parent.parent
    base = root / f"{parent.name}-{suffix}"
    path, n = base, 2
    while path.exists():
        path, n = Path(f"{base}-{n}"), n + 1
    return path


@dataclass
class VariantRun:
    """What :func:`write_variant` writes.

    Args:
        model: the model to test (torch module or :class:`~shendu.compress.onnx.OnnxModule`),
            exactly as `shendu.load` will rebuild it from the written files.
        spec: the variant's model.json (weights_sha256 is filled in by ``write_weights``).
        write_weights: writes the model file into the folder and returns its SHA-256.
        what: one paragraph for the report: what was done to which layers.
        extra_metrics: metrics beyond the test metrics (sparsity, max difference to torch...).
        config_updates: settings of the parent's config.json that the variant changes (the new
            widths of a structurally pruned model), so config.json stays true of the model.
    """

    model: nn.Module
    spec: ModelSpec
    write_weights: Callable[[RunFolder], str]
    what: str
    extra_metrics: dict[str, Any]
    config_updates: dict[str, Any] = field(default_factory=dict)


def write_variant(parent: Predictor, variant: VariantRun, path: Path) -> tuple[RunFolder, dict[str, Any]]:
    """Test ``variant.model`` on the parent's test split and write the run folder at ``path``.
    Nothing appears at ``path`` unless every file was written."""
    if parent.spec.test_data is None:
        raise RunFolderError(f"{parent.run.path}'s model.json has no `test_data`: the variant could not be tested "
                             "on the same split. Train the parent again with this shendu first.")
    test = parent.spec.test_data.build(parent.spec.input, parent.run.path)
    evaluation = parent.kind.evaluate(variant.model, test, parent.labels, parent.spec.input)
    # the parent's baselines (baselines.json travels with the variant), re-scored as evaluate does
    evaluation.update(rescore_baselines(parent.run.path, evaluation.get("targets"), dataset_checksum(test)))
    metrics = {k: v for k, v in evaluation.items() if k.startswith("test_")}
    metrics.update(variant.extra_metrics)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        for item in parent.run.path.iterdir():
            if item.is_file() and item.name not in OWN_FILES and not item.name.endswith(".png"):
                shutil.copy2(item, staging / item.name)
        folder = RunFolder(staging)
        if variant.config_updates:
            config = folder.read_json(CONFIG)
            config["config"] = {**config.get("config", {}), **{k: v for k, v in variant.config_updates.items()
                                                                if k in config.get("config", {})}}
            folder.write_json(CONFIG, config)
        sha = variant.write_weights(folder)
        metrics["file_bytes"] = _model_bytes(staging)
        spec = replace(variant.spec, weights_sha256=sha)
        folder.write_json(MODEL, spec.to_dict())
        folder.write_json(METRICS, metrics)
        saved = parent.run.read_json(METRICS)
        folder.write_text(REPORT, render_variant_report(parent, spec, metrics, saved, variant.what))
        staging.rename(path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return RunFolder(path), metrics


def primary_metric(metrics: dict[str, Any]) -> tuple[str, bool]:
    """The test metric a run is judged by, and whether lower is better."""
    for name, lower in (("test_acc", False), ("test_map_50", False), ("test_rmse", True), ("test_wer", True)):
        if name in metrics:
            return name, lower
    raise ShenduError("the run's metrics.json has none of test_acc, test_map_50, test_rmse, test_wer.")


def cost_sentence(parent_metrics: dict[str, Any], metrics: dict[str, Any], parent_bytes: int, size_bytes: int) -> str:
    """One computed sentence: what the variant gained in size and what it cost in its metric."""
    name, lower = primary_metric(parent_metrics)
    before, after = float(parent_metrics[name]), float(metrics[name])
    ratio = parent_bytes / max(size_bytes, 1)
    size = (f"{ratio:.2f}x smaller on disk" if ratio >= 1 else f"{1 / ratio:.2f}x larger on disk") + \
        f" ({size_bytes:,} bytes against {parent_bytes:,})"
    if name in ("test_acc",):
        change = (after - before) * 100
        metric = (f"test accuracy {after * 100:.2f}% against {before * 100:.2f}% "
                  f"({'+' if change >= 0 else ''}{change:.2f} points)")
    else:
        worse = after > before if lower else after < before
        metric = f"{name} {after:.4g} against {before:.4g} ({'worse' if worse else 'no worse'})"
    return f"The variant is {size}; {metric}."


def render_variant_report(parent: Predictor, spec: ModelSpec, metrics: dict[str, Any], parent_metrics: dict[str, Any],
                          what: str) -> str:
    variant = spec.variant
    assert variant is not None
    parent_bytes = _model_bytes(parent.run.path)
    size_bytes = int(metrics.get("file_bytes", 0))
    name, _ = primary_metric(parent_metrics)
    lines = [f"# {parent.config.recipe}: {variant.method} variant", "",
             f"Made from `{variant.parent}` (weights SHA-256 {variant.parent_weights_sha256[:16]}…) with "
             f"`{variant.method}`, run by {variant.backend}.", "", what, "",
             "| | parent | this variant |", "|---|---|---|",
             f"| format | torch (float32) | {spec.format} |",
             f"| parameters | {parent.spec.num_parameters:,} | {spec.num_parameters:,} |",
             f"| model file bytes | {parent_bytes:,} | {size_bytes:,} |",
             f"| {name} | {parent_metrics[name]:.6g} | {metrics[name]:.6g} |",
             f"| test examples | {parent_metrics.get('test_samples')} | {metrics.get('test_samples')} |", "",
             cost_sentence(parent_metrics, metrics, parent_bytes, size_bytes), "",
             "Both figures are on the same test split (rebuilt from model.json's `test_data`). Latency and "
             f"throughput: `shendu compare {variant.parent} <this run>`.", ""]
    return "\n".join(lines)


def _model_bytes(folder: Path) -> int:
    for name in (WEIGHTS, "model.onnx"):
        if (folder / name).is_file():
            return (folder / name).stat().st_size
    return 0
