"""Local products are opened at most once while they are found, chosen and checked, and
not at all where their names show that they cannot be used.

On the real multi-burst OPERA series (``tests/data/s1-rtc-opera-dists1-10SGD``, 24
files: 3 bursts x 4 dates x VV/VH): the tags, grid, footprint and, for the products
likely to be used, the dB sample come from one open (``product_header``), carried on the
``LocalRaster`` and on the STAC asset (before: three or four opens of the products used,
two of the others); a build's dates and a burst whose first and last products miss the
AOI leave files unopened (``product_prefilter``).
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
from sarslide.sources.local_products import find_rtc_products, rtc_items, select_items
from sarslide.sources.product_prefilter import BURST_MISSES_AOI

SERIES = Path(__file__).parents[1] / "data" / "s1-rtc-opera-dists1-10SGD"
AOI_IW1 = "-120.727,34.580,-120.717,34.588"  # inside T137-292321-IW1
EVENT = {"event_start": "2023-10-20", "event_end": "2023-10-20"}


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


def _files(items: list[Any]) -> set[str]:
    return {Path(a.href).name for item in items for a in item.assets.values()}


def test_the_build_opens_no_product_outside_its_dates_and_the_others_once(
    opens: Counter,
) -> None:
    cfg = BuildConfig.from_options(
        rtc=[str(SERIES)], aoi=AOI_IW1, start="2023-10-10", end="2023-10-30", **EVENT
    )
    kept, skipped = local_rtc_items(cfg, parse_aoi(AOI_IW1))
    assert len(kept) == 2 and len(skipped) == 4  # 10-16 and 10-28 of one burst of three
    aoi_from_items(kept, crs=None)  # the grid of a build without --aoi: no open
    assert not [name for name in opens if "20231004T" in name or "20231109T" in name]
    assert len(opens) == 12 and set(opens.values()) == {1}  # the other two dates, once
    assert _files(kept) <= set(opens)


def test_respond_leaves_bursts_that_miss_the_aoi_unopened(opens: Counter) -> None:
    start, end = pd.Timestamp("2023-10-01"), pd.Timestamp("2023-10-31")
    found = find_local_passes([str(SERIES)], parse_aoi(AOI_IW1), start=start, end=end)
    assert len(found.passes) == 3 and len(found.beyond) == 1
    # of the two other bursts, only the first and last dates are opened
    unopened = {"20231016T", "20231028T"}
    for burst in ("292320-IW1", "292321-IW2"):
        read = sorted(name for name in opens if burst in name)
        assert len(read) == 4 and not [n for n in read if any(d in n for d in unopened)]
        for day in unopened:  # named among the products left out, as if read
            (product,) = [p for p in found.skipped if burst in p and day in p]
            assert found.skipped[product] == BURST_MISSES_AOI
    assert len(opens) == 16 and set(opens.values()) == {1}
    assert _files(found.items) <= set(opens)


def test_the_products_left_unopened_are_those_the_footprints_leave_out() -> None:
    """What the names leave out equals what reading every product leaves out."""
    aoi = parse_aoi(AOI_IW1).geometry_lonlat
    start, end = pd.Timestamp("2023-10-01"), pd.Timestamp("2023-10-31")
    every, _ = select_items(rtc_items(find_rtc_products(str(SERIES))), start=start, end=end)
    kept_all, skipped_all = select_items(every, aoi_lonlat=aoi)
    found = find_local_passes([str(SERIES)], parse_aoi(AOI_IW1), start=start, end=end)
    assert [i.id for i in found.items] == [i.id for i in kept_all]
    assert set(found.skipped) == set(skipped_all)


def test_the_carried_sample_is_the_one_read_again(tmp_path: Path) -> None:
    """The dB judgement carried on the assets of the products used equals a fresh read,
    and a product used without one (the first burst of a build without dates) is read."""
    from sarslide.sources.decibel_check import refuse_decibels
    from sarslide.sources.product_header import SAMPLE_FIELD, read_decibel_sample

    cfg = BuildConfig.from_options(rtc=[str(SERIES)], aoi=AOI_IW1, **EVENT)
    kept, _ = local_rtc_items(cfg, parse_aoi(AOI_IW1))
    carried = [a for item in kept for a in item.assets.values() if SAMPLE_FIELD in a.extra_fields]
    assert len(carried) == 4  # 10-16 and 10-28; the burst's first and last are not sampled
    for asset in carried:
        with rasterio.open(asset.href) as src:
            fresh = read_decibel_sample(src)
        assert asset.extra_fields[SAMPLE_FIELD] == {"in_decibels": False, "median": fresh.median}
    refuse_decibels(kept)  # linear products pass, the unsampled ones read here


def test_a_burst_whose_ends_differ_is_read_whole(tmp_path: Path, opens: Counter) -> None:
    """Products of one burst on two grids (the last moved by a pixel): no product of that
    burst is left out by its name; the burst whose ends agree still is."""
    import shutil

    from tests.sources.test_real_bursts import _shifted_copy

    for path in SERIES.rglob("*.tif"):
        if "292320-IW1_20231109T" in path.name:
            _shifted_copy(path, tmp_path, dx_px=1, dy_px=0)
        else:
            shutil.copy(path, tmp_path / path.name)
    opens.clear()  # the copies above opened the series
    start, end = pd.Timestamp("2023-10-01"), pd.Timestamp("2023-10-31")
    found = find_local_passes([str(tmp_path)], parse_aoi(AOI_IW1), start=start, end=end)
    assert len(found.passes) == 3
    assert len([name for name in opens if "292320-IW1" in name]) == 8  # all of it
    assert len([name for name in opens if "292321-IW2" in name]) == 4  # its ends only
    assert set(opens.values()) == {1}


def test_a_folder_is_listed_as_rglob_lists_it(tmp_path: Path) -> None:
    """Listing from the folder listings alone finds what ``Path.rglob`` + ``is_file`` +
    ``resolve`` found: nested files, upper-case suffixes and linked files (resolved), not
    folders named like rasters nor linked folders."""
    from sarslide.sources.local_products import expand_sources

    outside = tmp_path / "elsewhere"
    (outside / "deep").mkdir(parents=True)
    for name in ("linked.tif", "deep/in_linked_folder.tif"):
        (outside / name).write_bytes(b"")
    root = tmp_path / "products"
    (root / "a" / "b").mkdir(parents=True)
    (root / "folder.tif").mkdir()
    for name in ("top.tif", "a/UPPER.TIF", "a/b/deep.tiff", "a/b/notes.txt", "a/p.zip"):
        (root / name).write_bytes(b"")
    (root / "a" / "link.tif").symlink_to(outside / "linked.tif")
    (root / "linked_folder").symlink_to(outside / "deep")
    expected = sorted(
        p.resolve()
        for p in root.rglob("*")
        if p.suffix.lower() in (".tif", ".tiff", ".zip") and p.is_file()
    )
    assert expand_sources(root, flag="--rtc") == expected
    names = {p.name for p in expected}
    assert names == {"top.tif", "UPPER.TIF", "p.zip", "deep.tiff", "linked.tif"}
