"""The ISSLIDE dataset layouts on disk: raw interferograms and ready-to-use patches.

Raw layout (one folder per interferogram, by zone and delay)::

    <root>/<zone>/<DD>d/<YYYYMMDD>_<YYYYMMDD>/phase.tif        wrapped phase, rad, NaN nodata
                                             coherence.tif    [0, 1]
                                             annotations.gpkg polygons (or a .shp)
    <root>/<zone>/layover.tif                                 optional, 1 = layover

Annotation attributes: ``confidence`` (int), ``repetitions`` (number of interferograms
of that delay showing the move), ``class`` (``landslide``, ``rock_glacier``,
``unknown``) and ``move_id``. Other spellings are mapped with ``column_map``.

Ready layout (patches keyed by NAME, never paired by sort order)::

    <root>/images/<name>.tif   band 1 phase (rad), band 2 coherence
    <root>/masks/<name>.tif    uint8, 1 = moving area
    <root>/patches.csv         name, zone, delay_days, start, end, move_id, has_move, ...
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio

from sarslide.atomic import replacing
from sarslide.errors import DataSelectionError, OutputExistsError

logger = logging.getLogger(__name__)

PHASE_FILE: Final = "phase.tif"
COHERENCE_FILE: Final = "coherence.tif"
ANNOTATION_FILE: Final = "annotations.gpkg"
LAYOVER_FILE: Final = "layover.tif"
INDEX_FILE: Final = "patches.csv"
IMAGES_DIR: Final = "images"
MASKS_DIR: Final = "masks"
ANNOTATION_COLUMNS: Final = ("confidence", "repetitions", "class", "move_id")
MOVE_CLASSES: Final = ("landslide", "rock_glacier", "unknown")
_DELAY_RE = re.compile(r"^(\d+)d$")
_PAIR_RE = re.compile(r"^(\d{8})_(\d{8})$")
_NAME_RE = re.compile(
    r"^(?P<zone>.+)_(?P<delay>\d+)d_(?P<start>\d{8})_(?P<end>\d{8})_m(?P<move>\d+)$"
)


@dataclass(frozen=True)
class RawInterferogram:
    """One interferogram of the raw layout and where its files are."""

    zone: str
    delay_days: int
    start: str  # YYYYMMDD
    end: str
    folder: Path

    @property
    def name(self) -> str:
        return f"{self.zone}_{self.delay_days:02d}d_{self.start}_{self.end}"

    @property
    def phase_path(self) -> Path:
        return self.folder / PHASE_FILE

    @property
    def coherence_path(self) -> Path:
        return self.folder / COHERENCE_FILE

    @property
    def annotations_path(self) -> Path | None:
        for candidate in (self.folder / ANNOTATION_FILE, *sorted(self.folder.glob("*.shp"))):
            if candidate.exists():
                return candidate
        return None


def check_new_folder(out: Path, *, overwrite: bool = False) -> None:
    """Refuse a folder that exists and is not empty (unless ``overwrite``); nothing is deleted.

    Raises:
        OutputExistsError: ``out`` holds files.
    """
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise OutputExistsError(
            f"{out} is not empty; choose a new output folder (nothing is deleted)."
        )


def raw_folder(root: str | Path, zone: str, delay_days: int, start: str, end: str) -> Path:
    """Folder of one interferogram in the raw layout."""
    return Path(root) / zone / f"{delay_days:02d}d" / f"{start}_{end}"


def list_raw_interferograms(root: str | Path) -> list[RawInterferogram]:
    """Every interferogram under ``root`` (sorted by zone, delay, dates)."""
    base = Path(root)
    if not base.is_dir():
        raise FileNotFoundError(f"No ISSLIDE raw layout at {base}: the folder does not exist.")
    found = []
    for phase in sorted(base.glob(f"*/*/*/{PHASE_FILE}")):
        folder = phase.parent
        delay = _DELAY_RE.match(folder.parent.name)
        pair = _PAIR_RE.match(folder.name)
        if not delay or not pair:
            logger.warning("skipping %s: not <zone>/<DD>d/<YYYYMMDD>_<YYYYMMDD>", folder)
            continue
        item = RawInterferogram(
            folder.parent.parent.name, int(delay.group(1)), pair.group(1), pair.group(2), folder
        )
        if not item.coherence_path.exists():
            raise DataSelectionError(f"{folder} has {PHASE_FILE} but no {COHERENCE_FILE}.")
        found.append(item)
    if not found:
        raise DataSelectionError(
            f"No interferograms under {base}: expected <zone>/<DD>d/<YYYYMMDD>_<YYYYMMDD>/"
            f"{PHASE_FILE} (run 'sarslide insar simulate' for a synthetic example)."
        )
    return found


def read_annotations(
    path: str | Path | None, *, column_map: Mapping[str, str] | None = None
) -> Any:
    """Annotation polygons as a GeoDataFrame with the standard attribute columns.

    ``column_map`` renames source columns (e.g. ``{"conf": "confidence"}``); missing
    attributes are filled (confidence 1, repetitions 1, class ``unknown``, move_id =
    row number). ``None`` gives an empty frame.
    """
    if path is None:
        return gpd.GeoDataFrame({c: [] for c in ANNOTATION_COLUMNS}, geometry=[])
    frame = gpd.read_file(path).rename(columns=dict(column_map or {}))
    defaults: dict[str, Any] = {"confidence": 1, "repetitions": 1, "class": "unknown"}
    for column, value in defaults.items():
        if column not in frame:
            frame[column] = value
    if "move_id" not in frame:
        frame["move_id"] = np.arange(len(frame))
    unknown = set(frame["class"]) - set(MOVE_CLASSES)
    if unknown:
        logger.warning("%s: unknown move classes %s (kept)", path, sorted(unknown))
    return frame


def write_geotiff(
    path: str | Path, bands: np.ndarray, *, transform: Any, crs: Any, nodata: float | None = None
) -> Path:
    """Write a (bands, y, x) or (y, x) array as a compressed GeoTIFF, atomically."""
    data = bands[None] if bands.ndim == 2 else bands
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        replacing(target) as tmp,
        rasterio.open(
            tmp,
            "w",
            driver="GTiff",
            height=data.shape[1],
            width=data.shape[2],
            count=data.shape[0],
            dtype=data.dtype,
            transform=transform,
            crs=crs,
            nodata=nodata,
            compress="deflate",
        ) as dst,
    ):
        dst.write(data)
    return target


def write_raw_interferogram(
    root: str | Path,
    item: RawInterferogram,
    *,
    phase_rad: np.ndarray,
    coherence: np.ndarray,
    annotations: Any,
    transform: Any,
    crs: Any,
) -> RawInterferogram:
    """Write phase, coherence and annotation polygons of one interferogram."""
    folder = raw_folder(root, item.zone, item.delay_days, item.start, item.end)
    write_geotiff(
        folder / PHASE_FILE,
        phase_rad.astype(np.float32),
        transform=transform,
        crs=crs,
        nodata=np.nan,
    )
    write_geotiff(
        folder / COHERENCE_FILE,
        coherence.astype(np.float32),
        transform=transform,
        crs=crs,
        nodata=np.nan,
    )
    with replacing(folder / ANNOTATION_FILE) as tmp:
        annotations.to_file(tmp, driver="GPKG", layer="annotations")
    return RawInterferogram(item.zone, item.delay_days, item.start, item.end, folder)


def patch_name(zone: str, delay_days: int, start: str, end: str, move_id: int) -> str:
    """The key of a ready patch: ``<zone>_<DD>d_<start>_<end>_m<move>``."""
    return f"{zone}_{delay_days:02d}d_{start}_{end}_m{move_id:03d}"


def write_ready_index(root: str | Path, index: pd.DataFrame) -> Path:
    """Write ``patches.csv`` atomically."""
    target = Path(root) / INDEX_FILE
    with replacing(target) as tmp:
        index.to_csv(tmp, index=False)
    return target


def read_ready_index(root: str | Path) -> pd.DataFrame:
    """Index of the ready layout, with ``image_path`` and ``mask_path`` matched BY NAME.

    Without ``patches.csv`` the attributes are parsed from the names. Raises if an image
    has no mask or a mask no image (lists the names), never pairing by position.
    """
    base = Path(root)
    images = {p.stem: p for p in (base / IMAGES_DIR).glob("*.tif")}
    masks = {p.stem: p for p in (base / MASKS_DIR).glob("*.tif")}
    if not images:
        raise DataSelectionError(
            f"No patches in {base / IMAGES_DIR}: expected <name>.tif files "
            "(run 'sarslide insar patches' on a raw layout)."
        )
    lonely_images = sorted(set(images) - set(masks))
    lonely_masks = sorted(set(masks) - set(images))
    if lonely_images or lonely_masks:
        raise DataSelectionError(
            f"Images and masks in {base} do not match by name: images without mask "
            f"{lonely_images[:5]} ({len(lonely_images)}), masks without image "
            f"{lonely_masks[:5]} ({len(lonely_masks)}). Remove or complete them."
        )
    index_path = base / INDEX_FILE
    if index_path.exists():
        index = pd.read_csv(index_path, dtype={"start": str, "end": str})
        missing = sorted(set(index["name"]) - set(images))
        if missing:
            raise DataSelectionError(f"{INDEX_FILE} lists patches with no image: {missing[:5]}")
        index = index[index["name"].isin(images)]
    else:
        index = pd.DataFrame([_parse_name(name) for name in sorted(images)])
    index = index.copy()
    index["image_path"] = [str(images[n]) for n in index["name"]]
    index["mask_path"] = [str(masks[n]) for n in index["name"]]
    return index.reset_index(drop=True)


def _parse_name(name: str) -> dict[str, Any]:
    match = _NAME_RE.match(name)
    if not match:
        raise DataSelectionError(
            f"Cannot parse patch name {name!r}: expected <zone>_<DD>d_<YYYYMMDD>_<YYYYMMDD>_m<id> "
            f"or a {INDEX_FILE} next to {IMAGES_DIR}/."
        )
    return {
        "name": name,
        "zone": match["zone"],
        "delay_days": int(match["delay"]),
        "start": match["start"],
        "end": match["end"],
        "move_id": int(match["move"]),
        "interferogram": "_".join(
            (match["zone"], f"{int(match['delay']):02d}d", match["start"], match["end"])
        ),
    }


def load_ready_patches(index: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Read phase/coherence and masks of the indexed patches.

    Returns ``(phase_coherence, masks)``: float32 ``(N, 2, H, W)`` and uint8 ``(N, H, W)``,
    in the order of ``index`` (each mask read from the file of the same name).
    """
    images, masks = [], []
    for image_path, mask_path in zip(index["image_path"], index["mask_path"], strict=True):
        if Path(image_path).stem != Path(mask_path).stem:
            raise DataSelectionError(f"Patch {image_path} paired with mask {mask_path}.")
        with rasterio.open(image_path) as src:
            images.append(src.read([1, 2]).astype(np.float32))
        with rasterio.open(mask_path) as src:
            masks.append(src.read(1).astype(np.uint8))
    shapes = {a.shape for a in images}
    if len(shapes) > 1:
        raise DataSelectionError(f"Patches of different sizes {sorted(shapes)}: re-extract them.")
    return np.stack(images), (np.stack(masks) > 0).astype(np.uint8)
