"""Options every work command shares: ``--config FILE`` and ``--set key.sub=value``.

A command's own flags are shortcuts for config keys (``--epochs`` is
``trainer.max_epochs``): they default to None, so the default always comes from the
config model, never from the command line. Precedence: the model's defaults < the
``--config`` file < the shortcut flags < ``--set``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import typer

from sarslide.config import parse_overrides
from sarslide.errors import ConfigError

C = TypeVar("C")

CONFIG_HELP = (
    "YAML config file (a resolved config.yaml of an earlier run works too); "
    "the options below and --set override its keys. See docs/configs.md."
)
SET_HELP = (
    "Override any config key: --set section.key=value (value parsed as YAML, e.g. "
    "--set trainer.max_epochs=5); repeatable; wins over the file and the options."
)


def config_option(help_text: str = CONFIG_HELP) -> Any:
    """The ``--config FILE`` option."""
    return typer.Option(None, "--config", metavar="FILE", help=help_text)


def set_option() -> Any:
    """The repeatable ``--set KEY=VALUE`` option."""
    return typer.Option([], "--set", metavar="KEY=VALUE", help=SET_HELP)


def pick_output(output: Path | None, alias: Path | None, alias_name: str) -> Path | None:
    """``-o/--output``, or the old spelling it replaced (kept hidden for old scripts).

    Raises:
        ConfigError: both spellings given with different paths.
    """
    if alias is not None and output is not None and alias != output:
        raise ConfigError(
            f"Both --output {str(output)!r} and {alias_name} {str(alias)!r} given; "
            f"{alias_name} is the old name of --output: give only --output."
        )
    return output if output is not None else alias


def load_command_config(
    model: Any,
    config: str | Path | None,
    sets: list[str],
    shortcuts: Mapping[str, Any] | None = None,
) -> Any:
    """Validate ``model`` from the file, then the shortcut flags given, then ``--set``.

    ``model`` is a ``sarslide.config.ConfigModel`` class; ``shortcuts`` maps dotted
    config keys to flag values (None: flag not given, the file or default stays).
    """
    overrides: dict[str, Any] = {
        key: value for key, value in (shortcuts or {}).items() if value is not None
    }
    overrides.update(parse_overrides(sets))
    return model.from_yaml(config, overrides)


DEVICE_HELP = (
    "auto (default: the GPU when one is usable, else the CPU; the log says which), "
    "cpu, cuda, cuda:N or mps. A device that is not there is an error."
)
PRECISION_HELP = (
    "auto (default: bf16 on GPUs that have it, else fp16; fp32 on the CPU), fp32, bf16, fp16."
)


def device_option(help_text: str = DEVICE_HELP) -> Any:
    """The ``--device`` option (None: the config's value, 'auto' by default)."""
    return typer.Option(None, "--device", metavar="DEVICE", help=help_text)


def precision_option(help_text: str = PRECISION_HELP) -> Any:
    """The ``--precision`` option (None: the config's value, 'auto' by default)."""
    return typer.Option(None, "--precision", metavar="PRECISION", help=help_text)


def check_device_option(device: str | None) -> None:
    """Refuse a device that is not on this machine before any work (no-op for None)."""
    if device is not None:
        from sarslide.devices import resolve_device

        resolve_device(device, log=False)
