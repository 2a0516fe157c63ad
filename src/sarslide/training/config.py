"""The training configuration: a typed YAML file validated on load, CLI overrides.

Every section is a pydantic model with ``extra="forbid"``; an unknown key is an error
that names the key and the valid keys of its section. ``--set section.key=value``
overrides (values parsed as YAML) are applied before validation.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import pydantic
import yaml
from pydantic import BaseModel, Field

from sarslide.chips import DataConfig
from sarslide.errors import ConfigError


class ModelConfig(BaseModel, extra="forbid"):
    """Which network (a name from ``sarslide.models.list_models()``) and its weights."""

    name: str = Field(default="unet-small", description="Registry name of the model.")
    encoder_weights: str | None = Field(
        default=None,
        description="null = random init (default, nothing downloads); a local file; "
        "or a named pretrained set such as 'imagenet' (downloads).",
    )
    kwargs: dict[str, Any] = Field(default_factory=dict, description="Builder options.")


class OptimConfig(BaseModel, extra="forbid"):
    """Adam and ReduceLROnPlateau on the VALIDATION loss (the paper's values)."""

    lr: float = Field(default=0.01, gt=0, description="Adam learning rate.")
    weight_decay: float = Field(default=1e-4, ge=0, description="Adam weight decay.")
    plateau_factor: float = Field(default=0.1, gt=0, lt=1, description="LR multiplier.")
    plateau_patience: int = Field(default=10, ge=0, description="Epochs without progress.")
    plateau_threshold: float = Field(default=1e-4, ge=0, description="Relative progress.")


class LossConfig(BaseModel, extra="forbid"):
    """Loss: 'ce' (softmax, 2 classes), 'dice', 'focal', or 'bce' (1 logit)."""

    name: Literal["ce", "dice", "focal", "bce"] = "ce"
    focal_gamma: float = Field(default=2.0, ge=0, description="Focal loss exponent.")
    ignore_index: int = Field(default=255, description="Label value excluded (nodata).")

    @property
    def num_classes(self) -> int:
        """Model outputs the loss needs: 1 for 'bce', else 2."""
        return 1 if self.name == "bce" else 2


class TrainerConfig(BaseModel, extra="forbid"):
    """Lightning Trainer and data-loading options."""

    max_epochs: int = Field(default=100, ge=1)
    batch_size: int = Field(default=16, ge=1)
    accelerator: str = Field(default="auto", description="'auto', 'cpu', 'gpu', 'mps'.")
    devices: int | str | list[int] = Field(default="auto")
    strategy: str = Field(default="auto", description="Lightning strategy, e.g. 'ddp'.")
    precision: str = Field(default="32-true", description="e.g. '32-true', '16-mixed'.")
    num_workers: int = Field(default=0, ge=0, description="DataLoader worker processes.")
    deterministic: bool = False
    seed: int = 0
    augment_flips: bool = Field(default=True, description="Random flips on train chips.")
    threshold_metric: Literal["f1", "iou"] = Field(
        default="f1", description="Metric the validation threshold maximises."
    )
    limit_train_batches: int | float | None = Field(default=None, description="Debug only.")


class TrainConfig(BaseModel, extra="forbid"):
    """The whole training run."""

    data: DataConfig
    model: ModelConfig = Field(default_factory=ModelConfig)
    optim: OptimConfig = Field(default_factory=OptimConfig)
    loss: LossConfig = Field(default_factory=LossConfig)
    trainer: TrainerConfig = Field(default_factory=TrainerConfig)
    output_dir: str = Field(default="runs/train", description="Run directory.")

    def to_yaml(self) -> str:
        """The resolved config as YAML (round-trips through ``load_train_config``)."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)


def _section_model(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = TrainConfig
    for part in loc[:-1]:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            return None
        annotation = model.model_fields[part].annotation
        model = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
    return model


def format_config_error(err: pydantic.ValidationError, *, source: str) -> str:
    """One message naming every bad key or value, with the valid keys of its section."""
    lines = []
    for problem in err.errors():
        loc = tuple(problem["loc"])
        where = ".".join(str(p) for p in loc) or "(top level)"
        if problem["type"] == "extra_forbidden":
            section = _section_model(loc)
            valid = sorted(section.model_fields) if section is not None else []
            lines.append(f"  - unknown key {where!r}; valid keys here: {', '.join(valid)}")
        elif problem["type"] == "missing":
            lines.append(f"  - {where}: required key missing")
        else:
            lines.append(f"  - {where}: {problem['msg']} (got {problem.get('input')!r})")
    return f"Invalid training config {source} ({len(lines)} problem(s)):\n" + "\n".join(lines)


def apply_overrides(values: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Apply ``"a.b=value"`` overrides (value parsed as YAML) to a nested dict copy.

    Raises:
        ConfigError: An override without ``=`` or with an empty key.
    """
    result: dict[str, Any] = yaml.safe_load(yaml.safe_dump(values)) or {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        parts = [p for p in key.strip().split(".") if p]
        if not sep or not parts:
            raise ConfigError(
                f"Invalid override {item!r}; write it as section.key=value, "
                "e.g. model.name=unet-small or trainer.max_epochs=5."
            )
        node = result
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[parts[-1]] = yaml.safe_load(raw) if raw.strip() else None
    return result


PRESET_PACKAGE = "sarslide.presets"


def list_presets() -> list[str]:
    """Names of the training presets shipped with sarslide (``quick``, ``paper``)."""
    from importlib import resources

    names = [p.name[:-5] for p in resources.files(PRESET_PACKAGE).iterdir()]
    return sorted(n for n in names if n and not n.startswith("ablation"))


def resolve_config_path(name_or_path: str | os.PathLike[str]) -> Path:
    """A YAML path as given, or the shipped preset of that name.

    Raises:
        ConfigError: Neither an existing file nor a preset name.
    """
    from importlib import resources

    path = Path(name_or_path)
    if path.is_file():
        return path
    text = str(name_or_path)
    if text in list_presets():
        return Path(str(resources.files(PRESET_PACKAGE) / f"{text}.yaml"))
    raise ConfigError(
        f"Training config {text!r} is neither a file nor a preset; presets: "
        f"{', '.join(list_presets())}."
    )


def load_train_config(
    source: str | os.PathLike[str] | Mapping[str, Any] | TrainConfig,
    overrides: Iterable[str] = (),
) -> TrainConfig:
    """Read and validate a training config from YAML (a path), a mapping or a config.

    Args:
        source: YAML file path, a preset name (``quick``, ``paper``), a mapping, or a
            ``TrainConfig`` (overrides re-validate).
        overrides: ``"section.key=value"`` strings applied before validation.

    Raises:
        ConfigError: Missing file, invalid YAML, unknown keys or invalid values.
    """
    label = "(mapping)"
    if isinstance(source, TrainConfig):
        values: Any = source.model_dump(mode="json")
    elif isinstance(source, Mapping):
        values = dict(source)
    else:
        path = Path(source)
        label = str(path)
        if not path.is_file():
            if str(source) not in list_presets():
                raise ConfigError(
                    f"Training config {label!r} does not exist; give a YAML file or a "
                    f"preset name ({', '.join(list_presets())})."
                )
            path = resolve_config_path(source)
        try:
            values = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"Training config {label!r} is not valid YAML: {exc}") from exc
        if not isinstance(values, dict):
            raise ConfigError(
                f"Training config {label!r} must be a mapping of sections, got "
                f"{type(values).__name__}."
            )
    values = apply_overrides(values, overrides)
    try:
        return TrainConfig.model_validate(values)
    except pydantic.ValidationError as err:
        raise ConfigError(format_config_error(err, source=label)) from err
