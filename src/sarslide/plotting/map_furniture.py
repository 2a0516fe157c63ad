"""What every map figure carries: north arrow, scale bar, full metric coordinates and
where on Earth it is (the CRS and the centre in latitude/longitude).

Functions take a matplotlib axes whose data coordinates are the map's projected
coordinates (``imshow(..., extent=extent)``, equal aspect) and the map's CRS. The north
arrow points to true north: in a UTM zone grid north and true north differ by the
meridian convergence (up to ~3 degrees at the zone edges), measured here by projecting
a short step north from the centre of the map.
"""

from __future__ import annotations

import math
from typing import Any

from matplotlib.ticker import FuncFormatter, MaxNLocator
from pyproj import CRS, Transformer

from sarslide.crs_text import format_crs

Extent = tuple[float, float, float, float]  # left, right, bottom, top (imshow order)
BOX = {"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 1.5}


def add_map_furniture(
    ax: Any, crs: Any, extent: Extent, *, axes_labels: bool = True, fontsize: float = 7
) -> None:
    """North arrow, scale bar and the CRS / lat-lon note on ``ax``; with ``axes_labels``
    the axes show full easting/northing in metres (no offset, no ``1e6``)."""
    if axes_labels:
        format_metric_axes(ax, fontsize=fontsize)
    add_scale_bar(ax, extent, fontsize=fontsize + 1)
    add_north_arrow(ax, crs, extent, fontsize=fontsize + 2)
    ax.text(
        0.99,
        0.01,
        describe_location(crs, extent),
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=fontsize - 1,
        bbox=BOX,
    )


def format_metric_axes(ax: Any, *, fontsize: float = 7) -> None:
    """Tick labels as full metres with thousands separators (``4,739,500``)."""
    formatter = FuncFormatter(lambda value, _pos: f"{value:,.0f}")
    for axis, count in ((ax.xaxis, 5), (ax.yaxis, 6)):
        axis.set_major_formatter(formatter)
        axis.set_major_locator(MaxNLocator(count))
    ax.set_xlabel("easting (m)", fontsize=fontsize + 1)
    ax.set_ylabel("northing (m)", fontsize=fontsize + 1)
    ax.tick_params(labelsize=fontsize)


def add_north_arrow(ax: Any, crs: Any, extent: Extent, *, fontsize: float = 9) -> float:
    """An arrow marked N in the upper left, towards true north; returns its angle in
    degrees clockwise from grid north (0 without a CRS)."""
    left, right, bottom, top = extent
    width, height = right - left, top - bottom
    angle = true_north_deg(crs, extent) if crs is not None else 0.0
    length = 0.08 * min(width, height)
    tail_x, tail_y = left + 0.06 * width, top - 0.06 * height - length
    head_x = tail_x + length * math.sin(math.radians(angle))
    head_y = tail_y + length * math.cos(math.radians(angle))
    ax.annotate(
        "",
        xy=(head_x, head_y),
        xytext=(tail_x, tail_y),
        arrowprops={"arrowstyle": "-|>,head_width=0.4,head_length=0.8", "lw": 2, "color": "k"},
    )
    ax.text(
        head_x,
        head_y,
        "N",
        ha="center",
        va="bottom",
        fontsize=fontsize,
        fontweight="bold",
        bbox=BOX,
    )
    return angle


def true_north_deg(crs: Any, extent: Extent) -> float:
    """Direction of true north at the map's centre, degrees clockwise from grid north."""
    projected = CRS.from_user_input(_crs_text(crs))
    if projected.is_geographic:
        return 0.0
    x, y = _centre(extent)
    to_lonlat = Transformer.from_crs(projected, "EPSG:4326", always_xy=True)
    to_map = Transformer.from_crs("EPSG:4326", projected, always_xy=True)
    lon, lat = to_lonlat.transform(x, y)
    north_x, north_y = to_map.transform(lon, min(lat + 0.01, 89.99))
    return math.degrees(math.atan2(north_x - x, north_y - y))


def describe_location(crs: Any, extent: Extent) -> str:
    """``EPSG:32654, centre 42.76° N 141.73° E`` (the CRS alone when it cannot be
    transformed)."""
    if crs is None:
        return "no CRS"
    label = format_crs(crs)
    try:
        to_lonlat = Transformer.from_crs(
            CRS.from_user_input(_crs_text(crs)), "EPSG:4326", always_xy=True
        )
        lon, lat = to_lonlat.transform(*_centre(extent))
    except Exception:  # pyproj raises several types on odd CRSs; the label is enough
        return label
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return label
    ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
    return f"{label}, centre {abs(lat):.3f}° {ns} {abs(lon):.3f}° {ew}"


def add_scale_bar(ax: Any, extent: Extent, *, fontsize: float = 8) -> float:
    """A scale bar of a round length (about a fifth of the width) in the lower left;
    returns its length in metres."""
    left, right, bottom, top = extent
    length_m = nice_length_m((right - left) / 5.0)
    x0 = left + 0.04 * (right - left)
    y0 = bottom + 0.05 * (top - bottom)
    height = 0.012 * (top - bottom)
    ax.fill_between([x0, x0 + length_m], y0, y0 + height, color="black", edgecolor="white")
    label = f"{length_m / 1000:g} km" if length_m >= 1000 else f"{length_m:g} m"
    ax.text(
        x0 + length_m / 2,
        y0 + 2 * height,
        label,
        ha="center",
        va="bottom",
        fontsize=fontsize,
        bbox=BOX,
    )
    return length_m


def nice_length_m(target_m: float) -> float:
    """The largest 1, 2 or 5 x 10^k not above ``target_m`` (at least 1 m)."""
    if target_m < 1:
        return 1.0
    power = 10 ** math.floor(math.log10(target_m))
    return float(max(m * power for m in (1, 2, 5) if m * power <= target_m))


def _centre(extent: Extent) -> tuple[float, float]:
    left, right, bottom, top = extent
    return (left + right) / 2.0, (bottom + top) / 2.0


def _crs_text(crs: Any) -> Any:
    return crs.to_wkt() if hasattr(crs, "to_wkt") else crs
