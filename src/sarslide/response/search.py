"""Find the Sentinel-1 passes over an AOI around an event: a STAC catalogue or local files."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sarslide.errors import DataSelectionError, EventTooRecentError
from sarslide.response.acquisitions import AcquisitionPlan, Pass, describe_reach
from sarslide.response.config import RespondConfig
from sarslide.sources.aoi import AreaOfInterest
from sarslide.sources.decibel_check import refuse_decibels
from sarslide.sources.local_products import (
    find_rtc_products_for,
    rtc_items,
    select_items,
)
from sarslide.sources.rtc import group_acquisitions
from sarslide.sources.stac_search import open_catalog, search_items

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FoundPasses:
    """What one search found: the passes (orbit filters applied), the products left out
    with the reason, the RTC items over the AOI in the searched period (the cube build
    takes them as they are: one search per response) and, for local products, the
    passes outside the period."""

    passes: list[Pass]
    skipped: dict[str, str]
    items: list[Any]
    beyond: list[Pass] | None = None


def search_passes(
    stac_url: str,
    collection: str,
    aoi: AreaOfInterest,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    orbit_state: str | None = None,
    relative_orbit: int | None = None,
) -> FoundPasses:
    """The passes (frames of one pass merged, duplicates dropped) over ``aoi`` in [start, end].

    Searching needs no signing: only the items' metadata is read.

    Returns:
        The passes that pass the orbit filters, in time order, the item ids left out
        with the reason (duplicates, missing assets, another orbit), and the items.
    """
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
    passes, skipped = passes_from_items(
        items, orbit_state=orbit_state, relative_orbit=relative_orbit
    )
    return FoundPasses(passes, skipped, items)


def find_local_passes(
    rtc: list[str],
    aoi: AreaOfInterest,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    orbit_state: str | None = None,
    relative_orbit: int | None = None,
) -> FoundPasses:
    """The passes of local RTC products (``--rtc`` files, folders, globs) over ``aoi``.

    Dates, track and orbit come from the products (``sources.local_products``); those
    not over the AOI are left out, those outside [start, end] are not searched.

    Returns:
        The passes in [start, end], the products left out there with the reason, the
        items over the AOI in [start, end], and the passes over the AOI outside
        [start, end] (to tell how far the search must reach when the window holds too
        few).
    """
    # not left out by dates: the passes over the AOI outside them are asked for too
    rasters, unopened = find_rtc_products_for(
        rtc, aoi_lonlat=aoi.geometry_lonlat, start=start, end=end, prune_dates=False
    )
    items = rtc_items(rasters)
    in_window, outside_window = select_items(items, start=start, end=end)
    kept, outside = select_items(in_window, aoi_lonlat=aoi.geometry_lonlat)
    outside.update({p: why for p, (why, named) in unopened.items() if start <= named.start <= end})
    refuse_decibels(kept)  # before anything is written
    passes, skipped = passes_from_items(
        kept, orbit_state=orbit_state, relative_orbit=relative_orbit
    )
    others, _ = select_items(
        [i for i in items if i.id in outside_window], aoi_lonlat=aoi.geometry_lonlat
    )
    beyond, _ = passes_from_items(others, orbit_state=orbit_state, relative_orbit=relative_orbit)
    return FoundPasses(passes, {**outside, **skipped}, kept, beyond)


def passes_from_items(
    items: list[Any], *, orbit_state: str | None, relative_orbit: int | None
) -> tuple[list[Pass], dict[str, str]]:
    """Group RTC items into passes as the cube build does, then apply the orbit filters."""
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
        "%d RTC item(s) give %d pass(es) over the AOI (%d left out)",
        len(items),
        len(passes),
        len(skipped),
    )
    return passes, skipped


def _iso(stamp: pd.Timestamp) -> str:
    return stamp.strftime("%Y-%m-%dT%H:%M:%S")


def refuse_incomplete(
    plan: AcquisitionPlan,
    cfg: RespondConfig,
    now: pd.Timestamp,
    beyond: list[Pass] | None = None,
) -> None:
    """Refuse a plan without k passes on each side, saying where more are or when they
    will exist.

    Raises:
        DataSelectionError: no pass, too few before the event, or too few after it in
            the searched window while the products hold later ones.
        EventTooRecentError: too few passes after the event yet (with the ready date).
    """
    orbit_note = f" ({plan.orbit_state})" if plan.orbit_state else ""
    reach = describe_reach(plan, beyond)
    if not plan.found:
        raise DataSelectionError(
            f"No Sentinel-1 pass{orbit_note} in {cfg.source_label} over AOI {cfg.aoi!r} "
            f"between {plan.search_start:%Y-%m-%d} and {plan.search_end:%Y-%m-%d}; check the "
            "AOI and the source (--rtc, or --collection and --stac-url), or widen --search-days."
        )
    if len(plan.before) < plan.k:
        raise DataSelectionError(
            f"The model needs k={plan.k} passes{orbit_note} before the event "
            f"{plan.event_start:%Y-%m-%d %H:%M}; the catalogue has {len(plan.before)} since "
            f"{plan.search_start:%Y-%m-%d}.{reach} Widen the search (--search-days, now "
            f"{(plan.event_start - plan.search_start).days}) or use a model trained with a "
            "smaller timesteps_k."
        )
    if len(plan.after) >= plan.k:
        return
    ready = plan.ready_date
    have = f"{len(plan.after)}" + (
        f" ({', '.join(f'{p.time:%Y-%m-%d}' for p in plan.after)})" if plan.after else ""
    )
    head = (
        f"Event {plan.event_start:%Y-%m-%d %H:%M} is too recent for this model: it needs "
        f"k={plan.k} Sentinel-1 passes{orbit_note} after the event and the catalogue has {have}."
    )
    if ready is None:
        tail = " The revisit cannot be derived (no track seen); rerun in 12 days."
    elif ready > now:
        revisit = ", ".join(f"{d} days on relative orbit {t}" for t, d in plan.revisit_days.items())
        tail = (
            f" From the observed revisit ({revisit}) enough passes will exist on "
            f"{ready:%Y-%m-%d} (acquired; the catalogue publishes them hours to days later): "
            "rerun this command then, with the same -o, to map the event."
        )
    else:
        tail = (
            f" By the observed revisit enough passes should have existed on {ready:%Y-%m-%d}, "
            "but the catalogue lacks them (not yet published, or acquisitions missed): rerun "
            "later, or widen --search-days."
        )
    if reach:  # the products hold later passes: the window, not the clock, is short
        raise DataSelectionError(head + reach)
    raise EventTooRecentError(head + tail, ready_date=ready)
