"""cardprep.common.parallel: order, errors raised again, and Ctrl-C that stops everything.

The last test runs the real commands (``python -m cardprep augment`` and ``align``) in their
own process group and interrupts them as a terminal and as ``timeout -s INT`` do, in every
order: each must exit 130 promptly and leave no process behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cardprep.common.errors import ImageError
from cardprep.common.parallel import ordered_map, unordered_map

from ..cardprep.augment_fixtures import write_aligned

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)")


def _square_or_fail(n: int) -> int:
    if n < 0:
        raise ImageError(f"{-n}.jpg", "is empty (0 bytes)")
    time.sleep(0.01 * (n % 3))  # finishing out of order
    return n * n


def _sleep_or_fail(n: int) -> int:
    if n == 0:
        raise ImageError("bad.jpg", "is not a readable image")
    time.sleep(n)
    return n


def _own_pid(_: int) -> int:
    time.sleep(0.05)  # both workers get a job
    return os.getpid()


def test_ordered_map_keeps_job_order_and_unordered_map_gives_every_result():
    jobs = [5, 1, 4, 2, 0, 7, 3]
    assert list(ordered_map(_square_or_fail, jobs, 2)) == [n * n for n in jobs]
    assert sorted(unordered_map(_square_or_fail, jobs, 2)) == sorted(n * n for n in jobs)


def test_one_worker_runs_in_this_process():
    assert set(ordered_map(_own_pid, range(3), 1)) == {os.getpid()}
    assert os.getpid() not in set(ordered_map(_own_pid, range(3), 2))


@pytest.mark.parametrize("mapper", [ordered_map, unordered_map])
def test_a_worker_error_is_raised_again_intact_and_stops_the_running_jobs(mapper):
    start = time.monotonic()
    with pytest.raises(ImageError, match="^bad.jpg: is not a readable image$") as caught:
        list(mapper(_sleep_or_fail, [30, 0, 30, 30], 2))  # the first worker sleeps, the second fails
    assert caught.value.path == Path("bad.jpg")
    assert time.monotonic() - start < 10, "the 30 s job still ran to its end"


def _note_pid_and_sleep(job: tuple[Path, float]) -> None:
    folder, seconds = job
    (folder / str(os.getpid())).touch()
    time.sleep(seconds)


def test_ctrl_c_terminates_the_running_workers_and_restores_the_handler(tmp_path):
    handler = signal.getsignal(signal.SIGINT)
    previous_alarm = signal.signal(signal.SIGALRM, lambda *_: os.kill(os.getpid(), signal.SIGINT))
    signal.setitimer(signal.ITIMER_REAL, 1.0)  # SIGINT in a second, while both workers sleep
    start = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            list(unordered_map(_note_pid_and_sleep, [(tmp_path, 30.0), (tmp_path, 30.0)], 2))
    finally:
        signal.signal(signal.SIGALRM, previous_alarm)
    assert time.monotonic() - start < 10
    assert signal.getsignal(signal.SIGINT) is handler
    workers = [int(p.name) for p in tmp_path.iterdir()]
    assert len(workers) == 2 and not any(_alive(pid) for pid in workers)


# --- the real commands under SIGINT ----------------------------------------------------------

# (what is signalled, in order): the main process alone, the group (a terminal's Ctrl-C), one
# then the other (timeout -s INT, then Ctrl-C), and Ctrl-C pressed again and again.
PATTERNS = [("main",), ("group",), ("main", "group"), ("group", "group", "main", "group")]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    from cardprep.sim.photos import SimConfig, simulate_set

    root = tmp_path_factory.mktemp("interrupt")
    raw = root / "raw"
    simulate_set(raw, pairs=2, config=SimConfig(size=(640, 480)), workers=1)
    for side in ("A", "B"):  # 40 pairs from 2: long enough to be interrupted, cheap to make
        for source in sorted((raw / side).glob("*.jpg")):
            for copy in range(20):
                (raw / side / f"{source.stem}-{copy:02d}.jpg").write_bytes(source.read_bytes())
    return {"raw": raw, "aligned": write_aligned(root / "aligned", ["a", "b", "c"], size=256)}


def _command(name: str, inputs: dict[str, Path], out: Path) -> list[str]:
    if name == "augment":
        options = ["--n", "5000", "--val", "0", "--size", "256"]
        return [sys.executable, "-m", "cardprep", "augment", str(inputs["aligned"]), str(out), *options, "--workers", "2"]
    return [sys.executable, "-m", "cardprep", "align", str(inputs["raw"]), str(out), "--workers", "2"]


@pytest.mark.parametrize("command", ["augment", "align"])
def test_ctrl_c_exits_130_promptly_and_leaves_no_process_behind(inputs, tmp_path, command):
    for trial, pattern in enumerate(PATTERNS):
        out = tmp_path / f"out{trial}"
        stderr_file = tmp_path / f"stderr{trial}"
        with stderr_file.open("w") as stderr:  # a file, not a pipe: a stray process cannot hold the test up
            process = subprocess.Popen(_command(command, inputs, out), cwd=ROOT, start_new_session=True,
                                       stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            _wait_for_workers(process.pid)
            time.sleep((0.0, 0.15, 0.05, 0.3)[trial])  # different moments of the work
            for target in pattern:
                if target == "main":
                    os.kill(process.pid, signal.SIGINT)
                else:
                    os.killpg(process.pid, signal.SIGINT)
                time.sleep(0.03)
            code = process.wait(timeout=10)
        finally:
            _kill_group(process)
        stderr = stderr_file.read_text()
        assert code == 130, f"{command} {pattern}: exit {code}\n{stderr}"
        assert stderr.strip().splitlines()[-1:] == ["interrupted"], stderr
        assert _group_gone(process.pid), f"{command} {pattern}: processes left: {_group(process.pid)}"


def _wait_for_workers(pgid: int, timeout: float = 20.0) -> None:
    """Until the command's worker processes run (the main process, the resource tracker, the
    forkserver and two workers)."""
    deadline = time.monotonic() + timeout
    while len(_group(pgid)) < 5:
        assert time.monotonic() < deadline, f"the workers never started: {_group(pgid)}"
        time.sleep(0.02)


def _group(pgid: int) -> list[int]:
    """The live (not zombie) processes of the process group ``pgid``, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # gone meanwhile
                continue
            state, _, group = stat.rsplit(")", 1)[1].split()[:3]
            if int(group) == pgid and state != "Z":
                members.append(int(entry.name))
    return members


def _group_gone(pgid: int, timeout: float = 5.0) -> bool:
    """Whether the group empties within ``timeout`` (the forkserver leaves once its parent has)."""
    deadline = time.monotonic() + timeout
    while _group(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _kill_group(process: subprocess.Popen) -> None:
    """Whatever the test found, leave nothing running."""
    if _group(process.pid):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False

