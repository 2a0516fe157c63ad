"""``LogRatioBaselineConfig``: what ``sarslide baseline log-ratio`` was asked to do.

With a training config the baseline is scored on that config's data, once per
number of timesteps (``score_log_ratio_baseline``); without one, ``cube`` is mapped
into ``output_dir`` without a model (``map_config`` -> ``map_log_ratio``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from sarslide.config import ConfigModel, Overrides
from sarslide.conventions import UtcTimestamp
from sarslide.errors import ConfigError
from sarslide.experiments.config import LogRatioSettings
from sarslide.inference.config import LogRatioMapConfig

_MAP_FIELDS = LogRatioMapConfig.model_fields


class LogRatioBaselineConfig(ConfigModel):
    """Score the log-ratio baseline (``train_config``) or map ``cube`` (see the module)."""

    config_label: ClassVar[str] = "log-ratio options"

    train_config: str | None = Field(
        default=None, description="Training config YAML whose data section is scored."
    )
    cube: str | None = Field(
        default=None,
        description="Datacube instead of the training config's, or the cube to map.",
    )
    timesteps_k: list[int] | None = Field(
        default=None,
        description="Comma-separated numbers of timesteps (default: the ablation's); a map "
        "takes one (default 2).",
    )
    score: LogRatioSettings = Field(
        default_factory=LogRatioSettings, description="The score (its polarisations: the map's)."
    )
    event_start: UtcTimestamp | None = Field(
        default=None, description=_MAP_FIELDS["event_start"].description
    )
    event_end: UtcTimestamp | None = Field(
        default=None, description=_MAP_FIELDS["event_end"].description
    )
    change_db: float | None = Field(default=None, description=_MAP_FIELDS["change_db"].description)
    threshold: float | None = Field(
        default=None, description="Map: threshold of the binary map, default 0.5."
    )
    output_dir: str | None = Field(
        default=None,
        description="Write the results as JSON (with a training config), or the map folder "
        "(with --cube).",
    )

    def map_config(self, overrides: Overrides = ()) -> LogRatioMapConfig:
        """The map's config (its keys given here, then ``overrides``); ConfigError
        without ``cube`` and ``output_dir`` or with more than one number of timesteps."""
        if self.cube is None or self.output_dir is None:
            raise ConfigError(
                "A log-ratio map needs --cube CUBE and -o MAP_FOLDER (or give a training "
                "config to score the baseline)."
            )
        ks = self.timesteps_k or []
        if len(ks) > 1:
            text = ",".join(map(str, ks))
            raise ConfigError(f"-k {text!r}: a map takes one number of timesteps, e.g. -k 2.")
        keys = {"cube", "output_dir", "event_start", "event_end", "change_db", "threshold"}
        given: dict[str, Any] = self.model_dump(include=keys, exclude_none=True)
        if ks:
            given["timesteps_k"] = ks[0]
        if "polarisations" in self.score.model_fields_set:
            given["polarisations"] = self.score.polarisations
        return LogRatioMapConfig.from_mapping(given, overrides, source="(log-ratio map options)")
