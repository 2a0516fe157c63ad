"""Shared helpers for benchmark scripts: wall time, peak RSS, JSON results."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

RESULTS_DIR = Path(__file__).parent / "results"


class PeakRssSampler:
    """Samples this process's RSS (plus children) in a thread; ``peak_mib`` after stop."""

    def __init__(self, interval_s: float = 0.02) -> None:
        self.interval_s = interval_s
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        proc = psutil.Process(os.getpid())
        total = proc.memory_info().rss
        for child in proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, self._rss())
            time.sleep(self.interval_s)

    def __enter__(self) -> PeakRssSampler:
        self.peak_bytes = self._rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_bytes = max(self.peak_bytes, self._rss())

    @property
    def peak_mib(self) -> float:
        return self.peak_bytes / 2**20


@contextmanager
def measure() -> Iterator[dict[str, float]]:
    """``with measure() as m: ...`` then ``m['wall_s']``, ``m['peak_rss_mib']``."""
    result: dict[str, float] = {}
    with PeakRssSampler() as sampler:
        start = time.perf_counter()
        yield result
        result["wall_s"] = time.perf_counter() - start
    result["peak_rss_mib"] = sampler.peak_mib


def time_call(fn: Callable[[], Any], repeat: int = 3) -> float:
    """Best wall time of ``repeat`` calls, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def write_results(topic: str, results: dict[str, Any]) -> Path:
    """Write ``results`` with machine facts to benchmarks/results/<topic>.json."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    payload = {
        "topic": topic,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
        **results,
    }
    path = RESULTS_DIR / f"{topic}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str))
    tmp.replace(path)
    return path
