"""What one run returns and what the runner stores: the completed-run marker.

A run is finished when ``<run_dir>/result.json`` exists; it is written through a
temporary file and renamed, so it is either complete or absent. A run directory
holding ``.started`` but no ``result.json`` is an interrupted run.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sarslide.atomic import replacing

RESULT_FILENAME: Final = "result.json"
STARTED_FILENAME: Final = ".started"

METRIC_KEYS: Final[tuple[str, ...]] = (
    "auprc_chips",
    "auprc_region",
    "auroc_chips",
    "auroc_region",
    "f1_chips",
    "f1_region",
    "baseline_auprc_chips",
    "baseline_auprc_region",
)
"""Metrics every run reports: on the positive test chips and on the whole test region.

``baseline_auprc_*`` is the positive rate, the AUPRC of a random score.
"""

INTERVAL_KEYS: Final[tuple[str, ...]] = (
    "auprc_chips_low",
    "auprc_chips_high",
    "auprc_region_low",
    "auprc_region_high",
)
"""The 95 % spatial block bootstrap interval of each AUPRC (runs that have one)."""


def flatten_interval(intervals: dict[str, Any] | None, where: str) -> dict[str, float]:
    """``{"auprc_<where>_low": ..., "auprc_<where>_high": ...}`` (NaN when not computed)."""
    bounds = (intervals or {}).get("auprc") or [None, None]
    low, high = (math.nan if b is None else float(b) for b in bounds)
    return {f"auprc_{where}_low": low, f"auprc_{where}_high": high}


class RunOutput(BaseModel):
    """What a run function returns: its input channels and its test metrics."""

    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="constants")  # NaN round-trips

    channel_names: list[str] = Field(..., description="Input channels the model saw.")
    metrics: dict[str, float] = Field(..., description="Keys: METRIC_KEYS (more allowed).")
    split: str = Field(default="", description="How chips were split (spatial/random).")
    artifacts: dict[str, str] = Field(default_factory=dict, description="Checkpoints etc.")


class RunRecord(BaseModel):
    """The stored result of one finished run (``result.json``)."""

    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="constants")  # NaN round-trips

    run_id: str
    input_set: str
    timesteps_k: int | None
    seed: int
    train_sha256: str = Field(..., description="Hash of the base training configuration.")
    wall_time_s: float
    output: RunOutput


def hash_train_config(train: dict[str, Any]) -> str:
    """A stable SHA-256 of a training configuration mapping (key order ignored)."""
    text = json.dumps(train, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def read_run_record(run_dir: Path) -> RunRecord | None:
    """The record of a finished run, or None when the run has not finished."""
    path = Path(run_dir) / RESULT_FILENAME
    if not path.is_file():
        return None
    try:
        return RunRecord.model_validate_json(path.read_text())
    except (ValidationError, ValueError):
        return None  # unreadable marker: the run counts as not finished


def write_run_record(run_dir: Path, record: RunRecord) -> Path:
    """Write ``result.json`` atomically (temporary file, fsync, rename)."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    target = run_dir / RESULT_FILENAME
    with replacing(target) as tmp, tmp.open("w") as handle:
        handle.write(record.model_dump_json(indent=2))
        handle.flush()
        os.fsync(handle.fileno())
    return target


class LogRatioResult(BaseModel):
    """The log-ratio baseline's scores for one k (``log_ratio/k<k>.json``)."""

    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="constants")  # NaN round-trips

    timesteps_k: int
    polarisations: str
    sign: str = Field(..., description="Direction used: abs, increase or decrease.")
    slope_min_deg: float | None
    threshold: float = Field(..., description="F1 threshold chosen on the validation region.")
    metrics: dict[str, float] = Field(..., description="Same keys as the learned runs.")
    config_sha256: str = Field(
        default="", description="Hash of what it was computed from (cache key)."
    )

    @property
    def label(self) -> str:
        """Short name for tables and legends."""
        sign = {"abs": "|log ratio|", "increase": "+log ratio", "decrease": "-log ratio"}
        mask = "" if self.slope_min_deg is None else f", slope>{self.slope_min_deg:g}°"
        return f"log-ratio {self.polarisations} {sign.get(self.sign, self.sign)}{mask}"

    def describe(self) -> str:
        """One line: k, label, AUPRC on chips and region beside their positive rates, F1."""
        m = self.metrics
        return (
            f"k={self.timesteps_k} {self.label}: AUPRC chips {m['auprc_chips']:.3f} "
            f"(positive rate {m['baseline_auprc_chips']:.3f}), region {m['auprc_region']:.3f} "
            f"(positive rate {m['baseline_auprc_region']:.3f}), F1 region {m['f1_region']:.3f}"
        )


def records_by_run(records: list[RunRecord]) -> dict[tuple[str, str], list[RunRecord]]:
    """Finished runs grouped by (mode, event)."""
    out: dict[tuple[str, str], list[RunRecord]] = {}
    for record in records:
        mode, event = record.input_set.split("-", 1)
        out.setdefault((mode, event), []).append(record)
    return out
