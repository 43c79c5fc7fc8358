"""What C libraries print on their own: captured, so that it reaches the user as one line that
names the file (libjpeg's "Corrupt JPEG data", FFmpeg's "moov atom not found")."""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

# File descriptor 2 is one per process, shared by all threads: one capture at a time, into one
# scratch file kept open (a new file per capture would cost more than a small decode).
_STDERR = threading.Lock()
_sink: IO[bytes] | None = None


@contextmanager
def stderr_captured() -> Iterator[list[str]]:
    """Redirect file descriptor 2 for the block; the yielded list then holds the lines written
    to it (after the block). Python's own ``sys.stderr`` writes are captured too."""
    global _sink
    lines: list[str] = []
    with _STDERR:
        if _sink is None:
            _sink = tempfile.TemporaryFile()
        _sink.seek(0)
        _sink.truncate()
        saved = os.dup(2)
        os.dup2(_sink.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            _sink.seek(0)
            text = _sink.read().decode("utf-8", "replace")
            lines.extend(line.strip() for line in text.splitlines() if line.strip())
