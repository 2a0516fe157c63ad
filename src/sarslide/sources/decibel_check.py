"""Refuse RTC products in dB before a build or a response uses them.

Linear gamma0 is never negative; dB backscatter mostly is. A product is judged by the
cube's own rule (``datacube.content.looks_like_decibels``), so that no product passes
here to make a cube that ``open_cube`` then refuses.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pystac
import rasterio

from sarslide.datacube.content import looks_like_decibels
from sarslide.errors import DataSelectionError


def refuse_decibels(items: Sequence[pystac.Item], *, sample_px: int = 64) -> None:
    """Refuse products in dB: linear gamma0 is never negative, dB backscatter mostly is.

    A decimated sample (at most ``sample_px`` a side) of each asset of the items (the
    products a build or a response uses, after the AOI and dates chose them) is read;
    its valid non-zero values are judged by the cube's own rule
    (``datacube.content.looks_like_decibels``), so no product passes here to make a
    cube that ``open_cube`` then refuses.

    Raises:
        DataSelectionError: every raster in dB named (the first few), with the fix.
    """
    in_db = []
    for item in items:
        for asset in item.assets.values():
            with rasterio.open(asset.href) as src:
                shape_px = (min(src.height, sample_px), min(src.width, sample_px))
                values = src.read(1, out_shape=shape_px, masked=True).astype("float64")
            finite = values.compressed()
            finite = finite[np.isfinite(finite) & (finite != 0)]
            if looks_like_decibels(finite):
                label = asset.extra_fields.get("file", asset.href)
                in_db.append((str(label), float(np.median(finite))))
    if in_db:
        named = ", ".join(f"{Path(label).name} (median {m:.1f})" for label, m in in_db[:3])
        more = f" and {len(in_db) - 3} more" if len(in_db) > 3 else ""
        raise DataSelectionError(
            f"{len(in_db)} RTC product(s) are in dB, not linear gamma0: {named}{more}. "
            "sarslide needs linear backscatter: convert them with 10 ** (dB / 10) (e.g. "
            "gdal_calc.py --calc '10**(A/10)') and give the converted files to --rtc; "
            "nothing was written."
        )
