"""What the cardtrain commands share: the app they register on, the helpers of
:mod:`cardprep.common.cli` (error reporting, the progress bar, torchrun ranks, re-exported
here), a one-task bar for library callbacks, and durations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from cardprep.common.cli import err_console, is_main_process, make_app, output_path, progress_bar, user_errors

__all__ = ["app", "duration", "err_console", "is_main_process", "output_path", "progress_bar", "progress_task",
           "user_errors"]

# The command line app; each command module registers its command on it.
app = make_app("cardtrain", "Train pix2pix on side-by-side A|B images, score it, and translate images, folders and videos.")


@contextmanager
def progress_task(description: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar with one task; yields ``update(done, total)`` for library callbacks."""
    with progress_bar() as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"
