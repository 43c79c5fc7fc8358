"""The ``cardprep`` command: a thin typer layer over the library, one module per command."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="cardprep",
    help="Prepare paired A/B photo datasets: simulate, align, augment, extract video frames.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def main() -> None:
    """Prepare paired A/B photo datasets: simulate, align, augment, extract video frames."""

from cardprep.cli import simulate  # noqa: E402,F401  (each module registers its command on app)
from cardprep.cli import align, augment, frames, video  # noqa: E402,F401
