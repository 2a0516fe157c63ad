"""The datacube contract: dimension, variable, coordinate and attribute names.

This is the one place that knows the schema of the analysis-ready datacubes of
Boehm et al. (2022), Zenodo record 7248056, and of the cubes sarslide writes.
Everything else imports names from here.

Spatial reference follows rioxarray: a scalar ``spatial_ref`` coordinate holding
``crs_wkt`` and ``GeoTransform`` attributes, and a ``grid_mapping`` attribute on
each data variable. Written stores add CF-1.8 axis attributes and GDAL's ``_CRS``
(``datacube.dialect``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from pydantic import BeforeValidator

if TYPE_CHECKING:
    import pandas as pd

# --- dimensions -------------------------------------------------------------------
DIM_TIMESTEP: Final = "timestep"
DIM_TIMEPAIR: Final = "timepair"
DIM_Y: Final = "y"
DIM_X: Final = "x"
SPATIAL_DIMS: Final = (DIM_Y, DIM_X)
DIM_CHANNEL: Final = "channel"  # model input channels (composites, DEM), e.g. vv_before

# --- data variables ---------------------------------------------------------------
VAR_VV: Final = "vv"
VAR_VH: Final = "vh"
VAR_DEM: Final = "dem"
VAR_DEM_ASPECT: Final = "dem_aspect"
VAR_DEM_SLOPE: Final = "dem_slope_radians"
VAR_DEM_CURVATURE: Final = "dem_curvature"
VAR_LANDSLIDES: Final = "landslides"
VAR_INTERFEROGRAM: Final = "interferogram"
VAR_COHERENCE: Final = "coherence"
# Present in some published cubes; tolerated, never required.
VAR_DEM_SLOPE_RISERUN: Final = "dem_slope_riserun"
VAR_EXTRACTION_MASK: Final = "extraction_mask"
VAR_OLD_LANDSLIDES: Final = "old_landslides"
VAR_REACTIVATED_LANDSLIDES: Final = "reactivated_landslides"

SAR_VARS: Final = (VAR_VV, VAR_VH)
DEM_VARS: Final = (VAR_DEM, VAR_DEM_SLOPE, VAR_DEM_ASPECT, VAR_DEM_CURVATURE)
INSAR_VARS: Final = (VAR_COHERENCE, VAR_INTERFEROGRAM)

# --- coordinates --------------------------------------------------------------------
COORD_ORBIT_STATE: Final = "sat:orbit_state"
COORD_RELATIVE_ORBIT: Final = "sat:relative_orbit"
COORD_PAIR_START: Final = "timepair_start"
COORD_PAIR_END: Final = "timepair_end"
COORD_SPATIAL_REF: Final = "spatial_ref"
ORBIT_ASCENDING: Final = "ascending"
ORBIT_DESCENDING: Final = "descending"
ORBIT_STATES: Final = (ORBIT_ASCENDING, ORBIT_DESCENDING)
OrbitState = Literal["ascending", "descending"]
# How written stores spell the orbit state: as the published cubes do ('a'/'d'; the
# paper's loader selects with ``ds['sat:orbit_state'] == 'd'``). Read in any spelling.
ORBIT_STORE_SPELLING: Final[dict[str, str]] = {ORBIT_ASCENDING: "a", ORBIT_DESCENDING: "d"}

# --- dataset attributes -------------------------------------------------------------
ATTR_EVENT_START: Final = "event_start"
ATTR_EVENT_END: Final = "event_end"
ATTR_EVENT_NAME: Final = "event_name"
ATTR_SIMULATED: Final = "simulated"
"""Set to "true" on cubes made by ``sarslide cube simulate`` (read with ``is_simulated``)."""
ATTR_SOURCE: Final = "source"

# --- CF / GDAL attributes written with every store (datacube.dialect) ---------------
ATTR_CONVENTIONS: Final = "Conventions"
CF_CONVENTIONS: Final = "CF-1.8"
ATTR_GRID_MAPPING: Final = "grid_mapping"  # on every (y, x) variable: "spatial_ref"
ATTR_GDAL_CRS: Final = "_CRS"  # GDAL's Zarr driver (< 3.9 reads only this): {"wkt": ...}

# Value written for "no data" in float variables is NaN; integer labels use 0.
LANDSLIDE_POSITIVE_THRESHOLD: Final = 0  # a label > this is a landslide pixel


@dataclass(frozen=True)
class VariableSpec:
    """What the contract says of one data variable."""

    name: str
    dims: tuple[str, ...]
    units: str
    long_name: str
    kind: Literal["float", "int", "any"] = "float"


VARIABLES: Final[dict[str, VariableSpec]] = {
    spec.name: spec
    for spec in (
        VariableSpec(
            VAR_VV, (DIM_TIMESTEP, DIM_Y, DIM_X), "1", "gamma0 RTC backscatter VV (linear)"
        ),
        VariableSpec(
            VAR_VH, (DIM_TIMESTEP, DIM_Y, DIM_X), "1", "gamma0 RTC backscatter VH (linear)"
        ),
        VariableSpec(VAR_DEM, (DIM_Y, DIM_X), "m", "elevation above the geoid"),
        VariableSpec(
            VAR_DEM_ASPECT,
            (DIM_Y, DIM_X),
            "degrees",
            "aspect, clockwise from north, direction the slope faces",
        ),
        VariableSpec(VAR_DEM_SLOPE, (DIM_Y, DIM_X), "radians", "terrain slope"),
        VariableSpec(VAR_DEM_CURVATURE, (DIM_Y, DIM_X), "1/(100 m)", "terrain curvature"),
        VariableSpec(VAR_DEM_SLOPE_RISERUN, (DIM_Y, DIM_X), "1", "terrain slope as rise over run"),
        VariableSpec(
            VAR_LANDSLIDES, (DIM_Y, DIM_X), "1", "landslide label (>0 is landslide)", "any"
        ),
        VariableSpec(VAR_EXTRACTION_MASK, (DIM_Y, DIM_X), "1", "extraction mask", "any"),
        VariableSpec(VAR_OLD_LANDSLIDES, (DIM_Y, DIM_X), "1", "older landslides", "any"),
        VariableSpec(
            VAR_REACTIVATED_LANDSLIDES, (DIM_Y, DIM_X), "1", "reactivated landslides", "any"
        ),
        VariableSpec(
            VAR_INTERFEROGRAM,
            (DIM_TIMEPAIR, DIM_Y, DIM_X),
            "radians",
            "wrapped interferometric phase",
        ),
        VariableSpec(VAR_COHERENCE, (DIM_TIMEPAIR, DIM_Y, DIM_X), "1", "interferometric coherence"),
    )
}

# Variables each task cannot do without (validate_cube(task=...)).
TASK_REQUIREMENTS: Final[dict[str, tuple[str, ...]]] = {
    "any": (),
    "detection": (VAR_VV, VAR_VH, VAR_LANDSLIDES),  # train / evaluate
    "mapping": (VAR_VV, VAR_VH),  # predict on an unlabelled scene
    "terrain": (VAR_DEM,),
    "insar": INSAR_VARS,
}


def is_simulated(attrs: Mapping[str, Any]) -> bool:
    """Whether a cube's attributes say it holds simulated data (``ATTR_SIMULATED``)."""
    return str(attrs.get(ATTR_SIMULATED, "")).strip().lower() in {"true", "1", "yes"}


