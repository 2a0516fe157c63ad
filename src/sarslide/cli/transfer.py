"""``sarslide transfer``: train on some events, test on an unseen one, for every event."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sarslide.cli import options as opt
from sarslide.cli.apps import app
from sarslide.cli.config_flags import ConfigFlags, ConfigRequest, config_command, flag
from sarslide.cli.flag_types import parse_ints, parse_names
from sarslide.cli.grid_report import exit_on_interrupt, report_grid


def read_events(path: str, spelling: str) -> list[dict[str, Any]]:
    """The events of an events.yaml (as 'sarslide cube simulate-events' writes)."""
    from sarslide.chips.events import read_events_file

    return read_events_file(Path(path))


TRANSFER = ConfigFlags(
    "sarslide.experiments.config:TransferConfig",
    "workers",
    flag("events", parse=read_events),
    flag("output_dir", old=["--output-dir"]),
    flag("seeds", parse=parse_ints),
    flag("held_out", parse=parse_names),
    flag(
        "train.trainer.max_epochs",
        "--epochs",
        help="trainer.max_epochs of every run (train.trainer.max_epochs).",
    ),
    config_argument="Transfer YAML (keys of TransferConfig; the same as --config).",
    sections={"train": "sarslide.training.config:TrainConfig"},
)


@config_command(app, "transfer", TRANSFER)
def transfer(request: ConfigRequest, no_progress: bool = opt.NO_PROGRESS) -> None:
    """Transfer to unseen events: per event, a model trained on the others vs one trained
    on the event itself vs the log-ratio baseline (AUPRC on the event's test region).

    Resumable: finished runs are skipped. Writes transfer.csv, transfer.md, transfer.png.
    """
    from sarslide.experiments.transfer import check_transfer_config, run_transfer

    cfg = check_transfer_config(request.load())
    with exit_on_interrupt(cfg.output_dir):
        result = run_transfer(cfg, progress=not no_progress)
    where = f"outputs in {cfg.output_dir} (figure {result.paths['figure']})"
    report_grid(result.grid, [result.paths["table_md"]], where)
