"""Run an ablation grid: resumable, spread over processes or a dask cluster.

Each run is ``run_one(spec) -> RunOutput`` (injected: the real one trains and
evaluates, tests pass a fake). The runner

* skips runs whose ``result.json`` exists (written atomically at the very end),
* restarts an interrupted run from a clean directory,
* checks that the run really saw its input set's channels (the paper's script did not),
* runs ``workers`` runs at a time in a ``ProcessPoolExecutor`` (one per GPU when
  ``devices`` are given), or as ``Client.submit`` tasks on a dask.distributed cluster.

A run that fails is logged and left unfinished: the rest of the grid goes on, and the
next invocation retries it.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from sarslide.errors import ConfigError, DataSelectionError, OutputExistsError
from sarslide.experiments.grid import EXPECTED_CHANNELS, RunSpec
from sarslide.experiments.records import (
    STARTED_FILENAME,
    RunOutput,
    RunRecord,
    hash_train_config,
    read_run_record,
    write_run_record,
)
from sarslide.parallel import use_scheduler

logger = logging.getLogger(__name__)

RunFunction = Callable[[RunSpec], RunOutput]


@dataclass(frozen=True)
class GridOutcome:
    """What a call to ``run_grid`` did."""

    records: list[RunRecord] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Every run of the grid has a result."""
        return not self.failed

    def describe(self) -> str:
        """One line: how many runs ran, were already finished, failed."""
        done = f"{len(self.ran)} ran, {len(self.skipped)} already finished"
        return f"runs: {done}, {len(self.failed)} failed"


def run_grid(
    specs: Sequence[RunSpec],
    run_one: RunFunction,
    *,
    workers: int = 1,
    scheduler_address: str | None = None,
    devices: Sequence[int] | None = None,
    threads_per_worker: int | None = None,
    progress: bool = True,
) -> GridOutcome:
    """Run every spec that has no result yet; return all records in spec order.

    Args:
        specs: the grid (``expand_grid``).
        run_one: picklable callable (module-level function) running one spec.
        workers: runs at a time; 1 runs in this process, more in a process pool.
        scheduler_address: a dask.distributed scheduler; runs become cluster tasks.
        devices: CUDA device indices; one worker per device, each sees only its own.
        threads_per_worker: OpenMP/MKL/OpenBLAS threads per worker process (a run's
            torch threads are its config's ``trainer.threads``).
        progress: show a progress bar.

    Raises:
        ConfigError: a finished run was made with a different training config.
        KeyboardInterrupt: re-raised after pending runs are cancelled; finished runs
            keep their results and the next call continues from there.
    """
    outcome = GridOutcome()
    todo: list[RunSpec] = []
    for spec in specs:
        record = _finished_record(spec)
        if record is None:
            todo.append(spec)
        else:
            outcome.skipped.append(spec.run_id)
    if outcome.skipped:
        logger.info("skipping %d finished run(s)", len(outcome.skipped))
    with _progress_bar(len(specs), len(outcome.skipped), progress) as advance:
        if scheduler_address:
            _run_on_cluster(todo, run_one, scheduler_address, outcome, advance)
        elif devices or workers > 1:
            _run_in_processes(todo, run_one, workers, devices, threads_per_worker, outcome, advance)
        else:
            for spec in todo:
                _collect(spec, functools.partial(execute_run, spec, run_one), outcome, advance)
    for spec in specs:
        record = read_run_record(spec.run_dir)
        if record is not None:
            outcome.records.append(record)
    return outcome


def execute_run(spec: RunSpec, run_one: RunFunction) -> RunRecord:
    """Run one spec and write its result; a finished run is returned as it is.

    Runs in a worker process or on a cluster: everything it needs is in ``spec``.
    """
    existing = _finished_record(spec)
    if existing is not None:
        return existing
    prepare_run_dir(spec.run_dir)
    start = time.perf_counter()
    output = run_one(spec)
    check_channels(spec, output)
    record = RunRecord(
        run_id=spec.run_id,
        input_set=spec.input_set,
        timesteps_k=spec.timesteps_k,
        seed=spec.seed,
        train_sha256=hash_train_config(spec.train),
        wall_time_s=round(time.perf_counter() - start, 3),
        output=output,
    )
    write_run_record(spec.run_dir, record)
    return record


def prepare_run_dir(run_dir: Path) -> None:
    """Give a run an empty directory, clearing what an interrupted attempt left.

    Raises:
        OutputExistsError: the directory exists but was not made by the runner.
    """
    run_dir = Path(run_dir)
    if run_dir.exists():
        if not (run_dir / STARTED_FILENAME).exists():
            raise OutputExistsError(
                f"{str(run_dir)!r} exists but is not an ablation run directory (no "
                f"{STARTED_FILENAME}). Move it away or choose another output directory."
            )
        logger.warning("restarting interrupted run in %s (clearing its partial outputs)", run_dir)
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    (run_dir / STARTED_FILENAME).write_text(f"pid {os.getpid()}\n")


