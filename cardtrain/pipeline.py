"""Stages of a stream in threads, joined by bounded queues: decode, resize and encode overlap
the model instead of taking turns with it.

Threads suffice: OpenCV's decoders, resizes and encoders and torch's kernels release the GIL.
Every stage keeps its items in order (a pool's results are taken in submission order), so the
output is the one a plain loop gives, byte for byte. Queues are bounded: a fast reader waits
for the model instead of filling memory with a whole video.

An error raised in any stage is raised again, its type intact, where the caller iterates.
Leaving the ``with`` block by any path (the end, an error, Ctrl-C in the main thread) stops
every thread: each waits on its queue in short polls of a shared stop flag, so none outlives
the block by more than the item it is working on.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")

_POLL_S = 0.05  # how often a waiting thread looks at the stop flag
_END = object()  # the last item of a queue


class _Stopped(Exception):
    """Raised inside a stage's thread when the pipeline is being closed."""


class _Failed(Generic[In]):
    """An upstream error travelling down a queue, raised again by the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class Pipeline:
    """Threads for the stages of one stream; ``workers`` 1 runs every stage inline, in order,
    in the caller's thread (the plain loop, no thread started).

    Use as ``with Pipeline(workers=4) as pipe: for y in pipe.map(f, pipe.ahead(xs)): ...``.
    """

    def __init__(self, *, workers: int, depth: int | None = None) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self.depth = depth or 2 * workers  # items a stage may run ahead of its consumer
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pools: list[ThreadPoolExecutor] = []

    @property
    def threaded(self) -> bool:
        return self.workers > 1

    def ahead(self, items: Iterable[In], depth: int | None = None) -> Iterator[In]:
        """``items``, iterated in a thread of its own up to ``depth`` (default: the pipeline's)
        items ahead of the caller."""
        if not self.threaded:
            return iter(items)
        channel: queue.Queue[object] = queue.Queue(depth or self.depth)

        def run() -> None:
            try:
                for item in items:
                    self._put(channel, item)
                self._put(channel, _END)
            except _Stopped:
                return
            except BaseException as error:  # handed to the consumer, which raises it
                self._put_quietly(channel, _Failed(error))
            finally:
                close = getattr(items, "close", None)
                if close is not None:  # a generator stopped early releases its file now, in its thread
                    close()

        thread = threading.Thread(target=run, name="cardtrain-stage", daemon=True)
        self._threads.append(thread)
        thread.start()
        return self._drain(channel)

    def map(self, fn: Callable[[In], Out], items: Iterable[In], workers: int | None = None) -> Iterator[Out]:
        """``map(fn, items)`` on ``workers`` threads (default: the pipeline's), results in order.
        At most ``workers + 1`` items are taken ahead of the caller: with items as large as a
        batch of frames, a deeper queue would hold gigabytes."""
        workers = self.workers if workers is None else workers
        if workers <= 1 or not self.threaded:
            return map(fn, items)
        pool = ThreadPoolExecutor(workers, thread_name_prefix="cardtrain-pool")
        self._pools.append(pool)
        futures: Iterator[Future[Out]] = self.ahead((pool.submit(fn, item) for item in items), workers)
        return (future.result() for future in futures)

    def _drain(self, channel: queue.Queue[object]) -> Iterator[In]:
        while True:
            item = self._get(channel)
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]

    def _put(self, channel: queue.Queue[object], item: object) -> None:
        while not self._stop.is_set():
            try:
                channel.put(item, timeout=_POLL_S)
                return
            except queue.Full:
                continue
        raise _Stopped

    def _put_quietly(self, channel: queue.Queue[object], item: object) -> None:
        try:
            self._put(channel, item)
        except _Stopped:
            pass

    def _get(self, channel: queue.Queue[object]) -> object:
        while not self._stop.is_set():
            try:
                return channel.get(timeout=_POLL_S)
            except queue.Empty:
                continue
        raise _Stopped

    def close(self) -> None:
        """Stop every stage and wait for its thread; queued work is dropped."""
        self._stop.set()
        for pool in self._pools:
            pool.shutdown(wait=True, cancel_futures=True)
        for thread in self._threads:
            thread.join()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
