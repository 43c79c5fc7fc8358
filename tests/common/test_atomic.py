"""cardprep.common.atomic: files and folders appear whole, with the umask's permissions, in a
symlink's target, and in a folder rename cannot move (., a mount point), leaving nothing hidden."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from cardprep.common import atomic
from cardprep.common.atomic import atomic_path, atomic_write_bytes, atomic_write_json, staged_dir
from cardprep.common.errors import UserError


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _fill(stage: Path, **files: bytes) -> None:
    for name, data in files.items():
        (stage / name).write_bytes(data)


def test_files_follow_the_umask_and_the_umask_is_left_alone(tmp_path, umask_022):
    atomic_write_bytes(tmp_path / "a.bin", b"x")
    assert _mode(tmp_path / "a.bin") == 0o644
    assert os.umask(0o022) == 0o022  # nothing changed it


def test_atomic_path_keeps_the_suffix_and_leaves_nothing_on_failure(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_path(tmp_path / "clip.mp4") as tmp:
            assert tmp.suffix == ".mp4" and tmp.parent == tmp_path
            raise RuntimeError
    assert list(tmp_path.iterdir()) == []
    atomic_write_json(tmp_path / "m.json", {"a": 1})
    assert (tmp_path / "m.json").read_text() == '{\n  "a": 1\n}\n'


def test_staged_folder_follows_the_umask(tmp_path, umask_022):
    # issue 13, item 7: mkdtemp made every output folder 0700
    with staged_dir(tmp_path / "out") as stage:
        _fill(stage, a=b"1")
    assert _mode(tmp_path / "out") == 0o755


def test_staged_folder_replaces_an_earlier_one_whole(tmp_path):
    (tmp_path / "out").mkdir()
    _fill(tmp_path / "out", old=b"0")
    with staged_dir(tmp_path / "out") as stage:
        _fill(stage, new=b"1")
    assert _tree(tmp_path / "out") == {"new": b"1"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_failure_keeps_the_previous_content_and_leaves_nothing_hidden(tmp_path):
    (tmp_path / "out").mkdir()
    _fill(tmp_path / "out", old=b"0")
    with pytest.raises(KeyboardInterrupt):
        with staged_dir(tmp_path / "out") as stage:
            _fill(stage, new=b"1")
            raise KeyboardInterrupt
    assert _tree(tmp_path / "out") == {"old": b"0"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_current_folder_is_filled_in_place(tmp_path, monkeypatch):
    # issue 13, item 6: OUT = . ended in a traceback and hidden .partial-/.old- folders
    (tmp_path / "here").mkdir()
    _fill(tmp_path / "here", old=b"0")
    monkeypatch.chdir(tmp_path / "here")
    with staged_dir(Path(".")) as stage:
        _fill(stage, new=b"1")
    assert _tree(tmp_path / "here") == {"new": b"1"}
    assert [p.name for p in tmp_path.iterdir()] == ["here"]


def _unmovable(monkeypatch, folder: Path, code: int) -> None:
    """Make ``folder`` behave as a mount point: renaming it fails with ``code``."""
    real = os.replace

    def replace(src, dst):
        if Path(src).resolve() == folder.resolve():
            raise OSError(code, os.strerror(code))
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)


@pytest.mark.parametrize("code", [errno.EXDEV, errno.EBUSY])
def test_a_folder_rename_cannot_move_is_filled_in_place(tmp_path, monkeypatch, code):
    # issue 13, item 6: a mount point (a container volume) found only when the swap failed
    mount = tmp_path / "volume"
    mount.mkdir()
    _fill(mount, old=b"0")
    _unmovable(monkeypatch, mount, code)
    with staged_dir(mount) as stage:
        (stage / "sub").mkdir()
        _fill(stage, new=b"1")
        (stage / "sub" / "x").write_bytes(b"2")
    assert _tree(mount) == {"new": b"1", "sub/x": b"2"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["volume"]


def test_a_mount_point_is_filled_in_place_when_known_up_front(tmp_path, monkeypatch):
    mount = tmp_path / "volume"
    mount.mkdir()
    monkeypatch.setattr(atomic.os.path, "ismount", lambda path: Path(path) == mount.resolve())
    _unmovable(monkeypatch, mount, errno.EBUSY)
    with pytest.raises(RuntimeError):
        with staged_dir(mount) as stage:
            _fill(stage, new=b"1")
            raise RuntimeError
    assert list(mount.iterdir()) == [] and [p.name for p in tmp_path.iterdir()] == ["volume"]
    with staged_dir(mount) as stage:
        _fill(stage, new=b"1")
    assert _tree(mount) == {"new": b"1"}


def test_an_unexpected_rename_failure_is_one_line_and_keeps_the_previous_content(tmp_path, monkeypatch):
    (tmp_path / "out").mkdir()
    _fill(tmp_path / "out", old=b"0")
    _unmovable(monkeypatch, tmp_path / "out", errno.EACCES)
    with pytest.raises(UserError, match="out: cannot be replaced"):
        with staged_dir(tmp_path / "out") as stage:
            _fill(stage, new=b"1")
    assert _tree(tmp_path / "out") == {"old": b"0"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_symlinked_output_is_written_into_its_target(tmp_path):
    # issue 13, item 8: the link was replaced by a real folder
    (tmp_path / "target").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "target")
    with staged_dir(tmp_path / "link") as stage:
        _fill(stage, new=b"1")
    assert (tmp_path / "link").is_symlink()
    assert _tree(tmp_path / "target") == {"new": b"1"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "target"]


def test_a_broken_symlink_output_is_refused(tmp_path):
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    with pytest.raises(UserError, match="link: is a symbolic link to .*gone, which does not exist"):
        with staged_dir(tmp_path / "link"):
            pass
    assert (tmp_path / "link").is_symlink()
