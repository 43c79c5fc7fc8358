"""The ``cardtrain`` command: a thin typer layer over the library, one module per command."""

from __future__ import annotations

from cardprep.common.cli import make_app

app = make_app("cardtrain", "Train pix2pix on side-by-side A|B images, score it, and translate images, folders and videos.")

from cardtrain.cli import eval as _eval  # noqa: E402,F401  (registers the commands on app)
from cardtrain.cli import fit as _fit  # noqa: E402,F401
from cardtrain.cli import predict as _predict  # noqa: E402,F401
