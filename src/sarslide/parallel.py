"""Dask execution: a scheduler from an address, and computation with progress.

The same code runs on the local threaded scheduler or on a dask.distributed
cluster: pass ``scheduler_address`` (``tcp://host:8786``) and work submitted inside
``use_scheduler`` goes to that cluster.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import dask
from dask.callbacks import Callback
from rich.progress import Progress

from sarslide.errors import ConfigError, SchedulerLostError

logger = logging.getLogger(__name__)

# How long to wait for a scheduler before calling it unreachable.
CONNECT_TIMEOUT_S = 10


@contextlib.contextmanager
def use_scheduler(scheduler_address: str | None = None) -> Iterator[Any]:
    """Run dask work inside on ``scheduler_address``, or locally when it is None.

    Yields the ``distributed.Client`` or None for the local scheduler.
    """
    if not scheduler_address:
        yield None
        return
    try:  # dask.distributed (seconds to import) only when a scheduler is used
        from distributed import Client
    except ImportError as err:  # pragma: no cover - distributed is a core dependency
        raise ImportError(
            "A scheduler address needs dask.distributed: pip install 'dask[distributed]'."
        ) from err
    logger.info("connecting to dask scheduler %s", scheduler_address)
    try:
        client = Client(scheduler_address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as err:
        raise ConfigError(
            f"Cannot reach the dask scheduler {scheduler_address!r} ({err}). Start it "
            "('dask scheduler'), fix --scheduler (tcp://host:8786), or leave --scheduler "
            "out to run locally."
        ) from err
    _warn_without_workers(client, scheduler_address)
    with _quiet_lost_connection(), client:  # the filter outlives the close
        try:
            yield client
        except Exception as err:
            if not _lost_scheduler(client, err):
                raise
            said = (str(err).splitlines() or [""])[0].rstrip(".")
            raise SchedulerLostError(
                f"Lost the dask scheduler {scheduler_address!r} during the run ("
                f"{type(err).__name__}: {said}); "
                "the run stopped and its output was not kept. Restart the scheduler and its "
                "workers and run the same command again, or leave --scheduler out to run "
                "locally."
            ) from err


def _warn_without_workers(client: Any, scheduler_address: str) -> None:
    """Say so when the scheduler has no worker: the run waits for one, silently before
    (not refused: an adaptive cluster starts its workers when work arrives)."""
    try:
        workers = client.scheduler_info().get("workers") or {}
    except Exception:  # an older or unusual scheduler: no advice
        return
    if not workers:
        logger.warning(
            "the dask scheduler %s has no workers yet; the run waits until one joins "
            "(start one: 'dask worker %s'; Ctrl-C stops the wait)",
            scheduler_address,
            scheduler_address,
        )


class _LostConnectionNoise(logging.Filter):
    """Drops distributed's tracebacks of a client reconnecting to a scheduler that is
    gone (the run ends with one SchedulerLostError line instead)."""

    def filter(self, record: logging.LogRecord) -> bool:
        import asyncio

        from distributed.comm.core import CommClosedError

        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, (asyncio.CancelledError, CommClosedError, OSError))


@contextlib.contextmanager
def _quiet_lost_connection() -> Iterator[None]:
    noise = _LostConnectionNoise()
    loggers = [logging.getLogger(name) for name in ("distributed.utils", "distributed.client")]
    for named in loggers:
        named.addFilter(noise)
    try:
        yield
    finally:
        for named in loggers:
            named.removeFilter(noise)


def _lost_scheduler(client: Any, err: BaseException) -> bool:
    """Whether ``err`` comes from ``client`` losing its scheduler (not from the work)."""
    from distributed.comm.core import CommClosedError

    if isinstance(err, CommClosedError) or "scheduler-connection-lost" in str(err):
        return True
    return type(err).__name__ == "FutureCancelledError" and client.status != "running"


@contextlib.contextmanager
def joined_threads(num_workers: int | None = None) -> Iterator[None]:
    """Run local dask work inside on a thread pool that is stopped before leaving.

    On an error or Ctrl-C, dask's main thread returns at once while its worker threads
    finish their tasks; a caller that then removes a temporary output would race those
    writers (they recreate files in a folder being deleted). Leaving this block cancels
    the queued tasks and waits for the running ones, so cleanup comes after the last
    write. Has no effect on a dask.distributed client or a configured scheduler.
    """
    pool = ThreadPoolExecutor(num_workers or os.cpu_count() or 1)
    try:
        with dask.config.set(pool=pool):
            yield
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def zarr_io_drained(timeout_s: float = 30.0) -> Iterator[None]:
    """On an error or Ctrl-C/SIGTERM inside, wait for zarr's IO thread before leaving.

    zarr-python 3 runs every store write as a coroutine on its own IO thread; the
    main thread only waits for it. Interrupted while waiting, the write goes on behind
    the caller's cleanup and recreates a temporary store just removed (SIGTERM during
    ``respond``'s cube build left ``.cube.zarr.partial-*`` with its metadata). Leaving
    this block on an exception waits (up to ``timeout_s``) for the pending writes first.
    """
    try:
        yield
    except BaseException:
        wait_for_zarr_io(timeout_s)
        raise


def wait_for_zarr_io(timeout_s: float = 30.0) -> None:
    """Wait until zarr's IO event loop has no task left (no-op when it never started).

    zarr-python offers no public way to reach its IO loop or wait for its writes (its
    API reference covers ``zarr``, ``zarr.api``, ``abc``, ``codecs``, ``storage``...,
    not ``zarr.core``), so :func:`find_zarr_io_loop` feature-detects the loop where
    zarr 3.0-3.1 keep it. Where a later zarr moved it, this waits for nothing and says
    so: a write still in flight may then recreate the temporary store after its
    cleanup, and the next run writing the same target removes that leftover
    (``sarslide.atomic``, docs/safety.md).
    """
    import asyncio

    loop = find_zarr_io_loop()
    if loop is None:
        return
    if loop.is_closed() or not loop.is_running():
        return

    async def pending() -> None:
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout_s)

    try:
        asyncio.run_coroutine_threadsafe(pending(), loop).result(timeout_s + 1)
    except Exception as err:  # a stuck write: say so, and let the cleanup go on
        logger.warning("zarr writes still pending after %.0f s (%s)", timeout_s, err)


def find_zarr_io_loop() -> Any:
    """zarr's IO event loop (an ``asyncio.AbstractEventLoop``), or None.

    zarr 3.0-3.1 keep it in ``zarr.core.sync.loop``, a one-item list (``[None]`` until
    the first read or write starts it). That name is not public API: anything else
    found there (a missing module or attribute, another type) is reported in the log
    and gives None, never an error in the caller's cleanup. zarr 2 has no IO thread.
    """
    import asyncio

    try:
        from zarr.core import sync as zarr_sync

        holder = getattr(zarr_sync, "loop", None)
    except ImportError:  # zarr 2, or a zarr 3 that moved it
        holder = None
    if isinstance(holder, list) and len(holder) == 1:
        holder = holder[0]
        if holder is None:  # zarr 3 before its first IO: nothing to wait for
            return None
    if isinstance(holder, asyncio.AbstractEventLoop):
        return holder
    import zarr

    if not str(zarr.__version__).startswith("2."):
        logger.warning(
            "zarr %s keeps its IO loop elsewhere than zarr.core.sync.loop (found %s): "
            "writes still in flight are not awaited before the cleanup; a leftover "
            "temporary store is removed by the next run writing the same output",
            zarr.__version__,
            type(holder).__name__,
        )
    return None


def compute_with_progress(
    *collections: Any, description: str = "computing", progress: bool = True
) -> tuple[Any, ...]:
    """``dask.compute`` with a progress bar (local scheduler or distributed)."""
    if not progress:
        return dask.compute(*collections)
    try:  # dask.distributed only when a client may be running (it is then imported)
        from distributed import get_client
        from distributed import progress as distributed_progress

        client = get_client()
    except (ImportError, ValueError):
        client = None
    if client is not None:
        futures = client.compute(list(collections))
        distributed_progress(futures)
        return tuple(client.gather(futures))
    with RichDaskProgress(description):
        return dask.compute(*collections)


class RichDaskProgress(Callback):
    """A rich progress bar over the tasks of the local dask scheduler."""

    def __init__(self, description: str) -> None:
        super().__init__()
        self._description = description
        self._progress: Any = None
        self._task: Any = None

    def _start_state(self, dsk: Any, state: dict[str, Any]) -> None:
        total = sum(len(state[k]) for k in ("ready", "waiting", "running", "finished"))
        self._progress = Progress(transient=True)
        self._progress.start()
        self._task = self._progress.add_task(self._description, total=total)

    def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
        if self._progress is not None:
            self._progress.advance(self._task)

    def _finish(self, dsk: Any, state: Any, errored: bool) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
