from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sarslide.errors import ConfigError, CrsError
from sarslide.sources.aoi import make_geobox, parse_aoi, utm_crs_for


def test_bbox_string_gives_utm_zone_and_snapped_grid() -> None:
    aoi = parse_aoi("141.90,42.70,141.92,42.71")
    assert aoi.crs.to_epsg() == 32654  # Hokkaido: UTM 54N
    geobox = make_geobox(aoi, resolution_m=10)
    assert geobox.crs.epsg == 32654
    assert geobox.resolution.x == 10 and geobox.resolution.y == -10
    assert geobox.transform.c % 10 == 0 and geobox.transform.f % 10 == 0
    # 0.02 deg of longitude at 42.7 N is about 1.64 km
    assert 150 <= geobox.shape.x <= 175


def test_southern_hemisphere_gets_south_utm() -> None:
    aoi = parse_aoi("173.6,-42.5,173.7,-42.4")  # Kaikoura
    assert aoi.crs.to_epsg() == 32759


def test_geojson_file_in_another_crs(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    frame = gpd.GeoDataFrame(
        geometry=[box(500_000, 4_700_000, 501_000, 4_701_000)], crs="EPSG:32654"
    )
    path = tmp_path / "aoi.gpkg"
    frame.to_file(path)
    aoi = parse_aoi(path)
    assert aoi.crs.to_epsg() == 32654
    lon0, lat0, lon1, lat1 = aoi.bbox_lonlat
    assert 140 < lon0 < lon1 < 142 and 42 < lat0 < lat1 < 43


@pytest.mark.parametrize("bad", ["1,2,3", "10,50,5,55", "a,b,c,d", "0,95,1,96"])
def test_bad_aoi_strings_say_what_to_give(bad: str) -> None:
    with pytest.raises(ConfigError, match="min_lon"):
        parse_aoi(bad)


def test_geographic_target_crs_refused() -> None:
    with pytest.raises(CrsError, match="projected"):
        parse_aoi("141.9,42.7,142.0,42.8", crs="EPSG:4326")


def test_vector_without_crs_refused(tmp_path: Path) -> None:
    path = tmp_path / "nocrs.geojson"
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Point", "coordinates": [1.0, 2.0]},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    import geopandas as gpd

    if gpd.read_file(path).crs is not None:  # GeoJSON implies EPSG:4326 in GDAL
        aoi = parse_aoi(path)
        assert utm_crs_for(aoi.geometry_lonlat).to_epsg() == 32631


def test_a_bbox_across_the_antimeridian_says_so_and_how_to_split_it() -> None:
    with pytest.raises(ConfigError, match=r"crosses the antimeridian \(min_lon 179\.9 > max_lon"):
        parse_aoi("179.9,-17,-179.9,-16.8")
    with pytest.raises(
        ConfigError, match=re.escape("'179.9,-17,180,-16.8' and '-180,-17,-179.9,-16.8'")
    ):
        parse_aoi("179.9,-17,-179.9,-16.8")
