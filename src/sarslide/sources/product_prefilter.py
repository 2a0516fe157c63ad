"""Local products left out by their file names, before they are opened.

- Dates (a build's ``--start``/``--end``): a product whose name dates it more than
  ``NAME_DATE_MARGIN`` outside them is not opened (the name gives the acquisition
  start; the tags can only refine it by seconds).
- An AOI: OPERA RTC-S1 products of one burst lie on the burst's fixed grid. The first
  and last products of each burst (by the date in their names) are opened; when they
  share one footprint and it misses the AOI, the burst's other products are not opened
  (they are left out with the reason). A burst of other footprints is read whole.

Files whose names say nothing (no OPERA or HyP3 name) are always opened.

The products likely to be used (named inside the dates, of a burst not left out, or
any named product inside the dates when there is no AOI) get their dB sample read at
that one open; the others are sampled only if they turn out to be used.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from shapely.geometry import shape

from sarslide.sources.product_header import ProductHeader, read_product_header
from sarslide.sources.product_identity import NamedProduct, product_from_name

logger = logging.getLogger(__name__)

NAME_DATE_MARGIN = pd.Timedelta(days=1)
MIN_BURST_PRODUCTS = 3  # bursts with fewer products are opened whole (nothing to save)
OUTSIDE_DATES = "acquired outside the dates asked for"
BURST_MISSES_AOI = (
    "does not cover the AOI (not opened: its burst's first and last products share one "
    "footprint that misses it)"
)

Member = tuple[str, str]  # (href, label)


@dataclass
class PrefilteredMembers:
    """The files to open, the headers already read, and the products left out unread."""

    to_read: list[Member]
    headers: dict[str, ProductHeader | str] = field(default_factory=dict)  # by href
    sampled: set[str] = field(default_factory=set)  # hrefs to read with their dB sample
    left_out: dict[str, tuple[str, NamedProduct]] = field(default_factory=dict)  # by product


def prefilter_members(
    members: Sequence[Member],
    *,
    aoi_lonlat: Any = None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    prune_dates: bool = True,
) -> PrefilteredMembers:
    """Leave out, unopened, the files whose names show they cannot be used (by date
    only with ``prune_dates``; [start, end] still tells which products to sample)."""
    result = PrefilteredMembers(to_read=[])
    by_burst: dict[str, list[tuple[Member, NamedProduct]]] = {}
    for member in members:
        named = product_from_name(member[1])
        if named is not None and prune_dates and _outside(named.start, start, end):
            result.left_out[named.product] = (OUTSIDE_DATES, named)
        elif named is not None and named.burst is not None and aoi_lonlat is not None:
            by_burst.setdefault(named.burst, []).append((member, named))
        else:
            result.to_read.append(member)
            if named is not None and aoi_lonlat is None and _within(named, start, end):
                result.sampled.add(member[0])
    for burst_members in by_burst.values():
        _prefilter_burst(burst_members, aoi_lonlat, result, (start, end))
    if result.left_out:
        logger.info("%d local RTC product(s) left out by their names", len(result.left_out))
    return result


def missing_the_aoi(
    left_out: dict[str, tuple[str, NamedProduct]],
    *,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> dict[str, str]:
    """The products left out unopened for the AOI, named in [start, end], with the reason
    (those left out for their dates are left out silently, as the dates ask)."""
    return {
        product: why
        for product, (why, named) in left_out.items()
        if why != OUTSIDE_DATES and not _outside(named.start, start, end, margin=pd.Timedelta(0))
    }


def _outside(
    when: pd.Timestamp,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    *,
    margin: pd.Timedelta = NAME_DATE_MARGIN,
) -> bool:
    return (start is not None and when < start - margin) or (
        end is not None and when > end + margin
    )


def _prefilter_burst(
    burst_members: list[tuple[Member, NamedProduct]],
    aoi_lonlat: Any,
    result: PrefilteredMembers,
    window: tuple[pd.Timestamp | None, pd.Timestamp | None],
) -> None:
    """Open the burst's first and last products; leave out the rest if they may."""
    products = sorted({named.product: named for _, named in burst_members}.values(), key=_order)
    if len(products) < MIN_BURST_PRODUCTS:
        _read(burst_members, result, window)
        return
    ends = {products[0].product, products[-1].product}
    opened = [(member, named) for member, named in burst_members if named.product in ends]
    dated = window != (None, None)  # the ends are sampled only inside dates asked for
    for (href, _), named in opened:
        with_sample = dated and _within(named, *window)
        result.headers[href] = read_product_header(href, with_sample=with_sample)
    result.to_read.extend(member for member, _ in opened)
    others = [(member, named) for member, named in burst_members if named.product not in ends]
    if _one_footprint_missing([result.headers[href] for (href, _), _ in opened], aoi_lonlat):
        for _, named in others:
            result.left_out[named.product] = (BURST_MISSES_AOI, named)
    else:
        _read(others, result, window)


def _read(
    members: list[tuple[Member, NamedProduct]],
    result: PrefilteredMembers,
    window: tuple[pd.Timestamp | None, pd.Timestamp | None],
) -> None:
    """Members to open, sampled when inside the dates (likely used)."""
    for member, named in members:
        result.to_read.append(member)
        if _within(named, *window):
            result.sampled.add(member[0])


def _within(named: NamedProduct, start: pd.Timestamp | None, end: pd.Timestamp | None) -> bool:
    return not _outside(named.start, start, end, margin=pd.Timedelta(0))


def _order(named: NamedProduct) -> tuple[pd.Timestamp, str]:
    return named.start, named.product


def _one_footprint_missing(headers: list[ProductHeader | str], aoi_lonlat: Any) -> bool:
    """Every header read, all on one grid (CRS and bounds), whose footprint misses the AOI."""
    readable = [h for h in headers if not isinstance(h, str)]
    if len(readable) < len(headers):
        return False  # an unreadable end product: the burst is read whole and reported
    first = readable[0]
    same = all(h.crs == first.crs and h.bounds == first.bounds for h in readable)
    return same and not shape(first.footprint).intersects(aoi_lonlat)
