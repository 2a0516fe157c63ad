"""Interferometric products on disk -> the ISSLIDE raw layout.

The same discovery as ``sarslide cube build --insar`` (``sources.insar_pairs``: HyP3,
ISCE2, GAMMA/PyRate) feeds the ISSLIDE pipeline: each pair is read with the ISSLIDE
readers (``insar.readers``), its phase wrapped into [-pi, pi) when it was unwrapped,
and written as ``<root>/<zone>/<DD>d/<start>_<end>/phase.tif`` + ``coherence.tif`` on
the product's own grid, with an empty annotation layer to fill in.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from sarslide.insar.isslide_layout import (
    RawInterferogram,
    check_new_folder,
    raw_folder,
    read_annotations,
    write_raw_interferogram,
)
from sarslide.insar.readers import read_band, read_slc
from sarslide.sources.insar_pairs import find_insar_products, wrap_phase

logger = logging.getLogger(__name__)


def import_products_to_raw_layout(
    sources: str | os.PathLike[str] | list[str],
    root: str | os.PathLike[str],
    *,
    zone: str,
) -> list[RawInterferogram]:
    """Write every product of ``sources`` (folders, files, globs) into the raw layout.

    Returns the interferograms written, sorted by dates. A product that cannot be
    read is skipped with a warning (as in the cube build).

    Raises:
        OutputExistsError: ``root`` is not empty.
    """
    check_new_folder(Path(root))
    products, skipped = find_insar_products(sources)
    for pair in skipped:
        logger.warning("skipping %s: %s", pair.name, pair.reason)
    written = []
    for product in products:
        coherence = read_band(product.coherence_path)
        if product.phase_is_complex:
            phase = np.angle(read_slc(product.phase_path).data).astype(np.float32)
        else:
            phase = read_band(product.phase_path).data
            if product.phase_is_unwrapped:
                phase = wrap_phase(phase)
        start, end = product.start.strftime("%Y%m%d"), product.end.strftime("%Y%m%d")
        delay = int((product.end.normalize() - product.start.normalize()).days)
        folder = raw_folder(Path(root), zone, delay, start, end)
        item = RawInterferogram(zone, delay, start, end, folder)
        annotations = read_annotations(None).set_crs(coherence.profile["crs"])
        written.append(
            write_raw_interferogram(
                Path(root),
                item,
                phase_rad=phase,
                coherence=coherence.data,
                annotations=annotations,
                transform=coherence.profile["transform"],
                crs=coherence.profile["crs"],
            )
        )
    logger.info("wrote %d interferograms under %s/%s", len(written), root, zone)
    return written
