"""What a local RTC raster is, from its file name and GeoTIFF tags.

Names read:

- OPERA RTC-S1: ``OPERA_L2_RTC-S1_<burst>_<start>_<production>_<S1x>_<res>_v<ver>_<POL>...``
  (``<burst>`` is ``T<track>-<id>-IW<n>``: the track is the relative orbit);
- HyP3 RTC: ``S1x_IW_<YYYYMMDD>T<HHMMSS>_<pol mode>_RTC<res>_..._<POL>.tif``.

GeoTIFF tags override what the name says when present (``ZERO_DOPPLER_START_TIME``,
``ORBIT_PASS_DIRECTION``, ``TRACK_NUMBER``, ``POLARIZATION``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sarslide.conventions import to_utc_naive
from sarslide.datacube.orbit import normalise_orbit_state
from sarslide.sources.product_header import ProductHeader, first_tag, read_product_header

POL_PATTERN = r"(?P<pol>VV|VH|HH|HV)"
_OPERA = re.compile(
    r"OPERA_L2_RTC-S1_(?P<burst>T(?P<track>\d{3})-\d{6}-IW\d)_(?P<start>\d{8}T\d{6})Z?_"
    r"\d{8}T\d{6}Z?_(?P<platform>S1[A-D])_\d+_v[\d.]+_" + POL_PATTERN + r"(?=[_.]|$)"
)
_HYP3 = re.compile(
    r"(?P<platform>S1[A-D])_IW_(?P<start>\d{8}T\d{6})_[SD][VH]P_RTC\d+_.*_"
    + POL_PATTERN
    + r"\.tiff?$"
)
TIME_TAGS = ("ZERO_DOPPLER_START_TIME", "ACQUISITION_START_TIME", "START_TIME")
_ORBIT_TAGS = ("ORBIT_PASS_DIRECTION", "SAT:ORBIT_STATE", "ORBIT_DIRECTION", "PASS_DIRECTION")
_TRACK_TAGS = ("TRACK_NUMBER", "SAT:RELATIVE_ORBIT", "RELATIVE_ORBIT")
POL_TAGS = ("POLARIZATION", "POLARISATION")
NAME_FORMATS = (
    "OPERA_L2_RTC-S1_<burst>_<start>_... or S1?_IW_<date>T<time>_..._RTC<res>_..._<POL>.tif"
)


@dataclass(frozen=True)
class LocalRaster:
    """One polarisation of one local product, with what its one open read (``header``)."""

    href: str  # what GDAL opens (``/vsizip/`` inside zips)
    label: str  # the path as the user knows it, for messages
    product: str  # product id (the name without the polarisation)
    platform: str
    start: pd.Timestamp  # UTC, naive
    polarisation: str  # lowercase asset name: vv, vh, hh, hv
    relative_orbit: int  # -1 when unknown
    orbit_state: str | None  # from the tags; None: decided from the solar time
    header: ProductHeader = field(repr=False, compare=False)  # tags, grid, footprint
    burst: str | None = None  # OPERA burst identity ``T<track>-<id>-IW<n>``; None for frames


@dataclass(frozen=True)
class NamedProduct:
    """What an OPERA or HyP3 file name alone says (the tags may refine it)."""

    product: str  # the name without the polarisation
    start: pd.Timestamp  # UTC, naive, to the second
    burst: str | None  # OPERA burst identity; None for HyP3 frames


def product_from_name(label: str) -> NamedProduct | None:
    """The product, start and burst a file name gives, without opening the file."""
    name = file_name(label)
    opera, hyp3 = _OPERA.search(name), _HYP3.search(name)
    match = opera or hyp3
    if match is None:
        return None
    try:
        start = to_utc_naive(match.group("start"))
    except ValueError:
        return None
    product = name[: match.start("pol")].rstrip("_")
    return NamedProduct(product, start, opera.group("burst") if opera else None)


def file_name(label: str) -> str:
    """The raster's file name (inside its zip for ``zip!member`` labels)."""
    return Path(label.split("!")[-1]).name


def parse_rtc_raster(
    href: str, label: str, header: ProductHeader | str | None = None
) -> LocalRaster | str:
    """The raster's identity from its name and tags (one open: none when ``header``, a
    header already read, is given), or why it cannot be used."""
    name = file_name(label)
    if header is None:
        header = read_product_header(href)
    if isinstance(header, str):
        return header
    tags = header.tags
    opera, hyp3 = _OPERA.search(name), _HYP3.search(name)
    match = opera or hyp3
    start_text = first_tag(tags, TIME_TAGS) or (match.group("start") if match else None)
    pol = first_tag(tags, POL_TAGS) or (match.group("pol") if match else None)
    if start_text is None:
        return f"no acquisition time in the name or tags (expected {NAME_FORMATS})"
    if pol is None or pol.upper() not in ("VV", "VH", "HH", "HV"):
        return f"no polarisation (VV, VH, HH or HV) in the name or tags (got {pol!r})"
    try:
        start = to_utc_naive(start_text)
    except ValueError:
        return f"acquisition time {start_text!r} is not a date"
    track_text = first_tag(tags, _TRACK_TAGS) or (opera.group("track") if opera else None)
    state = first_tag(tags, _ORBIT_TAGS)
    if match is not None:
        product = name[: match.start("pol")].rstrip("_")
        platform = match.group("platform")
    else:
        product = f"{Path(name).stem}@{start.isoformat()}"
        platform = first_tag(tags, ("PLATFORM", "MISSION_ID")) or "S1"
    return LocalRaster(
        href=href,
        label=label,
        product=product,
        platform=platform,
        start=start.floor("s"),
        polarisation=pol.lower(),
        relative_orbit=int(track_text) if track_text and track_text.isdigit() else -1,
        orbit_state=normalise_state(state) if state else None,
        header=header,
        burst=opera.group("burst") if opera else None,
    )


def normalise_state(value: str) -> str | None:
    """'ASCENDING', 'asc', 'A' -> 'ascending' (None when unrecognised)."""
    try:
        return normalise_orbit_state(value)
    except ValueError:
        return None
