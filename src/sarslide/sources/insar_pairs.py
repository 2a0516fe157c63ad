"""InSAR coherence and wrapped interferograms per pair, stacked along ``timepair``.

Products come from local folders, files or glob patterns: HyP3 INSAR_GAMMA products
(zips or folders with ``*_corr.tif`` and ``*_wrapped_phase.tif``, pair dates in the
product name), geocoded ISCE2 outputs (a folder named ``YYYYMMDD_YYYYMMDD`` holding
``filt_topophase.flat.geo`` and ``phsig.cor.geo`` or ``topophase.cor.geo``), or
GAMMA / PyRate GeoTIFFs (``*_YYYYMMDD-YYYYMMDD_*unw.tif`` unwrapped phase beside
``*_YYYYMMDD-YYYYMMDD_*cc.tif`` coherence; the phase is wrapped into [-pi, pi)).
Every product is opened before anything is stacked; a product that cannot be read
is skipped and recorded, never half-included. A file given by name or pattern that
cannot be dated or paired stops the build, all such files named at once.
"""

from __future__ import annotations

import logging
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dask.array as dsa
import numpy as np
import pandas as pd
import rasterio
import xarray as xr

from sarslide import conventions as cv
from sarslide.errors import DataSelectionError
from sarslide.sources.local_products import expand_sources
from sarslide.sources.warp import warp_to_grid

if TYPE_CHECKING:
    from odc.geo.geobox import GeoBox

logger = logging.getLogger(__name__)

_HYP3_DATES = re.compile(r"_(\d{8}T\d{6})_(\d{8}T\d{6})_")
_ISCE_DATES = re.compile(r"(\d{8})[_-](\d{8})")
_ISCE_COHERENCE = ("phsig.cor.geo", "topophase.cor.geo")
_ISCE_PHASE = "filt_topophase.flat.geo"
_GAMMA = re.compile(r"(?<!\d)(\d{8})-(\d{8})(?!\d).*?(unw|cc)\.tiff?$")


@dataclass(frozen=True)
class InsarProduct:
    """One interferometric pair: dates and the rasters GDAL opens (``/vsizip/`` for zips)."""

    name: str
    start: pd.Timestamp
    end: pd.Timestamp
    coherence_path: str
    phase_path: str
    phase_is_complex: bool = False  # ISCE2 gives the complex interferogram
    phase_is_unwrapped: bool = False  # GAMMA / PyRate unwrapped phase: wrapped on load


@dataclass(frozen=True)
class SkippedPair:
    """A pair left out of the cube, and why (written to the build log)."""

    name: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "reason": self.reason}


def find_insar_products(
    sources: str | os.PathLike[str] | list[str],
) -> tuple[list[InsarProduct], list[SkippedPair]]:
    """All HyP3, ISCE2 and GAMMA/PyRate products in ``sources``, sorted by start date.

    ``sources`` is a folder (searched recursively), a file, a glob pattern, or a list
    of these. Products that are there but unreadable come back as skipped.

    Raises:
        ConfigError: a source matches nothing.
        DataSelectionError: files named or matched by a pattern that are neither part
            of a product nor datable GAMMA/PyRate rasters (all named).
    """
    items = [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)
    products: list[InsarProduct] = []
    skipped: list[SkippedPair] = []
    loose: list[Path] = []
    for source in items:
        root = Path(os.path.expanduser(os.fspath(source)))
        if root.is_dir():
            _find_in_folder(root, products, skipped)
        else:
            loose += _expand_files(os.fspath(source))
    if loose:
        products += _pair_loose_files(loose)
    unique = {(p.start, p.end): p for p in products}  # one product per pair
    return sorted(unique.values(), key=lambda p: (p.start, p.end)), skipped


def _find_in_folder(root: Path, products: list[InsarProduct], skipped: list[SkippedPair]) -> None:
    for zip_path in sorted(root.rglob("*.zip")):
        _collect(_hyp3_from_zip(zip_path), zip_path.name, products, skipped)
    for corr in sorted(root.rglob("*_corr.tif")):
        _collect(_hyp3_from_folder(corr), corr.parent.name, products, skipped)
    for phase in sorted(root.rglob(_ISCE_PHASE)):
        _collect(_isce_from_folder(phase), str(phase.parent.relative_to(root)), products, skipped)
    gamma = [p for p in sorted(root.rglob("*.tif")) if _GAMMA.search(p.name)]
    if gamma:
        products += _pair_loose_files(gamma)


def _expand_files(pattern: str) -> list[Path]:
    return expand_sources(pattern, flag="--insar", suffixes=(".tif", ".tiff", ".geo"))


