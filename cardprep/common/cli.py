"""What both command-line tools share: the app itself (``-h``, ``--version``), error reporting,
warnings, the progress bar and the OUT argument, so the two tools cannot drift apart."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from cardprep.common.errors import UserError
from cardprep.common.log import is_main_process, show_warnings

err_console = Console(stderr=True)


def make_app(name: str, help: str) -> typer.Typer:
    """A typer app with ``-h``/``--help`` and ``--version``; commands register on it."""
    app = typer.Typer(
        name=name,
        help=help,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    def show_version(value: bool) -> None:
        if value:
            typer.echo(f"{name} {_version()}")
            raise typer.Exit()

    @app.callback()
    def main(
        # A default rather than Annotated: the callback is local, and annotations are strings here.
        version_: bool = typer.Option(False, "--version", callback=show_version, is_eager=True, metavar="",
                                      help="Print the version and exit."),  # metavar: a flag, not <bool>
    ) -> None:
        pass

    return app


def _version() -> str:
    try:
        return version("cardprep")  # one distribution installs both tools
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a UserError into ``error: <message>`` on stderr and exit 1, Ctrl-C into one line
    and exit 130 (the shell's code for SIGINT); no traceback for either."""
    show_warnings()
    try:
        yield
    except UserError as error:
        # escape: a path such as "shots[1]/a.jpg" must print as typed, not as rich markup
        err_console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        # Exiting on this Ctrl-C: another must not break the exit (late in Python's shutdown it
        # would kill the process by signal, exit status lost). SIG_IGN outlives the shutdown.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        err_console.print("interrupted", highlight=False, soft_wrap=True)
        raise typer.Exit(130) from None


def progress_bar(*extra_columns: ProgressColumn) -> Progress:
    """A rich progress bar on stderr (stdout stays clean for the summary line), hidden when it
    finishes, and off in ranks > 0 and when stderr is not a terminal (logs get no redraw noise)."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        *extra_columns,
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not (is_main_process() and err_console.is_terminal),
    )


def output_path(positional: Path | None, option: Path | None, *, default: Path | None) -> Path:
    """The output a command writes, given as a positional OUT or as ``--out``/``-o`` (both
    spellings work in every command); ``default`` when neither is given (None: required)."""
    if positional is not None and option is not None and positional != option:
        raise UserError(f"two outputs given: OUT {positional} and --out {option}; give one")
    chosen = positional if positional is not None else option
    if chosen is not None:
        return chosen
    if default is None:
        raise UserError("no output given: name it as OUT or with --out")
    return default
