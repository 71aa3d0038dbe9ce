"""report.md: what was trained on what, how well, how fast; links to the pictures."""

from __future__ import annotations

from typing import Any

from shendu.train.env import describe_cpu
from shendu.train.task import TrainingTask


def render_report(task: TrainingTask, metrics: dict[str, Any], history: list[dict[str, Any]],
                  env: dict[str, Any], num_parameters: int, pictures: list[str] | tuple[str, ...] = (),
                  notes: list[str] | tuple[str, ...] = ()) -> str:
    """The report's markdown. The result table's rows come from the task kind (a classifier's
    include its baselines and the sentence saying whether the model beats them); ``notes`` are
    added to the recipe's own (how the baselines were made)."""
    lines = [
        f"# {task.title}",
        "",
        f"Recipe `{task.recipe}`, engine `{task.config.engine}`, model "
        f"`{task.factory.__module__}:{task.factory.__qualname__}` ({num_parameters:,} parameters).",
        "",
        "## Result",
        "",
        "| metric | value |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in task.task_kind.report_rows(metrics)),
        f"| epochs run | {metrics['epochs_run']} ({weights_from(metrics)}) |",
        f"| training time | {metrics['train_seconds']:.1f} s ({metrics['seconds_per_epoch']:.2f} s/epoch) |",
        f"| training throughput | {metrics['train_examples_per_second']:.0f} examples/s |",
    ]
    if metrics.get("skipped_steps"):
        lines.append(f"| skipped steps | {metrics['skipped_steps']} (non-finite loss or gradient, "
                     "`on_nonfinite=skip`: no update) |")
    for picture in pictures:
        lines += ["", f"![{picture.removesuffix('.png')}]({picture})"]
    if task.target is not None:
        verdict = "met" if task.target.met(metrics) else "NOT met"
        lines += ["", f"Target: {task.target.describe()} — **{verdict}**."]
    lines += [
        "",
        "## Data",
        "",
        f"- Source: {task.data.source}",
        "- Split sizes: " + ", ".join(f"{k} {v:,}" for k, v in task.data.sizes.items()),
        f"- SHA-256 of what was read: `{task.data.checksum}`",
        "",
        "## Training",
        "",
        "| setting | value |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v} |" for k, v in task.config.to_dict().items() if k != "progress"]
    columns = task.train_kind.history_columns
    lines += ["", "![training curves](curves.png)", "",
              "| " + " | ".join(c.replace("_", " ") for c in columns) + " |", "|" + "---|" * len(columns)]
    for row in history:
        lines.append("| " + " | ".join(_cell(row.get(k)) for k in columns) + " |")
    if task.notes or notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in (*task.notes, *notes)]
    packages = env.get("packages", {})
    cpu = f"{describe_cpu(env['cpu'])}, " if isinstance(env.get("cpu"), dict) else ""
    lines += [
        "",
        "## Environment",
        "",
        f"Python {env.get('python')}, torch {packages.get('torch')}, lightning {packages.get('lightning')}, "
        f"{cpu}{env.get('cpu_count')} CPUs ({env.get('torch_threads')} torch threads), CUDA: {env.get('cuda')}. "
        "Full details in `env.json`; per-epoch numbers in `history.csv`; TensorBoard logs in `tb/`.",
        "",
    ]
    return "\n".join(lines)


def weights_from(metrics: dict[str, Any]) -> str:
    """``weights from epoch 4``, or for an ensemble whose members were kept at their own best
    epochs ``weights of each member from its best epoch: logistic 4, fasttext 2, cnn 4``."""
    members = metrics.get("member_weights_epochs")
    if members:
        return "weights of each member from its best epoch: " + ", ".join(f"{k} {v}" for k, v in members.items())
    return f"weights from epoch {metrics['weights_epoch']}"


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
