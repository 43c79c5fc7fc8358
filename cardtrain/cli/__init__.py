"""The ``cardtrain`` command: a thin typer layer over the library, one module per command."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="cardtrain",
    help="Train pix2pix on side-by-side A|B images, score it, and translate images, folders and videos.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

from cardtrain.cli import eval as _eval  # noqa: E402,F401  (registers the commands on app)
from cardtrain.cli import fit as _fit  # noqa: E402,F401
from cardtrain.cli import predict as _predict  # noqa: E402,F401
