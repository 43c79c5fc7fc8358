"""Running one job per pair on worker processes, results in job order."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

import cv2

Job = TypeVar("Job")
Result = TypeVar("Result")


def resolve_workers(workers: int | None, jobs: int) -> int:
    """``workers`` (None: all cores), never more than there are jobs, at least 1."""
    return max(1, min(workers or os.cpu_count() or 1, jobs))


def ordered_map(fn: Callable[[Job], Result], jobs: Iterable[Job], workers: int) -> Iterator[Result]:
    """``map(fn, jobs)`` on ``workers`` processes (in-process when 1), yielding in job order.

    Each worker process runs OpenCV single-threaded: with one job per process, OpenCV's own
    threads would only compete for the same cores. Workers come from a forkserver, never a
    fork of this process: a fork taken after OpenCV started its thread pool can deadlock.
    On an error or Ctrl-C the jobs not yet started are cancelled.
    """
    if workers <= 1:
        yield from map(fn, jobs)
        return
    context = multiprocessing.get_context("forkserver")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=cv2.setNumThreads, initargs=(1,))
    try:
        yield from pool.map(fn, jobs)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
