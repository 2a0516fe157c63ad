"""Write the two synthetic inputs of the local-products tests (run once; outputs are committed).

- ``enga_dem_3arcsec.tif``: a smooth made-up terrain (EPSG:4326, 3 arcsec, float32,
  nodata -32767) over the vendored OPERA crop at Enga, Papua New Guinea. No real DEM
  of that place is in the shared data; the build only needs one that covers the AOI.
- ``enga_labels.geojson``: two made-up polygons (EPSG:4326) inside the crop, standing
  in for an inventory (the real scenes precede the 2024-05-24 landslide).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

HERE = Path(__file__).parent
STEP = 1.0 / 1200.0
LON0, LAT1, WIDTH, HEIGHT = 143.32, -5.33, 120, 96


def main() -> None:
    lat = LAT1 - STEP * (np.arange(HEIGHT) + 0.5)
    lon = LON0 + STEP * (np.arange(WIDTH) + 0.5)
    y, x = np.meshgrid((lat - lat.mean()) * 111e3, (lon - lon.mean()) * 111e3, indexing="ij")
    z = 2200 + 300 * np.sin(x / 1500.0) * np.cos(y / 1100.0) + 0.05 * y
    with rasterio.open(
        HERE / "enga_dem_3arcsec.tif",
        "w",
        driver="GTiff",
        height=HEIGHT,
        width=WIDTH,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(LON0, LAT1, STEP, STEP),
        nodata=-32767.0,
        compress="deflate",
    ) as dst:
        dst.write(np.round(z, 1).astype("float32"), 1)
    polygons = [
        [[143.355, -5.372], [143.362, -5.371], [143.363, -5.378], [143.356, -5.379]],
        [[143.372, -5.360], [143.377, -5.360], [143.377, -5.365], [143.372, -5.365]],
    ]
    features = [
        {
            "type": "Feature",
            "properties": {"id": n},
            "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
        }
        for n, ring in enumerate(polygons)
    ]
    collection = {"type": "FeatureCollection", "features": features}
    (HERE / "enga_labels.geojson").write_text(json.dumps(collection, indent=1))


if __name__ == "__main__":
    main()
