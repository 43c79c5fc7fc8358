"""The ``cardprep`` command: a thin typer layer over the library, one module per command."""

from __future__ import annotations

# The app lives in _common, which the command modules import: no module imports this package back.
from cardprep.cli._common import app

from cardprep.cli import simulate  # noqa: F401  (each module registers its command on app)
from cardprep.cli import align, augment, frames, video  # noqa: F401
