"""The `shendu` command: list, train, evaluate, predict, info."""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from shendu.errors import ShenduError, TrainingInterrupted
from shendu.terminal import json_text, safe_text

RUN_DIR_ENV = "SHENDU_RUN_DIR"

app = typer.Typer(
    name="shendu",
    help="shendu (深度): train, evaluate and use deep learning models, offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# no :emoji: codes: a label or path written `:warning:` prints as written
console = Console(emoji=False)
err_console = Console(stderr=True, emoji=False)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Print a user error as one paragraph and exit 2, instead of a traceback."""
    try:
        yield
    except ShenduError as exc:
        err_console.print(f"[bold red]error:[/] {safe_text(exc, newlines=True)}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except TrainingInterrupted as stop:
        err_console.print(safe_text(interrupted_message(stop), markup=False), highlight=False, markup=False,
                          soft_wrap=True)
        raise typer.Exit(stop.exit_code) from None
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]; resume a training run with `shendu train --resume RUN`.")
        raise typer.Exit(130) from None


def interrupted_message(stop: TrainingInterrupted) -> str:
    """One line: what stopped training, what was saved and the command that continues it."""
    if stop.checkpoint is None:
        return (f"stopped by {stop.signal_name} before the first checkpoint was written: nothing to resume; "
                "train again.")
    run = stop.checkpoint.parent.parent
    command = stop.resume_command or (f"shendu distill --resume {run}" if (run / "distill.json").is_file()
                                      else f"shendu train --resume {run}")
    if stop.immediate:
        return f"stopped at once by a second Ctrl-C; resume from the last checkpoint with: {command}"
    return (f"stopped by {stop.signal_name} at epoch {stop.epoch}, step {stop.step}: checkpoint saved; "
            f"resume with: {command}")


@app.callback()
def _setup(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show library log messages.")] = False) -> None:
    handler = RichHandler(console=err_console, show_path=False)  # markup off: only control characters to escape
    handler.addFilter(_visible_controls)
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s", handlers=[handler],
                        force=True)


def _visible_controls(record: logging.LogRecord) -> bool:
    """Log messages name paths and files too: their control characters are shown as escapes."""
    record.msg, record.args = safe_text(record.getMessage(), markup=False, newlines=True), None
    return True


def _quiet_lightning() -> None:
    """Lightning sets its loggers to INFO with its own handler on import; keep them quiet
    unless --verbose asked for INFO on the root logger."""
    import lightning  # noqa: F401

    level = logging.getLogger().level
    for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
        logger = logging.getLogger(name)
        logger.setLevel(max(level, logging.INFO))
        logger.handlers.clear()
        logger.propagate = True


# -- list -------------------------------------------------------------------------------------


@app.command("list")
def list_recipes() -> None:
    """List the recipes: what each trains, on which data, model size and the metric it reaches."""
    from shendu.recipes import RECIPES

    table = Table(title="shendu recipes")
    for column in ("recipe", "what it trains", "default data", "parameters", "reaches"):
        table.add_column(column)
    for recipe in RECIPES.values():
        table.add_row(recipe.name, recipe.summary, recipe.data, f"{recipe.parameters:,}",
                      recipe.target.describe() if recipe.target else "— (no shipped data)")
    console.print(table)


# -- train ------------------------------------------------------------------------------------


TRAIN_CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


@app.command(context_settings=TRAIN_CONTEXT)
def train(
    ctx: typer.Context,
    recipe: Annotated[str | None, typer.Argument(help="Recipe name (see `shendu list`).")] = None,
    epochs: Annotated[int | None, typer.Option(help="Passes over the training data.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Examples per step.")] = None,
    lr: Annotated[float | None, typer.Option(help="Learning rate.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed; the same seed repeats the run.")] = None,
    out: Annotated[Path, typer.Option(help="Folder that receives the run folder.")] = Path("runs"),
    resume: Annotated[Path | None, typer.Option(help="Continue an interrupted run folder.")] = None,
    devices: Annotated[str | None, typer.Option(help="Devices for Lightning ('auto', 1, 2, ...).")] = None,
    engine: Annotated[str | None, typer.Option(help="torch (Lightning) or scratch (the NumPy engine).")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Any recipe setting, KEY=VALUE (repeatable).")] = None,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
    show_help: Annotated[bool, typer.Option("--help", "-h", help="Show this message (and RECIPE's options) and exit.")] = False,
) -> None:
    """Train RECIPE into a new run folder (or --resume one) and print where its report is.

    Every setting of RECIPE is an option too (--data DIR, --symbol AAPL, --horizon 3, --no-augment):
    `shendu train RECIPE --help` lists them with their defaults.
    """
    from shendu.recipes import get_recipe
    from shendu.recipes.options import parse_options, parse_sets, resolve_settings
    from shendu.runfolder import CONFIG, RunFolder

    with user_errors():
        if recipe is not None and recipe.startswith("-"):
            raise ShenduError(f"`shendu train` takes RECIPE first, then its options; got the option {recipe!r} "
                              "before it. Write `shendu train RECIPE [OPTIONS]` (see `shendu list`).")
        if show_help:
            _train_help(ctx, None if recipe is None else get_recipe(recipe))
            return
        saved: dict[str, Any] | None = None
        if resume is not None:
            run = RunFolder.open(resume, require=(CONFIG,))
            if run.file("distill.json").is_file():  # train alone would go on without the teacher
                raise ShenduError(f"{run.path} is a distillation run (it has distill.json); `shendu train --resume` "
                                  f"would continue it without its teacher. Resume it with `shendu distill --resume "
                                  f"{run.path}`.")
            if run.is_complete:
                raise ShenduError(f"{run.path} is already complete (it has model.safetensors and metrics.json); "
                                  "there is nothing to resume. Train a new run instead.")
            saved_json = run.read_json(CONFIG)
            if recipe is not None and recipe != saved_json.get("recipe"):
                raise ShenduError(f"--resume {run.path} is a {saved_json.get('recipe')!r} run; got RECIPE {recipe!r}. "
                                  "Leave RECIPE out when resuming.")
            the_recipe = get_recipe(str(saved_json.get("recipe")))
            saved = saved_json.get("config", {})
        elif recipe is None:
            raise ShenduError("`shendu train` needs a RECIPE (see `shendu list`) or --resume RUN.")
        else:
            the_recipe = get_recipe(recipe)
        named = parse_options(list(ctx.args), the_recipe.config_cls, the_recipe.name, the_recipe.data)
        given = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed, "devices": devices,
                 "engine": engine}
        named.update({key: value for key, value in given.items() if value is not None})
        named["progress"] = progress
        values = resolve_settings(the_recipe.default_config().to_dict(), saved,
                                  parse_sets(set_ or [], the_recipe.config_cls), named)
        try:
            config = the_recipe.config_from_dict(values)
            config.validate()
        except (TypeError, ValueError) as exc:
            raise ShenduError(str(exc)) from None
        _quiet_lightning()
        from shendu.train import train_task

        task = the_recipe.make_task(config)
        if config.engine == "scratch" and task.scratch_factory is None:  # before a run folder exists
            raise ShenduError(f"recipe {the_recipe.name} has no scratch-engine model; use --engine torch.")
        if resume is None:
            # With --devices > 1 Lightning re-runs this command once per extra process; they
            # must all train into the folder the first process created.
            shared = os.environ.get(RUN_DIR_ENV)
            run = RunFolder(Path(shared)) if shared else RunFolder.create(out, the_recipe.name)
        if _is_first_process():
            console.print(f"[bold]{the_recipe.name}[/]: {safe_text(task.data.source)}; "
                          f"{', '.join(f'{k} {v:,}' for k, v in task.data.sizes.items())} → {safe_text(run.path)}")
        with _shared_run_dir(run.path):
            result = train_task(task, run, resume=resume is not None)
    if _is_first_process():
        _print_result(result.metrics, result.run.path, task.task_kind.headline)


@contextlib.contextmanager
def _shared_run_dir(path: Path) -> Iterator[None]:
    """Name the run folder in the environment while training, for the processes that
    ``--devices > 1`` starts, and only then (a second `train` in this process gets its own)."""
    before = os.environ.get(RUN_DIR_ENV)
    os.environ[RUN_DIR_ENV] = str(path)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(RUN_DIR_ENV, None)
        else:
            os.environ[RUN_DIR_ENV] = before


def _train_help(ctx: typer.Context, recipe: Any) -> None:
    """`shendu train --help`, and with a RECIPE, a table of its own options and defaults."""
    from shendu.recipes.options import settings_of

    console.print(ctx.get_help(), highlight=False, markup=False)
    if recipe is None:
        console.print("\nEach recipe has its own options: `shendu train RECIPE --help` (recipes: `shendu list`).")
        return
    from shendu.train.config import TrainConfig

    common = {s.name for s in settings_of(TrainConfig)}
    console.print(f"\n[bold]{recipe.name}[/]: {recipe.summary}\ndata: {recipe.data}", highlight=False)
    settings = settings_of(recipe.config_cls)
    for title, rows in ((f"{recipe.name}'s own options", [s for s in settings if s.name not in common]),
                        ("training options (every recipe; defaults are this recipe's)",
                         [s for s in settings if s.name in common])):
        table = Table(title=title, title_justify="left")
        for column in ("option", "type", "default", "what it sets"):
            table.add_column(column, overflow="fold")
        for setting in rows:
            flag = f"{setting.flag} / --no-{setting.flag[2:]}" if setting.is_bool else setting.flag
            default = repr(setting.default) if isinstance(setting.default, str) else str(setting.default)
            table.add_row(flag, setting.type_name, default, setting.help)
        console.print(table)
    console.print("Every option also works as --set KEY=VALUE (KEY with underscores).")


def _is_first_process() -> bool:
    """False in the extra processes Lightning starts for --devices > 1."""
    return os.environ.get("LOCAL_RANK", "0") == "0" and os.environ.get("NODE_RANK", "0") == "0"


def _print_result(metrics: dict[str, Any], run_path: Path, headline: Callable[[dict[str, Any]], str]) -> None:
    from shendu.predict.baselines import baseline_sentence

    if metrics:
        console.print(headline(metrics))
    sentence = baseline_sentence(metrics)
    if sentence:
        console.print(sentence, highlight=False)
    target = metrics.get("target")
    if target:
        verdict = "[green]met[/]" if target["met"] else "[red]not met[/]"
        bound = f"<= {target['maximum']}" if "maximum" in target else f">= {target['minimum']}"
        console.print(f"target {target['metric']} {bound}: {verdict}")
    console.print(f"report: {safe_text(run_path / 'report.md')}")


# -- evaluate ---------------------------------------------------------------------------------


@app.command()
def evaluate(run: Annotated[Path, typer.Argument(help="A run folder made by `shendu train`.")]) -> None:
    """Test RUN's model again from the run folder alone (its test split rebuilt with the run's own
    preprocessing, nothing trained) and compare with metrics.json and the data checksum."""
    from rich.progress import Progress

    from shendu.predict import load

    with user_errors():
        predictor = load(run)
        with Progress(console=err_console, transient=True) as bar:
            job = bar.add_task("evaluating", total=None)
            evaluation = predictor.evaluate(progress=lambda done, total: bar.update(job, completed=done, total=total))
    table = Table(title=f"evaluate {safe_text(predictor.run.path)}")
    for column in ("metric", "now", "metrics.json", "same"):
        table.add_column(column)
    for key, value in evaluation.metrics.items():
        old = evaluation.saved.get(key)
        same = "—" if old is None else ("yes" if old == value else "[red]no[/]")
        shown = f"{value:.6g}" if isinstance(value, float) else _cell(value)
        table.add_row(safe_text(key), safe_text(shown), "—" if old is None else safe_text(_cell(old)), same)
    console.print(table)
    if evaluation.data_changed:
        err_console.print(f"[bold yellow]warning:[/] the test data changed since training: its SHA-256 is "
                          f"{evaluation.test_sha256[:16]}…, env.json records {evaluation.expected_sha256[:16]}…; "
                          "the metrics above are on the new data.", highlight=False)
    elif evaluation.data_changed is None:
        console.print("test data checksum: not recorded in env.json (a run made before shendu recorded it).")
    else:
        console.print(f"test data: the same as in training (SHA-256 {evaluation.test_sha256[:16]}…).")


# -- predict ----------------------------------------------------------------------------------


@app.command()
def predict(
    run: Annotated[Path, typer.Argument(help="A run folder made by `shendu train`.")],
    inputs: Annotated[list[str], typer.Argument(help="Image files, texts (text models), 'x1,x2' vectors, a series' "
                                                     "recent values 'v1,v2,...' or a file (forecasters), audio files.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    top_k: Annotated[int | None, typer.Option("--top-k", "-k", help="Classifiers: how many classes to show (3).")] = None,
    explain: Annotated[int | None, typer.Option(help="Text with attention: show the N most attended tokens.")] = None,
    score_threshold: Annotated[float | None, typer.Option(help="Detection: keep boxes scoring at least this (0.5).")] = None,
    save_dir: Annotated[Path | None, typer.Option(help="Detection: also write each image with its boxes drawn here.")] = None,
    caption: Annotated[list[str] | None, typer.Option(help="Multimodal: the caption read with the images (once for "
                                                           "all, or once per image).")] = None,
) -> None:
    """Predict INPUTS with RUN's model: classes with probabilities, sentiment, boxes, a forecast or
    a transcript, whatever the run's task is (`shendu.load(RUN).predict(INPUTS)`)."""
    from shendu.predict import load

    options = {"top_k": top_k, "explain": explain, "score_threshold": score_threshold, "save_dir": save_dir,
               "caption": caption}
    with user_errors():
        predictor = load(run)
        results = predictor.predict(inputs, **{k: v for k, v in options.items() if v is not None})
    if as_json:
        console.out(json_text([r.to_dict() for r in results]), highlight=False)
    else:
        predictor.kind.render(results, console)