def check_channels(spec: RunSpec, output: RunOutput) -> None:
    """Fail when a run did not get exactly its input set's channels."""
    expected = EXPECTED_CHANNELS.get(spec.input_set)
    if expected is None:
        return
    if sorted(output.channel_names) != sorted(expected):
        raise DataSelectionError(
            f"Run {spec.run_id!r} trained on channels {output.channel_names}, but input set "
            f"{spec.input_set!r} must have {list(expected)}. The data config's channels "
            "were not applied; fix the run function."
        )


def _finished_record(spec: RunSpec) -> RunRecord | None:
    record = read_run_record(spec.run_dir)
    if record is None:
        return None
    expected = hash_train_config(spec.train)
    if record.train_sha256 != expected:
        raise ConfigError(
            f"Run {spec.run_id!r} in {str(spec.run_dir)!r} was made with another training "
            f"config (sha256 {record.train_sha256[:12]}, now {expected[:12]}). Use a new "
            "output directory for a changed config, or delete the old runs."
        )
    return record


def _collect(
    spec: RunSpec, call: Callable[[], RunRecord], outcome: GridOutcome, advance: Callable[[], None]
) -> None:
    try:
        call()
    except (KeyboardInterrupt, ConfigError):
        raise
    except Exception as err:
        logger.error("run %s failed: %s: %s", spec.run_id, type(err).__name__, err)
        outcome.failed[spec.run_id] = f"{type(err).__name__}: {err}"
    else:
        outcome.ran.append(spec.run_id)
    advance()


def _run_in_processes(
    todo: Sequence[RunSpec],
    run_one: RunFunction,
    workers: int,
    devices: Sequence[int] | None,
    threads_per_worker: int | None,
    outcome: GridOutcome,
    advance: Callable[[], None],
) -> None:
    context = multiprocessing.get_context("spawn")
    device_queue: Any = None
    if devices:
        workers = len(devices)
        device_queue = context.Manager().Queue()
        for device in devices:
            device_queue.put(int(device))
    threads = threads_per_worker or max(1, (os.cpu_count() or 1) // workers)
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(threads, device_queue),
    )
    pending: dict[Future[RunRecord], RunSpec] = {}
    try:
        for spec in todo:
            pending[executor.submit(execute_run, spec, run_one)] = spec
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                spec = pending.pop(future)
                _collect(spec, future.result, outcome, advance)
    except BaseException:
        _stop_workers(executor)
        raise
    executor.shutdown(wait=True)


def _stop_workers(executor: ProcessPoolExecutor) -> None:
    """Cancel pending runs and terminate running ones (interrupt: Ctrl-C, SIGTERM).

    Without this the running workers would finish their runs after the runner has
    gone, racing the next invocation for the same run directories. A terminated
    run keeps ``.started`` without ``result.json`` and is restarted next time.
    """
    processes = list(getattr(executor, "_processes", {}).values())  # no public API in 3.11
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)
    executor.shutdown(wait=True)  # the pool sees its dead workers and releases its queues
    if processes:
        logger.warning("interrupted: stopped %d worker process(es)", len(processes))


def _init_worker(threads: int, device_queue: Any) -> None:
    """Limit a worker's threads and pin it to one GPU (before torch is imported)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the runner, which stops us
    _configure_worker_logging()
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    if device_queue is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(device_queue.get())


def _configure_worker_logging() -> None:
    """Workers print warnings and errors only (not Lightning's per-run INFO chatter).

    A handler on the root logger, set before Lightning is imported, also stops
    Lightning's subpackages from attaching their own stderr handlers.
    """
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("[worker %(process)d] %(levelname)s %(message)s"))
    logging.getLogger().addHandler(handler)
    # ``import lightning`` adds an INFO stderr handler to its logger unconditionally:
    # refuse it, so its records reach the WARNING handler above instead.
    lightning_logger = logging.getLogger("lightning")
    lightning_logger.addHandler = lambda handler: None  # type: ignore[method-assign,assignment]


def _run_on_cluster(
    todo: Sequence[RunSpec],
    run_one: RunFunction,
    scheduler_address: str,
    outcome: GridOutcome,
    advance: Callable[[], None],
) -> None:
    # dask.distributed (seconds to import) only when a scheduler is used.
    from distributed import as_completed

    with use_scheduler(scheduler_address) as client:
        futures = {
            client.submit(
                execute_run, spec, run_one, pure=False, key=f"ablation-{spec.run_id}"
            ): spec
            for spec in todo
        }
        try:
            for future in as_completed(futures):
                _collect(futures[future], future.result, outcome, advance)
        except BaseException:
            client.cancel(list(futures))
            raise


@contextmanager
def _progress_bar(total: int, done: int, enabled: bool) -> Iterator[Callable[[], None]]:
    if not enabled:
        yield lambda: None
        return

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ) as bar:
        task = bar.add_task("ablation runs", total=total, completed=done)
        yield lambda: bar.advance(task)
