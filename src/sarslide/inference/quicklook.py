"""Quicklook PNGs: probability over hillshade (or post-event VV), and a TP/FP/FN/TN map.

Inputs are decimated arrays (see ``geotiff.read_raster(max_size_px=...)``) with the
grid they sit on; axes are full map coordinates in metres, with a north arrow, a scale
bar, the CRS and the centre in latitude/longitude (``plotting.map_furniture``).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from sarslide.inference.geotiff import RasterGrid
from sarslide.plotting.map_furniture import add_map_furniture
from sarslide.plotting.save import load_pyplot, save_figure

SIMULATED_TITLE = "SIMULATED DATA: "
"""Title prefix of figures drawn from a simulated cube."""
SIMULATED_DESCRIPTION = "simulated cube (sarslide cube simulate): synthetic data, not a real scene"

ERROR_CLASSES: tuple[tuple[str, str], ...] = (
    ("true negative", "#efefef"),
    ("true positive", "#1a9850"),
    ("false positive", "#d73027"),
    ("false negative", "#4575b4"),
)


def compute_hillshade(
    dem: np.ndarray, resolution_m: float, *, azimuth_deg: float = 315.0, altitude_deg: float = 45.0
) -> np.ndarray:
    """Hillshade in [0, 1] of a DEM (y down the rows, north up); NaN stays NaN."""
    dz_drow, dz_dx = np.gradient(np.asarray(dem, dtype=np.float64), resolution_m)
    dz_dy = -dz_drow  # rows run south; y runs north
    slope = np.arctan(np.hypot(dz_dx, dz_dy))
    aspect = np.arctan2(dz_dy, -dz_dx)  # maths angle of the downslope direction
    azimuth = math.radians(360.0 - azimuth_deg + 90.0)
    altitude = math.radians(altitude_deg)
    shade = np.sin(altitude) * np.cos(slope) + np.cos(altitude) * np.sin(slope) * np.cos(
        azimuth - aspect
    )
    return np.clip(shade, 0.0, 1.0)


def plot_probability_quicklook(
    probability: np.ndarray,
    grid: RasterGrid,
    path: str | os.PathLike[str],
    *,
    background: np.ndarray | None = None,
    background_label: str = "hillshade",
    threshold: float | None = None,
    title: str = "Landslide probability",
    simulated: bool = False,
) -> Path:
    """Probability (transparent below 0.05) over a grey background, with legend and scale bar.

    ``simulated``: the cube is synthetic; the title and the PNG's Description say so.
    """
    plt = load_pyplot()

    extent = _extent(grid)
    fig, ax = plt.subplots(figsize=_figsize(grid))
    if background is not None:
        low, high = (
            np.nanpercentile(background, [2, 98]) if np.isfinite(background).any() else (0, 1)
        )
        ax.imshow(
            background, cmap="gray", vmin=low, vmax=high, extent=extent, interpolation="nearest"
        )
    shown = np.ma.masked_where(~(probability >= 0.05), probability)
    image = ax.imshow(
        shown, cmap="YlOrRd", vmin=0, vmax=1, alpha=0.85, extent=extent, interpolation="nearest"
    )
    colorbar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    colorbar.set_label("landslide probability")
    if threshold is not None:
        colorbar.ax.axhline(threshold, color="cyan", linewidth=2)
        colorbar.ax.text(
            1.6,
            threshold,
            f"threshold {threshold:.2f}",
            va="center",
            fontsize=7,
            transform=colorbar.ax.get_yaxis_transform(),
        )
        colorbar.set_label("landslide probability", labelpad=48)  # clear of the mark
    nodata = np.isnan(probability)
    if nodata.any():
        ax.imshow(
            np.ma.masked_where(~nodata, nodata),
            cmap="Blues",
            vmin=0,
            vmax=2,
            alpha=0.5,
            extent=extent,
            interpolation="nearest",
        )
    prefix = SIMULATED_TITLE if simulated else ""
    _finish_map(ax, grid, f"{prefix}{title} (background: {background_label}; blue: nodata)")
    if simulated:
        ax.set_title(ax.get_title(), fontsize=9, color="#b00000", fontweight="bold")
    metadata = {"Description": SIMULATED_DESCRIPTION} if simulated else None
    return save_figure(fig, path, metadata=metadata)


def classify_errors(binary: np.ndarray, labels: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """0 TN, 1 TP, 2 FP, 3 FN, 255 invalid (uint8)."""
    predicted, actual = binary == 1, labels > 0
    out = np.full(binary.shape, 255, dtype=np.uint8)
    out[valid & ~predicted & ~actual] = 0
    out[valid & predicted & actual] = 1
    out[valid & predicted & ~actual] = 2
    out[valid & ~predicted & actual] = 3
    return out


def plot_error_map(
    classes: np.ndarray, grid: RasterGrid, path: str | os.PathLike[str], *, title: str = "Errors"
) -> Path:
    """A categorical map of ``classify_errors`` output with a legend and scale bar."""
    plt = load_pyplot()

    colours = [colour for _, colour in ERROR_CLASSES]
    fig, ax = plt.subplots(figsize=_figsize(grid))
    ax.imshow(
        np.ma.masked_equal(classes, 255),
        cmap=ListedColormap(colours),
        vmin=-0.5,
        vmax=3.5,
        extent=_extent(grid),
        interpolation="nearest",
    )
    counts = [int((classes == i).sum()) for i in range(4)]
    handles = [
        Patch(facecolor=c, edgecolor="k", label=f"{name} ({n})")
        for (name, c), n in zip(ERROR_CLASSES, counts, strict=True)
    ]
    ax.legend(handles=handles, loc="upper right", fontsize=7, framealpha=0.9)
    _finish_map(ax, grid, title)
    return save_figure(fig, path)


def _finish_map(ax: Any, grid: RasterGrid, title: str) -> None:
    ax.set_title(title, fontsize=9, wrap=True)
    add_map_furniture(ax, grid.crs, _extent(grid))


def _extent(grid: RasterGrid) -> tuple[float, float, float, float]:
    left, bottom, right, top = grid.bounds
    return (left, right, bottom, top)


def _figsize(grid: RasterGrid) -> tuple[float, float]:
    aspect = grid.height_px / max(grid.width_px, 1)
    return (8.0, max(3.0, min(12.0, 7.0 * aspect)))
