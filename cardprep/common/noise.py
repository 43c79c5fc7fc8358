"""What C libraries print on their own: captured, so that it reaches the user as one line that
names the file (libjpeg's "Corrupt JPEG data", FFmpeg's "moov atom not found")."""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# File descriptor 2 is one per process, shared by all threads: one capture at a time.
_STDERR = threading.Lock()


@contextmanager
def stderr_captured() -> Iterator[list[str]]:
    """Redirect file descriptor 2 for the block; the yielded list then holds the lines written
    to it (after the block). Python's own ``sys.stderr`` writes are captured too."""
    lines: list[str] = []
    with _STDERR, tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines.extend(line.strip() for line in sink.read().decode("utf-8", "replace").splitlines() if line.strip())
