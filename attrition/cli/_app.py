"""The Typer application, its consoles and the helpers every command shares."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    pass

app = typer.Typer(
    help="Predict and prevent client asset outflow and RM resignation in wealth management.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)
# wide tables stay readable when piped to a file or a log
out_console = Console(width=None if sys.stdout.isatty() else 160)


class Entity(StrEnum):
    client = "client"
    rm = "rm"


class FileFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


def _fail(exc: Exception) -> typer.Exit:
    from rich.markup import escape

    # escaped: rule names such as "[type]" in a message are text, not markup
    console.print(f"[bold red]Error:[/] {escape(str(exc))}")
    return typer.Exit(code=1)


def _progress_bar(description: str):  # type: ignore[no-untyped-def]
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} months"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
