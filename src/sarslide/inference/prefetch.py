"""Run a producer one step ahead in a thread: read the next block while the model runs.

``prefetch(items, depth=1)`` iterates ``items`` in a background thread and yields the
same values in the same order, keeping at most ``depth`` finished values waiting. An
exception raised by the producer is raised in the consumer at the position where the
producer failed (values before it are delivered first). When the consumer stops early
(``break``, an exception, ``close()``), the thread is told to stop and joined: nothing
keeps running after the ``for`` loop or the ``with`` block ends.

The producer's heavy work (Zarr decoding, numpy, torch) releases the GIL, so it
overlaps the model's forward pass on the current block.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Generator, Iterable
from typing import TypeVar

T = TypeVar("T")

_DONE = object()
_POLL_S = 0.1


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch(items: Iterable[T], *, depth: int = 1) -> Generator[T, None, None]:
    """Yield ``items`` in order while a thread produces up to ``depth`` values ahead.

    ``depth=0`` produces in the caller's thread (no prefetching).
    """
    if depth < 0:
        raise ValueError(f"prefetch depth must be >= 0, got {depth}")
    if depth == 0:
        yield from items
        return
    slots: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(value: object) -> bool:
        while not stop.is_set():
            try:
                slots.put(value, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for value in items:
                if not put(value):
                    return
        except BaseException as error:  # delivered to the consumer, raised there
            put(_Failure(error))
            return
        put(_DONE)

    thread = threading.Thread(target=produce, name="sarslide-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            value = slots.get()
            if value is _DONE:
                return
            if isinstance(value, _Failure):
                raise value.error
            yield value  # type: ignore[misc]
    finally:
        stop.set()
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):  # unblock a producer on a full queue
                slots.get_nowait()
            thread.join(timeout=_POLL_S)
