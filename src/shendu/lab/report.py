"""report.md for a lab run: the question, the computed conclusions, the experiment's own
sections (tables, pictures), the settings and the environment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """A Markdown table (cells as ``str``; ``|`` inside a cell escaped)."""
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(map(cell, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
    return lines


def picture(name: str, caption: str = "") -> list[str]:
    return [f"![{caption or name.removesuffix('.png')}]({name})", ""]


def render_report(title: str, question: str, command: str, engine: str, seeds: list[int], quick: bool,
                  seconds: float, conclusions: list[str], body: list[str], settings: Any,
                  env: dict[str, Any]) -> str:
    """The whole report.md."""
    size = "quick size: for tests, not for conclusions" if quick else "default size"
    lines = [
        f"# {title}",
        "",
        f"Made by `{command}`: engine {engine}, seeds {', '.join(map(str, seeds))} ({size}), "
        f"{seconds:.1f} s. Figures are the mean ± the standard deviation over the seeds; bands in the plots span "
        "the lowest to the highest seed.",
        "",
        question,
        "",
        "## Conclusions",
        "",
        "Each sentence below is written by the experiment's `conclude()` from this run's own numbers.",
        "",
        *(f"- {sentence}" for sentence in conclusions),
        "",
        *body,
        "## Settings",
        "",
        *table(("setting", "value"), [(key, value) for key, value in asdict(settings).items()]),
        "",
        "## Environment",
        "",
        f"Python {env.get('python')}, numpy {env['packages'].get('numpy')}, torch {env['packages'].get('torch')}, "
        f"{env.get('cpu_count')} CPUs, {env.get('threads')} thread for the engine. Every number is in "
        "`metrics.json` (mean, spread and each seed's value); the settings in `config.json`.",
        "",
    ]
    return "\n".join(lines)
