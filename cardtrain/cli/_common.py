"""What every cardtrain command shares: error reporting, logging and the progress bar."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from cardtrain.errors import CardtrainError

err_console = Console(stderr=True)


def is_main_process() -> bool:
    """False in the ranks > 0 of a torchrun job: they neither print nor draw bars."""
    return os.environ.get("RANK", "0") == "0"


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a CardtrainError into one line on stderr and exit code 1, with no traceback."""
    logger = logging.getLogger("cardtrain")
    if not logger.handlers:
        handler = logging.StreamHandler()  # stderr: stdout stays clean for the summary line
        handler.setFormatter(logging.Formatter("warning: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING if is_main_process() else logging.ERROR)
    try:
        yield
    except CardtrainError as error:
        err_console.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def progress_bar(*extra: ProgressColumn) -> Progress:
    """A rich progress bar on stderr, hidden when it finishes, in ranks > 0 and in logs."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        *extra,
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not (is_main_process() and err_console.is_terminal),
    )


@contextmanager
def progress_task(description: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar with one task; yields ``update(done, total)`` for library callbacks."""
    with progress_bar() as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"
