"""A local STAC API and file server with tiny COGs, HyP3-like zips and labels.

Everything is generated at test time with a fixed seed and served on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.io import MemoryFile
from rasterio.transform import from_origin

from sarslide.sources.config import BuildConfig
from tests.sources.servers import LocalHttpServer, RequestView

UTM = "EPSG:32654"
# AOI near UTM 54N's central meridian; about 85 x 90 px at 10 m
AOI_BBOX = "141.000,42.450,141.010,42.458"
RTC_ORIGIN = (499_500.0, 4_701_000.0)  # upper-left corner of the RTC rasters
RTC_SIZE_PX = 160
RTC_NODATA = -32768.0


def make_geotiff(
    array: np.ndarray, *, crs: str, transform: Any, nodata: float | None = None
) -> bytes:
    """A tiled GeoTIFF (COG layout is not needed for Range reads) as bytes."""
    count = 1 if array.ndim == 2 else array.shape[0]
    data = array[None] if array.ndim == 2 else array
    profile = {
        "driver": "GTiff",
        "height": data.shape[1],
        "width": data.shape[2],
        "count": count,
        "dtype": str(data.dtype),
        "crs": crs,
        "transform": transform,
        "tiled": True,
        "blockxsize": 64,
        "blockysize": 64,
        "nodata": nodata,
    }
    with MemoryFile() as memfile:
        with memfile.open(**profile) as dst:
            dst.write(data)
        return bytes(memfile.read())


@dataclass
class TokenClock:
    """Simulated signing service: tokens expire when the clock is rotated."""

    current: str = "token-1"
    valid: set[str] = field(default_factory=lambda: {"token-1"})
    issued: int = 0
    uses_per_token: int | None = None  # rotate automatically after this many signings

    def get_token(self) -> str:
        self.issued += 1
        if self.uses_per_token and self.issued % self.uses_per_token == 0:
            self.rotate(grace=True)
        return self.current

    def rotate(self, *, grace: bool = False) -> None:
        """Issue a new token; the previous one stays valid only with ``grace``."""
        number = int(self.current.split("-")[1]) + 1
        previous = self.current
        self.current = f"token-{number}"
        self.valid = {self.current, previous} if grace else {self.current}


def _item(
    item_id: str,
    collection: str,
    when: str,
    assets: dict[str, Any],
    bbox: list[float],
    props: dict[str, Any] | None = None,
) -> dict[str, Any]:
    lon0, lat0, lon1, lat1 = bbox
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": item_id,
        "collection": collection,
        "stac_extensions": [],
        "bbox": bbox,
        "links": [],
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]],
        },
        "properties": {"datetime": when, **(props or {})},
        "assets": assets,
    }


class LocalStacApi:
    """A STAC API (landing page, /search, /collections/<id>) plus files, on one server."""

    def __init__(self, server: LocalHttpServer, clock: TokenClock | None = None) -> None:
        self.server = server
        self.items: dict[str, list[dict[str, Any]]] = {}
        self.clock = clock
        if clock is not None:
            server.token_check = lambda path, query: query.get("token", [""])[0] in clock.valid
        url = server.url
        server.add_json(
            "/",
            {
                "type": "Catalog",
                "id": "local",
                "description": "test STAC API",
                "stac_version": "1.0.0",
                "conformsTo": [
                    "https://api.stacspec.org/v1.0.0/core",
                    "https://api.stacspec.org/v1.0.0/item-search",
                ],
                "links": [
                    {"rel": "self", "href": url + "/"},
                    {"rel": "root", "href": url + "/"},
                    {
                        "rel": "search",
                        "href": url + "/search",
                        "method": "POST",
                        "type": "application/geo+json",
                    },
                ],
            },
        )
        server.routes["/search"] = self._search

    def add_collection(self, collection: str) -> None:
        self.items.setdefault(collection, [])
        self.server.add_json(
            f"/collections/{collection}",
            {
                "type": "Collection",
                "id": collection,
                "stac_version": "1.0.0",
                "description": "",
                "license": "proprietary",
                "links": [],
                "extent": {
                    "spatial": {"bbox": [[-180, -90, 180, 90]]},
                    "temporal": {"interval": [[None, None]]},
                },
            },
        )

    def add_file(self, name: str, payload: bytes) -> str:
        self.server.files[f"/files/{name}"] = payload
        return f"{self.server.url}/files/{name}"

    def _search(self, req: RequestView) -> tuple[int, dict[str, str], bytes]:
        import json

        body = (
            req.json()
            if req.method == "POST"
            else {
                "collections": req.query.get("collections", [""])[0].split(","),
                "datetime": req.query.get("datetime", [None])[0],
            }
        )
        found = []
        for collection in body.get("collections") or list(self.items):
            for item in self.items.get(collection, []):
                if _in_window(item["properties"]["datetime"], body.get("datetime")):
                    found.append(item)
        payload = {"type": "FeatureCollection", "features": found, "links": []}
        return 200, {"Content-Type": "application/geo+json"}, json.dumps(payload).encode()


def _in_window(when: str, window: str | None) -> bool:
    if not window:
        return True
    start, _, end = window.partition("/")
    stamp = pd.Timestamp(when)
    return (start in ("", "..") or stamp >= pd.Timestamp(start)) and (
        end in ("", "..") or stamp <= pd.Timestamp(end)
    )


RTC_PASSES = [  # datetime, orbit state, relative orbit, frames ("full" or "north"/"south")
    ("2018-08-12T20:40:31Z", "descending", 46, ["full"]),
    ("2018-08-24T20:40:32Z", "descending", 46, ["north", "south"]),
    ("2018-09-05T20:40:33Z", "descending", 46, ["full"]),
    ("2018-09-17T20:40:33Z", "descending", 46, ["full"]),
]


def populate_sentinel1(
    api: LocalStacApi,
    *,
    seed: int = 0,
    size_px: int = RTC_SIZE_PX,
    collection: str = "sentinel-1-rtc",
) -> None:
    """RTC items: 4 passes (one in two frames 20 s apart), plus one exact duplicate."""
    rng = np.random.default_rng(seed)
    api.add_collection(collection)
    transform = from_origin(*RTC_ORIGIN, 10.0, 10.0)
    half = size_px // 2
    for n, (when, orbit, rel, frames) in enumerate(RTC_PASSES):
        for k, frame in enumerate(frames):
            assets = {}
            for band, scale in (("vv", 0.05), ("vh", 0.0125)):
                values = rng.gamma(4.0, scale, (size_px, size_px)).astype("float32")
                values[:, :3] = RTC_NODATA  # a nodata strip at the west edge
                if frame == "north":
                    values[half:] = RTC_NODATA
                if frame == "south":
                    values[:half] = RTC_NODATA
                href = api.add_file(
                    f"rtc_{n}_{k}_{band}.tif",
                    make_geotiff(values, crs=UTM, transform=transform, nodata=RTC_NODATA),
                )
                assets[band] = {
                    "href": href,
                    "type": "image/tiff; application=geotiff",
                    "raster:bands": [{"nodata": RTC_NODATA, "data_type": "float32"}],
                }
            stamp = (pd.Timestamp(when) + pd.Timedelta(seconds=20 * k)).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
            props = {"sat:orbit_state": orbit, "sat:relative_orbit": rel, "platform": "sentinel-1a"}
            api.items[collection].append(
                _item(
                    f"S1A_{n}_{k}_rtc",
                    collection,
                    stamp,
                    assets,
                    [140.99, 42.43, 141.02, 42.47],
                    props,
                )
            )
    duplicate = dict(api.items[collection][0], id="S1A_0_0_rtc_reprocessed")
    api.items[collection].append(duplicate)


ARCSEC_DEG = 1.0 / 3600.0  # GLO-30's pixel


def add_dem_tile(
    api: LocalStacApi,
    collection: str,
    item_id: str,
    file_name: str,
    values: np.ndarray,
    *,
    upper_left: tuple[float, float],
    bbox: list[float],
    nodata: float | None = None,
    nodata_in_item: bool = False,
) -> None:
    """``values`` as a 1-arcsec EPSG:4326 tile (upper-left corner lon/lat) served as the
    ``data`` asset of one item; ``nodata_in_item`` also states the nodata in raster:bands."""
    href = api.add_file(
        file_name,
        make_geotiff(
            values.astype("float32"),
            crs="EPSG:4326",
            transform=from_origin(*upper_left, ARCSEC_DEG, ARCSEC_DEG),
            nodata=nodata,
        ),
    )
    asset: dict[str, Any] = {"href": href, "type": "image/tiff; application=geotiff"}
    if nodata_in_item:
        asset["raster:bands"] = [{"nodata": nodata}]
    api.items[collection].append(
        _item(item_id, collection, "2021-04-22T00:00:00Z", {"data": asset}, bbox)
    )


def populate_dem(api: LocalStacApi, *, collection: str = "cop-dem-glo-30") -> np.ndarray:
    """One GLO-30-like tile in EPSG:4326, 1 arcsec, a plane rising 0.02 m per m to the north."""
    api.add_collection(collection)
    lon0, lat1 = 140.98, 42.48
    height, width = int(0.06 / ARCSEC_DEG), int(0.05 / ARCSEC_DEG)
    lat = lat1 - ARCSEC_DEG * (np.arange(height) + 0.5)
    values = (1000.0 + 0.02 * 111_000.0 * (lat - 42.40))[:, None] * np.ones((1, width))
    add_dem_tile(
        api,
        collection,
        "Copernicus_DSM_COG_10_N42_00_E140_00_DEM",
        "dem.tif",
        values,
        upper_left=(lon0, lat1),
        bbox=[140.98, 42.42, 141.03, 42.48],
        nodata=-32767.0,
        nodata_in_item=True,
    )
    return values


def make_hyp3_zip(
    folder: Path, start: str, end: str, *, seed: int = 0, corrupt: bool = False
) -> Path:
    """A HyP3 INSAR_GAMMA-like zip: <name>/<name>_corr.tif and _wrapped_phase.tif (UTM, 40 m)."""
    rng = np.random.default_rng(seed)
    name = f"S1AA_{start}_{end}_VVP012_INT40_G_ueF_{seed:04X}"
    transform = from_origin(499_000.0, 4_701_500.0, 40.0, 40.0)
    corr = rng.uniform(0.1, 0.9, (60, 60)).astype("float32")
    phase = rng.uniform(-np.pi, np.pi, (60, 60)).astype("float32")
    path = folder / f"{name}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            f"{name}/{name}_corr.tif",
            b"not a tiff"
            if corrupt
            else make_geotiff(corr, crs=UTM, transform=transform, nodata=0.0),
        )
        archive.writestr(
            f"{name}/{name}_wrapped_phase.tif",
            make_geotiff(phase, crs=UTM, transform=transform, nodata=0.0),
        )
        archive.writestr(f"{name}/{name}.README.md.txt", "HyP3 test product")
    return path


def read_geotiff_bytes(payload: bytes) -> np.ndarray:
    with rasterio.open(io.BytesIO(payload)) as src:
        return src.read(1)


@contextlib.contextmanager
def serve_stac(
    *populate: Callable[[LocalStacApi], Any], clock: TokenClock | None = None
) -> Iterator[LocalStacApi]:
    """A STAC API on 127.0.0.1 filled by each ``populate`` function in turn."""
    with LocalHttpServer() as server:
        api = LocalStacApi(server, clock)
        for fill in populate:
            fill(api)
        yield api


def make_build_config(api: LocalStacApi, **overrides: Any) -> BuildConfig:
    """A build of the simulated Hokkaido AOI from ``api`` (August-September 2018)."""
    return BuildConfig.from_options(
        **{
            "aoi": AOI_BBOX,
            "start": "2018-08-01",
            "end": "2018-09-30",
            "event_start": "2018-08-30",
            "event_end": "2018-08-31",
            "stac_url": api.server.url + "/",
            "signer": "none",
            "chunk_px": 48,
            **overrides,
        }
    )


# odc-geo 0.5 multiplies Affine objects with '*', which affine>=3 flags as pending
# deprecation, and reprojects geometries with shapely.ops.transform: nothing of ours.
THIRD_PARTY_WARNINGS = (
    "ignore:Use `@` matmul instead of `\\*` mul operator:PendingDeprecationWarning",
    "ignore:The 'shapely.ops.transform\\(\\)' function is deprecated:DeprecationWarning",
)


def filter_third_party_warnings(items: list[pytest.Item], folder: Path) -> None:
    """Ignore odc-geo's warnings in the tests under ``folder`` (a conftest's own)."""
    for item in items:
        if folder in Path(str(item.fspath)).parents:
            for spec in THIRD_PARTY_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))
