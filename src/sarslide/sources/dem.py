"""The DEM (Copernicus GLO-30 by default) on the cube grid, with terrain derivatives."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import xarray as xr

from sarslide import conventions as cv
from sarslide.errors import DataSelectionError
from sarslide.sources.signing import ResigningRioDriver, UrlSigner, sign_nothing
from sarslide.terrain import add_terrain_variables

if TYPE_CHECKING:
    import pystac
    from odc.geo.geobox import GeoBox

logger = logging.getLogger(__name__)

DEM_ASSET = "data"


def load_dem(
    items: list[pystac.Item],
    geobox: GeoBox,
    *,
    asset: str = DEM_ASSET,
    signer: UrlSigner = sign_nothing,
    chunk_px: int = 1024,
    terrain_method: str = "horn",
) -> xr.Dataset:
    """Mosaic DEM tiles onto ``geobox`` (bilinear), lazily, and add slope/aspect/curvature.

    The DEM is resampled onto the projected cube grid *before* the derivatives are
    computed, so slope is never computed on a lat/lon grid.

    Raises:
        DataSelectionError: no item carries ``asset``.
    """
    # [sources] extra: imported where a live source is read.
    import odc.stac

    usable = [item for item in items if asset in item.assets]
    if not usable:
        raise DataSelectionError(
            f"None of the {len(items)} DEM items has an asset {asset!r} (assets: "
            f"{sorted(items[0].assets) if items else []}); pick one with --set dem_asset=NAME."
        )
    loaded = odc.stac.load(
        usable,
        bands=[asset],
        geobox=geobox,
        groupby=lambda item, parsed, idx: 0,  # one mosaic of all tiles
        chunks={"y": chunk_px, "x": chunk_px},
        resampling="bilinear",
        dtype="float32",
        driver=ResigningRioDriver(signer, grid=geobox),
    )
    dem = loaded[asset].isel(time=0, drop=True)
    nodata = (usable[0].assets[asset].extra_fields.get("raster:bands") or [{}])[0].get("nodata")
    if nodata is not None:
        dem = dem.where(dem != nodata)
    spec = cv.VARIABLES[cv.VAR_DEM]
    ds = xr.Dataset({cv.VAR_DEM: dem.assign_attrs(units=spec.units, long_name=spec.long_name)})
    logger.info("DEM from %d tiles", len(usable))
    return add_terrain_variables(ds, method=terrain_method)  # type: ignore[arg-type]
