"""The ISSLIDE authors' "ready to be used" layout (Bralet et al. 2024), written and read.

The authors' loader (``BaselineNetworks/dataloader.py`` of Ant89ne/ISSLIDE) walks::

    <root>/<delay>/<Zone>/<interferogram>/phase/<move>_<k>.tif       single band, rad
    <root>/<delay>/<Zone>/<interferogram>/coherence/<move>_<k>.tif   single band, [0, 1]
    <root>/<delay>/<Zone>/Segmentations/<interferogram>/<move>_<k>.tif   1 = moving area

``<move>`` is the id of the moving area in the zone's merged annotation map and ``<k>``
the index of the patch centre (their ``getMovingAreas`` names files ``f"{moveIdx}_{k}"``).
The loader pairs a phase file with its mask by sorted file names within an
interferogram, finds the coherence by replacing ``phase`` with ``coherence`` in the
path, keeps the zones whose name contains ``"Queyras"`` for evaluation (so zone casing
matters), ignores interferograms whose name contains ``"30Oct"``, and treats every entry
of the root as a delay folder and every entry of a delay folder as a zone folder: no
other file may sit there (an index file at the root made it fail). The names of the
delay and interferogram folders are not fixed by their code; sarslide writes
``<D>days`` and ``<YYYYMMDD>_<YYYYMMDD>`` and reads any ``<D>``, ``<D>d``, ``<D>days``
delay and ``YYYYMMDD_YYYYMMDD`` or ``DDMon[YYYY]_DDMon[YYYY]`` interferogram names.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import rasterio

from sarslide.errors import DataSelectionError
from sarslide.insar.config import DEFAULT_YEAR
from sarslide.insar.config import ImportConfig as ImportConfig  # re-exported
from sarslide.insar.isslide_layout import (
    IMAGES_DIR,
    MASKS_DIR,
    check_new_folder,
    write_geotiff,
    write_ready_index,
)

logger = logging.getLogger(__name__)

PHASE_DIR: Final = "phase"
COHERENCE_DIR: Final = "coherence"
SEGMENTATIONS_DIR: Final = "Segmentations"
# ISSLIDE's acquisitions span 2018-07-02 .. 2018-10-30; names without a year are 2018.
_DELAY_RE = re.compile(r"^(\d+)\s*(?:d|days?)?$", re.IGNORECASE)
_ISO_PAIR_RE = re.compile(r"^(\d{8})_(\d{8})$")
_DAY_MONTH_PAIR_RE = re.compile(
    r"^(\d{1,2})([A-Za-z]{3})(\d{4})?_(\d{1,2})([A-Za-z]{3})(\d{4})?$", re.IGNORECASE
)
_PATCH_RE = re.compile(r"^(\d+)_(\d+)$")


@dataclass(frozen=True)
class AuthorsPatch:
    """Where one patch of the authors' layout is, and what it is."""

    zone: str
    delay_days: int
    interferogram: str  # the folder name
    move_label: int
    centre: int
    phase_path: Path
    coherence_path: Path
    mask_path: Path


def authors_zone_name(zone: str) -> str:
    """The zone folder as the authors spell it: first letter upper case (``Queyras``)."""
    return zone[:1].upper() + zone[1:]


def authors_delay_folder(delay_days: int) -> str:
    return f"{delay_days}days"


def authors_patch_paths(
    root: str | Path, zone: str, delay_days: int, start: str, end: str, move: int, k: int
) -> tuple[Path, Path, Path]:
    """``(phase, coherence, mask)`` paths of one patch in the authors' layout."""
    zone_dir = Path(root) / authors_delay_folder(delay_days) / authors_zone_name(zone)
    interferogram, file = f"{start}_{end}", f"{move}_{k}.tif"
    return (
        zone_dir / interferogram / PHASE_DIR / file,
        zone_dir / interferogram / COHERENCE_DIR / file,
        zone_dir / SEGMENTATIONS_DIR / interferogram / file,
    )


def create_interferogram_folders(
    root: str | Path, zone: str, delay_days: int, start: str, end: str
) -> None:
    """The three folders of one interferogram (the loader lists them even when empty)."""
    for path in authors_patch_paths(root, zone, delay_days, start, end, 0, 0):
        path.parent.mkdir(parents=True, exist_ok=True)


def write_authors_patch(
    paths: tuple[Path, Path, Path],
    phase: np.ndarray,
    coherence: np.ndarray,
    mask: np.ndarray,
    *,
    transform: Any,
    crs: Any,
) -> None:
    """Three single-band GeoTIFFs: phase (rad), coherence, mask (uint8, 1 = move)."""
    phase_path, coherence_path, mask_path = paths
    write_geotiff(phase_path, phase.astype(np.float32), transform=transform, crs=crs, nodata=np.nan)
    write_geotiff(
        coherence_path, coherence.astype(np.float32), transform=transform, crs=crs, nodata=np.nan
    )
    write_geotiff(mask_path, mask.astype(np.uint8), transform=transform, crs=crs)


def list_authors_patches(root: str | Path) -> list[AuthorsPatch]:
    """Every patch of an authors' layout, phase, coherence and mask matched BY NAME.

    Raises:
        DataSelectionError: not that layout (a stray file, a delay folder without a
            number, a phase file without its coherence or mask, or no patch at all).
    """
    base = Path(root)
    if not base.is_dir():
        raise FileNotFoundError(f"No ISSLIDE layout at {base}: the folder does not exist.")
    patches: list[AuthorsPatch] = []
    for delay_dir in sorted(base.iterdir()):
        delay = _DELAY_RE.match(delay_dir.name)
        if not delay_dir.is_dir() or not delay:
            raise DataSelectionError(
                f"{delay_dir} is not a delay folder (<D>, <D>d or <D>days) of the ISSLIDE "
                "layout <delay>/<Zone>/<interferogram>/phase/; move it out of the root."
            )
        for zone_dir in sorted(p for p in delay_dir.iterdir() if p.is_dir()):
            patches.extend(_list_zone(zone_dir, int(delay.group(1))))
    if not patches:
        raise DataSelectionError(
            f"No patches under {base}: expected <delay>/<Zone>/<interferogram>/phase/"
            "<move>_<k>.tif ('sarslide insar patches --layout isslide' writes them)."
        )
    return patches


