"""Extract ISSLIDE patches around annotated moving areas from raw interferograms.

As in Bralet et al. (2024): per zone, the annotations of all dates and delays are
merged into one map; each connected moving area gets a centre (its most interior
pixel, by Euclidean distance transform); every interferogram of the zone is cropped
to ``size_px`` around every centre. A crop whose own annotation is empty there (the
move was inactive in that period) is kept as a "no-move" patch (mask of zeros,
``has_move = False``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import rasterio
from affine import Affine
from rasterio.features import rasterize
from rich.progress import track
from scipy import ndimage

from sarslide.errors import DataSelectionError
from sarslide.insar.authors_layout import (
    authors_patch_paths,
    create_interferogram_folders,
    write_authors_patch,
)
from sarslide.insar.config import PatchConfig as PatchConfig  # re-exported
from sarslide.insar.isslide_layout import (
    IMAGES_DIR,
    MASKS_DIR,
    RawInterferogram,
    check_new_folder,
    list_raw_interferograms,
    patch_name,
    read_annotations,
    write_geotiff,
    write_ready_index,
)

logger = logging.getLogger(__name__)


def rasterize_annotations(
    annotations: Any, *, shape: tuple[int, int], transform: Any
) -> np.ndarray:
    """Burn annotation polygons into a uint8 mask (1 = moving area)."""
    geometries = [g for g in annotations.geometry if g is not None and not g.is_empty]
    if not geometries:
        return np.zeros(shape, dtype=np.uint8)
    return rasterize(
        geometries, out_shape=shape, transform=transform, fill=0, default_value=1, dtype="uint8"
    )


def find_move_centres(union_mask: np.ndarray) -> list[tuple[int, int]]:
    """Most interior pixel (distance-transform maximum) of each connected moving area."""
    labels, count = ndimage.label(union_mask > 0)
    if count == 0:
        return []
    distance = ndimage.distance_transform_edt(labels > 0)
    centres = ndimage.maximum_position(distance, labels, index=np.arange(1, count + 1))
    return [(int(r), int(c)) for r, c in centres]


def crop_window(centre: tuple[int, int], size_px: int, shape: tuple[int, int]) -> tuple[int, int]:
    """Top-left corner of a ``size_px`` window around ``centre``, kept inside ``shape``."""
    if size_px > min(shape):
        raise DataSelectionError(
            f"Patch size {size_px} px exceeds the interferogram {shape}; use a smaller --size."
        )
    row = min(max(centre[0] - size_px // 2, 0), shape[0] - size_px)
    col = min(max(centre[1] - size_px // 2, 0), shape[1] - size_px)
    return row, col


def _read_raster(path: Path) -> tuple[np.ndarray, Any, Any]:
    with rasterio.open(path) as src:
        data = src.read(1, masked=True).astype(np.float32).filled(np.nan)
        return data, src.transform, src.crs


def extract_patches(
    raw_root: str | Path,
    out_root: str | Path,
    *,
    size_px: int = 100,
    min_confidence: int | None = None,
    include_no_move: bool = True,
    layout: Literal["ready", "isslide"] = "ready",
    overwrite: bool = False,
    progress: bool = False,
) -> pd.DataFrame:
    """Write the ready layout (images/, masks/, patches.csv) or the authors' from a raw layout.

    Args:
        raw_root: raw ISSLIDE layout (see :mod:`sarslide.insar.isslide_layout`).
        out_root: output folder; must be empty or absent unless ``overwrite``.
        size_px: patch side (ISSLIDE: 100).
        min_confidence: drop annotations with a lower confidence index.
        include_no_move: keep crops of inactive periods (all-zero masks).
        layout: ``ready`` (sarslide's) or ``isslide`` (the authors' folders, no index
            file: see :mod:`sarslide.insar.authors_layout`).
        overwrite: replace existing patch files of the same names (nothing is deleted).
        progress: show a progress bar.

    Returns:
        The patch index (also written to ``patches.csv``).
    """
    out = Path(out_root)
    check_new_folder(out, overwrite=overwrite)
    items = list_raw_interferograms(raw_root)
    zones = sorted({i.zone for i in items})
    rows: list[dict[str, Any]] = []
    for zone in _iterate(zones, progress):
        zone_items = [i for i in items if i.zone == zone]
        rows.extend(
            _extract_zone(
                zone_items,
                out,
                size_px=size_px,
                min_confidence=min_confidence,
                include_no_move=include_no_move,
                layout=layout,
            )
        )
    if not rows:
        raise DataSelectionError(f"No annotated moving area found under {raw_root}: no patches.")
    index = pd.DataFrame(rows)
    if layout == "ready":  # the authors' loader takes any file in the root for a delay
        write_ready_index(out, index)
    logger.info("wrote %d patches (%d with a move) to %s", len(index), index["has_move"].sum(), out)
    return index


def _extract_zone(
    items: list[RawInterferogram],
    out: Path,
    *,
    size_px: int,
    min_confidence: int | None,
    include_no_move: bool,
    layout: str = "ready",
) -> list[dict[str, Any]]:
    first_phase, transform, crs = _read_raster(items[0].phase_path)
    shape = first_phase.shape
    masks = []
    for item in items:
        annotations = read_annotations(item.annotations_path)
        if min_confidence is not None and len(annotations):
            annotations = annotations[annotations["confidence"] >= min_confidence]
        masks.append(rasterize_annotations(annotations, shape=shape, transform=transform))
    union = np.any(np.stack(masks), axis=0)
    centres = find_move_centres(union)
    rows = []
    for item, mask in zip(items, masks, strict=True):
        phase, item_transform, _ = _read_raster(item.phase_path)
        coherence, _, _ = _read_raster(item.coherence_path)
        if phase.shape != shape or item_transform != transform:
            raise DataSelectionError(
                f"{item.name} is on a different grid ({phase.shape}) than {items[0].name} "
                f"({shape}); all interferograms of zone {item.zone} must share one grid."
            )
        if layout == "isslide":
            create_interferogram_folders(out, item.zone, item.delay_days, item.start, item.end)
        for move_id, centre in enumerate(centres):
            row, col = crop_window(centre, size_px, shape)
            window = (slice(row, row + size_px), slice(col, col + size_px))
            patch_mask = mask[window]
            has_move = bool(patch_mask.any())
            if not has_move and not include_no_move:
                continue
            name = patch_name(item.zone, item.delay_days, item.start, item.end, move_id)
            patch_transform = transform @ Affine.translation(col, row)
            if layout == "isslide":  # <move>_<k>: the area's label in the merged map, centre
                paths = authors_patch_paths(
                    out, item.zone, item.delay_days, item.start, item.end, move_id + 1, move_id
                )
                write_authors_patch(
                    paths,
                    phase[window],
                    coherence[window],
                    patch_mask,
                    transform=patch_transform,
                    crs=crs,
                )
            else:
                _write_ready_patch(
                    out, name, phase[window], coherence[window], patch_mask, patch_transform, crs
                )
            rows.append(
                {
                    "name": name,
                    "zone": item.zone,
                    "delay_days": item.delay_days,
                    "start": item.start,
                    "end": item.end,
                    "move_id": move_id,
                    "interferogram": item.name,
                    "has_move": has_move,
                    "move_fraction": float(patch_mask.mean()),
                    "row_px": row,
                    "col_px": col,
                }
            )
    return rows


def _write_ready_patch(
    out: Path,
    name: str,
    phase: np.ndarray,
    coherence: np.ndarray,
    mask: np.ndarray,
    transform: Any,
    crs: Any,
) -> None:
    image = np.stack([phase, coherence])
    write_geotiff(
        out / IMAGES_DIR / f"{name}.tif", image, transform=transform, crs=crs, nodata=np.nan
    )
    write_geotiff(out / MASKS_DIR / f"{name}.tif", mask, transform=transform, crs=crs)


def _iterate(items: list[str], progress: bool) -> Any:
    if not progress:
        return items

    return track(items, description="extracting patches")
