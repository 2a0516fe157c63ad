"""Named sets of distinct simulated events, for training on several and testing on one.

Each event of a set is an ``EventCubeSpec`` (overrides of its defaults): its own seed,
terrain, landslide sizes and density, land cover and so the backscatter change of a
failure, incidence angle and orbit, speckle looks, revisit and acquisition gaps, and
its own grid and CRS. ``write_event_set`` writes one cube per event and an
``events.yaml`` that a data config's ``events`` takes as it is.

Every cube is SIMULATED (``simulated = "true"``); see docs/simulator.md for what
transfer between simulated events can and cannot show.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Final

import yaml

from sarslide import conventions as cv
from sarslide.atomic import write_text_atomic
from sarslide.datacube import open_cube, write_cube
from sarslide.errors import ConfigError, OutputLocationError
from sarslide.simulate.config import EventCubeSpec
from sarslide.simulate.event_cube import describe_spec, merge_spec, simulate_event_cube

logger = logging.getLogger(__name__)

EVENTS_FILENAME: Final = "events.yaml"

# Four events that differ where real ones do. Sizes are set by ``size_px`` when written.
FOUR_EVENTS: Final[dict[str, dict[str, Any]]] = {
    # Hokkaido-like (the default cube): forested hills, shallow slides in pumice soil.
    "iburi": {
        "seed": 11,
        "orbit": "ascending",
        "incidence_angle_deg": 36.0,
        "equivalent_number_of_looks": 5.0,
        "terrain_std_m": 100.0,
        "terrain_spectral_exponent": 4.4,
        "landslide_median_length_m": 90.0,
        "landslide_fraction": 0.05,
        "vegetation_fraction": 0.8,
        "crs": "EPSG:32654",
        "origin_x_m": 560_000.0,
        "origin_y_m": 4_740_000.0,
    },
    # High mountains: steep rough relief, sparse vegetation (a failure changes VH
    # less, VV more), fewer but larger landslides; descending at a steeper look;
    # the first acquisition after the event is missing.
    "alpine": {
        "seed": 22,
        "orbit": "descending",
        "incidence_angle_deg": 42.0,
        "equivalent_number_of_looks": 4.0,
        "terrain_std_m": 170.0,
        "terrain_spectral_exponent": 3.9,
        "landslide_median_length_m": 160.0,
        "landslide_length_log_std": 0.6,
        "landslide_fraction": 0.03,
        "vegetation_fraction": 0.45,
        "landslide_vv_change_db": 1.2,
        "landslide_vh_change_db": -1.2,
        "landslide_vegetation_remaining": (0.0, 0.2),
        "confounder_fraction": 0.02,
        "missing_acquisitions": (4,),
        "crs": "EPSG:32632",
        "origin_x_m": 340_000.0,
        "origin_y_m": 5_100_000.0,
    },
    # Monsoon hills: dense forest, many small slides (a strong VH drop), 6-day revisit,
    # noisier speckle (fewer looks), a gap before the event.
    "monsoon": {
        "seed": 33,
        "orbit": "ascending",
        "incidence_angle_deg": 32.0,
        "equivalent_number_of_looks": 3.5,
        "revisit_days": 6,
        "terrain_std_m": 80.0,
        "terrain_spectral_exponent": 4.6,
        "landslide_median_length_m": 60.0,
        "landslide_length_log_std": 0.4,
        "landslide_fraction": 0.08,
        "vegetation_fraction": 0.95,
        "landslide_vh_change_db": -3.0,
        "landslide_vv_change_db": 0.3,
        "confounder_fraction": 0.03,
        "missing_acquisitions": (1,),
        "first_acquisition": "2019-06-02T12:10:00",
        "crs": "EPSG:32645",
        "origin_x_m": 420_000.0,
        "origin_y_m": 3_080_000.0,
    },
    # Farmland foothills: gentle relief, a patchwork of fields and clear-cuts that change
    # as much as landslides, both orbits alternating, more looks, a gap before the event.
    # 9 + 8 acquisitions: at least 4 of each orbit on each side, so that one viewing
    # geometry (the data config's orbit: auto) holds the study's k = 4.
    "farmland": {
        "seed": 44,
        "orbit": "both",
        "incidence_angle_deg": 39.0,
        "equivalent_number_of_looks": 7.0,
        "terrain_std_m": 60.0,
        "terrain_spectral_exponent": 4.8,
        "landslide_median_length_m": 110.0,
        "landslide_fraction": 0.03,
        "vegetation_fraction": 0.6,
        "confounder_fraction": 0.10,
        "confounder_date_std_db": 1.5,
        "confounder_max_slope_deg": 16.0,
        "timesteps": 17,
        "timesteps_before": 9,
        "missing_acquisitions": (2,),
        "first_acquisition": "2020-03-05T05:50:00",
        "crs": "EPSG:32610",
        "origin_x_m": 500_000.0,
        "origin_y_m": 4_200_000.0,
    },
}

EVENT_SETS: Final[dict[str, dict[str, dict[str, Any]]]] = {"four-events": FOUR_EVENTS}


def event_set_specs(
    name: str = "four-events", *, size_px: int = 384, **overrides: Any
) -> dict[str, EventCubeSpec]:
    """The specs of a named event set at ``size_px`` x ``size_px`` (overrides apply to all).

    Raises:
        ConfigError: an unknown set name or an invalid override.
    """
    if name not in EVENT_SETS:
        raise ConfigError(f"Unknown event set {name!r}; sets: {sorted(EVENT_SETS)}.")
    smallest = min_grid_side_px()
    if isinstance(size_px, bool) or not isinstance(size_px, int) or size_px < smallest:
        raise ConfigError(  # one line, not one per grid side it sets
            f"Invalid size {size_px!r}: every cube of an event set is size x size pixels, "
            f"at least {smallest} a side; use --size {smallest} or more (default 384)."
        )
    return {
        event: merge_spec(None, {**values, "height_px": size_px, "width_px": size_px, **overrides})
        for event, values in EVENT_SETS[name].items()
    }


def min_grid_side_px() -> int:
    """The smallest grid side a simulated cube takes (``EventCubeSpec.height_px``'s bound)."""
    bounds = [getattr(m, "ge", None) for m in EventCubeSpec.model_fields["height_px"].metadata]
    return max((int(b) for b in bounds if b is not None), default=1)


def describe_event(spec: EventCubeSpec) -> str:
    """One line of what sets an event of a set apart (seed, orbit, looks, relief, ...)."""
    return (
        f"seed {spec.seed:3d}  {spec.orbit:10s} θ {spec.incidence_angle_deg:g}°  "
        f"looks {spec.equivalent_number_of_looks:g}  relief {spec.terrain_std_m:g} m  "
        f"landslides {spec.landslide_fraction:.0%} (median {spec.landslide_median_length_m:g}"
        f" m)  forest {spec.vegetation_fraction:.0%}  gaps {list(spec.missing_acquisitions)}"
    )


def write_event_set(
    output_dir: str | os.PathLike[str],
    name: str = "four-events",
    *,
    size_px: int = 384,
    overwrite: bool = False,
    progress: bool = False,
    **overrides: Any,
) -> Path:
    """Simulate and write every event of a set: ``<dir>/<event>.zarr`` and ``events.yaml``.

    A cube that exists with the same spec is kept (rerunning resumes); one with another
    spec is an error unless ``overwrite``. Returns the ``events.yaml`` path.
    """
    out = Path(output_dir)
    specs = event_set_specs(name, size_px=size_px, **overrides)  # a bad set or size: no folder
    if out.exists() and not out.is_dir():
        raise OutputLocationError(
            f"Cannot write the event set into {str(out)!r}: it is a file, not a folder. "
            "Choose a folder for -o/--output (it is created if missing)."
        )
    out.mkdir(parents=True, exist_ok=True)
    events = []
    for event, spec in specs.items():
        path = out / f"{event}.zarr"
        if path.exists() and not overwrite:
            if describe_spec(open_cube(path)) != spec:
                raise ConfigError(
                    f"{str(path)!r} exists and was simulated with other settings; pass "
                    "--overwrite to replace it, or choose another output folder."
                )
            logger.info("keeping %s (same spec)", path)
        else:
            ds = simulate_event_cube(spec).assign_attrs({cv.ATTR_EVENT_NAME: f"simulated {event}"})
            write_cube(ds, path, overwrite=overwrite, progress=progress)
        events.append({"name": event, "cube": str(path)})
    return write_text_atomic(
        out / EVENTS_FILENAME,
        f"# SIMULATED event set {name!r} ({size_px} px): the 'events' of a data config\n"
        + yaml.safe_dump(events, sort_keys=False),
    )
