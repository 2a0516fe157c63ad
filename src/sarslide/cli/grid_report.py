"""What ``ablation`` and ``transfer`` print: the grid's runs and tables, its failed runs,
or, when stopped, how many runs finished and how to continue."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from sarslide.cli.console import console
from sarslide.failures import describe_failure

if TYPE_CHECKING:
    from sarslide.experiments.runner import GridOutcome


@contextlib.contextmanager
def exit_on_interrupt(output_dir: str | Path) -> Iterator[None]:
    """Ctrl-C or SIGTERM inside: say how many runs finished and how to continue, then
    exit 128 + the signal."""
    from sarslide.experiments.grid import count_finished_runs

    try:
        yield
    except KeyboardInterrupt as err:
        done = count_finished_runs(Path(output_dir))
        console.print(
            f"[yellow]interrupted[/]: {done} run(s) finished in {output_dir}. Run the "
            "same command again to continue (finished runs are skipped)."
        )
        raise typer.Exit(code=describe_failure(err).exit_code) from None


def report_grid(grid: GridOutcome, tables: Sequence[Path], where: str) -> None:
    """The runs' counts, the tables, where the outputs are; each failed run, then exit 1."""
    console.print(grid.describe())
    for table in tables:
        console.print(table.read_text(), markup=False, highlight=False)
    console.print(where)
    if not grid.failed:
        return
    for run_id, message in grid.failed.items():
        console.print(f"[red]failed[/] {run_id}: {message}", highlight=False)
    console.print("Run the same command again to retry the failed runs.")
    raise typer.Exit(code=1)