# -- info -------------------------------------------------------------------------------------


@app.command()
def info(run: Annotated[Path, typer.Argument(help="A run folder made by `shendu train`.")]) -> None:
    """Show what RUN is: recipe, settings, data, metrics and files."""
    from shendu.runfolder import CONFIG, ENV, METRICS, MODEL, RunFolder

    with user_errors():
        folder = RunFolder.open(run, require=(CONFIG,))
        config = folder.read_json(CONFIG)
        model = folder.read_json(MODEL) if folder.file(MODEL).is_file() else {}
        metrics = folder.read_json(METRICS) if folder.file(METRICS).is_file() else {}
        env = folder.read_json(ENV) if folder.file(ENV).is_file() else {}
    table = Table(title=safe_text(folder.path), show_header=False)
    table.add_column("key", style="bold")
    table.add_column("value")
    for key, value in info_rows(config, model, metrics, env, folder.is_complete):
        incomplete = key == "status" and str(value).startswith("incomplete")  # a lab run is complete without weights
        table.add_row(safe_text(key), f"[yellow]{safe_text(value)}[/]" if incomplete else safe_text(value))
    table.add_row("files", safe_text(", ".join(sorted(p.name for p in folder.path.iterdir()
                                                      if not p.name.startswith(".")))))
    console.print(table)


