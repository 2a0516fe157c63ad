"""InSAR coherence and wrapped interferograms per pair, stacked along ``timepair``.

Products come from a local folder: HyP3 INSAR_GAMMA products (zips or folders with
``*_corr.tif`` and ``*_wrapped_phase.tif``, pair dates in the product name) or
geocoded ISCE2 outputs (a folder named ``YYYYMMDD_YYYYMMDD`` holding
``filt_topophase.flat.geo`` and ``phsig.cor.geo`` or ``topophase.cor.geo``).
Every product is opened before anything is stacked; a product that cannot be read
is skipped and recorded, never half-included.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from sarslide import conventions as cv
from sarslide.errors import ConfigError

if TYPE_CHECKING:
    from odc.geo.geobox import GeoBox

logger = logging.getLogger(__name__)

_HYP3_DATES = re.compile(r"_(\d{8}T\d{6})_(\d{8}T\d{6})_")
_ISCE_DATES = re.compile(r"(\d{8})[_-](\d{8})")
_ISCE_COHERENCE = ("phsig.cor.geo", "topophase.cor.geo")
_ISCE_PHASE = "filt_topophase.flat.geo"


@dataclass(frozen=True)
class InsarProduct:
    """One interferometric pair: dates and the rasters GDAL opens (``/vsizip/`` for zips)."""

    name: str
    start: pd.Timestamp
    end: pd.Timestamp
    coherence_path: str
    phase_path: str
    phase_is_complex: bool = False  # ISCE2 gives the complex interferogram


@dataclass(frozen=True)
class SkippedPair:
    """A pair left out of the cube, and why (written to the build log)."""

    name: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "reason": self.reason}


def find_insar_products(
    folder: str | os.PathLike[str],
) -> tuple[list[InsarProduct], list[SkippedPair]]:
    """All HyP3 and ISCE2 products under ``folder``, sorted by start date.

    Raises:
        ConfigError: ``folder`` does not exist.
    """
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise ConfigError(
            f"InSAR folder {str(root)!r} does not exist; pass --insar DIR, hyp3 or none."
        )
    products: list[InsarProduct] = []
    skipped: list[SkippedPair] = []
    for zip_path in sorted(root.rglob("*.zip")):
        _collect(_hyp3_from_zip(zip_path), zip_path.name, products, skipped)
    for corr in sorted(root.rglob("*_corr.tif")):
        _collect(_hyp3_from_folder(corr), corr.parent.name, products, skipped)
    for phase in sorted(root.rglob(_ISCE_PHASE)):
        _collect(_isce_from_folder(phase), str(phase.parent.relative_to(root)), products, skipped)
    unique = {(p.start, p.end): p for p in products}  # one product per pair
    return sorted(unique.values(), key=lambda p: (p.start, p.end)), skipped


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
    path: str, geobox: GeoBox, chunk_px: int, resampling: str, *, complex_phase: bool = False
) -> xr.DataArray:
    """A lazy (y, x) float32 raster on ``geobox``: each dask block warps its own window."""
    import dask.array as dsa
    import rasterio

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
    block_info: dict[Any, Any] | None = None,
) -> np.ndarray:
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.transform import from_origin
    from rasterio.vrt import WarpedVRT

    (row0, row1), (col0, col1) = block_info[None]["array-location"]  # type: ignore[index]
    origin_x = transform.c + transform.a * col0
    origin_y = transform.f + transform.e * row0
    with rasterio.open(path) as src:
        nodata = src.nodata
        with WarpedVRT(
            src,
            crs=crs_wkt,
            transform=from_origin(origin_x, origin_y, transform.a, -transform.e),
            width=col1 - col0,
            height=row1 - row0,
            resampling=Resampling[resampling],
            src_nodata=nodata,
            nodata=nodata if nodata is not None else 0,
        ) as vrt:
            values = vrt.read(1, masked=True)
    if complex_phase:
        values = np.ma.masked_array(np.angle(values.data), mask=np.ma.getmaskarray(values))
    out = values.astype("float32").filled(np.nan)
    return np.asarray(out, dtype="float32")


def _collect(
    found: InsarProduct | str, name: str, products: list[InsarProduct], skipped: list[SkippedPair]
) -> None:
    if isinstance(found, str):
        skipped.append(SkippedPair(name, found))
        logger.warning("skipping InSAR product %s: %s", name, found)
    else:
        products.append(found)


def _hyp3_from_zip(zip_path: Path) -> InsarProduct | str:
    import zipfile

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
