"""The event overview figure (like Fig. 1 of Boehm et al. 2022).

VV and VH before and after the event (dB composites of the ``k`` acquisitions
nearest the event window on each side), DEM, slope, aspect, curvature and the
landslide mask, with titles and colour bars; "SIMULATED" in the title of
simulated cubes. The panels are drawn in map coordinates: the first carries a north
arrow and a scale bar, the footer the CRS and the centre in latitude/longitude.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from sarslide import conventions as cv
from sarslide.chips.event_window import select_event_timesteps
from sarslide.errors import (
    ConfigError,
    CubeValidationError,
    DataSelectionError,
    OutputLocationError,
)
from sarslide.output_checks import check_output_location
from sarslide.plotting.map_furniture import (
    Extent,
    add_north_arrow,
    add_scale_bar,
    describe_location,
)
from sarslide.plotting.save import load_pyplot, save_figure

MAX_DISPLAY_PX = 1200  # larger rasters are subsampled for display
DB_FLOOR = 1e-4  # linear floor before dB: zeros and nodata never give -inf


def check_overview_path(path: str | os.PathLike[str], *, option: str = "--figure") -> Path:
    """Refuse a figure path that cannot be written or names a folder (a file must not
    replace a folder); ``option`` names it in the message."""
    figure = check_output_location(path, option=option)
    if figure.is_dir():
        raise OutputLocationError(
            f"Cannot write {option} {str(path)!r}: it is a folder, not a file. Give "
            f"the path of a PNG, e.g. {option} {str(Path(path) / 'overview.png')!r}."
        )
    return figure


def check_overview_k(ds: xr.Dataset, k: int, *, option: str = "--k") -> None:
    """Refuse a ``k`` the overview of ``ds`` cannot average (too few acquisitions on a
    side), naming ``option`` (the figure is drawn after the cube is written)."""
    try:
        select_event_sides(ds, k=k)
    except (DataSelectionError, ConfigError) as err:
        said = str(err).replace(f"timesteps_k={k} needs", "needs").replace("timesteps_k", option)
        raise type(err)(f"{option} {k} (the --figure composites): {said}") from None


def plot_event_overview(
    ds: xr.Dataset, path: str | os.PathLike[str], *, k: int = 1, dpi: int = 120
) -> Path:
    """Write a PNG of the event: SAR before/after, terrain and landslide labels.

    Args:
        ds: a datacube with ``vv``, ``vh``, the terrain variables, ``landslides`` and
            the ``event_start``/``event_end`` attributes.
        path: the PNG to write (atomically).
        k: number of acquisitions averaged on each side of the event window.
        dpi: resolution of the PNG.

    Returns:
        The written path.

    Raises:
        CubeValidationError: a needed variable or the event window is missing.
        DataSelectionError: fewer than ``k`` acquisitions on one side of the event.
    """
    plt = load_pyplot()

    needed = [cv.VAR_VV, cv.VAR_VH, *cv.DEM_VARS, cv.VAR_LANDSLIDES]
    missing = [name for name in needed if name not in ds.data_vars]
    if missing:
        raise CubeValidationError(
            [f"the overview figure needs {missing}; the cube has {sorted(map(str, ds.data_vars))}."]
        )
    step = max(1, int(np.ceil(max(ds.sizes[cv.DIM_Y], ds.sizes[cv.DIM_X]) / MAX_DISPLAY_PX)))
    view = ds.isel({cv.DIM_Y: slice(None, None, step), cv.DIM_X: slice(None, None, step)})
    before_idx, after_idx = select_event_sides(ds, k=k)
    panels: list[tuple[str, np.ndarray, dict[str, Any]]] = []
    for name in cv.SAR_VARS:
        before = _composite_db(view[name], before_idx)
        after = _composite_db(view[name], after_idx)
        both = np.concatenate([before[np.isfinite(before)], after[np.isfinite(after)]])
        vmin, vmax = np.percentile(both, [2, 98]) if both.size else (-25.0, 0.0)
        style = {"cmap": "gray", "vmin": vmin, "vmax": vmax, "label": "dB"}
        panels.append((f"{name.upper()} before (k={k})", before, style))
        panels.append((f"{name.upper()} after (k={k})", after, style))
    slope_deg = np.degrees(view[cv.VAR_DEM_SLOPE].values)
    curvature = view[cv.VAR_DEM_CURVATURE].values
    limit = float(np.nanpercentile(np.abs(curvature), 98)) or 1.0
    labels = view[cv.VAR_LANDSLIDES].values > cv.LANDSLIDE_POSITIVE_THRESHOLD
    panels.insert(
        2,
        (
            "landslides",
            labels.astype("float32"),
            {"cmap": "Reds", "vmin": 0, "vmax": 1, "label": "landslide"},
        ),
    )
    panels.insert(5, ("DEM", view[cv.VAR_DEM].values, {"cmap": "terrain", "label": "m"}))
    panels += [
        ("slope", slope_deg, {"cmap": "magma", "vmin": 0, "vmax": 60, "label": "degrees"}),
        (
            "aspect",
            view[cv.VAR_DEM_ASPECT].values,
            {"cmap": "twilight", "vmin": 0, "vmax": 360, "label": "degrees from north"},
        ),
        (
            "curvature",
            curvature,
            {"cmap": "RdBu", "vmin": -limit, "vmax": limit, "label": "1/(100 m)"},
        ),
    ]
    extent = map_extent(ds)
    crs = _read_crs(ds)
    fig, axes = plt.subplots(3, 3, figsize=(13, 13))
    for ax, (title, image, style) in zip(axes.flat, panels, strict=False):
        style = dict(style)
        label = style.pop("label")
        shown = ax.imshow(image, interpolation="nearest", extent=extent, **style)
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.03, label=label)
    if extent is not None:
        add_scale_bar(axes.flat[0], extent)
        add_north_arrow(axes.flat[0], crs, extent)
        fig.text(0.5, 0.012, describe_location(crs, extent), ha="center", fontsize=10)
    fig.suptitle(_title(ds, before_idx, after_idx), fontsize=14)
    fig.subplots_adjust(left=0.03, right=0.95, bottom=0.04, top=0.91, wspace=0.3, hspace=0.15)
    return save_figure(fig, path, dpi=dpi)


def map_extent(ds: xr.Dataset) -> Extent | None:
    """(left, right, bottom, top) of the cube's pixel edges from its x/y pixel-centre
    coordinates; None for a cube without regular 1-D coordinates."""
    if cv.DIM_X not in ds.coords or cv.DIM_Y not in ds.coords:
        return None
    x, y = np.asarray(ds[cv.DIM_X].values, float), np.asarray(ds[cv.DIM_Y].values, float)
    if x.size < 2 or y.size < 2:
        return None
    dx, dy = (x[-1] - x[0]) / (x.size - 1), (y[-1] - y[0]) / (y.size - 1)
    return (x[0] - dx / 2, x[-1] + dx / 2, y[-1] + dy / 2, y[0] - dy / 2)


def _read_crs(ds: xr.Dataset) -> Any:
    try:
        return ds.rio.crs
    except Exception:  # rioxarray raises several types on broken metadata
        return None


def select_event_sides(ds: xr.Dataset, *, k: int) -> tuple[list[int], list[int]]:
    """Indices of the ``k`` acquisitions just before the event start and just after its end.

    Selection is by timestamp relative to the event window (``event_start`` /
    ``event_end`` attributes), time of day included.
    """
    try:
        start, end = ds.attrs[cv.ATTR_EVENT_START], ds.attrs[cv.ATTR_EVENT_END]
    except KeyError as err:
        raise CubeValidationError(
            [
                f"attribute {err} is missing; set ds.attrs['{cv.ATTR_EVENT_START}'] and "
                f"['{cv.ATTR_EVENT_END}'] to the event window (ISO 8601)."
            ]
        ) from err
    before, after = select_event_timesteps(ds[cv.DIM_TIMESTEP].values, start, end, k)
    return [int(i) for i in before], [int(i) for i in after]


def _composite_db(da: xr.DataArray, indices: list[int]) -> np.ndarray:
    stack = np.asarray(da.isel({cv.DIM_TIMESTEP: indices}).values, dtype="float32")
    finite = np.isfinite(stack)
    count = finite.sum(axis=0)
    total = np.where(finite, stack, 0.0).sum(axis=0)
    mean = np.full(count.shape, np.nan, dtype="float32")
    np.divide(total, count, out=mean, where=count > 0)
    return 10.0 * np.log10(
        np.maximum(mean, DB_FLOOR), where=np.isfinite(mean), out=np.full_like(mean, np.nan)
    )


def _title(ds: xr.Dataset, before: list[int], after: list[int]) -> str:
    times = pd.DatetimeIndex(ds[cv.DIM_TIMESTEP].values)
    name = ds.attrs.get(cv.ATTR_EVENT_NAME, "event")
    simulated = cv.is_simulated(ds.attrs)
    prefix = "SIMULATED data. " if simulated else ""
    return (  # two lines: one long line was cut at the figure's edges
        f"{prefix}{name}: event {str(ds.attrs.get(cv.ATTR_EVENT_START, '?'))[:16]} .. "
        f"{str(ds.attrs.get(cv.ATTR_EVENT_END, '?'))[:16]}\n"
        f"before: {times[before[0]]:%Y-%m-%d} .. {times[before[-1]]:%Y-%m-%d}, "
        f"after: {times[after[0]]:%Y-%m-%d} .. {times[after[-1]]:%Y-%m-%d}"
    )
