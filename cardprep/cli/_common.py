"""What every cardprep command shares: error reporting and the progress bar."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from cardprep.errors import CardprepError

err_console = Console(stderr=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a CardprepError into one line on stderr and exit code 1, with no traceback."""
    try:
        yield
    except CardprepError as error:
        err_console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def progress_bar() -> Progress:
    """A rich progress bar on stderr (so stdout stays clean for the summary line); off when
    stderr is not a terminal, so logs and pipes get no redraw noise."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )
