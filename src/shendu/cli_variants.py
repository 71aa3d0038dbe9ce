"""`shendu compress`, `export`, `distill` and `compare`: the commands that make and measure
variants of a run. They register on :data:`shendu.cli.app` when `shendu.cli` imports this module."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from shendu.cli import _quiet_lightning, app, console, err_console, user_errors
from shendu.errors import ShenduError
from shendu.terminal import safe_text

# -- compress, export, distill, compare -------------------------------------------------------


def _print_variant(folder: Any, metrics: dict[str, Any]) -> None:
    from shendu.compress.runs import primary_metric

    name, _ = primary_metric(metrics)
    console.print(f"{name}: [bold]{metrics[name]:.6g}[/]; model file {metrics.get('file_bytes', 0):,} bytes")
    console.print(f"report: {safe_text(folder.path / 'report.md')}")


@app.command()
def compress(
    run: Annotated[Path, typer.Argument(help="A run folder made by `shendu train`.")],
    quantize: Annotated[str | None, typer.Option(help="dynamic: int8 weights and int8 kernels (torch.ao); static: "
                                                      "int8 weights and activations calibrated on training inputs "
                                                      "(ONNX Runtime).")] = None,
    layers: Annotated[str, typer.Option(help="--quantize dynamic: the layer types, of Linear,Embedding,LSTM.")]
    = "Linear,Embedding",
    prune: Annotated[str | None, typer.Option(help="l1: zero the weights of smallest magnitude (torch.nn.utils.prune), "
                                                   "made permanent.")] = None,
    amount: Annotated[float | None, typer.Option(help="--prune: the share of weights (or channels) removed, in (0, 1).")]
    = None,
    structured: Annotated[bool, typer.Option(help="--prune: remove whole channels/units, so the layers shrink.")] = False,
    finetune_epochs: Annotated[int, typer.Option(help="--prune: train this many epochs after pruning (masks kept).")] = 0,
    out: Annotated[Path | None, typer.Option(help="Folder for the new run folder (default: beside RUN).")] = None,
) -> None:
    """Make a smaller or faster variant of RUN as a new run folder: int8 quantization or pruning,
    tested on RUN's test split, with a report of what it cost."""
    with user_errors():
        if (quantize is None) == (prune is None):
            raise ShenduError("`shendu compress` takes one of --quantize dynamic|static or --prune l1; got "
                              f"{'both' if quantize and prune else 'neither'}.")
        if quantize is not None:
            from shendu.compress.commands import export_onnx_run, quantize_dynamic_run

            if quantize == "dynamic":
                names = tuple(n.strip() for n in layers.split(",") if n.strip())
                folder, metrics = quantize_dynamic_run(run, names, out)
            elif quantize == "static":
                folder, metrics = export_onnx_run(run, quantize="static", out=out)
            else:
                raise ShenduError(f"--quantize takes dynamic or static; got {quantize!r}.")
        else:
            if prune != "l1":
                raise ShenduError(f"--prune takes l1; got {prune!r}.")
            if amount is None:
                raise ShenduError("--prune l1 needs --amount, the share of weights to remove, in (0, 1) (e.g. 0.8).")
            _quiet_lightning()
            from shendu.compress.prune import prune_run

            folder, metrics = prune_run(run, amount, structured=structured, finetune_epochs=finetune_epochs, out=out)
    _print_variant(folder, metrics)


