"""Burst identity, pass grouping and the mosaic rule on the real multi-burst OPERA series.

``tests/data/s1-rtc-opera-dists1-10SGD``: track 137, four dates, bursts
T137-292320-IW1, T137-292321-IW1 and T137-292321-IW2 (EPSG:32611); on 2023-10-28 the IW1
and IW2 of burst 292321 start in the same second (01:59:14).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from sarslide import conventions as cv
from sarslide.datacube import open_cube
from sarslide.sources.build import build_cube
from sarslide.sources.config import BuildConfig
from sarslide.sources.local_products import find_rtc_products, rtc_items
from sarslide.sources.rtc import BURST_PROPERTY, group_acquisitions

SERIES = Path(__file__).parents[1] / "data" / "s1-rtc-opera-dists1-10SGD"
DAY = SERIES / "track137" / "2023-10-28"
EVENT = {"event_start": "2023-10-20", "event_end": "2023-10-20"}


def test_bursts_sharing_a_start_second_are_never_merged() -> None:
    groups = group_acquisitions(rtc_items(find_rtc_products(str(SERIES))))
    assert groups.skipped == {}
    assert [len(g) for g in groups.groups] == [3, 3, 3, 3]  # every burst of every pass
    oct28 = next(g for g in groups.groups if g[0].datetime.day == 28)
    assert [i.properties[BURST_PROPERTY] for i in oct28] == [
        "T137-292320-IW1",
        "T137-292321-IW1",
        "T137-292321-IW2",
    ]
    # the pass time is its earliest burst's, the same for any selection that holds it
    assert [f"{t:%Y-%m-%d %H:%M:%S}" for t in groups.times][2] == "2023-10-28 01:59:11"


def test_a_reprocessed_burst_is_the_only_duplicate_and_is_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for path in DAY.glob("*292321-IW2*"):
        shutil.copy(path, tmp_path / path.name)
        # the same burst and start, processed again (another production time)
        shutil.copy(path, tmp_path / path.name.replace("20231029T050142Z", "20231101T000000Z"))
    groups = group_acquisitions(rtc_items(find_rtc_products(str(tmp_path))))
    assert [len(g) for g in groups.groups] == [1]
    ((dropped, reason),) = groups.skipped.items()
    assert "20231101T000000Z" in dropped and "T137-292321-IW2" in reason


def _shifted_copy(path: Path, folder: Path, *, dx_px: int, dy_px: int) -> None:
    """The real crop with its georeference moved by whole pixels (values unchanged)."""
    with rasterio.open(path) as src:
        profile, values = src.profile, src.read(1)
        profile["transform"] = src.transform * Affine.translation(dx_px, dy_px)
    with rasterio.open(folder / path.name, "w", **profile) as dst:
        dst.write(values, 1)


def _values(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1)


def test_overlapping_bursts_take_the_first_in_acquisition_order(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Three real 50 x 50 px crops of one pass made to overlap: 292320-IW1 (01:59:11)
    at its place, 292321-IW1 (01:59:14) 20 px right of it, 292321-IW2 (01:59:14, the
    same second) 40 px right and 10 px below it: each overlap takes the earlier burst,
    and of the two that start in the same second, IW1 (burst identity order)."""
    products = tmp_path / "products"
    products.mkdir()
    first = next(DAY.glob("*292320-IW1*_VV.tif"))
    with rasterio.open(first) as src:
        anchor = src.transform
    for path in DAY.glob("*.tif"):
        if "292320-IW1" in path.name:
            shutil.copy(path, products / path.name)
            continue
        with rasterio.open(path) as src:  # whole pixels on the anchor's grid: no resampling
            col, row = ~anchor * (src.transform.c, src.transform.f)
        offset = (20, 0) if "292321-IW1" in path.name else (40, 10)
        _shifted_copy(path, products, dx_px=round(offset[0] - col), dy_px=round(offset[1] - row))
    cfg = BuildConfig.from_options(rtc=[str(products)], dem="none", resolution_m=30, **EVENT)
    with caplog.at_level(logging.WARNING):
        build_cube(cfg, tmp_path / "cube.zarr", progress=False)
    vv = open_cube(tmp_path / "cube.zarr")[cv.VAR_VV].isel({cv.DIM_TIMESTEP: 0}).values
    a = _values(first)
    b = _values(next(DAY.glob("*292321-IW1*_VV.tif")))
    c = _values(next(DAY.glob("*292321-IW2*_VV.tif")))
    assert vv.shape == (60, 90)  # the union of the three footprints
    np.testing.assert_array_equal(vv[:50, :50], a)  # the earliest burst wins its overlaps
    np.testing.assert_array_equal(vv[:50, 50:70], b[:, 30:50])  # IW1 over IW2 (same second)
    np.testing.assert_array_equal(vv[10:60, 70:90], c[:, 30:50])
    np.testing.assert_array_equal(vv[50:60, 40:70], c[40:50, :30])
    assert np.isnan(vv[50:, :40]).all() and np.isnan(vv[:10, 70:]).all()
    assert not [r for r in caplog.records if "left out" in r.getMessage()]


def _write_decibels(folder: Path) -> None:
    """The real products of the series converted to dB (10 log10), names unchanged."""
    folder.mkdir()
    for path in SERIES.rglob("*.tif"):
        with rasterio.open(path) as src:
            profile, values = src.profile, src.read(1)
        with np.errstate(divide="ignore"), rasterio.open(folder / path.name, "w", **profile) as dst:
            dst.write((10 * np.log10(values)).astype("float32"), 1)


def test_products_in_db_are_refused_with_the_fix_and_nothing_is_written(tmp_path: Path) -> None:
    from sarslide.errors import DataSelectionError

    _write_decibels(tmp_path / "db")
    cfg = BuildConfig.from_options(rtc=[str(tmp_path / "db")], dem="none", **EVENT)
    with pytest.raises(DataSelectionError, match=r"in dB.*10 \*\* \(dB / 10\)") as err:
        build_cube(cfg, tmp_path / "cube.zarr", progress=False)
    assert "24 RTC product(s)" in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "cube.zarr").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db"]


def test_the_product_check_uses_the_cubes_db_rule(tmp_path: Path) -> None:
    """A third of each product negative (median still positive) is refused before any
    write, as open_cube would refuse the cube built from it (one rule for both)."""
    from sarslide.datacube.content import DB_NEGATIVE_SHARE, looks_like_decibels
    from sarslide.errors import DataSelectionError

    folder = tmp_path / "partly"
    folder.mkdir()
    for path in SERIES.rglob("*.tif"):
        with rasterio.open(path) as src:
            profile, values = src.profile, src.read(1)
        values[: values.shape[0] // 3] *= -1  # the top third negative
        with rasterio.open(folder / path.name, "w", **profile) as dst:
            dst.write(values, 1)
        finite = values[np.isfinite(values) & (values != 0)]
        assert np.median(finite) > 0 and np.mean(finite < 0) > DB_NEGATIVE_SHARE
        assert looks_like_decibels(finite)
    cfg = BuildConfig.from_options(rtc=[str(folder)], dem="none", **EVENT)
    with pytest.raises(DataSelectionError, match=r"in dB"):
        build_cube(cfg, tmp_path / "cube.zarr", progress=False)
    assert not (tmp_path / "cube.zarr").exists()
