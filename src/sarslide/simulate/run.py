"""``simulate_cube(spec) -> SimulateResult``: the job exported as ``sarslide.simulate_cube``.

A simulated cube is made in memory (write it with ``sarslide.datacube.write_cube``, or
from the command line with ``sarslide cube simulate -o``), so the result holds the cube
itself, the validated spec it was simulated from and what the simulation gave.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xarray as xr

from sarslide import conventions as cv
from sarslide.simulate.config import EventCubeSpec
from sarslide.simulate.event_cube import merge_spec, simulate_event_cube


@dataclass(frozen=True)
class SimulateResult:
    """What ``simulate_cube`` made (nothing is written: the cube is in memory)."""

    cube: xr.Dataset  # the event cube, with the schema of the paper's cubes
    spec: EventCubeSpec  # the validated spec (overrides applied), as in the cube's attrs
    landslide_fraction: float  # the share of landslide pixels drawn (spec: the target)


def simulate_cube(
    spec: EventCubeSpec | None = None,
    *,
    lazy: bool | None = None,
    progress: bool = False,
    **overrides: Any,
) -> SimulateResult:
    """Simulate a landslide event cube (SIMULATED data, the schema of the paper's cubes).

    Args:
        spec: the configuration; default ``EventCubeSpec()``.
        lazy: keep the per-date variables as dask arrays (generated when computed or
            written). Default: lazy only above ~64 M SAR values.
        progress: show a progress bar while computing (eager cubes only).
        **overrides: fields of ``EventCubeSpec`` replacing those of ``spec``.

    Returns:
        The cube (``simulate_event_cube``'s), its spec and its drawn landslide share.

    Raises:
        ConfigError: an unknown or invalid field, or an inconsistent schedule.
    """
    resolved = merge_spec(spec, overrides)
    cube = simulate_event_cube(resolved, lazy=lazy, progress=progress)
    share = float(cube[cv.VAR_LANDSLIDES].mean())
    return SimulateResult(cube=cube, spec=resolved, landslide_fraction=share)


def write_simulated_cube(
    spec: EventCubeSpec,
    output: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    progress: bool = False,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    command: str = "cube simulate",
    check: Callable[[xr.Dataset], None] | None = None,
) -> tuple[Path, xr.Dataset]:
    """Simulate the cube of ``spec`` and write it to ``output`` (``sarslide cube simulate``).

    ``output`` is refused before simulating when it is one of ``inputs`` or an existing
    store ``command`` may not replace; its lock is held from the start (a second writer
    refuses). ``check(cube)`` runs before the cube is written. Returns the store's path
    and the cube.
    """
    from sarslide.datacube import write_cube
    from sarslide.ownership import check_not_input, check_replaceable, hold_lock

    inputs = list(inputs)
    check_not_input(output, inputs)
    check_replaceable(output, command, overwrite=overwrite)
    with hold_lock(output, command):
        ds = simulate_event_cube(spec=spec, progress=progress)
        if check is not None:
            check(ds)
        path = write_cube(
            ds, output, overwrite=overwrite, progress=progress, command=command, inputs=inputs
        )
    return path, ds