@app.command()
def export(
    run: Annotated[Path, typer.Argument(help="A run folder made by `shendu train`.")],
    format_: Annotated[str, typer.Option("--format", help="onnx (run by ONNX Runtime).")] = "onnx",
    int8: Annotated[str | None, typer.Option(help="Also quantize with ONNX Runtime: dynamic or static.")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for the new run folder (default: beside RUN).")] = None,
) -> None:
    """Export RUN to ONNX as a new run folder that `shendu.load`, evaluate, predict and serve run
    with ONNX Runtime (checked against the torch model on real and random inputs)."""
    with user_errors():
        if format_ != "onnx":
            raise ShenduError(f"--format takes onnx; got {format_!r}.")
        from shendu.compress.commands import export_onnx_run

        folder, metrics = export_onnx_run(run, quantize=int8, out=out)
    console.print(f"largest difference from the torch model: {metrics['max_abs_difference_to_torch']:.3g}")
    _print_variant(folder, metrics)


@app.command()
def distill(
    teacher: Annotated[Path | None, typer.Argument(metavar="TEACHER_RUN", help="The teacher: a complete classifier "
                                                   "run folder made by `shendu train`.")] = None,
    student: Annotated[str | None, typer.Option(help="The student's recipe (see `shendu list`), e.g. mnist-cnn.")] = None,
    temperature: Annotated[float | None, typer.Option(help="T > 0: softens both models' probabilities "
                                                           "[default: 4, the documents']")] = None,
    alpha: Annotated[float | None, typer.Option(help="The teacher's term's weight, in [0, 1] "
                                                     "[default: 0.7, the documents']")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="A student recipe setting, KEY=VALUE (repeatable).")]
    = None,
    baseline: Annotated[bool, typer.Option(help="Also train the same student without the teacher, to compare.")] = True,
    teacher_logits: Annotated[str | None, typer.Option(
        "--teacher-logits", help="cached: the teacher reads each training example once, unaugmented; live: it reads "
        "every training batch as the student sees it (augmented images; images and vectors only) [default: cached]")]
    = None,
    out: Annotated[Path, typer.Option(help="Folder that receives the run folders.")] = Path("runs"),
    resume: Annotated[Path | None, typer.Option(help="Finish an interrupted distillation run folder.")] = None,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> None:
    """Train the --student recipe against TEACHER_RUN's softened outputs (the documents'
    DistillationLoss), beside the same student trained without the teacher; the report says which wins."""
    from shendu.compress.distill import check_loss_settings, distill_run, resume_distillation

    with user_errors():
        if resume is not None:
            given = [name for name, value in (("TEACHER_RUN", teacher), ("--student", student), ("--set", set_),
                                               ("--temperature", temperature), ("--alpha", alpha),
                                               ("--teacher-logits", teacher_logits)) if value]
            if given:
                raise ShenduError(f"--resume RUN takes the teacher and every setting from RUN's distill.json and "
                                  f"config.json; got {', '.join(given)} too. Write `shendu distill --resume RUN`.")
            _quiet_lightning()
            folder, metrics = resume_distillation(resume, progress=progress)
        else:
            if teacher is None or student is None:
                raise ShenduError("`shendu distill` needs TEACHER_RUN and --student RECIPE, e.g. `shendu distill "
                                  "runs/mnist-cnn-20261124-101500 --student mnist-cnn --set conv1=8 --set conv2=16 "
                                  "--set hidden=32` (or --resume RUN).")
            temperature, alpha = 4.0 if temperature is None else temperature, 0.7 if alpha is None else alpha
            teacher_logits = teacher_logits or "cached"
            check_loss_settings(temperature, alpha, teacher_logits)
            _quiet_lightning()
            console.print(f"distilling {safe_text(teacher)} into [bold]{safe_text(student)}[/] (T={temperature:g}, "
                          f"alpha={alpha:g}, {teacher_logits} teacher logits)"
                          f"{'; the same student without the teacher trains first' if baseline else ''} → {safe_text(out)}")
            folder, metrics = distill_run(teacher, student, set_, temperature, alpha, out=out, progress=progress,
                                          baseline=baseline, teacher_logits=teacher_logits)
    _print_distillation(folder, metrics)


def _print_distillation(folder: Any, metrics: dict[str, Any]) -> None:
    from shendu.compress.distill_report import distillation_verdict
    from shendu.runfolder import MODEL

    details = folder.read_json(MODEL)["variant"]["details"]
    teacher_acc = details["teacher_test_metric"]["test_acc"]
    console.print(f"teacher {details['teacher_recipe']} ({details['teacher_parameters']:,} parameters): "
                  f"test accuracy {teacher_acc * 100:.2f}%", highlight=False)
    baseline = details.get("baseline_test_metric")
    if baseline is not None:
        console.print(f"same student without the teacher → {safe_text(details['baseline'])}: test accuracy "
                      f"{baseline['test_acc'] * 100:.2f}%", highlight=False)
    console.print(f"distilled student ({details['student_parameters']:,} parameters) → {safe_text(folder.path)}: "
                  "test accuracy "
                  f"[bold]{metrics['test_acc'] * 100:.2f}%[/]", highlight=False)
    target = metrics.get("target")
    if target:
        console.print(f"target {target['metric']} >= {target['minimum']:g} (1 point below the teacher): "
                      f"{'[green]met[/]' if target['met'] else '[red]not met[/]'}")
    console.print(distillation_verdict(teacher_acc, metrics["test_acc"], None if baseline is None else
                                       baseline["test_acc"], int(metrics.get("test_samples", 0))), highlight=False)
    console.print(f"report: {safe_text(folder.path / 'report.md')}")


@app.command()
def compare(
    runs: Annotated[list[Path], typer.Argument(help="Run folders: a model and its variants (the first is the reference).")],
    out: Annotated[Path | None, typer.Option(help="Also write compare.md, compare.json and compare.png here.")] = None,
    calls: Annotated[int, typer.Option(help="Timed calls per cell (after 5 warm-up calls).")] = 50,
) -> None:
    """Compare RUNS side by side in one process on the same test split: parameters, file size,
    latency p50/p99 at batch 1 and 32 on 1 and 2 threads, throughput and the test metric."""
    import shlex
    import sys

    from shendu.compress.compare import COLUMNS, compare_runs, rows, verdict, write_comparison

    with user_errors():
        with err_console.status("comparing") as status:
            figures = compare_runs(runs, calls=calls, progress=lambda text: status.update(text))
        if out is not None:
            write_comparison(figures, out, "shendu " + shlex.join(sys.argv[1:]))
    table = Table(title="shendu compare")
    for column in COLUMNS:
        table.add_column(column, overflow="fold")
    for cells in rows(figures):
        table.add_row(*map(safe_text, cells))
    console.print(table)
    text = verdict(figures)
    if text:
        console.print(safe_text(text, newlines=True), highlight=False)
    if out is not None:
        console.print(f"written: {safe_text(out / 'compare.md')}, {safe_text(out / 'compare.png')}")
