"""Each local product is opened once while products are found and chosen; the products
used once more, for their dB sample.

On the real multi-burst OPERA series (``tests/data/s1-rtc-opera-dists1-10SGD``, 24
files): the tags, grid and footprint come from one open (``product_header``), carried
on the ``LocalRaster`` and on the STAC asset (before: three or four opens of the
products used, two of the others).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import rasterio

from sarslide.response.search import find_local_passes
from sarslide.sources.aoi import parse_aoi
from sarslide.sources.build_inputs import aoi_from_items, local_rtc_items
from sarslide.sources.config import BuildConfig

SERIES = Path(__file__).parents[1] / "data" / "s1-rtc-opera-dists1-10SGD"
AOI_IW1 = "-120.727,34.580,-120.717,34.588"  # inside T137-292321-IW1


@pytest.fixture
def opens(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Every ``rasterio.open`` of a file of the series, by file name."""
    counts: Counter = Counter()
    original = rasterio.open

    def counted(path: Any, *args: Any, **kwargs: Any) -> Any:
        counts[Path(str(path)).name] += 1
        return original(path, *args, **kwargs)

    monkeypatch.setattr(rasterio, "open", counted)
    return counts


def test_the_build_opens_each_product_once(opens: Counter) -> None:
    cfg = BuildConfig.from_options(
        rtc=[str(SERIES)], aoi=AOI_IW1, event_start="2023-10-20", event_end="2023-10-20"
    )
    kept, skipped = local_rtc_items(cfg, parse_aoi(AOI_IW1))
    assert len(kept) == 4 and len(skipped) == 8  # one burst of three, four dates
    aoi_from_items(kept, crs=None)  # the grid of a build without --aoi: no open
    _assert_used_twice_others_once(opens, kept)


def test_respond_opens_each_product_once(opens: Counter) -> None:
    found = find_local_passes(
        [str(SERIES)],
        parse_aoi(AOI_IW1),
        start=pd.Timestamp("2023-10-01"),
        end=pd.Timestamp("2023-10-31"),
    )
    assert len(found.passes) == 3 and len(found.beyond) == 1
    _assert_used_twice_others_once(opens, found.items)


def _assert_used_twice_others_once(opens: Counter, used: list[Any]) -> None:
    used_files = {Path(a.href).name for item in used for a in item.assets.values()}
    assert len(opens) == 24 and len(used_files) == 2 * len(used)
    assert {name: n for name, n in opens.items() if n != 1} == dict.fromkeys(used_files, 2)
