"""The ``cardtrain`` command: a thin typer layer over the library, one module per command."""

from __future__ import annotations

# The app lives in _common, which the command modules import: no module imports this package back.
from cardtrain.cli._common import app

from cardtrain.cli import eval as _eval  # noqa: F401  (registers the commands on app)
from cardtrain.cli import fit as _fit  # noqa: F401
from cardtrain.cli import predict as _predict  # noqa: F401
