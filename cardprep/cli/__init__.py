"""The ``cardprep`` command: a thin typer layer over the library, one module per command."""

from __future__ import annotations

from cardprep.common.cli import make_app

app = make_app("cardprep", "Prepare paired A/B photo datasets: simulate, align, augment, extract video frames.")

from cardprep.cli import simulate  # noqa: E402,F401  (each module registers its command on app)
from cardprep.cli import align, augment, frames, video  # noqa: E402,F401
