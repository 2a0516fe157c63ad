"""Find the Sentinel-1 passes over an AOI around an event in a STAC catalogue."""

from __future__ import annotations

import logging

import pandas as pd

from sarslide.errors import DataSelectionError
from sarslide.respond.acquisitions import Pass
from sarslide.sources.aoi import AreaOfInterest

logger = logging.getLogger(__name__)


def search_passes(
    stac_url: str,
    collection: str,
    aoi: AreaOfInterest,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    orbit_state: str | None = None,
    relative_orbit: int | None = None,
) -> tuple[list[Pass], dict[str, str]]:
    """The passes (frames of one pass merged, duplicates dropped) over ``aoi`` in [start, end].

    Searching needs no signing: only the items' metadata is read.

    Returns:
        The passes that pass the orbit filters, in time order, and the item ids left out
        with the reason (duplicates, missing assets, another orbit).
    """
    from sarslide.sources.rtc import group_acquisitions
    from sarslide.sources.stac_search import open_catalog, search_items

    catalog = open_catalog(stac_url)
    try:
        items = search_items(
            catalog,
            collection=collection,
            bbox_lonlat=aoi.bbox_lonlat,
            start=_iso(start),
            end=_iso(end),
        )
    except DataSelectionError:
        items = []  # an empty search is an answer here: the plan says what is missing
    groups = group_acquisitions(items)
    skipped = dict(groups.skipped)
    passes = []
    for time, state, orbit, group in zip(  # noqa: B905 - equal lengths by construction
        groups.times, groups.orbit_states, groups.relative_orbits, groups.groups
    ):
        ids = tuple(item.id for item in group)
        if orbit_state and state != orbit_state:
            skipped.update(dict.fromkeys(ids, f"orbit state {state!r} is not {orbit_state!r}"))
        elif relative_orbit is not None and orbit != relative_orbit:
            skipped.update(dict.fromkeys(ids, f"relative orbit {orbit} is not {relative_orbit}"))
        else:
            passes.append(Pass(pd.Timestamp(time), state, orbit, ids))
    logger.info(
        "%d item(s) of %s give %d pass(es) over the AOI (%d left out)",
        len(items),
        collection,
        len(passes),
        len(skipped),
    )
    return passes, skipped


def _iso(stamp: pd.Timestamp) -> str:
    return stamp.strftime("%Y-%m-%dT%H:%M:%S")
