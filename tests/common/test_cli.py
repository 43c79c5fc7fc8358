"""cardprep.common.cli: the error line, Ctrl-C, -h, --version and OUT, the same in both tools."""

from __future__ import annotations

import io
import logging
import signal
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cardprep.cli import app as cardprep_app
from cardprep.common.cli import output_path, user_errors
from cardprep.common.errors import ImageError, UserError
from cardprep.common.log import show_warnings
from cardprep.errors import CardprepError
from cardtrain.cli import app as cardtrain_app
from cardtrain.errors import CardtrainError

APPS = pytest.mark.parametrize("app, name", [(cardprep_app, "cardprep"), (cardtrain_app, "cardtrain")])


def _run(error: BaseException) -> tuple[int, str]:
    """Exit code and stderr of a one-command app whose command raises ``error``."""
    app = typer.Typer()

    @app.command()
    def fail() -> None:
        with user_errors():
            raise error

    result = CliRunner().invoke(app, [])
    return result.exit_code, result.stderr


@pytest.mark.parametrize("error", [CardprepError("shots[1]/a.jpg: [bold]x[/bold]"),
                                   CardtrainError("shots[1]/a.jpg: [bold]x[/bold]"),
                                   ImageError("shots[1]/a.jpg", "[bold]x[/bold]")])
def test_errors_of_both_packages_print_one_line_with_markup_escaped(error):
    code, stderr = _run(error)
    assert code == 1
    assert stderr == "error: shots[1]/a.jpg: [bold]x[/bold]\n"


def test_ctrl_c_is_one_line_and_exit_130():
    handler = signal.getsignal(signal.SIGINT)
    try:
        code, stderr = _run(KeyboardInterrupt())
    finally:
        signal.signal(signal.SIGINT, handler)  # user_errors ignores further Ctrl-C while exiting
    assert (code, stderr) == (130, "interrupted\n")


def test_a_bug_keeps_its_traceback():
    code, _ = _run(ZeroDivisionError())
    assert code == 1  # not caught by user_errors: CliRunner records the exception


def test_package_errors_are_user_errors():
    assert issubclass(CardprepError, UserError) and issubclass(CardtrainError, UserError)
    assert issubclass(ImageError, UserError)


@APPS
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_short_and_long_help(app, name, flag):
    result = CliRunner().invoke(app, [flag])
    assert result.exit_code == 0
    assert f"Usage: {name}" in result.stdout
    [version_line] = [line for line in result.stdout.splitlines() if "--version" in line]
    assert "<bool>" not in version_line  # a flag, not an option taking a value


@APPS
def test_version(app, name):
    result = CliRunner().invoke(app, ["--version"])
    assert (result.exit_code, result.stdout) == (0, f"{name} {version('cardprep')}\n")


@APPS
def test_commands_take_short_help_too(app, name):
    command = "frames" if name == "cardprep" else "predict"
    result = CliRunner().invoke(app, [command, "-h"])
    assert result.exit_code == 0 and "Usage:" in result.stdout


def test_output_path_positional_or_option():
    assert output_path(Path("a"), None, default=None) == Path("a")
    assert output_path(None, Path("b"), default=None) == Path("b")
    assert output_path(Path("a"), Path("a"), default=None) == Path("a")
    assert output_path(None, None, default=Path("d")) == Path("d")
    with pytest.raises(UserError, match="two outputs given: OUT a and --out b"):
        output_path(Path("a"), Path("b"), default=None)
    with pytest.raises(UserError, match="no output given"):
        output_path(None, None, default=None)


@APPS
def test_every_command_that_writes_takes_out_and_o(app, name):
    # issue 13, item 17: OUT positional in some commands, --out in others; now -o/--out everywhere
    commands = typer.main.get_command(app).commands
    writers = {command: params for command, params in
               ((c, {opt for p in cmd.params for opt in p.opts} | {p.name for p in cmd.params}) for c, cmd in commands.items())
               if "out" in params}
    assert writers, "no command with an output found"
    for command, params in writers.items():
        assert {"--out", "-o"} <= params, command


def test_positional_out_and_out_option_are_one_output(tmp_path):
    runner = CliRunner()
    args = ["video", "--frames", "2", "--size", "64x64"]
    result = runner.invoke(cardprep_app, [*args, "-o", str(tmp_path / "v.mp4")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "v.mp4").is_file()
    result = runner.invoke(cardprep_app, [*args, str(tmp_path / "a.mp4"), "--out", str(tmp_path / "b.mp4")])
    assert result.exit_code == 1 and "two outputs given" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.mp4"]


def test_warnings_go_to_the_stderr_of_the_moment(monkeypatch):
    # a handler bound to the stderr of its creation wrote to a closed stream after a CliRunner run
    show_warnings()
    for stream in (io.StringIO(), io.StringIO()):
        monkeypatch.setattr(sys, "stderr", stream)
        logging.getLogger("cardprep").warning("a.jpg: odd")
        assert stream.getvalue() == "warning: a.jpg: odd\n"
