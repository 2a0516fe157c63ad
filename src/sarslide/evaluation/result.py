"""``EvaluationResult``: a checkpoint's metrics on one split, on chips and on the region.

Apart from ``evaluate`` (which makes it) and ``report`` (which writes it), so that
each imports it and neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sarslide.metrics.thresholds import SplitMetrics


@dataclass(frozen=True)
class EvaluationResult:
    """Metrics of one checkpoint on one split, on chips and on the whole region."""

    checkpoint: str
    model_name: str
    channel_names: list[str]
    split: str
    split_method: str
    threshold: float
    threshold_source: str
    chips: SplitMetrics
    region: SplitMetrics | None
    val_chips_auprc: float | None = None
    n_chips: int = 0
    paths: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    engine: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; each metric block names its split and split method."""
        label = {"split": self.split, "split_method": self.split_method}
        return {
            "checkpoint": self.checkpoint,
            "model_name": self.model_name,
            "channel_names": self.channel_names,
            "split": self.split,
            "split_method": self.split_method,
            "threshold": self.threshold,
            "threshold_source": self.threshold_source,
            "val_chips_auprc": self.val_chips_auprc,
            "chips": {
                **label,
                "evaluated_on": "chips",
                "n_chips": self.n_chips,
                **self.chips.to_dict(),
            },
            "region": (
                {**label, "evaluated_on": "whole region", **self.region.to_dict()}
                if self.region is not None
                else None
            ),
            "paths": self.paths,
            "notes": self.notes,
            "engine": self.engine,
        }
