"""One pool of worker processes for align, augment and simulate.

Workers come from a forkserver, never a fork of this process: a child forked from a process
whose OpenCV thread pool has run can hang for ever in ``cv2.setNumThreads``
(pthread_cond_destroy on a condition its vanished threads held). Each worker runs OpenCV
single-threaded: with one job per process, OpenCV's own threads would only compete for the
same cores. An exception raised by a job is raised again in the caller, its type intact
(``ImageError`` pickles), and stops the pool.

Ctrl-C. A terminal sends SIGINT to the whole process group, ``timeout -s INT`` to this
process alone. Before, a worker being started when SIGINT came escaped the executor's
process table and so its termination; the parent then waited for ever in
``concurrent.futures``' exit handler (its call-queue feeder blocked on a pipe that worker
still held open), and a second Ctrl-C left the forkserver and the workers behind (each
worker holds the forkserver's alive pipe). Workers that saw SIGINT themselves died with a
traceback or handed back a ``KeyboardInterrupt``. So: the forkserver starts with SIGINT
blocked, and every worker forked from it inherits that (this process alone decides); jobs
are submitted, and so workers started, with SIGINT held back; and while a pool runs in the
main thread, SIGINT first terminates its workers, then raises ``KeyboardInterrupt``, further
SIGINTs ignored until the pool is gone so that they cannot break its clean-up.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from multiprocessing import forkserver
from typing import Any, TypeVar

import cv2

from cardprep.common.log import show_warnings

Job = TypeVar("Job")
Result = TypeVar("Result")

_JOIN_TIMEOUT_S = 5.0  # a terminated worker is gone in milliseconds; this only bounds a stuck one


def resolve_workers(workers: int | None, jobs: int) -> int:
    """``workers`` (None: all cores), never more than there are jobs, at least 1."""
    return max(1, min(workers or os.cpu_count() or 1, jobs))


def ordered_map(fn: Callable[[Job], Result], jobs: Iterable[Job], workers: int) -> Iterator[Result]:
    """``map(fn, jobs)`` on ``workers`` processes (in this process when 1), in job order."""
    return _map(fn, jobs, workers, ordered=True)


def unordered_map(fn: Callable[[Job], Result], jobs: Iterable[Job], workers: int) -> Iterator[Result]:
    """``map(fn, jobs)`` on ``workers`` processes (in this process when 1), as jobs finish."""
    return _map(fn, jobs, workers, ordered=False)


def warm_up(fn: Callable[..., Any]) -> None:
    """Start the worker server now, ``fn``'s module imported in it (a no-op once it runs).

    Every worker forks from the server ready; started before other work, the server's
    imports (~0.3 s for cardprep) overlap that work instead of delaying the first job.
    """
    _context(fn)


def _map(fn: Callable[[Job], Result], jobs: Iterable[Job], workers: int, *, ordered: bool) -> Iterator[Result]:
    if workers <= 1:
        yield from map(fn, jobs)
        return
    with _pool(fn, workers) as pool:
        with _sigint_held():  # submit starts the workers: one being born at a Ctrl-C would escape the stop
            positions = {pool.submit(fn, job): index for index, job in enumerate(jobs)}
        finished: dict[int, Result] = {}
        next_index = 0
        for future in as_completed(positions):
            result = future.result()  # a job's error is raised as soon as it happens, not in its turn
            if not ordered:
                yield result
                continue
            finished[positions[future]] = result
            while next_index in finished:
                yield finished.pop(next_index)
                next_index += 1


def _context(fn: Callable[..., Any]) -> multiprocessing.context.BaseContext:
    """The forkserver context, its server running, started with SIGINT blocked.

    A process inherits the signal mask of the thread that started it, and every worker the
    mask of the forkserver it is forked from: so no worker is ever interruptible, not even
    before its initializer has run.
    """
    context = multiprocessing.get_context("forkserver")
    if fn.__module__ != "__main__":  # a script's main module is not importable by name
        context.set_forkserver_preload([fn.__module__])
    with _sigint_held():
        forkserver.ensure_running()
    return context


def _init_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # in case the server was started by other code
    cv2.setNumThreads(1)
    show_warnings()  # a worker's warnings (a corrupt JPEG decoded anyway) read as the command's own


@contextmanager
def _pool(fn: Callable[..., Any], workers: int) -> Iterator[ProcessPoolExecutor]:
    """A process pool that is shut down cleanly, or whose workers are terminated on any error."""
    pool = ProcessPoolExecutor(workers, mp_context=_context(fn), initializer=_init_worker)
    previous = signal.getsignal(signal.SIGINT)
    ours = _stop_on_sigint(pool, previous)
    try:
        yield pool
        pool.shutdown(wait=True)
    except BaseException:
        with _sigint_ignored():
            _stop(pool)
        raise
    finally:
        if ours is not None and signal.getsignal(signal.SIGINT) in (ours, signal.SIG_IGN):
            signal.signal(signal.SIGINT, previous)


def _stop_on_sigint(pool: ProcessPoolExecutor, previous: Any) -> Callable[..., None] | None:
    """Install a SIGINT handler that terminates the pool's workers first; None where none can be.

    Only in the main thread (Python's rule), and only over a Python-level handler: a process
    that ignores SIGINT (started in the background) keeps ignoring it.
    """
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        return None

    def handler(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the first Ctrl-C is being honoured
        _terminate(pool)
        previous(signum, frame)  # Python's default raises KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)
    return handler


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and end the workers now, running jobs included."""
    processes = _terminate(pool)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(_JOIN_TIMEOUT_S)
        if process.is_alive():
            process.kill()
            process.join()


def _terminate(pool: ProcessPoolExecutor) -> list[multiprocessing.process.BaseProcess]:
    # ProcessPoolExecutor has no public way to end running jobs before Python 3.14
    # (terminate_workers); its process table is the one way to reach them.
    processes = list((pool._processes or {}).values())
    for process in processes:
        process.terminate()
    return processes


@contextmanager
def _sigint_held() -> Iterator[None]:
    """SIGINT held back during the block and delivered at its end (in the main thread; elsewhere
    signals never arrive). Processes started in the block start with SIGINT blocked."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda *_: received.append(True))
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        signal.signal(signal.SIGINT, previous)
        if received:
            signal.raise_signal(signal.SIGINT)  # now, to the handler that was in place


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored for the block (in the main thread; elsewhere signals never arrive)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
