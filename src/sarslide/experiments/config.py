"""The experiments' configurations: ``AblationConfig`` and ``TransferConfig``.

``AblationConfig``: which runs, where, and on how many processes.

An ablation grid is the paper's input ablation (Boehm et al. 2022, Fig. 4): input
sets x number of timesteps k x seeds, each run a full train + evaluate with the
base training configuration in ``train``. The configuration is a pydantic model
round-tripped to YAML; the resolved configuration is written next to the results.

``TransferConfig``: a transfer study (train on some events, test on a held-out one);
see ``sarslide.experiments.transfer``.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any, ClassVar, Final, Literal

from pydantic import Field, field_validator

from sarslide.chips import DataConfig, load_data_config
from sarslide.config import (
    ConfigModel,
    Overrides,
    apply_overrides,
    list_presets,
    read_yaml_mapping,
    resolve_config_path,
)
from sarslide.conventions import SchedulerAddress
from sarslide.errors import ConfigError

InputSet = Literal["vv", "vh", "vv+vh", "sar+dem", "dem"]
PAPER_INPUT_SETS: Final[tuple[InputSet, ...]] = ("vv", "vh", "vv+vh", "sar+dem", "dem")
"""The paper's input sets, in the order they are listed, tabulated and drawn."""

K_INDEPENDENT_INPUT_SETS: Final[frozenset[str]] = frozenset({"dem"})
"""Input sets without SAR: k changes nothing, so they run once per seed."""


# A run trains on its config's trainer.threads torch threads whatever the worker count
# (so that the results do not depend on it); the workers' own limit is the rest.
THREADS_PER_WORKER_HELP = (
    "OpenMP/MKL/OpenBLAS threads per worker process (numpy and the rest; null: CPU cores "
    "/ workers); a run's torch threads are its training config's trainer.threads."
)


class LogRatioSettings(ConfigModel):
    """The non-learned log-ratio baseline computed next to the grid."""

    enabled: bool = Field(default=True, description="Score the log-ratio baseline for every k.")
    polarisations: Literal["vv", "vh", "vv+vh"] = Field(
        default="vv+vh", description="Backscatter whose post/pre log ratio is the score."
    )
    sign: Literal["auto", "abs", "increase", "decrease"] = Field(
        default="auto",
        description="'abs' scores |log ratio|; 'increase'/'decrease' one direction; "
        "'auto' picks the best of the three on the validation region.",
    )
    slope_min_deg: float | None = Field(
        default=10.0,
        ge=0,
        lt=90,
        description="Pixels flatter than this score lowest; null (a flag: below 0): no mask.",
    )


class AblationConfig(ConfigModel):
    """The grid of an input ablation and how to run it.

    ``train`` is the base training configuration shared by every run: an inline
    mapping (a ``sarslide.training.TrainConfig``), a path to its YAML, or the name of
    a training preset. Each run overrides only the input channels, the number of
    timesteps k, the training seed and the run directory.
    """

    config_label: ClassVar[str] = "ablation config"
    preset_prefix: ClassVar[str | None] = "ablation-"

    name: str = Field(default="ablation", description="Name shown in tables and figures.")
    train: str | dict[str, Any] = Field(
        ..., description="Base TrainConfig: inline mapping, YAML path or preset name."
    )
    input_sets: list[InputSet] = Field(
        default_factory=lambda: list(PAPER_INPUT_SETS), description="Input sets to compare."
    )
    timesteps_k: list[int] = Field(
        default_factory=lambda: [1, 2, 3, 4],
        description="Numbers of acquisitions averaged on each side of the event.",
    )
    seeds: list[int] = Field(
        default_factory=lambda: [0, 1, 2],
        description="Training seeds (model init, shuffling); the chip split stays fixed.",
    )
    dem_per_k: bool = Field(
        default=False,
        description="Run 'dem' once per k too (it does not depend on k); default: once "
        "per seed, drawn as a flat line.",
    )
    output_dir: Path = Field(default=Path("ablation"), description="Runs, table, figure, findings.")
    workers: int = Field(
        default=1, ge=1, description="Runs at a time (processes or cluster tasks)."
    )
    scheduler_address: SchedulerAddress | None = Field(
        default=None, description="dask.distributed scheduler (tcp://host:8786); null: local."
    )
    devices: list[int] | Literal["auto"] | None = Field(
        default=None,
        description="CUDA device indices, one run per device at a time; 'auto': all "
        "visible GPUs; null: CPU (or whatever the training config asks for).",
    )
    threads_per_worker: int | None = Field(default=None, ge=1, description=THREADS_PER_WORKER_HELP)
    log_ratio: LogRatioSettings = Field(default_factory=LogRatioSettings)

    @field_validator("input_sets", "timesteps_k", "seeds")
    @classmethod
    def _unique_nonempty(cls, value: list[Any]) -> list[Any]:
        if not value:
            raise ValueError("must list at least one value")
        if len(set(value)) != len(value):
            raise ValueError(f"lists a value twice: {value}")
        return value

    @field_validator("timesteps_k")
    @classmethod
    def _positive_k(cls, value: list[int]) -> list[int]:
        bad = [k for k in value if k < 1]
        if bad:
            raise ValueError(f"k must be >= 1 (acquisitions per side), got {bad}")
        return sorted(value)


