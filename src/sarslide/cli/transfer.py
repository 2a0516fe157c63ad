"""``sarslide transfer``: train on some events, test on an unseen one, for every event."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from sarslide.cli.ablation import _count_finished, _parse_ints, _sigterm_as_interrupt
from sarslide.cli.apps import app
from sarslide.cli.console import console, report_errors


@app.command("transfer")
@report_errors
def transfer(
    config: Path | None = typer.Argument(
        None, help="Transfer YAML (keys of TransferConfig; options override it)."
    ),
    events: Path | None = typer.Option(
        None, "--events", help="events.yaml (as 'sarslide cube simulate-events' writes)."
    ),
    output_dir: Path | None = typer.Option(None, "-o", "--output-dir", help="Where results go."),
    seeds: str | None = typer.Option(None, "--seeds", help="Comma-separated seeds, e.g. 0,1."),
    held_out: str | None = typer.Option(
        None, "--held-out", help="Comma-separated events to hold out (default: all)."
    ),
    epochs: int | None = typer.Option(None, "--epochs", help="trainer.max_epochs of every run."),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Runs at a time."),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bars."),
) -> None:
    """Transfer to unseen events: per event, a model trained on the others vs one trained
    on the event itself vs the log-ratio baseline (AUPRC on the event's test region).

    Resumable: finished runs are skipped. Writes transfer.csv, transfer.md, transfer.png.
    """
    from sarslide.chips.events import read_events_file
    from sarslide.experiments.transfer import (
        load_transfer_config,
        read_transfer_yaml,
        run_transfer,
    )

    values: dict[str, Any] = read_transfer_yaml(config) if config else {}
    if events is not None:
        values["events"] = read_events_file(events)
    if output_dir is not None:
        values["output_dir"] = str(output_dir)
    if seeds is not None:
        values["seeds"] = _parse_ints(seeds, "--seeds")
    if held_out is not None:
        values["held_out"] = [p.strip() for p in held_out.split(",") if p.strip()]
    if workers is not None:
        values["workers"] = workers
    cfg = load_transfer_config(values, source=str(config or "command line"))
    if epochs is not None:
        cfg.train.setdefault("trainer", {})["max_epochs"] = epochs
    try:
        with _sigterm_as_interrupt():
            outcome, paths = run_transfer(cfg, progress=not no_progress)
    except KeyboardInterrupt:
        done = _count_finished(Path(cfg.output_dir))
        console.print(
            f"[yellow]interrupted[/]: {done} run(s) finished in {cfg.output_dir}. Run the "
            "same command again to continue (finished runs are skipped)."
        )
        raise typer.Exit(code=130) from None
    console.print(
        f"runs: {len(outcome.ran)} ran, {len(outcome.skipped)} already finished, "
        f"{len(outcome.failed)} failed"
    )
    console.print(paths["table_md"].read_text(), markup=False, highlight=False)
    console.print(f"outputs in {cfg.output_dir} (figure {paths['figure']})")
    if outcome.failed:
        for run_id, message in outcome.failed.items():
            console.print(f"[red]failed[/] {run_id}: {message}", highlight=False)
        console.print("Run the same command again to retry the failed runs.")
        raise typer.Exit(code=1)
