"""Options several commands share: outputs, switches, and flags declared once for many.

A command's config flags come from its model (``cli/config_flags.py``); the tuples
here list the keys that several commands offer as flags (``cube build`` and
``respond`` share the cube's sources; ``predict`` and ``respond`` the map settings).
"""

from __future__ import annotations

from typing import Any

import typer

from sarslide.cli.config_flags import flag

EVENT_FLAGS = ("aoi", "event_start", "event_end")
"""Where and when: ``cube build``, ``respond``."""
SOURCE_FLAGS = (
    "labels",
    "stac_url",
    "collection",
    "dem_collection",
    "rtc",
    "dem",
    "signer",
    "insar",
    "relative_orbit",
    "resolution_m",
    "crs",
    "chunk_px",
    "scheduler",
)
"""The cube's sources and grid (``CubeSourceOptions``): ``cube build``, ``respond``."""
PREDICT_FLAGS = (
    "threshold",
    flag("tile_size_px", "--tile-size"),
    flag("overlap_px", "--overlap"),
    flag("margin_px", "--margin"),
    "batch_size",
    "device",
    "precision",
    "engine",
    flag("min_area_m2", "--min-area"),
    flag("figures", "--no-figures", sets=False),
    flag("allow_resolution_mismatch", sets=True),
)
"""How a map is made (``PredictOptions``): ``predict``, ``respond``."""


def output_option(help_text: str, *, required: bool = False) -> Any:
    """The ``-o/--output`` option of an output the config does not hold."""
    return typer.Option(... if required else None, "--output", "-o", help=help_text)


def overwrite_option(help_text: str) -> Any:
    """The ``--overwrite`` flag (what it may replace differs per command)."""
    return typer.Option(False, "--overwrite", help=help_text)


PROGRESS = typer.Option(True, "--progress/--no-progress", help="Progress bars.")
"""``--progress/--no-progress`` (on by default)."""
NO_PROGRESS = typer.Option(False, "--no-progress", help="No progress bars.")
"""The ``--no-progress`` flag of the commands that run grids of runs."""