def _list_zone(zone_dir: Path, delay_days: int) -> list[AuthorsPatch]:
    found = []
    for interferogram in sorted(p for p in zone_dir.iterdir() if p.is_dir()):
        if interferogram.name == SEGMENTATIONS_DIR:
            continue
        masks = zone_dir / SEGMENTATIONS_DIR / interferogram.name
        for phase_path in sorted((interferogram / PHASE_DIR).glob("*.tif")):
            patch = _PATCH_RE.match(phase_path.stem)
            coherence_path = interferogram / COHERENCE_DIR / phase_path.name
            mask_path = masks / phase_path.name
            missing = [p for p in (coherence_path, mask_path) if not p.is_file()]
            if not patch or missing:
                raise DataSelectionError(
                    f"{phase_path}: expected <move>_<k>.tif with its coherence and mask of "
                    f"the same name; missing {[str(p) for p in missing]}."
                )
            found.append(
                AuthorsPatch(
                    zone=zone_dir.name,
                    delay_days=delay_days,
                    interferogram=interferogram.name,
                    move_label=int(patch.group(1)),
                    centre=int(patch.group(2)),
                    phase_path=phase_path,
                    coherence_path=coherence_path,
                    mask_path=mask_path,
                )
            )
    return found


def parse_interferogram_dates(name: str, *, year: int = DEFAULT_YEAR) -> tuple[str, str]:
    """``(start, end)`` as YYYYMMDD from an interferogram folder name; ``("", "")`` if none.

    ``20180702_20180708`` or the day-month names of ISSLIDE (``02Jul_08Jul``, with an
    optional year; ``year`` otherwise).
    """
    iso = _ISO_PAIR_RE.match(name)
    if iso:
        return iso.group(1), iso.group(2)
    day_month = _DAY_MONTH_PAIR_RE.match(name)
    if not day_month:
        return "", ""
    d1, m1, y1, d2, m2, y2 = day_month.groups()
    try:
        start = datetime.strptime(f"{d1} {m1.title()} {y1 or year}", "%d %b %Y")
        end = datetime.strptime(f"{d2} {m2.title()} {y2 or year}", "%d %b %Y")
    except ValueError:
        return "", ""
    return start.strftime("%Y%m%d"), end.strftime("%Y%m%d")


def import_authors_layout(
    root: str | Path, out_root: str | Path, *, year: int = DEFAULT_YEAR, overwrite: bool = False
) -> pd.DataFrame:
    """Convert an authors' layout into sarslide's ready layout (images/, masks/, patches.csv).

    Zones are lower-cased (sarslide's convention: ``--test-zone queyras``); each patch
    becomes ``<zone>_<DD>d_<start>_<end>_m<k>`` with its move id in ``move_label``.
    Returns the index written to ``patches.csv``.
    """
    out = Path(out_root)
    check_new_folder(out, overwrite=overwrite)
    rows = [_import_patch(patch, out, year=year) for patch in list_authors_patches(root)]
    index = pd.DataFrame(rows)
    duplicated = sorted(index.loc[index["name"].duplicated(), "name"])
    if duplicated:
        raise DataSelectionError(f"Patches of {root} map to the same name: {duplicated[:5]}.")
    write_ready_index(out, index)
    logger.info(
        "imported %d patches (%d with a move) into %s", len(index), index.has_move.sum(), out
    )
    return index


def _import_patch(patch: AuthorsPatch, out: Path, *, year: int) -> dict[str, Any]:
    with rasterio.open(patch.phase_path) as src:
        phase = src.read(1, masked=True).astype(np.float32).filled(np.nan)
        transform, crs = src.transform, src.crs
    with rasterio.open(patch.coherence_path) as src:
        coherence = src.read(1, masked=True).astype(np.float32).filled(np.nan)
    with rasterio.open(patch.mask_path) as src:
        mask = (src.read(1) > 0).astype(np.uint8)
    if not phase.shape == coherence.shape == mask.shape:
        raise DataSelectionError(
            f"{patch.phase_path}: phase {phase.shape}, coherence {coherence.shape} and mask "
            f"{mask.shape} differ in size."
        )
    zone = patch.zone.lower()
    start, end = parse_interferogram_dates(patch.interferogram, year=year)
    dates = f"{start}_{end}" if start else patch.interferogram
    interferogram = f"{zone}_{patch.delay_days:02d}d_{dates}"
    name = f"{interferogram}_m{patch.centre:03d}"
    write_geotiff(
        out / IMAGES_DIR / f"{name}.tif",
        np.stack([phase, coherence]),
        transform=transform,
        crs=crs,
        nodata=np.nan,
    )
    write_geotiff(out / MASKS_DIR / f"{name}.tif", mask, transform=transform, crs=crs)
    return {
        "name": name,
        "zone": zone,
        "delay_days": patch.delay_days,
        "start": start,
        "end": end,
        "move_id": patch.centre,
        "move_label": patch.move_label,
        "interferogram": interferogram,
        "has_move": bool(mask.any()),
        "move_fraction": float(mask.mean()),
    }
