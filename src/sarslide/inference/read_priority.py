"""Let the model have the cores first: block reading runs at a lower CPU priority.

Whole-scene prediction reads the next block in a thread while the model runs on the
current one (``prefetch``). On a CPU with as many busy model threads as cores, the
reader takes cores from the model: the model's parallel operators wait for their
slowest thread, so the forward slows by more than the CPU the reader uses. Measured on
a Hokkaido-sized map with ONNX Runtime int8 on 2 cores: the forward took 0.18 s a batch
inside the run against 0.15 s alone; with the reading threads 10 nice levels below the
model, 0.15-0.17 s, and the map 1-1.5 s shorter (docs/predict.md).

The prefetch and writer threads lower themselves (Linux: per-thread ``nice``);
threads they start later (dask's pool when it is made there) inherit it. When the
map runs in the main thread (the CLI, a script), :func:`lower_reading_priority` also
lowers the threads that decode the chunks for it: zarr's I/O loop and executor
(``zarr_io``, ``asyncio_N``) and dask's default thread pool (``ThreadPoolExecutor-N_M``),
never the main thread. In another thread (a service running several maps at once) it
leaves other threads alone: one map must not lower another's model thread. The
model's own threads (ONNX Runtime's and torch's intra-op pools, not Python threads)
keep their priority, so reading fills the cores' idle moments and runs at full speed
whenever the model waits for it. Priorities are only ever
raised in nice value (always allowed); they are put back afterwards where the
system allows it (lowering a nice value needs CAP_SYS_NICE or RLIMIT_NICE, so an
unprivileged process keeps those threads at the lower priority, which only matters
while something else competes for the cores). Elsewhere than Linux nothing changes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterator

logger = logging.getLogger(__name__)

READ_NICE_INCREMENT = 10
"""Nice levels the reading threads run below the model thread (weight ~10 %)."""


def _supported() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "setpriority")


def lower_thread_priority(native_id: int, target: int) -> int | None:
    """Raise thread ``native_id``'s nice value to ``target`` (never lower it); its old
    value, or None when unchanged or not possible."""
    try:
        old = os.getpriority(os.PRIO_PROCESS, native_id)
        if old >= target:
            return None
        os.setpriority(os.PRIO_PROCESS, native_id, target)
    except OSError:  # the thread ended, or the system refuses
        return None
    return old


READER_THREAD_PREFIXES = ("zarr_io", "asyncio_", "ThreadPoolExecutor-")
"""Names of the threads that decode chunks for a map: zarr's I/O loop and executor,
dask's default thread pool."""


def reading_nice() -> int | None:
    """The nice value for reading threads (the caller's + ``READ_NICE_INCREMENT``), or
    None where per-thread priorities are not supported (or refused)."""
    if not _supported():
        return None
    try:
        own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    except OSError:
        return None
    return min(19, own + READ_NICE_INCREMENT)


@contextlib.contextmanager
def lower_reading_priority(target: int | None) -> Iterator[None]:
    """Within the block, the threads that decode chunks run at nice ``target`` (None:
    no change); only when called from the main thread (see the module docstring)."""
    if target is None:
        yield
        return
    changed: dict[int, int] = {}
    main = threading.main_thread()
    here = threading.current_thread()
    readers = [
        t
        for t in threading.enumerate()
        if here is main and t is not main and t.name.startswith(READER_THREAD_PREFIXES)
    ]
    for thread in readers:
        tid = thread.native_id
        if tid is not None:
            old = lower_thread_priority(tid, target)
            if old is not None:
                changed[tid] = old
    try:
        yield
    finally:
        kept = 0
        for tid, old in changed.items():
            try:
                os.setpriority(os.PRIO_PROCESS, tid, old)
            except OSError:
                kept += 1
        if kept:
            logger.debug("%d reading threads keep nice %d (not allowed to restore)", kept, target)