def info_rows(config: dict[str, Any], model: dict[str, Any], metrics: dict[str, Any], env: dict[str, Any],
              complete: bool) -> list[tuple[str, str]]:
    """The rows `shendu info` shows, from the run folder's JSON files as they are: a hand-edited
    value of another type is shown as it is, never a reason to fail (`shendu.load` checks them)."""
    if "experiment" in config:  # a `shendu lab` run: no weights; metrics.json, written last, completes it
        rows = [("experiment", _cell(config.get("experiment"))), ("engine", _cell(config.get("engine"))),
                ("status", "complete" if metrics else "incomplete (no metrics.json: run the command again)"),
                ("command", _cell(config.get("command")))]
    else:
        rows = [("recipe", _cell(config.get("recipe"))), ("engine", _cell(config.get("engine"))),
                ("status", "complete" if complete else "incomplete (resume with --resume)")]
    settings = config.get("config")
    if isinstance(settings, dict):
        rows += [(f"config.{key}", _cell(value)) for key, value in settings.items()]
    if model:
        count = model.get("num_parameters")
        size = f"{count:,} parameters" if isinstance(count, int) and not isinstance(count, bool) else "parameters: ?"
        rows.append(("model", f"{_cell(model.get('factory'))} ({size})"))
        labels = model.get("labels")
        rows.append(("labels", ", ".join(map(_cell, labels)) if isinstance(labels, list) else _cell(labels)))
        variant = model.get("variant")
        if isinstance(variant, dict):
            rows.append(("variant", f"{_cell(variant.get('method'))} of {_cell(variant.get('parent'))} "
                                    f"({_cell(model.get('format'))}, run by {_cell(variant.get('backend'))})"))
    data = env.get("data")
    if isinstance(data, dict):
        rows.append(("data", f"{_cell(data.get('source'))} (sha256 {_cell(data.get('sha256'))[:16]}…)"))
    rows += [(f"metrics.{key}", f"{value:.6g}" if isinstance(value, float) else _cell(value))
             for key, value in metrics.items() if not isinstance(value, dict)]
    return rows


def _cell(value: Any) -> str:
    """A JSON value as one table cell (objects and lists as JSON)."""
    if isinstance(value, dict | list):
        return json_text(value, indent=None)
    return str(value)


# compress, export, distill and compare live in cli_variants.py, serve in cli_serve.py; importing them
# registers them on `app`
from shendu import cli_explain, cli_lab, cli_serve, cli_variants  # noqa: E402, F401


def main() -> None:
    # Third-party deprecation chatter is not for users of the CLI.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message=".*treespec.*")
    app()


if __name__ == "__main__":
    main()
