"""What ``respond_to_event`` returns (light: no torch, no STAC clients)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sarslide.inference.output_paths import PredictionOutputs
    from sarslide.response.acquisitions import AcquisitionPlan


@dataclass(frozen=True)
class RespondResult:
    """What ``respond_to_event`` made or reused, step by step."""

    directory: Path
    plan: AcquisitionPlan
    cube: Path
    map: PredictionOutputs
    report_md: Path
    state_json: Path
    steps: dict[str, str] = field(default_factory=dict)  # step -> "done" or "reused"