def _pair_loose_files(files: list[Path]) -> list[InsarProduct]:
    """GAMMA/PyRate phase and coherence files paired by folder and dates; HyP3 zips and
    ``*_corr.tif`` given by name are read as products."""
    pairs: dict[tuple[str, str, str], dict[str, Path]] = {}
    products: list[InsarProduct] = []
    problems: dict[str, str] = {}
    for path in files:
        if path.suffix == ".zip" or path.name.endswith("_corr.tif"):
            read = _hyp3_from_zip(path) if path.suffix == ".zip" else _hyp3_from_folder(path)
            if isinstance(read, str):
                problems[str(path)] = read
            else:
                products.append(read)
            continue
        if path.name.endswith("_wrapped_phase.tif"):
            continue  # read with its *_corr.tif
        match = _GAMMA.search(path.name)
        if match is None:
            problems[str(path)] = (
                "no pair dates YYYYMMDD-YYYYMMDD followed by unw.tif or cc.tif in the name"
            )
            continue
        key = (str(path.parent), match.group(1), match.group(2))
        pairs.setdefault(key, {})[match.group(3)] = path
    for (folder, start, end), found in sorted(pairs.items()):
        if set(found) != {"unw", "cc"}:
            have = next(iter(found.values()))
            lacking = "coherence (*cc.tif)" if "cc" not in found else "phase (*unw.tif)"
            problems[str(have)] = f"no {lacking} of the pair {start}-{end} in {folder}"
            continue
        products.append(
            InsarProduct(
                name=found["unw"].name.replace("unw.tif", "").rstrip("_"),
                start=pd.Timestamp(start),
                end=pd.Timestamp(end),
                coherence_path=str(found["cc"]),
                phase_path=str(found["unw"]),
                phase_is_unwrapped=True,
            )
        )
    if problems:
        listed = "; ".join(f"{name}: {why}" for name, why in sorted(problems.items()))
        raise DataSelectionError(
            f"Cannot use {len(problems)} InSAR file(s) given to --insar: {listed}. Give "
            "HyP3 products, ISCE2 folders or GAMMA/PyRate *_YYYYMMDD-YYYYMMDD_*unw.tif with "
            "their *cc.tif, or leave these files out (a folder is searched for products)."
        )
    return products


def load_insar_pairs(
    products: list[InsarProduct], geobox: GeoBox, *, chunk_px: int = 1024
) -> tuple[xr.Dataset | None, list[SkippedPair]]:
    """Coherence and wrapped phase (timepair, y, x) on ``geobox``, lazily.

    Coherence is resampled bilinearly; the wrapped phase with nearest neighbour (an
    average across a 2 pi wrap is meaningless). Products that cannot be opened are
    returned as skipped. Returns ``(None, skipped)`` when no product is usable.
    """
    coherences, phases, used = [], [], []
    skipped: list[SkippedPair] = []
    for product in products:
        try:
            coherence = _open_on_grid(product.coherence_path, geobox, chunk_px, "bilinear")
            phase = _open_on_grid(
                product.phase_path,
                geobox,
                chunk_px,
                "nearest",
                complex_phase=product.phase_is_complex,
                unwrapped=product.phase_is_unwrapped,
            )
        except Exception as err:  # rasterio/GDAL raise many types for broken files
            skipped.append(SkippedPair(product.name, f"cannot read the product: {err}"))
            logger.warning("skipping InSAR pair %s: %s", product.name, err)
            continue
        coherences.append(coherence)
        phases.append(phase)
        used.append(product)
    if not used:
        return None, skipped
    pair_coords = {
        cv.DIM_TIMEPAIR: np.arange(len(used)),
        cv.COORD_PAIR_START: (cv.DIM_TIMEPAIR, pd.DatetimeIndex([p.start for p in used]).values),
        cv.COORD_PAIR_END: (cv.DIM_TIMEPAIR, pd.DatetimeIndex([p.end for p in used]).values),
    }
    out = xr.Dataset(
        {
            cv.VAR_COHERENCE: xr.concat(coherences, dim=cv.DIM_TIMEPAIR),
            cv.VAR_INTERFEROGRAM: xr.concat(phases, dim=cv.DIM_TIMEPAIR),
        }
    ).assign_coords(pair_coords)
    for name in (cv.VAR_COHERENCE, cv.VAR_INTERFEROGRAM):
        spec = cv.VARIABLES[name]
        out[name].attrs = {"units": spec.units, "long_name": spec.long_name}
    return out, skipped


