"""Write finished rows in a thread while the model runs on the next block.

Whole-scene prediction hands each band of finished rows to its sink (a threshold into
the binary map, two GeoTIFF writers that also reduce the rows into the COG overviews)
between two model calls; in the model's thread that work waited for the model.
:class:`WriteBehind` runs the sink's ``write_rows`` in one background thread instead,
at the reading threads' lower priority (``read_priority``): one band at a time, in
order, the next band handed over only once the previous one is written (so at most
one band waits in memory). An error of the sink is raised in the model's thread, by
the next ``write_rows`` or by :meth:`WriteBehind.close`.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from sarslide.inference.read_priority import lower_thread_priority
from sarslide.inference.sinks import RowSink


class WriteBehind:
    """A ``RowSink`` that writes into ``sink`` in a background thread (see the module).

    Call :meth:`close` when every row is handed over (it waits for the last write and
    raises its error), and :meth:`abandon` on every path out (it only waits).
    """

    def __init__(self, sink: RowSink, *, nice: int | None = None) -> None:
        self.sink = sink
        self._nice = nice
        self._pool = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="sarslide-write", initializer=self._lower
        )
        self._pending: Future[None] | None = None

    def _lower(self) -> None:
        if self._nice is not None:
            lower_thread_priority(threading.get_native_id(), self._nice)

    def write_rows(self, row_start: int, rows: np.ndarray) -> None:
        """Hand ``rows`` over once the previous band is written (its error raised here)."""
        self._finish_pending()
        self._pending = self._pool.submit(self.sink.write_rows, row_start, rows)

    def _finish_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        """Wait for the last band; raise the sink's error if it failed."""
        try:
            self._finish_pending()
        finally:
            self._pool.shutdown(wait=True)

    def abandon(self) -> None:
        """Stop: wait for a write in progress, drop what was not started; the sink's own
        error is not raised. A second Ctrl-C (or SIGTERM) while waiting is held until the
        write is over, then raised: the caller closes the sink's files next, which must
        not happen while the thread still writes into them."""
        self._pending = None
        interrupted: BaseException | None = None
        while True:
            try:
                self._pool.shutdown(wait=True, cancel_futures=True)
                break
            except KeyboardInterrupt as signal_error:  # wait again, raise it after
                interrupted = signal_error
        if interrupted is not None:
            raise interrupted
