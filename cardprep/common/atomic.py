"""Atomic outputs: a reader (or a crash) never sees a half-written file or folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cardprep.errors import CardprepError

# mkstemp creates files readable by the owner only; outputs should get the usual permissions.
_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary sibling and a rename."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise CardprepError(f"{path.parent}: cannot write here ({error.strerror})") from error
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def make_output_dir(path: str | Path) -> Path:
    """Create ``path`` (and parents) or raise a CardprepError that says why not."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise CardprepError(f"{path}: exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CardprepError(f"{path}: cannot create the output folder ({error.strerror})") from error
    if not os.access(path, os.W_OK | os.X_OK):
        raise CardprepError(f"{path}: the output folder is not writable")
    return path


@contextmanager
def staged_dir(final: str | Path) -> Iterator[Path]:
    """Build a folder under a temporary name and swap it in only when the block succeeds.

    On any exception (Ctrl-C included) the partial folder is removed and ``final`` keeps
    its previous content, so a failed run never leaves half a dataset behind.
    """
    final = Path(final)
    make_output_dir(final.parent)
    stage = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.partial-"))
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    old = None
    if final.exists():
        old = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.old-"))
        os.replace(final, old / final.name)
    os.replace(stage, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def check_replaceable(folder: str | Path, *, marker: str, kind: str) -> None:
    """Refuse a folder for ``staged_dir`` unless it is absent, empty, or holds ``marker``.

    ``staged_dir`` replaces the whole folder: pointed at a folder of photos by mistake, it
    would delete them. ``marker`` is the file every output of this kind holds ("manifest.csv"),
    ``kind`` names the kind in the message ("a dataset").
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise CardprepError(f"{folder}: exists and is not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / marker).is_file():
        raise CardprepError(f"{folder}: exists, is not empty and is not {kind} (no {marker}); choose a new folder "
                            f"({kind} is replaced whole on every run)")
