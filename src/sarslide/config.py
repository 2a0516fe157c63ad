"""One base for every configuration: ``ConfigModel``.

Every configuration in sarslide (training, data, prediction, evaluation, ablation,
simulation, cube build, ISSLIDE runs) is a ``ConfigModel``: a pydantic model with
``extra="forbid"`` and a description per field. This module is the single home of:

- reading a YAML file or a shipped preset (``ConfigModel.from_yaml``);
- ``--set key.sub=value`` overrides (``apply_overrides``, values parsed as YAML);
- writing the resolved configuration back (``to_yaml``, ``write_yaml``): a file that
  ``from_yaml`` reads to the same object;
- the one error message (``format_config_error``, from ``sarslide.config_errors``): one
  line per bad key or value, naming the key, the value received and the allowed values
  or how to fix it.

It imports only pydantic, yaml and ``sarslide.errors``, so any layer may use it.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict

from sarslide.atomic import write_text_atomic
from sarslide.config_errors import format_config_error, submodel_of
from sarslide.errors import ConfigError

PRESET_PACKAGE = "sarslide.presets"
"""Package data folder of the shipped presets (``<prefix><name>.yaml``)."""
PRESET_PREFIXES = ("", "ablation-")
"""File prefixes of the preset families: training presets, ablation presets."""
PRESET_ORDER = ("quick", "paper")
"""Presets are listed cheapest first; names not here follow alphabetically."""

Overrides = Iterable[str] | Mapping[str, Any]
"""``"key.sub=value"`` strings (values parsed as YAML), or a mapping of dotted keys to
values (taken as they are; ``None`` sets a key to null)."""

C = TypeVar("C", bound="ConfigModel")


def device_field(note: str = "") -> Any:
    """The ``device`` setting of every command that runs a model (``auto`` by default)."""
    return pydantic.Field(
        default="auto",
        description="auto (the GPU when usable, else the CPU), cpu, cuda, cuda:N, mps." + note,
    )


def precision_field(*, int8: bool = False) -> Any:
    """The ``precision`` setting of the commands that run a model (``int8``: inference
    from an exported model, see docs/predict.md)."""
    description = "auto (bf16/fp16 on CUDA GPUs, fp32 elsewhere), fp32, bf16, fp16."
    if int8:
        description = (
            "auto (bf16/fp16 on CUDA GPUs; on the CPU fp32, or int8 for an exported model "
            "whose precision check passed), fp32, bf16, fp16, int8 (docs/predict.md)."
        )
    return pydantic.Field(default="auto", description=description)


def engine_field() -> Any:
    """The ``engine`` setting of the commands that run a model for inference."""
    return pydantic.Field(
        default="auto",
        description="auto (ONNX Runtime on the CPU, torch on GPUs or for bf16/fp16), torch, "
        "onnx (docs/predict.md, Engines).",
    )


class ConfigModel(BaseModel):
    """Base of every sarslide configuration: typed, YAML in and out, one error style.

    Subclasses set ``config_label`` (how error messages name them) and, if presets are
    shipped for them, ``preset_prefix`` (``src/sarslide/presets/<prefix><name>.yaml``).
    """

    model_config = ConfigDict(extra="forbid")

    config_label: ClassVar[str] = "config"
    preset_prefix: ClassVar[str | None] = None

    @classmethod
    def from_yaml(
        cls: type[C],
        path: str | os.PathLike[str] | None,
        overrides: Overrides = (),
        /,
        **values: Any,
    ) -> C:
        """Read a YAML file (or a shipped preset, by name), apply overrides, validate.

        Args:
            path: a YAML file; a preset name where the class ships presets; ``None``
                for the model's defaults only.
            overrides: ``"key.sub=value"`` strings or a mapping of dotted keys (see
                ``apply_overrides``); applied after the file.
            **values: top-level keys set last (``None`` values are skipped).

        Raises:
            ConfigError: no such file or preset, invalid YAML, or any bad key or value.
        """
        if path is None:
            data: dict[str, Any] = {}
            source = ""
        else:
            file = resolve_config_path(path, cls.preset_prefix, label=cls.config_label)
            data = read_yaml_mapping(file, label=cls.config_label)
            source = str(path)
        return cls.from_mapping(data, overrides, source=source, **values)

    @classmethod
    def from_mapping(
        cls: type[C],
        data: Mapping[str, Any] | BaseModel,
        overrides: Overrides = (),
        /,
        *,
        source: str = "",
        **values: Any,
    ) -> C:
        """Validate a mapping (or another config, re-validated) after overrides.

        Raises:
            ConfigError: every bad key or value, one line each.
        """
        base = data.model_dump(mode="json") if isinstance(data, BaseModel) else dict(data)
        merged = apply_overrides(base, overrides)
        merged.update({key: _plain(v) for key, v in values.items() if v is not None})
        try:
            return cls.model_validate(merged)
        except pydantic.ValidationError as err:
            raise ConfigError(
                format_config_error(err, cls, source=source, label=cls.config_label)
            ) from err

    def to_yaml(self) -> str:
        """The resolved configuration as YAML (``from_yaml`` reads it back equal)."""
        text: str = yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)
        return text

    def write_yaml(self, path: str | os.PathLike[str]) -> Path:
        """Write ``to_yaml()`` atomically (temporary file, then rename)."""
        return write_text_atomic(path, self.to_yaml())

    @classmethod
    def field_default(cls, key: str) -> Any:
        """The default of a (dotted) key, for help texts: ``field_default("trainer.seed")``."""
        model: type[BaseModel] = cls
        *sections, name = key.split(".")
        for section in sections:
            sub = submodel_of(model.model_fields[section].annotation)
            if sub is None:
                raise KeyError(key)
            model = sub
        field = model.model_fields[name]
        return field.get_default(call_default_factory=True)


# --- reading -----------------------------------------------------------------------


def list_presets(prefix: str | None) -> list[str]:
    """Names of the shipped presets whose files start with ``prefix``.

    ``""`` lists the training presets (``quick``, ``paper``); ``"ablation-"`` the
    ablation presets. A file of a longer known prefix belongs to that prefix only.
    """
    if prefix is None:
        return []
    others = tuple(p for p in PRESET_PREFIXES if len(p) > len(prefix) and p.startswith(prefix))
    files = [p.name for p in resources.files(PRESET_PACKAGE).iterdir()]
    names = [
        f[len(prefix) : -len(".yaml")]
        for f in files
        if f.endswith(".yaml") and f.startswith(prefix) and not f.startswith(others)
    ]
    rank = {name: i for i, name in enumerate(PRESET_ORDER)}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))


def resolve_config_path(
    name_or_path: str | os.PathLike[str], prefix: str | None, *, label: str = "config"
) -> Path:
    """A YAML file as given, or the shipped preset of that name.

    Raises:
        ConfigError: neither an existing file nor a preset name.
    """
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    presets = list_presets(prefix)
    text = os.fspath(name_or_path)
    if text in presets:
        return Path(str(resources.files(PRESET_PACKAGE) / f"{prefix}{text}.yaml"))
    hint = f" or a preset name ({', '.join(presets)})" if presets else ""
    raise ConfigError(f"The {label} file {text!r} does not exist; give a YAML file{hint}.")


def read_yaml_mapping(path: str | os.PathLike[str], *, label: str = "config") -> dict[str, Any]:
    """The mapping in a YAML (or JSON) file.

    Raises:
        ConfigError: unreadable file, invalid YAML, or not a mapping of keys.
    """
    where = os.fspath(path)
    try:
        values = yaml.safe_load(Path(where).read_text())
    except FileNotFoundError as err:
        raise ConfigError(f"The {label} file {where!r} does not exist; check the path.") from err
    except OSError as err:
        raise ConfigError(f"Cannot read the {label} file {where!r}: {err}") from err
    except UnicodeDecodeError as err:  # a checkpoint, an .onnx, a GeoTIFF given as config
        raise ConfigError(
            f"The {label} file {where!r} is not a YAML text file (byte {err.start} is not "
            "UTF-8 text: a binary file such as a checkpoint or a raster?); give the YAML "
            "config."
        ) from err
    except yaml.YAMLError as err:
        detail = " ".join(str(err).split())
        raise ConfigError(f"The {label} file {where!r} is not valid YAML: {detail}") from err
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ConfigError(
            f"The {label} file {where!r} must hold a mapping of keys (key: value), "
            f"got a {type(values).__name__}."
        )
    return values


def apply_overrides(values: Mapping[str, Any], overrides: Overrides) -> dict[str, Any]:
    """Apply dotted-key overrides to a copy of a nested mapping.

    ``overrides`` are ``"a.b=value"`` strings (value parsed as YAML: ``5`` is an int,
    ``[1, 2]`` a list, ``null`` None) or a mapping ``{"a.b": value}``.

    Raises:
        ConfigError: an override string without ``=`` or with an empty key.
    """
    result: dict[str, Any] = copy.deepcopy(_plain(dict(values)))
    pairs = (
        [(k, _plain(v)) for k, v in overrides.items()]
        if isinstance(overrides, Mapping)
        else parse_overrides(overrides)
    )
    for key, value in pairs:
        node = result
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[parts[-1]] = value
    return result


def parse_overrides(overrides: Iterable[str]) -> list[tuple[str, Any]]:
    """``"a.b=value"`` strings as ``(dotted key, YAML-parsed value)`` pairs.

    Raises:
        ConfigError: an override without ``=`` or with an empty key.
    """
    parsed = []
    for item in overrides:
        key, sep, raw = item.partition("=")
        parts = [p for p in key.strip().split(".") if p]
        if not sep or not parts:
            raise ConfigError(
                f"Invalid override {item!r}; write it as section.key=value, "
                "e.g. model.name=unet-small or trainer.max_epochs=5."
            )
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            value = raw  # not YAML (e.g. an unbalanced bracket): the text itself
        parsed.append((".".join(parts), value))
    return parsed


def _plain(value: Any) -> Any:
    """Paths as strings and tuples as lists, so the mapping is plain YAML."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value
