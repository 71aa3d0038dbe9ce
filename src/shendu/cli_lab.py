"""`shendu lab list` and `shendu lab EXPERIMENT`: the documents' exercises and comparisons as
experiments (registers on :data:`shendu.cli.app` when `shendu.cli` imports this module)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from shendu.cli import app, console, err_console, user_errors
from shendu.terminal import safe_text


@app.command()
def lab(
    experiment: Annotated[str | None, typer.Argument(metavar="EXPERIMENT",
                                                           help="An experiment (see `shendu lab list`), or `list`.")] = None,
    engine: Annotated[str, typer.Option(help="torch or scratch (the NumPy engine): what trains the models.")]
    = "torch",
    seeds: Annotated[int | None, typer.Option(help="How many seeds to repeat over, for mean and spread "
                                                   "(default: the experiment's own, usually 3).")] = None,
    seed: Annotated[int, typer.Option(help="The first seed; the run uses SEED, SEED+1, ...")] = 0,
    quick: Annotated[bool, typer.Option(help="A small size that runs in seconds (for tests; no conclusions to "
                                             "trust).")] = False,
    out: Annotated[Path, typer.Option(help="Folder that receives the run folder.")] = Path("runs"),
) -> None:
    """Run a lab EXPERIMENT into a run folder: plots, tables and a report.md whose conclusions are
    computed from the run's own numbers. `shendu lab list` shows the experiments."""
    from shendu.lab.registry import EXPERIMENTS

    if experiment is None or experiment == "list":
        _list(EXPERIMENTS)
        return
    with user_errors():
        from shendu.lab.registry import check_engine, get_experiment

        chosen = get_experiment(experiment)
        check_engine(chosen, engine)
        from shendu.lab.runner import run_lab

        with err_console.status(f"lab {chosen.name}") as status:
            result = run_lab(chosen.name, engine=engine, seeds=seeds, seed=seed, quick=quick, out=out,
                             progress=lambda text: status.update(safe_text(text)))
    console.print(f"[bold]lab {chosen.name}[/] ({engine}, {len(result.folder.read_json('config.json')['seeds'])} "
                  f"seeds, {result.seconds:.1f} s)")
    for sentence in result.conclusions:
        console.print(f"- {safe_text(sentence)}", highlight=False)
    console.print(f"report: {safe_text(result.folder.path / 'report.md')}")


def _list(experiments: dict) -> None:
    table = Table(title="shendu lab experiments")
    for column in ("experiment", "what it compares", "engines", "seeds"):
        table.add_column(column)
    for item in experiments.values():
        table.add_row(item.name, item.summary, ", ".join(item.engines), str(item.seeds))
    console.print(table)
    console.print("Run one with `shendu lab EXPERIMENT [--engine torch|scratch] [--seeds N] [--quick]`; "
                  "the gallery of reports is docs/lab/.")