def load_ablation_config(
    path: str | os.PathLike[str] | None = None,
    *,
    preset: str | None = None,
    overrides: Overrides = (),
) -> AblationConfig:
    """Read an ablation configuration from YAML, a preset, or a preset overlaid by YAML.

    Args:
        path: a YAML file; its keys override the preset's when both are given.
        preset: ``"quick"`` or ``"paper"`` (package data ``ablation-<name>.yaml``).
        overrides: ``"key.sub=value"`` strings (or a dotted-key mapping) applied last,
            onto the resolved training config (``train.trainer.max_epochs=5`` edits it).

    Raises:
        ConfigError: unknown preset, unreadable file, or a value that fails validation.
    """
    if path is None and preset is None:
        raise ConfigError("Give an ablation config file or a preset (--preset quick|paper).")
    if preset is None:
        base = AblationConfig.from_yaml(path)
        return _resolve_overrides(base, overrides, str(path)) if overrides else base
    label = AblationConfig.config_label
    presets = list_presets(AblationConfig.preset_prefix)
    if preset not in presets:
        raise ConfigError(f"Unknown ablation preset {preset!r}. Must be one of {presets}.")
    data = read_yaml_mapping(resolve_config_path(preset, AblationConfig.preset_prefix), label=label)
    if path is not None:
        data = apply_overrides(data, _dotted(read_yaml_mapping(path, label=label)))
    source = os.fspath(path) if path is not None else f"preset {preset!r}"
    base = AblationConfig.from_mapping(data, source=source)
    return _resolve_overrides(base, overrides, source) if overrides else base


def _resolve_overrides(base: AblationConfig, overrides: Overrides, source: str) -> AblationConfig:
    """``overrides`` applied to ``base`` with its training config resolved to a mapping."""
    resolved = {**base.model_dump(mode="json"), "train": resolve_train_config(base.train)}
    return AblationConfig.from_mapping(resolved, overrides, source=source)


def resolve_train_config(train: str | dict[str, Any]) -> dict[str, Any]:
    """Validate the base training config and return it as a plain (JSON-able) mapping.

    Args:
        train: an inline mapping, a YAML path, or the name of a training preset
            (``src/sarslide/presets/<name>.yaml``).

    Raises:
        ConfigError: no such file or preset, or an invalid training config.
    """
    # imported when resolved: 'sarslide ablation --help' reads this module without it
    from sarslide.training.config import TrainConfig

    if isinstance(train, dict):
        cfg = TrainConfig.from_mapping(train, source="(the ablation's train section)")
    else:
        cfg = TrainConfig.from_yaml(train)
    return cfg.model_dump(mode="json")


def validate_ablation_config(data: dict[str, Any], *, source: str = "") -> AblationConfig:
    """Build an ``AblationConfig`` from a mapping; a ConfigError lists every problem."""
    return AblationConfig.from_mapping(data, source=source)


def dump_ablation_config(cfg: AblationConfig) -> str:
    """The configuration as YAML text (paths as strings), loadable again."""
    return cfg.to_yaml()


def _dotted(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested mapping as dotted keys, so an overlay merges key by key."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict) and value:
            flat.update(_dotted(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


# --- transfer to unseen events (sarslide transfer) ------------------------------------

UNSEEN, OWN = "unseen", "own"
MODES: Final = (UNSEEN, OWN)
TRAIN_SUBDIR: Final = "train"

# Base training of the quick study: the quick ablation's tiny U-Net, CPU, a few epochs.
QUICK_TRAIN: Final[dict[str, Any]] = {
    "data": {
        "channels": "vv+vh",
        "timesteps_k": 4,
        "chip_size_px": 32,
        "positive_only": True,
        "split": "spatial",
        "split_fractions": [0.6, 0.2, 0.2],
        "seed": 0,
    },
    "model": {"name": "unet-tiny", "encoder_weights": None},
    "optim": {"lr": 0.01, "weight_decay": 0.0001},
    "loss": {"name": "ce"},
    "trainer": {
        "max_epochs": 8,
        "batch_size": 8,
        "accelerator": "cpu",
        "devices": 1,
        "num_workers": 0,
        "augment_flips": True,
        # one torch thread a run: the study's 2 workers fill 2 cores (2 x 2 would
        # oversubscribe them), as before trainer.threads existed
        "threads": 1,
    },
}


class TransferConfig(ConfigModel):
    """A transfer study: the events, the base training, seeds and where to write."""

    config_label: ClassVar[str] = "transfer config"

    name: str = Field(default="transfer to unseen events", description="Title of the table.")
    train: dict[str, Any] = Field(
        default_factory=lambda: copy.deepcopy(QUICK_TRAIN),
        description="Base training config (its data section without cube/events).",
    )
    events: list[dict[str, Any]] = Field(
        ..., min_length=2, description="The events: {name, cube, [event_start, event_end, orbit]}."
    )
    held_out: list[str] | None = Field(
        default=None, description="Events to hold out in turn (default: every event)."
    )
    seeds: list[int] = Field(
        default_factory=lambda: [0], min_length=1, description="Training seeds of every run."
    )
    output_dir: str = Field(default="transfer", description="Where runs and results go.")
    workers: int = Field(default=1, ge=1, description="Runs at a time (processes).")
    threads_per_worker: int | None = Field(default=None, ge=1, description=THREADS_PER_WORKER_HELP)
    log_ratio: LogRatioSettings = Field(default_factory=LogRatioSettings)
    equal_steps: bool = Field(
        default=True,
        description="Give the model trained on the event itself as many optimizer steps "
        "as the unseen-event model (more epochs over its fewer chips), so that the "
        "comparison is not one of training budgets.",
    )

    def data_config(self) -> DataConfig:
        """The multi-event data config (spatial split) of the base training."""
        data = {**self.train.get("data", {}), "events": self.events}
        data.pop("cube", None)
        data.update(split="spatial", held_out_event=None)
        return load_data_config(data, source="transfer data config")

    def held_out_events(self) -> list[str]:
        names = [str(e.get("name")) for e in self.events]
        chosen = self.held_out or names
        unknown = [n for n in chosen if n not in names]
        if unknown:
            raise ConfigError(f"held_out {unknown} are not events of the study; events: {names}.")
        return chosen
