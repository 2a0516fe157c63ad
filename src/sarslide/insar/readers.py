"""Read SLCs and interferometric products: complex GeoTIFF, ISCE, HyP3 (via rasterio)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio

from sarslide.atomic import replacing
from sarslide.errors import DataSelectionError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RasterLayer:
    """One 2-D band with its georeferencing (rasterio profile; CRS may be None for SLCs)."""

    data: np.ndarray
    profile: dict[str, Any]


def _open(path: str | Path) -> Any:
    target = Path(path)
    if not target.exists():
        raise FileNotFoundError(f"No such raster: {target}")
    return rasterio.open(target)


def read_slc(path: str | Path, *, band: int = 1) -> RasterLayer:
    """Read a complex SLC band from any GDAL-readable file.

    Complex GeoTIFFs (CInt16/CFloat32), ISCE ``.slc`` images (through their ``.vrt`` or
    ``.xml`` sidecar, GDAL's ISCE driver) and SNAP/ENVI exports all come through here.
    A 2-band real raster is read as ``band 1 + i band 2`` (i/q pairs).
    """
    with _open(path) as src:
        if np.issubdtype(np.dtype(src.dtypes[band - 1]), np.complexfloating) or src.dtypes[
            band - 1
        ].startswith("complex"):
            data = src.read(band).astype(np.complex64)
        elif src.count >= 2:
            data = (src.read(1) + 1j * src.read(2)).astype(np.complex64)
        else:
            raise DataSelectionError(
                f"{path} holds a real {src.dtypes[band - 1]} band, not a complex SLC. "
                "Give a complex raster (CFloat32 / CInt16) or a 2-band i/q raster."
            )
        profile = dict(src.profile)
    return RasterLayer(data=data, profile=profile)


def read_isce_slc(path: str | Path) -> RasterLayer:
    """Read an ISCE SLC: ``path`` is the ``.slc`` (its ``.slc.vrt`` is used when present)."""
    target = Path(path)
    vrt = target.with_name(target.name + ".vrt")
    return read_slc(vrt if vrt.exists() else target)


def read_band(path: str | Path, *, band: int = 1) -> RasterLayer:
    """Read one real band as float32; nodata becomes NaN."""
    with _open(path) as src:
        data = src.read(band, masked=True).astype(np.float32).filled(np.nan)
        profile = dict(src.profile)
    return RasterLayer(data=data, profile=profile)


def read_hyp3_interferogram(product_dir: str | Path) -> tuple[RasterLayer, RasterLayer]:
    """Wrapped phase (radians) and coherence of a HyP3 INSAR_GAMMA product folder.

    Looks for ``*_wrapped_phase.tif`` and ``*_corr.tif`` (HyP3 names).
    """
    folder = Path(product_dir)
    phase = sorted(folder.glob("*_wrapped_phase.tif"))
    corr = sorted(folder.glob("*_corr.tif"))
    if not phase or not corr:
        raise DataSelectionError(
            f"{folder} is not a HyP3 INSAR_GAMMA product: need *_wrapped_phase.tif and "
            f"*_corr.tif (found {[p.name for p in folder.glob('*.tif')]}). Unzip the product "
            "and pass its folder."
        )
    return read_band(phase[0]), read_band(corr[0])


def write_complex_geotiff(
    path: str | Path, data: np.ndarray, profile: dict[str, Any] | None = None
) -> Path:
    """Write a complex64 array as a CFloat32 GeoTIFF (atomic)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    meta = {"driver": "GTiff", "count": 1, "dtype": "complex64"}
    meta.update({k: v for k, v in (profile or {}).items() if k in ("crs", "transform")})
    meta.update(height=data.shape[0], width=data.shape[1])
    with replacing(target) as tmp, rasterio.open(tmp, "w", **meta) as dst:
        dst.write(data.astype(np.complex64), 1)
    return target
