"""``sarslide transfer``: train on some events, test on an unseen one, for every event."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import typer

from sarslide.cli.ablation import _count_finished, _parse_ints
from sarslide.cli.apps import app
from sarslide.cli.console import console, report_errors
from sarslide.cli.options import config_option, load_command_config, pick_output, set_option


@app.command("transfer")
@report_errors
def transfer(
    config: Path | None = typer.Argument(
        None, help="Transfer YAML (keys of TransferConfig; the same as --config)."
    ),
    config_file: Path | None = config_option(
        "Transfer YAML (TransferConfig keys: train, events, held_out, seeds, output_dir, "
        "workers, log_ratio); the options below and --set override it."
    ),
    events: Path | None = typer.Option(
        None, "--events", help="events.yaml (as 'sarslide cube simulate-events' writes)."
    ),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Where results go (output_dir)."
    ),
    output_dir: Path | None = typer.Option(None, "--output-dir", hidden=True),
    seeds: str | None = typer.Option(None, "--seeds", help="Comma-separated seeds, e.g. 0,1."),
    held_out: str | None = typer.Option(
        None, "--held-out", help="Comma-separated events to hold out (default: all)."
    ),
    epochs: int | None = typer.Option(None, "--epochs", help="trainer.max_epochs of every run."),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Runs at a time."),
    overrides: list[str] = set_option(),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bars."),
) -> None:
    """Transfer to unseen events: per event, a model trained on the others vs one trained
    on the event itself vs the log-ratio baseline (AUPRC on the event's test region).

    Resumable: finished runs are skipped. Writes transfer.csv, transfer.md, transfer.png.
    """
    from sarslide.chips.events import read_events_file
    from sarslide.experiments.transfer import (
        TransferConfig,
        check_transfer_config,
        run_transfer,
    )

    shortcuts: dict[str, Any] = {
        "events": read_events_file(events) if events is not None else None,
        "output_dir": pick_output(output, output_dir, "--output-dir"),
        "seeds": _parse_ints(seeds, "--seeds") if seeds is not None else None,
        "held_out": [p.strip() for p in held_out.split(",") if p.strip()] if held_out else None,
        "workers": workers,
    }
    cfg = check_transfer_config(
        load_command_config(TransferConfig, config or config_file, overrides, shortcuts)
    )
    if epochs is not None:
        cfg.train.setdefault("trainer", {})["max_epochs"] = epochs
    try:
        outcome, paths = run_transfer(cfg, progress=not no_progress)
    except KeyboardInterrupt as err:  # Ctrl-C, or SIGTERM (cli.console.sigterm_as_interrupt)
        done = _count_finished(Path(cfg.output_dir))
        console.print(
            f"[yellow]interrupted[/]: {done} run(s) finished in {cfg.output_dir}. Run the "
            "same command again to continue (finished runs are skipped)."
        )
        raise typer.Exit(code=128 + int(getattr(err, "signum", signal.SIGINT))) from None
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
