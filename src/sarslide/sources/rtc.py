"""Sentinel-1 RTC backscatter (linear gamma0 VV/VH) stacked onto the cube grid.

Items of one satellite pass (same orbit direction and relative orbit, each less than
``PASS_GAP_S`` after the previous one: the bursts or frames of one pass are seconds
apart, passes of one track days apart) become one timestep, mosaicked by odc-stac.
A burst is its identity ``T<track>-<id>-IW<n>`` (item property ``sarslide:burst``)
and its polarisations: two items are duplicates (e.g. a reprocessed product) only
when they cover the same burst (or, for frames without a burst identity, the same
orbit) at the same datetime; the IW1 and IW2 bursts of one id often start in the same
second and are never merged.

Mosaic rule, as OPERA's own RTC-S1 mosaics (``mosaic_mode: first``, the default of
opera-adt/RTC): where bursts of one pass overlap, each pixel takes the value of the
first burst in acquisition order (ties: burst identity, so IW1 before IW2) that has a
valid value there. No averaging: overlapping bursts see the ground from different
sub-swaths and incidence angles, and a mean would blend two geometries into a value
neither measured.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from sarslide import conventions as cv
from sarslide.conventions import to_utc_naive
from sarslide.errors import DataSelectionError
from sarslide.sources.signing import ResigningRioDriver, UrlSigner, sign_nothing

if TYPE_CHECKING:
    import pystac
    from odc.geo.geobox import GeoBox

logger = logging.getLogger(__name__)

PASS_GAP_S = 120.0  # frames of one pass are seconds apart; passes days apart
BURST_PROPERTY = "sarslide:burst"  # item property: the burst a product covers (None: a frame)
RTC_BANDS = (cv.VAR_VV, cv.VAR_VH)


@dataclass
class AcquisitionGroups:
    """Items grouped by satellite pass; ``skipped`` maps item id to the reason."""

    groups: list[list[pystac.Item]]
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def times(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex([to_utc_naive(min(_when(i) for i in g)) for g in self.groups])

    @property
    def orbit_states(self) -> list[str]:
        return [str(g[0].properties.get(cv.COORD_ORBIT_STATE, "")).lower() for g in self.groups]

    @property
    def relative_orbits(self) -> list[int]:
        return [int(g[0].properties.get(cv.COORD_RELATIVE_ORBIT, -1)) for g in self.groups]


def group_acquisitions(
    items: list[pystac.Item], *, bands: tuple[str, ...] = RTC_BANDS
) -> AcquisitionGroups:
    """Group items by pass (orbit state, relative orbit, time gap < 2 min); drop duplicates."""
    skipped: dict[str, str] = {}
    usable = []
    for item in items:
        missing = [b for b in bands if b not in item.assets]
        if item.datetime is None or missing:
            skipped[item.id] = f"no datetime or missing assets {missing}"
            continue
        usable.append(item)
    usable.sort(key=lambda i: (_orbit_key(i), i.datetime, _burst(i) or "", i.id))
    groups: list[list[pystac.Item]] = []
    for item in usable:
        previous = groups[-1][-1] if groups else None
        same_pass = (
            previous is not None
            and _orbit_key(previous) == _orbit_key(item)
            and (_when(item) - _when(previous)).total_seconds() <= PASS_GAP_S
        )
        twin = same_pass and next(
            (i for i in groups[-1] if i.datetime == item.datetime and _burst(i) == _burst(item)),
            None,
        )
        if twin:
            what = f"burst {_burst(item)}" if _burst(item) else f"orbit {_orbit_key(item)}"
            skipped[item.id] = f"duplicate of {twin.id} (same datetime and {what})"
            continue
        if same_pass:
            groups[-1].append(item)
        else:
            groups.append([item])
    groups.sort(key=lambda g: min(_when(i) for i in g))
    return AcquisitionGroups(groups=groups, skipped=skipped)


def load_rtc(
    groups: AcquisitionGroups,
    geobox: GeoBox,
    *,
    signer: UrlSigner = sign_nothing,
    chunk_px: int = 1024,
    bands: tuple[str, ...] = RTC_BANDS,
) -> xr.Dataset:
    """VV/VH (timestep, y, x) float32 on ``geobox``, lazily; nodata and <= 0 become NaN.

    Args:
        groups: from ``group_acquisitions``; one timestep per group.
        geobox: the cube grid.
        signer: re-signs each asset URL just before it is read.
        chunk_px: spatial dask chunk size.
        bands: asset names to load (lowercase names become the variables).

    Raises:
        DataSelectionError: no group to load.
    """
    # [sources] extra: imported where a live source is read.
    import odc.stac

    if not groups.groups:
        raise DataSelectionError("No usable RTC acquisitions to load (all items were skipped).")
    index = {item.id: n for n, group in enumerate(groups.groups) for item in group}
    items = [item for group in groups.groups for item in group]
    loaded = odc.stac.load(
        items,
        bands=list(bands),
        geobox=geobox,
        groupby=lambda item, parsed, idx: index[item.id],
        chunks={"time": 1, "y": chunk_px, "x": chunk_px},
        resampling="bilinear",
        dtype="float32",
        driver=ResigningRioDriver(signer, grid=geobox),
        fail_on_error=True,
    )
    nodata = {b: _asset_nodata(items[0], b) for b in bands}
    out = xr.Dataset(coords={k: v for k, v in loaded.coords.items() if k != "time"})
    for band in bands:
        data = loaded[band]
        valid = data > 0
        if nodata[band] is not None:
            valid &= data != nodata[band]
        spec = cv.VARIABLES.get(band.lower())
        out[band.lower()] = (
            data.where(valid)
            .rename(time=cv.DIM_TIMESTEP)
            .drop_vars(cv.DIM_TIMESTEP)
            .assign_attrs(units="1", long_name=spec.long_name if spec else band)
        )
    return out.assign_coords(
        {
            cv.DIM_TIMESTEP: groups.times.values,
            cv.COORD_ORBIT_STATE: (cv.DIM_TIMESTEP, np.array(groups.orbit_states)),
            cv.COORD_RELATIVE_ORBIT: (
                cv.DIM_TIMESTEP,
                np.array(groups.relative_orbits, dtype="int32"),
            ),
        }
    )


def describe_groups(groups: AcquisitionGroups) -> list[dict[str, Any]]:
    """One record per timestep for the build log."""
    return [
        {"timestep": str(t), "orbit_state": o, "relative_orbit": r, "items": [i.id for i in g]}
        for t, o, r, g in zip(  # noqa: B905 - equal lengths by construction
            groups.times, groups.orbit_states, groups.relative_orbits, groups.groups
        )
    ]


def _when(item: pystac.Item) -> datetime.datetime:
    if item.datetime is None:  # filtered out in group_acquisitions
        raise DataSelectionError(f"STAC item {item.id!r} has no datetime.")
    return item.datetime


def _orbit_key(item: pystac.Item) -> tuple[str, int]:
    props = item.properties
    return str(props.get(cv.COORD_ORBIT_STATE, "")).lower(), int(
        props.get(cv.COORD_RELATIVE_ORBIT, -1)
    )


def _burst(item: pystac.Item) -> str | None:
    value = item.properties.get(BURST_PROPERTY)
    return str(value) if value else None


def describe_left_out(skipped: dict[str, str]) -> str:
    """One line naming every product left out, grouped by reason."""
    by_reason: dict[str, list[str]] = {}
    for name, reason in sorted(skipped.items()):
        by_reason.setdefault(reason, []).append(name)
    return "; ".join(f"{reason}: {', '.join(names)}" for reason, names in by_reason.items())


def _asset_nodata(item: pystac.Item, band: str) -> float | None:
    bands = item.assets[band].extra_fields.get("raster:bands") or [{}]
    value = bands[0].get("nodata")
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else float(value)
