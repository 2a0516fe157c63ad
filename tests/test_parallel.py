"""The same code runs on a dask.distributed cluster when given a scheduler address."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dask.array as da
import numpy as np
import pytest

from sarslide import conventions as cv
from sarslide.datacube import open_cube, write_cube
from sarslide.parallel import compute_with_progress, use_scheduler
from tests.factories import make_minimal_cube


@pytest.fixture(scope="module")
def scheduler_address() -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    ) as cluster:
        yield cluster.scheduler_address


def test_local_scheduler_when_no_address() -> None:
    with use_scheduler(None) as client:
        assert client is None
        (total,) = compute_with_progress(da.ones((64, 64), chunks=16).sum(), progress=True)
    assert int(total) == 64 * 64


def test_compute_runs_on_the_cluster(scheduler_address: str) -> None:
    import dask
    from distributed import get_worker

    def worker_address() -> str:
        return str(get_worker().address)  # raises ValueError outside a worker

    with use_scheduler(scheduler_address) as client:
        assert client is not None
        for progress in (False, True):
            total, address = compute_with_progress(
                da.arange(1000, chunks=100).sum(), dask.delayed(worker_address)(), progress=progress
            )
            assert int(total) == sum(range(1000))
            assert address in client.scheduler_info()["workers"]


def test_write_cube_on_the_cluster_equals_local(scheduler_address: str, tmp_path: Path) -> None:
    cube = make_minimal_cube(height=40, width=48).chunk({cv.DIM_Y: 16, cv.DIM_X: 16})
    local = write_cube(cube, tmp_path / "local.zarr")
    with use_scheduler(scheduler_address):
        remote = write_cube(cube, tmp_path / "cluster.zarr", progress=True)
    np.testing.assert_array_equal(
        open_cube(local)[cv.VAR_VV].values, open_cube(remote)[cv.VAR_VV].values
    )


def test_an_interrupted_cube_write_leaves_no_partial_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C/SIGTERM while the main thread waits for zarr's IO thread: the write went
    on behind the cleanup and recreated '.cube.zarr.partial-*' (seen with SIGTERM during
    respond's cube build on the real OPERA series, 1 in 4 runs)."""
    import asyncio
    import time

    from zarr.core import sync as zarr_sync

    real_runner, real_wait = zarr_sync._runner, zarr_sync.wait
    calls = []

    async def slow_runner(coro):  # the store write lands after the interruption
        await asyncio.sleep(0.5)
        return await real_runner(coro)

    def interrupted_wait(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # the group and some metadata written, then Ctrl-C
            raise KeyboardInterrupt
        return real_wait(*args, **kwargs)

    monkeypatch.setattr(zarr_sync, "_runner", slow_runner)
    monkeypatch.setattr(zarr_sync, "wait", interrupted_wait)
    with pytest.raises(KeyboardInterrupt):
        write_cube(make_minimal_cube(height=20, width=20), tmp_path / "cube.zarr")
    time.sleep(1.0)  # any write still pending would land now
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_zarr_io_is_awaited_where_zarr_keeps_its_loop_and_skipped_where_it_does_not(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """``zarr.core.sync.loop`` is not public API. Kept as the loop itself (not a
    one-item list) it made the cleanup fail with TypeError ('not subscriptable') in
    place of the interruption; gone, the cleanup must go on and say it did not wait."""
    import asyncio
    import threading

    from zarr.core import sync as zarr_sync

    from sarslide.parallel import wait_for_zarr_io

    loop = zarr_sync._get_loop()  # zarr's running IO loop
    landed = threading.Event()

    async def late_write() -> None:
        await asyncio.sleep(0.3)
        landed.set()

    monkeypatch.setattr(zarr_sync, "loop", loop)
    asyncio.run_coroutine_threadsafe(late_write(), loop)
    wait_for_zarr_io(timeout_s=10)
    assert landed.is_set()  # waited for the write in flight

    monkeypatch.delattr(zarr_sync, "loop")
    with caplog.at_level("WARNING", logger="sarslide.parallel"):
        wait_for_zarr_io(timeout_s=10)  # no error: nothing found to wait for
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "elsewhere than zarr.core.sync.loop" in said and "not awaited" in said


def test_a_scheduler_without_workers_is_named_not_waited_on_silently(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """predict --scheduler on a scheduler whose workers were gone sat silent for ever."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as cluster,
        caplog.at_level("WARNING", logger="sarslide.parallel"),
        use_scheduler(cluster.scheduler_address),
    ):
        pass
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "has no workers yet" in said and f"dask worker {cluster.scheduler_address}" in said
