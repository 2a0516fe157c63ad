"""Local STAC APIs for respond: real OPERA RTC over Enga, and the simulated Hokkaido passes.

The Enga API serves five real RTC acquisitions (12-day repeat of relative orbit 9, one
real gap on 2024-05-10) and a simulated DEM; the Hokkaido API is the build tests'
simulated catalogue. Both run on 127.0.0.1; nothing leaves the machine.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from pyproj import Transformer

from sarslide.response.config import RespondConfig
from tests.inference.conftest import write_fake_checkpoint
from tests.sources.stac_fixtures import (
    ARCSEC_DEG,
    LocalStacApi,
    _item,
    add_dem_tile,
    filter_third_party_warnings,
    populate_dem,
    populate_sentinel1,
    serve_stac,
)


def in_folder(cfg: RespondConfig, folder: Path) -> RespondConfig:
    """``cfg`` answering into ``folder`` (``output_dir``, as ``-o`` sets it)."""
    return cfg.model_copy(update={"output_dir": str(folder)})


ENGA_DIR = Path(__file__).parents[1] / "data" / "s1-rtc-opera-enga" / "T009_019294_IW2_cropped_tv"
ENGA_AOI = "143.350,-5.380,143.365,-5.365"  # ~1.7 x 1.7 km inside the real crop
ENGA_TIME = re.compile(r"_T009-019294-IW2_(\d{8}T\d{6})Z_")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    filter_third_party_warnings(items, Path(__file__).parent)


def enga_acquisitions() -> dict[pd.Timestamp, dict[str, Path]]:
    """Acquisition time (UTC) -> {'vv': path, 'vh': path} of the vendored real files."""
    found: dict[pd.Timestamp, dict[str, Path]] = {}
    for path in sorted(ENGA_DIR.glob("*.tif")):
        match = ENGA_TIME.search(path.name)
        assert match, path.name
        band = "vv" if "_VV_" in path.name else "vh"
        found.setdefault(pd.Timestamp(match.group(1)), {})[band] = path
    return found


def populate_enga(api: LocalStacApi, collection: str = "sentinel-1-rtc") -> None:
    """One STAC item per real acquisition: ascending pass of relative orbit 9 (S1A)."""
    api.add_collection(collection)
    to_lonlat = Transformer.from_crs("EPSG:32754", "EPSG:4326", always_xy=True)
    for when, bands in enga_acquisitions().items():
        assets = {}
        for band, path in bands.items():
            assets[band] = {
                "href": api.add_file(path.name, path.read_bytes()),
                "type": "image/tiff; application=geotiff",
                "raster:bands": [{"data_type": "float32"}],
            }
        with rasterio.open(bands["vv"]) as src:
            bbox = list(to_lonlat.transform_bounds(*src.bounds))
        props = {"sat:orbit_state": "ascending", "sat:relative_orbit": 9, "platform": "sentinel-1a"}
        api.items[collection].append(
            _item(
                f"OPERA_T009-019294-IW2_{when:%Y%m%dT%H%M%S}",
                collection,
                f"{when:%Y-%m-%dT%H:%M:%SZ}",
                assets,
                bbox,
                props,
            )
        )


def populate_enga_dem(api: LocalStacApi, collection: str = "cop-dem-glo-30") -> None:
    """A simulated 1-arcsec DEM in EPSG:4326 over the Enga crop: smooth hills, 1.5-2.4 km."""
    api.add_collection(collection)
    lon0, lat1 = 143.33, -5.34
    height, width = int(0.06 / ARCSEC_DEG), int(0.07 / ARCSEC_DEG)
    lat = lat1 - ARCSEC_DEG * (np.arange(height)[:, None] + 0.5)
    lon = lon0 + ARCSEC_DEG * (np.arange(width)[None, :] + 0.5)
    values = 1900.0 + 300.0 * np.sin(lon * 180.0) * np.cos(lat * 150.0) + 2000.0 * (lat + 5.36)
    add_dem_tile(
        api,
        collection,
        "simulated_dem_enga",
        "enga_dem.tif",
        values,
        upper_left=(lon0, lat1),
        bbox=[143.33, -5.4, 143.4, -5.34],
        nodata=-32767.0,
    )


@pytest.fixture(scope="module")
def enga_stac():
    with serve_stac(populate_enga, populate_enga_dem) as api:
        yield api


@pytest.fixture(scope="module")
def hokkaido_stac():
    with serve_stac(populate_sentinel1, populate_dem) as api:
        yield api


@pytest.fixture(scope="module")
def model_k2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint in the format of 'sarslide train' (random weights): k=2, VV+VH."""
    import torch

    torch.set_num_threads(1)
    return write_fake_checkpoint(tmp_path_factory.mktemp("model") / "model.ckpt")
