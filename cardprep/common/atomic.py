"""Atomic outputs: a reader (or a crash) never sees a half-written file or folder.

Files are written under a temporary sibling name and renamed over the target. New files and
folders get the usual permissions: they are created with ``os.open(..., 0o666)`` and
``os.mkdir(..., 0o777)``, which the kernel masks with the user's umask (``mkstemp`` and
``mkdtemp`` would make every output private to its owner); the process umask is never touched.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cardprep.common.errors import UserError

# A folder that rename cannot move: a mount point (EBUSY), or one on another file system (EXDEV).
_UNMOVABLE = (errno.EXDEV, errno.EBUSY)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` to write to; it replaces ``path`` only if the block
    succeeds, and is removed otherwise. The temporary name keeps the suffix, since some writers
    (VideoWriter) choose the container from it. Missing parent folders are created."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.partial{path.suffix}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as error:
        raise UserError(f"{path.parent}: cannot write here ({error.strerror})") from error
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary sibling and a rename."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, value: Any) -> None:
    """``value`` as indented JSON with a final newline."""
    atomic_write_text(path, json.dumps(value, indent=2) + "\n")


def make_output_dir(path: str | Path) -> Path:
    """Create ``path`` (and parents) or raise a UserError that says why not."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UserError(f"{path}: exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"{path}: cannot create the output folder ({error.strerror})") from error
    if not os.access(path, os.W_OK | os.X_OK):
        raise UserError(f"{path}: the output folder is not writable")
    return path


@contextmanager
def staged_dir(final: str | Path) -> Iterator[Path]:
    """Build a folder under a temporary name and put it in place only when the block succeeds.

    On any exception (Ctrl-C included) the partial folder is removed and ``final`` keeps its
    previous content, so a failed run never leaves half a dataset, nor a hidden folder, behind.
    A symbolic link is followed: the output goes into its target and the link stays. Usually
    the new folder is built beside ``final`` and swapped in by renames; a folder that cannot
    be renamed (the current folder, a mount point such as a container volume) is filled in
    place instead: the new content is built in a hidden folder inside it and moved in entry by
    entry, each move atomic.
    """
    final = _output_target(Path(final))
    in_place = final.is_dir() and _cannot_move(final)
    make_output_dir(final if in_place else final.parent)
    stage = _new_dir(final / ".partial" if in_place else final.with_name(f".{final.name}.partial"))
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    try:
        if in_place:
            _fill_in_place(final, stage)
        else:
            _swap_in(final, stage)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _output_target(final: Path) -> Path:
    """Where an output folder really goes: a symbolic link's target (which must exist)."""
    if not final.is_symlink():
        return final
    target = final.resolve()
    if not target.exists():
        raise UserError(f"{final}: is a symbolic link to {target}, which does not exist")
    return target


def _cannot_move(folder: Path) -> bool:
    """Whether rename cannot (or must not) move ``folder``: a mount point, or the current
    folder or one above it (the shell would be left in a folder that moved away)."""
    folder = folder.resolve()
    return os.path.ismount(folder) or folder == Path.cwd() or folder in Path.cwd().parents


def _new_dir(prefix: Path) -> Path:
    """A new hidden folder ``<prefix>-<random>``; ``os.mkdir`` applies the umask (mkdtemp: 0700)."""
    while True:
        path = prefix.with_name(f"{prefix.name}-{secrets.token_hex(4)}")
        try:
            os.mkdir(path, 0o777)
            return path
        except FileExistsError:
            continue
        except OSError as error:
            raise UserError(f"{prefix.parent}: cannot write here ({error.strerror})") from error


def _swap_in(final: Path, stage: Path) -> None:
    """Replace ``final`` by ``stage`` with renames; fill ``final`` in place if it cannot be moved."""
    if not final.exists():
        os.replace(stage, final)
        return
    old = _new_dir(final.with_name(f".{final.name}.old"))
    try:
        os.replace(final, old / final.name)
    except OSError as error:
        shutil.rmtree(old, ignore_errors=True)
        if error.errno not in _UNMOVABLE:
            raise UserError(f"{final}: cannot be replaced ({error.strerror})") from error
        # A mount that rename did not detect up front (a bind mount): copy the result inside.
        inner = _new_dir(final / ".partial")
        try:
            shutil.copytree(stage, inner, dirs_exist_ok=True)
            _fill_in_place(final, inner)
        finally:
            shutil.rmtree(inner, ignore_errors=True)
        return
    try:
        os.replace(stage, final)
    except BaseException:
        os.replace(old / final.name, final)  # put the previous content back
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


def _fill_in_place(final: Path, stage: Path) -> None:
    """Make ``final``'s content that of ``stage`` (both on one file system) by renaming entries:
    the previous entries go to a hidden folder, removed at the end, or moved back on failure."""
    old = _new_dir(final / ".old")
    keep = {stage.name, old.name}
    previous = [entry for entry in final.iterdir() if entry.name not in keep]
    moved: list[Path] = []
    try:
        for entry in previous:
            os.replace(entry, old / entry.name)
        for entry in stage.iterdir():
            os.replace(entry, final / entry.name)
            moved.append(final / entry.name)
    except BaseException:
        for entry in moved:
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        for entry in old.iterdir():
            os.replace(entry, final / entry.name)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


def check_apart(source: str | Path, out: str | Path, *, output: str, source_name: str) -> None:
    """Refuse an OUT that is SOURCE, lies inside it or holds it: OUT is replaced whole, and the
    input must never be touched (nor read half-replaced). ``output`` and ``source_name`` name the
    two folders in the message ("the dataset folder", "the aligned folder")."""
    source_abs, out_abs = Path(source).resolve(), Path(out).resolve()
    if out_abs == source_abs or source_abs in out_abs.parents or out_abs in source_abs.parents:
        raise UserError(f"{out}: {output} must lie outside {source_name} {source} and not contain it "
                        "(the output is replaced whole on every run)")


def check_replaceable(folder: str | Path, *, marker: str, kind: str) -> None:
    """Refuse a folder for ``staged_dir`` unless it is absent, empty, or holds ``marker``.

    ``staged_dir`` replaces the whole folder: pointed at a folder of photos by mistake, it
    would delete them. ``marker`` is the file every output of this kind holds ("manifest.csv"),
    ``kind`` names the kind in the message ("a dataset").
    """
    folder = Path(folder)
    if folder.is_symlink() and not folder.exists():
        raise UserError(f"{folder}: is a symbolic link to {folder.resolve()}, which does not exist")
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder}: exists and is not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / marker).is_file():
        raise UserError(f"{folder}: exists, is not empty and is not {kind} (no {marker}); choose a new folder "
                        f"({kind} is replaced whole on every run)")
