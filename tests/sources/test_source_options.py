"""The build and respond configs share their source options (one declaration)."""

from __future__ import annotations

import pandas as pd
import pytest

from sarslide.errors import ConfigError
from sarslide.response import RespondConfig
from sarslide.sources.config import BuildConfig, CubeSourceOptions

SOURCES = {
    "rtc": "products/*.h5",
    "dem": ["dem_a.tif", "dem_b.tif"],
    "insar": ["gamma/"],
    "crs": "EPSG:32654",
    "resolution_m": 20,
    "chunk_px": 512,
    "relative_orbit": 46,
    "terrain_method": "zevenbergen_thorne",
    "signer": "none",
}


def test_both_configs_read_the_source_keys_alike() -> None:
    build = BuildConfig.from_options(event_start="2018-09-05", event_end="2018-09-06", **SOURCES)
    respond = RespondConfig.from_options(
        aoi="141.8,42.6,142.1,42.8", event_start="2018-09-05", model="model.ckpt", **SOURCES
    )
    for name in CubeSourceOptions.source_fields:
        assert getattr(build, name) == getattr(respond, name), name
    assert build.rtc == ["products/*.h5"] and build.insar == "gamma/"
    assert set(CubeSourceOptions.source_fields) <= set(BuildConfig.model_fields)
    # respond hands them to the build it runs, unchanged
    start, end = pd.Timestamp("2018-08-01"), pd.Timestamp("2018-10-01")
    cube_cfg = respond.to_build_config(start=start, end=end, orbit_state=None)
    for name in CubeSourceOptions.source_fields:
        assert getattr(cube_cfg, name) == getattr(respond, name), name


def test_rtc_none_builds_a_cube_without_backscatter_but_cannot_be_mapped() -> None:
    build = BuildConfig.from_options(
        event_start="2018-09-05", event_end="2018-09-06", rtc="none", insar="gamma/"
    )
    assert build.rtc == []
    with pytest.raises(ConfigError, match="respond maps from backscatter"):
        RespondConfig.from_options(
            aoi="141.8,42.6,142.1,42.8", event_start="2018-09-05", model="m.ckpt", rtc="none"
        )
