"""What the cardprep commands share: the app they register on, and the helpers of
:mod:`cardprep.common.cli` (shared with cardtrain), re-exported for the command modules."""

from __future__ import annotations

from cardprep.common.cli import err_console, make_app, output_path, progress_bar, user_errors

__all__ = ["app", "err_console", "output_path", "progress_bar", "user_errors"]

# The command line app; each command module registers its command on it.
app = make_app("cardprep", "Prepare paired A/B photo datasets: simulate, align, augment, extract video frames.")