# --- time ---------------------------------------------------------------------------
# Every time in sarslide is UTC without a timezone: cube timesteps, event windows,
# search periods. Input with a timezone is converted; input without one is UTC.


def to_utc_naive(value: Any) -> pd.Timestamp | pd.DatetimeIndex:
    """A timestamp (a ``DatetimeIndex`` for an index) in UTC without a timezone; naive
    input is taken as UTC. Accepts ISO 8601 text, ``datetime``, ``date``, numpy and pandas times.

    Raises:
        ValueError: text that is not a date or time.
    """
    # pandas loads on first use: the CLI reads this module at start-up without pandas
    import pandas as pd

    stamps = value if isinstance(value, pd.DatetimeIndex) else pd.Timestamp(value)
    return stamps.tz_convert("UTC").tz_localize(None) if stamps.tz is not None else stamps


def to_utc_aware(value: Any) -> dt.datetime:
    """A ``datetime`` in UTC with its timezone set (what STAC and other ISO 8601 writers
    need); naive input is taken as UTC, as in :func:`to_utc_naive`."""
    aware: dt.datetime = to_utc_naive(value).tz_localize("UTC").to_pydatetime()
    return aware


def _parse_timestamp(value: Any) -> Any:
    """Config input -> naive UTC ``datetime`` (others are left to pydantic's error)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError("a number is not a date; write it as 2018-09-05 or 2018-09-05T18:08")
    if not isinstance(value, (str, dt.date)) or (isinstance(value, str) and not value.strip()):
        return value
    try:
        stamp = to_utc_naive(value)
    except (ValueError, TypeError) as err:
        raise ValueError(
            f"not an ISO 8601 date or time ({err}); write e.g. 2018-09-05, "
            "2018-09-05T18:08 (UTC) or 2018-09-05T18:08+09:00"
        ) from err
    return stamp.to_pydatetime()


UtcTimestamp = Annotated[dt.datetime, BeforeValidator(_parse_timestamp)]
"""The one timestamp type of every config: ISO 8601 text, a date or a datetime in;
a naive ``datetime`` in UTC out (``2018-09-05T18:08+09:00`` is ``2018-09-05T09:08``);
written back to YAML as ISO 8601."""


# dask.distributed's address forms: [tcp|tls|ucx|ws|wss://]host:port (a scheme lets the
# port default), or inproc://... (a cluster in this process)
_SCHEDULER_ADDRESS = re.compile(
    r"^(?:(?:tcp|tls|ucx|ws|wss)://(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::\d{1,5})?"
    r"|(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):\d{1,5}"
    r"|inproc://\S+)$"
)


def _check_scheduler_address(value: Any) -> Any:
    """A malformed scheduler address is refused when the config is read (not after the
    connection attempt's timeout)."""
    if not isinstance(value, str) or not value:
        return value
    if not _SCHEDULER_ADDRESS.match(value.strip()):
        raise ValueError(
            "not a dask scheduler address; write tcp://HOST:8786 (or "
            "HOST:PORT), as 'dask scheduler' prints it"
        )
    return value.strip()


SchedulerAddress = Annotated[str, BeforeValidator(_check_scheduler_address)]
"""A dask.distributed scheduler address (``tcp://host:8786``, ``host:8786``,
``tls://...``, ``inproc://...``), checked for its form only: whether anything listens
is known when the job connects."""
