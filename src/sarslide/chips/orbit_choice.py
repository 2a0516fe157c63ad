"""One viewing geometry per composite: which orbit a data config's ``orbit`` selects.

Backscatter of one slope seen from an ascending and a descending pass (or from two
relative orbits of one direction, at other incidence angles) differs by more than many
landslide signals, so a composite averages acquisitions of ONE geometry by default:

* ``auto`` (default): the orbit state and relative orbit with the most acquisitions on
  both sides of the event (the larger ``min(before, after)``, then the larger total,
  then descending, then the lower relative orbit). A cube of one geometry, or one
  without an orbit coordinate, is used as it is.
* ``ascending`` / ``descending``: that direction; within it, the relative orbit with
  the most acquisitions on both sides (relative orbits are local: a model's direction
  carries over to another place, its track number does not).
* ``any``: every acquisition, geometries mixed (what ``null`` meant before ``auto``;
  ``null`` still means it, so earlier checkpoints rebuild their composites unchanged).

Training resolves ``auto`` once and stores the direction in the checkpoint's data
config, so evaluate, predict and respond use the orbit the model was trained on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from sarslide import conventions as cv
from sarslide.chips.config import DataConfig
from sarslide.chips.event_window import EventWindow, resolve_event_window
from sarslide.conventions import to_utc_naive
from sarslide.datacube import open_cube

logger = logging.getLogger(__name__)

ORBIT_AUTO = "auto"
ORBIT_ANY = "any"


@dataclass(frozen=True)
class Geometry:
    """One viewing geometry of a cube and its acquisitions on each side of the event."""

    orbit_state: str
    relative_orbit: int | None
    n_before: int
    n_after: int

    def rank(self) -> tuple[int, int, int, int]:
        """Larger is preferred: both sides, total, descending, lower relative orbit."""
        track = -(self.relative_orbit if self.relative_orbit is not None else -1)
        descending = int(self.orbit_state == cv.ORBIT_DESCENDING)
        return (min(self.n_before, self.n_after), self.n_before + self.n_after, descending, track)


def orbit_states_of(cube: xr.Dataset) -> np.ndarray | None:
    """Per-acquisition orbit direction as full words, or None without the coordinate."""
    if cv.COORD_ORBIT_STATE not in cube.coords:
        return None
    letters = {"a": cv.ORBIT_ASCENDING, "d": cv.ORBIT_DESCENDING}
    values = np.asarray(cube[cv.COORD_ORBIT_STATE].values).ravel()
    return np.array([letters.get(str(v).strip().lower()[:1], str(v)) for v in values])


def relative_orbits_of(cube: xr.Dataset) -> np.ndarray | None:
    """Per-acquisition relative orbit (track) number, or None without the coordinate."""
    if cv.COORD_RELATIVE_ORBIT not in cube.coords:
        return None
    values = np.asarray(cube[cv.COORD_RELATIVE_ORBIT].values).ravel()
    return values.astype(np.int64) if values.ndim and values.size else None


def count_geometries(
    times: Sequence[np.datetime64] | np.ndarray,
    window: EventWindow,
    orbit_states: np.ndarray,
    relative_orbits: np.ndarray | None,
) -> list[Geometry]:
    """Every (orbit state, relative orbit) of the acquisitions, with their counts."""
    stamps = to_utc_naive(pd.DatetimeIndex(pd.to_datetime(np.asarray(times)))).values
    before = stamps < np.datetime64(to_utc_naive(window.start))
    after = stamps > np.datetime64(to_utc_naive(window.end))
    tracks = relative_orbits if relative_orbits is not None else np.full(len(stamps), -1)
    found = []
    for state, track in sorted(
        {(str(s), int(t)) for s, t in zip(orbit_states, tracks, strict=True)}
    ):
        same = (orbit_states == state) & (tracks == track)
        found.append(
            Geometry(
                state,
                track if relative_orbits is not None else None,
                int(np.count_nonzero(same & before)),
                int(np.count_nonzero(same & after)),
            )
        )
    return found


def choose_geometry(cube: xr.Dataset, window: EventWindow, orbit: str | None) -> Geometry | None:
    """The geometry ``orbit`` selects in ``cube`` (None: use every acquisition).

    ``orbit``: ``auto``, ``ascending``, ``descending``, or ``any`` / None (mixed).
    """
    states = orbit_states_of(cube)
    if orbit in (None, ORBIT_ANY) or states is None or cv.DIM_TIMESTEP not in cube.coords:
        return None
    geometries = count_geometries(
        cube[cv.DIM_TIMESTEP].values, window, states, relative_orbits_of(cube)
    )
    if orbit != ORBIT_AUTO:
        geometries = [g for g in geometries if g.orbit_state == orbit]
    if not geometries:
        return None  # the timestep selection names the missing direction
    best = max(geometries, key=Geometry.rank)
    if len(geometries) > 1:
        logger.info(
            "orbit %s: %s (relative orbit %s; %d before, %d after) of %d geometries",
            orbit,
            best.orbit_state,
            best.relative_orbit,
            best.n_before,
            best.n_after,
            len(geometries),
        )
    return best


def geometry_mask(cube: xr.Dataset, geometry: Geometry | None) -> np.ndarray | None:
    """Boolean per acquisition: of ``geometry`` (None: no restriction)."""
    if geometry is None:
        return None
    states = orbit_states_of(cube)
    keep = np.asarray(states == geometry.orbit_state)
    tracks = relative_orbits_of(cube)
    if geometry.relative_orbit is not None and tracks is not None:
        keep &= tracks == geometry.relative_orbit
    return keep


def resolve_data_orbit(cfg: DataConfig, cube: xr.Dataset | None = None) -> DataConfig:
    """``cfg`` with ``orbit: auto`` replaced by the direction it selects on its cube(s).

    A cube without an orbit coordinate resolves to ``any`` (nothing to choose from).
    Each event of a multi-event config resolves on its own cube.
    """
    if cfg.events:
        events = []
        for event in cfg.events:
            resolved = resolve_data_orbit(cfg.for_event(event.name))
            events.append(event.model_copy(update={"orbit": resolved.orbit}))
        return cfg.model_copy(update={"events": events})
    if cfg.orbit != ORBIT_AUTO:
        return cfg
    cube = cube if cube is not None else open_cube(str(cfg.cube))
    window = resolve_event_window(
        cube, event_start=cfg.event_start, event_end=cfg.event_end, cube_name=cfg.cube
    )
    geometry = choose_geometry(cube, window, ORBIT_AUTO)
    return cfg.model_copy(update={"orbit": geometry.orbit_state if geometry else ORBIT_ANY})