def _open_on_grid(
    path: str,
    geobox: GeoBox,
    chunk_px: int,
    resampling: str,
    *,
    complex_phase: bool = False,
    unwrapped: bool = False,
) -> xr.DataArray:
    """A lazy (y, x) float32 raster on ``geobox``: each dask block warps its own window."""
    with rasterio.open(path) as src:  # fail now, not in the middle of the write
        if src.crs is None:
            raise ValueError(f"{path} has no CRS")
    height, width = geobox.shape
    data = dsa.map_blocks(
        _warp_block,
        dtype="float32",
        chunks=dsa.core.normalize_chunks((chunk_px, chunk_px), (height, width)),
        path=path,
        crs_wkt=str(geobox.crs.to_wkt() if geobox.crs else ""),
        transform=geobox.transform,
        resampling=resampling,
        complex_phase=complex_phase,
        unwrapped=unwrapped,
        meta=np.empty((0, 0), dtype="float32"),
    )
    return xr.DataArray(data, dims=cv.SPATIAL_DIMS)


def _warp_block(
    *,
    path: str,
    crs_wkt: str,
    transform: Any,
    resampling: str,
    complex_phase: bool,
    unwrapped: bool = False,
    block_info: dict[Any, Any] | None = None,
) -> np.ndarray:
    (row0, row1), (col0, col1) = block_info[None]["array-location"]  # type: ignore[index]
    values = warp_to_grid(
        path,
        dst_crs=crs_wkt,
        grid_transform=transform,
        grid_shape=tuple(block_info[None]["shape"]),  # type: ignore[index]
        window=((row0, row1), (col0, col1)),
        resampling=resampling,
        dtype="complex64" if complex_phase else "float32",
        dst_nodata=np.nan,
        # exact transformer: the nearest phase pixel is the one pyproj finds (with
        # gdalwarp's -et 0.125, 0.5 % of the pixels of a lat/lon product read a
        # neighbour: up to 2 pi off)
        tolerance_px=0,
    )
    if complex_phase:
        values = np.angle(values)
    elif unwrapped:
        values = wrap_phase(values)
    return np.asarray(values, dtype="float32")


def wrap_phase(phase_rad: np.ndarray) -> np.ndarray:
    """Phase wrapped into [-pi, pi) (NaN stays NaN), in the input's dtype."""
    return np.asarray(np.mod(phase_rad + np.pi, 2 * np.pi) - np.pi, dtype=phase_rad.dtype)


def _collect(
    found: InsarProduct | str, name: str, products: list[InsarProduct], skipped: list[SkippedPair]
) -> None:
    if isinstance(found, str):
        skipped.append(SkippedPair(name, found))
        logger.warning("skipping InSAR product %s: %s", name, found)
    else:
        products.append(found)


def _hyp3_from_zip(zip_path: Path) -> InsarProduct | str:
    try:
        with zipfile.ZipFile(zip_path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile as err:
        return f"not a valid zip ({err})"
    corr = [n for n in names if n.endswith("_corr.tif")]
    phase = [n for n in names if n.endswith("_wrapped_phase.tif")]
    if not corr or not phase:
        return (
            "no *_corr.tif and *_wrapped_phase.tif inside (order HyP3 with include_wrapped_phase)"
        )
    return _hyp3_product(
        zip_path.stem, f"/vsizip/{zip_path}/{corr[0]}", f"/vsizip/{zip_path}/{phase[0]}"
    )


def _hyp3_from_folder(corr: Path) -> InsarProduct | str:
    phase = corr.with_name(corr.name.replace("_corr.tif", "_wrapped_phase.tif"))
    if not phase.exists():
        return f"{phase.name} is missing next to {corr.name}"
    return _hyp3_product(corr.parent.name, str(corr), str(phase))


def _hyp3_product(name: str, corr: str, phase: str) -> InsarProduct | str:
    match = _HYP3_DATES.search(f"_{name}_")
    if match is None:
        return "no pair dates (YYYYMMDDTHHMMSS_YYYYMMDDTHHMMSS) in the product name"
    start, end = (pd.Timestamp(v) for v in match.groups())
    return InsarProduct(name, start, end, corr, phase)


def _isce_from_folder(phase: Path) -> InsarProduct | str:
    match = _ISCE_DATES.search(str(phase.parent))
    if match is None:
        return "no YYYYMMDD_YYYYMMDD pair dates in the ISCE2 folder path"
    coherence = next(
        (phase.with_name(n) for n in _ISCE_COHERENCE if phase.with_name(n).exists()), None
    )
    if coherence is None:
        return f"no coherence ({' or '.join(_ISCE_COHERENCE)}) next to {phase.name}"
    start, end = (pd.Timestamp(v) for v in match.groups())
    return InsarProduct(
        f"{match.group(1)}_{match.group(2)}",
        start,
        end,
        str(coherence),
        str(phase),
        phase_is_complex=True,
    )


def describe_products(products: list[InsarProduct]) -> list[dict[str, Any]]:
    """Build-log records of the pairs used."""
    return [{"name": p.name, "start": str(p.start), "end": str(p.end)} for p in products]
