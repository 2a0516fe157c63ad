"""The prefetch thread: order, running ahead, exceptions, shutdown."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from sarslide.inference.prefetch import prefetch


def prefetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "sarslide-prefetch"]


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_same_values_in_order(depth: int):
    assert list(prefetch(iter(range(20)), depth=depth)) == list(range(20))
    assert list(prefetch([], depth=depth)) == []
    assert not prefetch_threads()


def test_producer_runs_ahead_of_the_consumer():
    """While the consumer holds item 0, the next item is produced in another thread."""
    produced: list[tuple[int, str]] = []
    second_ready = threading.Event()

    def source() -> Iterator[int]:
        for i in range(3):
            produced.append((i, threading.current_thread().name))
            if i == 1:
                second_ready.set()
            yield i

    items = prefetch(source(), depth=1)
    assert next(items) == 0
    assert second_ready.wait(timeout=30)  # produced without the consumer asking
    assert [name for _, name in produced[:2]] == ["sarslide-prefetch"] * 2
    assert list(items) == [1, 2]


def test_producer_error_is_raised_in_the_consumer_after_earlier_items():
    def source() -> Iterator[int]:
        yield 0
        yield 1
        raise OSError("zarr chunk unreadable")

    received = []
    with pytest.raises(OSError, match="zarr chunk unreadable"):
        for value in prefetch(source(), depth=2):
            received.append(value)
    assert received == [0, 1]
    assert not prefetch_threads()


def test_consumer_stopping_early_stops_and_joins_the_thread():
    produced: list[int] = []

    def endless() -> Iterator[int]:
        i = 0
        while True:
            produced.append(i)
            yield i
            i += 1

    for value in prefetch(endless(), depth=2):
        if value == 5:
            break
    assert not prefetch_threads()
    assert len(produced) <= 5 + 1 + 2 + 1  # consumed, then at most the queue and one more


def test_consumer_error_stops_the_thread():
    def source() -> Iterator[int]:
        yield from range(100)

    with pytest.raises(RuntimeError, match="model failed"):
        for value in prefetch(source(), depth=1):
            if value == 3:
                raise RuntimeError("model failed")
    assert not prefetch_threads()


def test_closing_the_generator_stops_the_thread():
    items = prefetch(iter(range(1000)), depth=4)
    assert next(items) == 0
    items.close()
    assert not prefetch_threads()


def test_negative_depth_is_refused():
    with pytest.raises(ValueError, match="depth must be >= 0"):
        list(prefetch([1], depth=-1))
