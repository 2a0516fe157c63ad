"""Options the commands share: ``--config FILE``, ``--set key.sub=value`` and the rest.

A command's own flags are shortcuts for config keys (``--epochs`` is
``trainer.max_epochs``): they default to None, so the default always comes from the
config model, never from the command line. Precedence: the model's defaults < the
``--config`` file < the shortcut flags < ``--set``.

Each ``*_option()`` factory declares one flag (its names, default and help) for every
command that has it, so the same flag reads the same in each ``--help``.
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


def config_argument(help_text: str) -> Any:
    """The optional positional ``CONFIG`` (the same as ``--config``; see :func:`pick_config`)."""
    return typer.Argument(None, help=help_text)


def pick_config(argument: C | None, option: C | None) -> C | None:
    """The positional ``CONFIG`` or ``--config`` (one of them, or the same twice).

    Raises:
        ConfigError: both given with different values.
    """
    if argument is not None and option is not None and argument != option:
        raise ConfigError(
            f"Two configs given: {str(argument)!r} and --config {str(option)!r}; give one."
        )
    return argument if argument is not None else option


def output_option(help_text: str, *, required: bool = False) -> Any:
    """The ``-o/--output`` option (None when not given, unless ``required``)."""
    return typer.Option(... if required else None, "--output", "-o", help=help_text)


def hidden_alias_option(name: str) -> Any:
    """An old spelling of an option, kept for old scripts and hidden (see pick_output)."""
    return typer.Option(None, name, hidden=True)


def overwrite_option(help_text: str) -> Any:
    """The ``--overwrite`` flag (what it may replace differs per command)."""
    return typer.Option(False, "--overwrite", help=help_text)


def progress_option() -> Any:
    """``--progress/--no-progress`` (on by default)."""
    return typer.Option(True, "--progress/--no-progress", help="Progress bars.")


def no_progress_option() -> Any:
    """The ``--no-progress`` flag of the commands that run grids of runs."""
    return typer.Option(False, "--no-progress", help="No progress bars.")


def cube_option(help_text: str = "Datacube (data.cube).") -> Any:
    """The ``--cube`` option (a Zarr path or fsspec URL)."""
    return typer.Option(None, "--cube", help=help_text)


def scheduler_option(key: str = "scheduler_address") -> Any:
    """The ``--scheduler`` option; ``key``: the config key it sets."""
    return typer.Option(None, "--scheduler", help=f"dask.distributed scheduler address ({key}).")


def workers_option() -> Any:
    """``--workers N``: runs of a grid at a time."""
    return typer.Option(None, "--workers", min=1, help="Runs at a time (workers).")


def seeds_option() -> Any:
    """``--seeds 0,1,2`` (parse with ``parse_ints``)."""
    return typer.Option(None, "--seeds", help="Comma-separated seeds, e.g. 0,1,2 (seeds).")


def parse_ints(text: str, option: str) -> list[int]:
    """``"0,1,2"`` -> ``[0, 1, 2]``.

    Raises:
        ConfigError: a part is not an integer (the message names ``option``).
    """
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError as err:
        raise ConfigError(
            f"{option} takes comma-separated integers, e.g. 0,1,2; got {text!r}."
        ) from err


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


ENGINE_HELP = (
    "auto (ONNX Runtime on the CPU, torch on GPUs), torch or onnx; an exported .onnx "
    "model runs on onnx (engine)."
)


def engine_option(help_text: str = ENGINE_HELP) -> Any:
    """The ``--engine`` option (None: the config's value, 'auto' by default)."""
    return typer.Option(None, "--engine", metavar="ENGINE", help=help_text)


def check_device_option(device: str | None) -> None:
    """Refuse a device that is not on this machine before any work (no-op for None)."""
    if device is not None:
        from sarslide.devices import resolve_device

        resolve_device(device, log=False)


# Where a cube's inputs come from (cube build, respond) and how a map is made
# (predict, respond).

AOI_HELP = "'min_lon,min_lat,max_lon,max_lat' or a vector file (aoi)."


def aoi_option() -> Any:
    """``--aoi``: a bounding box or a vector file."""
    return typer.Option(None, "--aoi", help=AOI_HELP)


def event_start_option(help_text: str) -> Any:
    """``--event-start`` (ISO 8601; check with ``check_time_option``)."""
    return typer.Option(None, "--event-start", help=help_text)


def event_end_option(help_text: str) -> Any:
    """``--event-end`` (ISO 8601; check with ``check_time_option``)."""
    return typer.Option(None, "--event-end", help=help_text)


def labels_option(help_text: str) -> Any:
    """``--labels``: landslide polygons."""
    return typer.Option(None, "--labels", help=help_text)


def stac_url_option() -> Any:
    """``--stac-url``."""
    return typer.Option(None, "--stac-url", help="STAC API root (stac_url).")


def collection_option() -> Any:
    """``--collection``: the Sentinel-1 RTC collection searched."""
    return typer.Option(None, "--collection", help="Sentinel-1 RTC collection (collection).")


def dem_collection_option() -> Any:
    """``--dem-collection``."""
    return typer.Option(
        None, "--dem-collection", help="DEM collection (dem_collection; default cop-dem-glo-30)."
    )


def rtc_option(help_text: str) -> Any:
    """``--rtc``: local RTC products instead of STAC (repeatable)."""
    return typer.Option(None, "--rtc", help=help_text)


def dem_option(help_text: str) -> Any:
    """``--dem``: local DEM file(s) instead of STAC (repeatable)."""
    return typer.Option(None, "--dem", help=help_text)


def signer_option() -> Any:
    """``--signer``: how STAC asset URLs are signed."""
    return typer.Option(None, "--signer", help="planetary-computer or none (signer).")


def resolution_option() -> Any:
    """``--resolution-m``: the cube's pixel size."""
    return typer.Option(
        None, "--resolution-m", help="Pixel size in metres (resolution_m; default 10)."
    )


def threshold_option() -> Any:
    """``--threshold``: the probability threshold of the binary map."""
    return typer.Option(
        None, "--threshold", help="Probability threshold (threshold; default: the checkpoint's)."
    )


def tile_size_option(help_text: str = "Model input tile size, px (tile_size_px).") -> Any:
    """``--tile-size``."""
    return typer.Option(None, "--tile-size", help=help_text)


def batch_size_option() -> Any:
    """``--batch-size``: tiles per model call."""
    return typer.Option(None, "--batch-size", help="Tiles per model call (batch_size).")


def min_area_option() -> Any:
    """``--min-area``: polygons below it are dropped."""
    return typer.Option(
        None, "--min-area", help="Drop polygons smaller than this, m2 (min_area_m2; default 400)."
    )


def no_figures_option(help_text: str) -> Any:
    """``--no-figures`` (sets ``figures: false``)."""
    return typer.Option(False, "--no-figures", help=help_text)
