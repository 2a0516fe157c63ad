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


class KernelPeakRss:
    """This process's exact peak RSS from the kernel's high-water mark (Linux).

    Resets ``VmHWM`` on entry (``/proc/self/clear_refs``) and reads it on exit: nothing
    runs during the measurement, unlike a sampling thread, which takes CPU and the GIL
    from what it measures and can miss short peaks. Children are not counted.
    """

    @staticmethod
    def available() -> bool:
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            return KernelPeakRss._hwm_bytes() > 0
        except OSError:
            return False

    @staticmethod
    def _hwm_bytes() -> int:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        return 0

    def __enter__(self) -> KernelPeakRss:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets the high-water mark to the current RSS
        return self

    def __exit__(self, *exc: object) -> None:
        self.peak_bytes = self._hwm_bytes()

    @property
    def peak_mib(self) -> float:
        return self.peak_bytes / 2**20


@contextmanager
def measure(*, children: bool = False) -> Iterator[dict[str, Any]]:
    """``with measure() as m: ...`` then ``m['wall_s']``, ``m['peak_rss_mib']``.

    Peak RSS is the kernel's exact high-water mark of this process where Linux gives
    it; with ``children`` (work in subprocesses) or elsewhere, a 20 ms sampling thread
    over this process and its children. ``m['peak_rss_method']`` says which.
    """
    result: dict[str, Any] = {}
    exact = not children and KernelPeakRss.available()
    tracker: KernelPeakRss | PeakRssSampler = KernelPeakRss() if exact else PeakRssSampler()
    with tracker:
        start = time.perf_counter()
        yield result
        result["wall_s"] = time.perf_counter() - start
    result["peak_rss_mib"] = tracker.peak_mib
    result["peak_rss_method"] = "kernel VmHWM" if exact else "sampled every 20 ms"


def time_call(fn: Callable[[], Any], repeat: int = 3) -> float:
    """Best wall time of ``repeat`` calls, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def results_path(topic: str, *, quick: bool) -> Path:
    """benchmarks/results/<topic>.json, or <topic>_quick.json for a ``--quick`` run."""
    return RESULTS_DIR / f"{topic}{'_quick' if quick else ''}.json"


def write_results(topic: str, results: dict[str, Any], *, quick: bool) -> Path:
    """Write ``results`` with machine facts to :func:`results_path` (no default for
    ``quick``: every benchmark says which it is, so a quick run never overwrites the
    full results)."""
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
    path = results_path(topic, quick=quick)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str))
    tmp.replace(path)
    return path
