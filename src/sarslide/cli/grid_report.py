"""What ``ablation`` and ``transfer`` print when a grid of runs stops or has failures."""

from __future__ import annotations

import signal
from collections.abc import Mapping
from pathlib import Path

import typer

from sarslide.cli.console import console


def count_finished_runs(output_dir: Path) -> int:
    """Runs of a grid folder that wrote their result."""
    from sarslide.experiments.grid import RUNS_DIRNAME
    from sarslide.experiments.records import RESULT_FILENAME

    return len(list((output_dir / RUNS_DIRNAME).glob(f"*/{RESULT_FILENAME}")))


def exit_interrupted(err: KeyboardInterrupt, output_dir: str | Path) -> typer.Exit:
    """Say how many runs finished and how to continue; the exit to raise (128 + signal).

    ``err``: Ctrl-C, or SIGTERM (``cli.console.sigterm_as_interrupt`` sets ``signum``).
    """
    done = count_finished_runs(Path(output_dir))
    console.print(
        f"[yellow]interrupted[/]: {done} run(s) finished in {output_dir}. Run the "
        "same command again to continue (finished runs are skipped)."
    )
    return typer.Exit(code=128 + int(getattr(err, "signum", signal.SIGINT)))


def report_failed_runs(failed: Mapping[str, str]) -> None:
    """Print each failed run and exit 1; nothing when none failed."""
    if not failed:
        return
    for run_id, message in failed.items():
        console.print(f"[red]failed[/] {run_id}: {message}", highlight=False)
    console.print("Run the same command again to retry the failed runs.")
    raise typer.Exit(code=1)
