"""Refuse RTC products in dB before a build or a response uses them.

Linear gamma0 is never negative; dB backscatter mostly is. A product is judged by the
cube's own rule (``datacube.content.looks_like_decibels``), so that no product passes
here to make a cube that ``open_cube`` then refuses.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pystac

from sarslide.errors import DataSelectionError
from sarslide.sources.product_header import asset_decibel_sample


def refuse_decibels(items: Sequence[pystac.Item]) -> None:
    """Refuse products in dB: linear gamma0 is never negative, dB backscatter mostly is.

    Each asset of the items (the products a build or a response uses, after the AOI
    and dates chose them) is judged by a decimated sample (``SAMPLE_PX`` a side): the
    one read when the product was found, else read here. Its valid non-zero values
    are judged by the cube's own rule
    (``datacube.content.looks_like_decibels``), so no product passes here to make a
    cube that ``open_cube`` then refuses.

    Raises:
        DataSelectionError: every raster in dB named (the first few), with the fix.
    """
    in_db = []
    for item in items:
        for asset in item.assets.values():
            sample = asset_decibel_sample(asset)
            if sample.in_decibels:
                label = asset.extra_fields.get("file", asset.href)
                in_db.append((str(label), sample.median))
    if in_db:
        named = ", ".join(f"{Path(label).name} (median {m:.1f})" for label, m in in_db[:3])
        more = f" and {len(in_db) - 3} more" if len(in_db) > 3 else ""
        raise DataSelectionError(
            f"{len(in_db)} RTC product(s) are in dB, not linear gamma0: {named}{more}. "
            "sarslide needs linear backscatter: convert them with 10 ** (dB / 10) (e.g. "
            "gdal_calc.py --calc '10**(A/10)') and give the converted files to --rtc; "
            "nothing was written."
        )
