"""Interferogram products of one SLC pair: multilooked, Goldstein-filtered phase,
coherence and the three-band features, as GeoTIFFs (``sarslide insar interferogram``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import dask.array as da
import numpy as np
from affine import Affine

from sarslide.insar.config import InterferogramConfig as InterferogramConfig  # re-exported
from sarslide.insar.features import compute_features
from sarslide.insar.goldstein import filter_goldstein_lazy
from sarslide.insar.interferometry import estimate_coherence
from sarslide.insar.isslide_layout import write_geotiff
from sarslide.insar.readers import read_slc

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InterferogramProducts:
    """The GeoTIFFs written, and two numbers to report."""

    paths: list[Path]
    shape_px: tuple[int, int]
    mean_coherence: float


def write_interferogram_products(
    reference: str | Path, secondary: str | Path, output: str | Path, cfg: InterferogramConfig
) -> InterferogramProducts:
    """Write ``phase.tif``, ``coherence.tif`` and ``features.tif`` into ``output``."""
    out = Path(output)
    ref, sec = read_slc(reference), read_slc(secondary)
    chunks = (cfg.chunk_px, cfg.chunk_px)
    result = estimate_coherence(
        da.from_array(ref.data, chunks=chunks),
        da.from_array(sec.data, chunks=chunks),
        looks_range=cfg.looks_range,
        looks_azimuth=cfg.looks_azimuth,
    )
    filtered = (
        filter_goldstein_lazy(result.interferogram, alpha=cfg.goldstein_alpha)
        if cfg.goldstein_alpha > 0
        else result.interferogram
    )
    phase, coherence = da.compute(da.angle(filtered).astype(np.float32), result.coherence)
    transform, crs = ref.profile.get("transform"), ref.profile.get("crs")
    if transform is not None:
        transform = transform @ Affine.scale(cfg.looks_range, cfg.looks_azimuth)
    georef = {"transform": transform, "crs": crs}
    paths = [
        write_geotiff(out / "phase.tif", phase, nodata=np.nan, **georef),
        write_geotiff(out / "coherence.tif", coherence, nodata=np.nan, **georef),
        write_geotiff(out / "features.tif", compute_features(phase, coherence), **georef),
    ]
    logger.info("wrote interferogram products to %s", out)
    return InterferogramProducts(
        paths=paths,
        shape_px=(phase.shape[0], phase.shape[1]),
        mean_coherence=float(np.mean(coherence)),
    )
