"""What the cardprep commands share; all of it lives in :mod:`cardprep.common.cli`, shared with
cardtrain, and is re-exported here for the command modules."""

from __future__ import annotations

from cardprep.common.cli import err_console, output_path, progress_bar, user_errors

__all__ = ["err_console", "output_path", "progress_bar", "user_errors"]
