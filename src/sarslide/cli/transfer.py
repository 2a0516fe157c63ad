"""``sarslide transfer``: train on some events, test on an unseen one, for every event."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from sarslide.cli import options as opt
from sarslide.cli.apps import app
from sarslide.cli.console import console, report_errors
from sarslide.cli.grid_report import exit_interrupted, report_failed_runs


@app.command("transfer")
@report_errors
def transfer(
    config: Path | None = opt.config_argument(
        "Transfer YAML (keys of TransferConfig; the same as --config)."
    ),
    config_file: Path | None = opt.config_option(
        "Transfer YAML (TransferConfig keys: train, events, held_out, seeds, output_dir, "
        "workers, log_ratio); the options below and --set override it."
    ),
    events: Path | None = typer.Option(
        None, "--events", help="events.yaml (as 'sarslide cube simulate-events' writes)."
    ),
    output: Path | None = opt.output_option("Where results go (output_dir)."),
    output_dir: Path | None = opt.hidden_alias_option("--output-dir"),
    seeds: str | None = opt.seeds_option(),
    held_out: str | None = typer.Option(
        None, "--held-out", help="Comma-separated events to hold out (default: all)."
    ),
    epochs: int | None = typer.Option(None, "--epochs", help="trainer.max_epochs of every run."),
    workers: int | None = opt.workers_option(),
    overrides: list[str] = opt.set_option(),
    no_progress: bool = opt.no_progress_option(),
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

    source = opt.pick_config(config, config_file)
    shortcuts: dict[str, Any] = {
        "events": read_events_file(events) if events is not None else None,
        "output_dir": opt.pick_output(output, output_dir, "--output-dir"),
        "seeds": opt.parse_ints(seeds, "--seeds") if seeds is not None else None,
        "held_out": [p.strip() for p in held_out.split(",") if p.strip()] if held_out else None,
        "workers": workers,
    }
    cfg = opt.load_command_config(TransferConfig, source, overrides, shortcuts)
    cfg = check_transfer_config(cfg)
    if epochs is not None:
        cfg.train.setdefault("trainer", {})["max_epochs"] = epochs
    try:
        outcome, paths = run_transfer(cfg, progress=not no_progress)
    except KeyboardInterrupt as err:
        raise exit_interrupted(err, cfg.output_dir) from None
    console.print(
        f"runs: {len(outcome.ran)} ran, {len(outcome.skipped)} already finished, "
        f"{len(outcome.failed)} failed"
    )
    console.print(paths["table_md"].read_text(), markup=False, highlight=False)
    console.print(f"outputs in {cfg.output_dir} (figure {paths['figure']})")
    report_failed_runs(outcome.failed)
