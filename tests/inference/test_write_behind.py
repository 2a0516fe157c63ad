"""Rows written in a thread behind the model: order, errors, interrupts, priority."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

from sarslide.inference.predict_scene import predict_stack
from sarslide.inference.sinks import ArraySink
from sarslide.inference.tiling import Tiling

TILING = Tiling(tile_size_px=64, overlap_px=16, size_multiple_px=8)


def _half(batch: np.ndarray) -> np.ndarray:
    return np.full((batch.shape[0], *batch.shape[2:]), 0.5, np.float32)


class _Recording(ArraySink):
    def __init__(self, shape: tuple[int, int], fail_at: int | None = None) -> None:
        super().__init__(np.full(shape, np.nan, np.float32))
        self.calls: list[tuple[int, int, int]] = []  # (row, rows, thread id)
        self.fail_at = fail_at

    def write_rows(self, row_start: int, rows: np.ndarray) -> None:
        if self.fail_at is not None and len(self.calls) == self.fail_at:
            raise OSError(28, "No space left on device")
        self.calls.append((row_start, rows.shape[0], threading.get_native_id()))
        super().write_rows(row_start, rows)


def _writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sarslide-write")]


def test_rows_are_written_in_order_off_the_models_thread() -> None:
    sink = _Recording((300, 200))
    predict_stack(np.zeros((1, 300, 200), np.float32), _half, sink=sink, tiling=TILING)
    starts = [row for row, _, _ in sink.calls]
    assert starts == sorted(starts) and sum(n for _, n, _ in sink.calls) == 300
    assert {tid for _, _, tid in sink.calls} != {threading.get_native_id()}
    np.testing.assert_allclose(sink.array, 0.5, atol=1e-6)
    assert not _writer_threads()


def test_in_turn_writes_in_the_models_thread() -> None:
    sink = _Recording((300, 200))
    stack = np.zeros((1, 300, 200), np.float32)
    predict_stack(stack, _half, sink=sink, tiling=TILING, prefetch_blocks=0)
    assert {tid for _, _, tid in sink.calls} == {threading.get_native_id()}


@pytest.mark.parametrize("fail_at", [0, 2])
def test_a_failed_write_stops_the_prediction_with_its_error(fail_at: int) -> None:
    calls = []

    def model(batch: np.ndarray) -> np.ndarray:
        calls.append(batch.shape[0])
        return _half(batch)

    sink = _Recording((600, 100), fail_at=fail_at)
    with pytest.raises(OSError, match="No space left"):
        predict_stack(
            np.zeros((1, 600, 100), np.float32), model, sink=sink, tiling=TILING, block_size_px=64
        )
    assert len(sink.calls) == fail_at  # nothing written after the failure
    assert sum(calls) < 12  # stopped within a band or two, not at the end of the scene
    assert not _writer_threads()


def test_an_interrupt_in_the_model_leaves_no_writer_running() -> None:
    seen = []

    def model(batch: np.ndarray) -> np.ndarray:
        seen.append(1)
        if len(seen) == 4:
            raise KeyboardInterrupt
        return _half(batch)

    sink = _Recording((600, 100))
    with pytest.raises(KeyboardInterrupt):
        predict_stack(
            np.zeros((1, 600, 100), np.float32), model, sink=sink, tiling=TILING, block_size_px=64
        )
    assert not _writer_threads()
    starts = [row for row, _, _ in sink.calls]
    assert starts == sorted(starts)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_the_writer_runs_at_the_readers_lower_priority() -> None:
    import os

    nice: list[int] = []

    class _Nice(ArraySink):
        def write_rows(self, row_start: int, rows: np.ndarray) -> None:
            nice.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
            super().write_rows(row_start, rows)

    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    predict_stack(
        np.zeros((1, 200, 100), np.float32),
        _half,
        sink=_Nice(np.zeros((200, 100), np.float32)),
        tiling=TILING,
    )
    assert set(nice) == {min(19, own + 10)}


def test_a_second_interrupt_while_abandoning_waits_for_the_write_in_progress() -> None:
    import time

    from sarslide.inference.write_behind import WriteBehind

    finished = threading.Event()

    class _Slow(ArraySink):
        def write_rows(self, row_start: int, rows: np.ndarray) -> None:
            time.sleep(0.3)
            super().write_rows(row_start, rows)
            finished.set()

    writer = WriteBehind(_Slow(np.zeros((4, 4), np.float32)))
    writer.write_rows(0, np.ones((4, 4), np.float32))
    real_shutdown = writer._pool.shutdown
    calls = []

    def interrupted_once(**kwargs: object) -> None:
        calls.append(kwargs)
        if len(calls) == 1:  # a Ctrl-C arriving while the caller waits
            raise KeyboardInterrupt
        real_shutdown(**kwargs)  # type: ignore[arg-type]

    writer._pool.shutdown = interrupted_once  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        writer.abandon()
    assert finished.is_set() and len(calls) == 2  # the write was over before it raised
    assert not _writer_threads()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_a_map_in_another_thread_leaves_the_other_threads_priority_alone() -> None:
    import os

    def nice_of(thread: threading.Thread) -> int:
        assert thread.native_id is not None
        return os.getpriority(os.PRIO_PROCESS, thread.native_id)

    stop = threading.Event()
    bystander = threading.Thread(target=stop.wait, name="ThreadPoolExecutor-99_0")
    bystander.start()
    before = (nice_of(threading.main_thread()), nice_of(bystander))
    seen: list[tuple[int, int]] = []

    def run() -> None:
        predict_stack(
            np.zeros((1, 200, 100), np.float32),
            lambda b: (seen.append(before_now()), _half(b))[1],
            sink=ArraySink(np.zeros((200, 100), np.float32)),
            tiling=TILING,
        )

    def before_now() -> tuple[int, int]:
        return nice_of(threading.main_thread()), nice_of(bystander)

    try:
        worker = threading.Thread(target=run)
        worker.start()
        worker.join()
    finally:
        stop.set()
        bystander.join()
    assert seen and set(seen) == {before}  # neither was lowered while the map ran
