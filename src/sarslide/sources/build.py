"""Build a datacube for a new event from live sources (Appendix A of Boehm et al. 2022).

The cube is initialised from the Sentinel-1 RTC stack (its grid is the template),
then the DEM and terrain, the labels and the InSAR pairs are added on that grid.
Everything stays lazy (dask) until ``write_cube`` streams it chunk by chunk into an
atomic Zarr store; a JSON build log of the items used and skipped lands beside it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr
from rasterio.errors import RasterioIOError

from sarslide import conventions as cv
from sarslide.atomic import write_text_atomic
from sarslide.crs_text import format_crs
from sarslide.datacube import write_cube
from sarslide.errors import ConfigError, DataSelectionError, DownloadError
from sarslide.ownership import claim_output
from sarslide.parallel import use_scheduler
from sarslide.sources import build_inputs as bi
from sarslide.sources.aoi import make_geobox
from sarslide.sources.build_inputs import check_dem_coverage, dem_items
from sarslide.sources.config import BuildConfig
from sarslide.sources.dem import load_dem
from sarslide.sources.hyp3_jobs import order_consecutive_pairs
from sarslide.sources.insar_pairs import (
    describe_products,
    find_insar_products,
    load_insar_pairs,
)
from sarslide.sources.labels import empty_grid_dataset, rasterize_labels
from sarslide.sources.rtc import (
    describe_groups,
    describe_left_out,
    group_acquisitions,
    load_rtc,
)
from sarslide.sources.signing import UrlSigner, make_signer

logger = logging.getLogger(__name__)
BUILD_COMMAND = "cube build"  # named in the store's manifest


@dataclass(frozen=True)
class BuildResult:
    """What ``build_cube`` wrote and what it left out."""

    store: Path
    log_path: Path
    timesteps: int
    pairs: int
    skipped_items: dict[str, str] = field(default_factory=dict)
    skipped_pairs: list[dict[str, str]] = field(default_factory=list)


def build_cube(
    cfg: BuildConfig,
    output: str | os.PathLike[str] | None = None,
    *,
    overwrite: bool = False,
    progress: bool = True,
    signer: UrlSigner | None = None,
    hyp3_client: Any = None,
    rtc_items: list[Any] | None = None,
) -> BuildResult:
    """Search, load, align and write a datacube; return where it went and what was skipped.

    Args:
        cfg: the build configuration.
        output: the Zarr store to write (``*.zarr``); default ``cfg.output``.
        overwrite: replace an existing store.
        progress: show progress bars.
        signer: overrides ``cfg.signer`` (tests inject an expiring-token signer).
        hyp3_client: a ``hyp3_sdk.HyP3``-like object for ``insar: hyp3`` (default: a
            real client from your Earthdata credentials).
        rtc_items: the RTC STAC items to build from, already found over ``cfg.aoi`` in
            [``cfg.start``, ``cfg.end``] (``respond`` hands over its search's): the
            catalogue is not searched and the ``--rtc`` products are not read again;
            the orbit filters still apply. Default: search or read them here.

    Raises:
        ValueError: neither ``output`` nor ``cfg.output`` names the store.
        OutputExistsError: ``output`` exists (without ``overwrite``, or not a cube
            build's), or is or holds an input; before anything is searched or read.
        OutputBusyError: another process builds into ``output``; likewise at once.
    """
    store = output if output is not None else cfg.output
    if store is None:
        raise ValueError(
            "error: build_cube has no output store; set BuildConfig.output (or pass output=)"
        )
    target = Path(store).expanduser()
    # the lock and the existing-output check come before any input is fetched or read:
    # a second build into the same store fails at once, not after its downloads
    with claim_output(target, BUILD_COMMAND, inputs=_local_inputs(cfg), overwrite=overwrite):
        return _build_into(cfg, target, overwrite, progress, signer, hyp3_client, rtc_items)


def _build_into(
    cfg: BuildConfig,
    target: Path,
    overwrite: bool,
    progress: bool,
    signer: UrlSigner | None,
    hyp3_client: Any,
    rtc_items: list[Any] | None,
) -> BuildResult:
    began = time.perf_counter()
    url_signer = signer or make_signer(cfg.signer)
    inputs = bi.BuildInputs(cfg, url_signer, rtc_items)
    aoi, rtc_items, skipped = inputs.aoi_and_rtc_items()
    geobox = make_geobox(aoi, resolution_m=cfg.resolution_m)
    logger.info(
        "grid: %s x %s px at %g m in %s",
        geobox.shape.y,
        geobox.shape.x,
        cfg.resolution_m,
        format_crs(aoi.crs),
    )
    log: dict[str, Any] = {
        "config": json.loads(cfg.model_dump_json(exclude={"output"})),  # as before the field
        "output": str(target),
        "grid": {
            "crs": aoi.crs.to_string(),
            "shape_px": list(geobox.shape),
            "transform": list(geobox.transform)[:6],
        },
    }
    ds = _assemble(cfg, inputs, aoi, geobox, rtc_items, skipped, log, hyp3_client, target)
    with use_scheduler(cfg.scheduler), _source_read_errors(cfg.stac_url):
        write_cube(
            ds,
            target,
            chunks={cv.DIM_Y: cfg.chunk_px, cv.DIM_X: cfg.chunk_px},
            overwrite=overwrite,
            progress=progress,
            command=BUILD_COMMAND,
        )
    log["elapsed_s"] = round(time.perf_counter() - began, 2)
    log_path = write_build_log(log, target)
    return BuildResult(
        store=target,
        log_path=log_path,
        timesteps=int(ds.sizes.get(cv.DIM_TIMESTEP, 0)),
        pairs=int(ds.sizes.get(cv.DIM_TIMEPAIR, 0)),
        skipped_items=skipped,
        skipped_pairs=log.get("insar", {}).get("skipped", []),
    )


def check_both_sides(times: pd.DatetimeIndex, cfg: BuildConfig) -> None:
    """Refuse acquisitions that all lie on one side of the event window: the cube would
    have nothing to compare before with after (the dates found and the fix named).

    Raises:
        DataSelectionError: two or more acquisitions, none before ``event_start`` or none
            after ``event_end`` (a single acquisition is a warning).
    """
    if not len(times):
        return
    start, end = pd.Timestamp(cfg.event_start), pd.Timestamp(cfg.event_end)
    before, after = int((times < start).sum()), int((times > end).sum())
    if before and after:
        return
    side = "after" if before else "before"
    if len(times) == 1:  # one pass (a mosaic to look at): said, not refused
        logger.warning(
            "the cube holds one acquisition (%s), none %s the event window: it can show no change",
            f"{times[0]:%Y-%m-%d %H:%M}",
            side,
        )
        return
    period = f" --start {cfg.start} --end {cfg.end} and" if cfg.start or cfg.end else ""
    raise DataSelectionError(
        f"The {len(times)} acquisitions found ({times.min():%Y-%m-%d} .. "
        f"{times.max():%Y-%m-%d}) hold none {side} the event window "
        f"({start:%Y-%m-%d %H:%M} .. {end:%Y-%m-%d %H:%M}): the cube would show nothing "
        f"{side} the event. Check the event dates against{period} the products' dates, "
        f"and give acquisitions on both sides."
    )


def _assemble(
    cfg: BuildConfig,
    inputs: bi.BuildInputs,
    aoi: Any,
    geobox: Any,
    items: list[Any],
    skipped: dict[str, str],
    log: dict[str, Any],
    hyp3_client: Any,
    target: Path,
) -> xr.Dataset:
    local = cfg.rtc is not None
    if items:
        bands = bi.local_bands(items) if local else (cv.VAR_VV, cv.VAR_VH)
        groups = group_acquisitions(items, bands=bands)
        skipped.update(groups.skipped)
        if skipped:
            logger.warning(
                "left out %d RTC product(s): %s", len(skipped), describe_left_out(skipped)
            )
        log["rtc"] = {"timesteps": describe_groups(groups), "skipped": skipped}
        check_both_sides(groups.times, cfg)
        ds = load_rtc(groups, geobox, signer=inputs.signer, chunk_px=cfg.chunk_px, bands=bands)
    else:
        log["rtc"] = {"timesteps": [], "skipped": skipped}
        ds = empty_grid_dataset(geobox)
    layers, dem_source = _load_dem_layers(cfg, inputs, aoi, geobox, log)
    if cfg.labels is not None:
        layers.append(rasterize_labels(cfg.labels, geobox, chunk_px=cfg.chunk_px).to_dataset())
        log["labels"] = {"file": str(cfg.labels)}
    insar = _load_insar(cfg, ds, geobox, log, hyp3_client, target, aoi)
    if insar is not None:
        layers.append(insar)
    for layer in layers:
        ds = ds.merge(
            layer.assign_coords({cv.DIM_Y: ds[cv.DIM_Y], cv.DIM_X: ds[cv.DIM_X]}),
            compat="override",
            join="exact",
        )
    rtc_source = (
        f"{len(items)} local RTC product(s)" if local else f"{cfg.collection} from {cfg.stac_url}"
    )
    ds.attrs.update(
        {
            cv.ATTR_EVENT_START: cfg.event_start.isoformat(),
            cv.ATTR_EVENT_END: cfg.event_end.isoformat(),
            cv.ATTR_SOURCE: f"sarslide cube build: {rtc_source}; DEM {dem_source}",
        }
    )
    if cfg.event_name:
        ds.attrs[cv.ATTR_EVENT_NAME] = cfg.event_name
    return ds


def _load_dem_layers(
    cfg: BuildConfig, inputs: bi.BuildInputs, aoi: Any, geobox: Any, log: dict[str, Any]
) -> tuple[list[xr.Dataset], str]:
    """The DEM and terrain layers (none with ``--dem none``) and where they came from."""
    if cfg.dem == []:
        log["dem"] = {"items": [], "source": "none"}
        logger.info("no DEM (--dem none): the cube has no dem/terrain layers")
        return [], "none (--dem none)"
    dem_source = "--dem " + " ".join(cfg.dem) if cfg.dem else repr(cfg.dem_collection)
    try:
        dem_tiles = dem_items(cfg, inputs.catalog, aoi)
    except (ConfigError, DataSelectionError) as err:
        if cfg.dem:
            raise
        raise DownloadError(
            f"Cannot fetch the DEM from --dem-collection {cfg.dem_collection!r} at "
            f"{cfg.stac_url} ({err}). Give a local DEM with --dem FILE, another "
            "--dem-collection (or --stac-url), or build without DEM layers with --dem none."
        ) from err
    coverage = check_dem_coverage(
        dem_tiles, geobox, minimum=cfg.min_dem_coverage, source=dem_source
    )
    log["dem"] = {"items": [i.id for i in dem_tiles], "coverage": round(coverage, 4)}
    layer = load_dem(
        dem_tiles,
        geobox,
        asset=cfg.dem_asset,
        signer=inputs.signer,
        chunk_px=cfg.chunk_px,
        terrain_method=cfg.terrain_method,
    )
    return [layer], dem_source


def _load_insar(
    cfg: BuildConfig,
    rtc: xr.Dataset,
    geobox: Any,
    log: dict[str, Any],
    hyp3_client: Any,
    target: Path,
    aoi: Any,
) -> xr.Dataset | None:
    sources: str | list[str] = cfg.insar
    if sources == "none":
        return None
    if sources == "hyp3":
        folder = cfg.hyp3.download_dir or target.parent / f"{target.stem}_hyp3"
        order_consecutive_pairs(rtc, aoi, folder, options=cfg.hyp3, client=hyp3_client, log=log)
        sources = str(folder)
    products, skipped = find_insar_products(sources)
    if not products and cfg.insar != "hyp3":  # an explicit input that yields nothing
        found = "; ".join(f"{s.name}: {s.reason}" for s in skipped[:3]) or "no files it reads"
        raise DataSelectionError(
            f"--insar {cfg.insar} holds no InSAR product sarslide reads ({found}). Give "
            "HyP3 InSAR zips or folders, ISCE2 or GAMMA/PyRate products, or leave --insar "
            "out (insar: none) for a cube without coherence."
        )
    first = pd.Timestamp(cfg.start) if cfg.start else pd.Timestamp.min
    last = pd.Timestamp(cfg.end) + pd.Timedelta(days=1) if cfg.end else pd.Timestamp.max
    products = [p for p in products if first <= p.start and p.end <= last]
    insar, unreadable = load_insar_pairs(products, geobox, chunk_px=cfg.chunk_px)
    skipped_all = [
        *log.get("insar", {}).get("skipped", []),
        *(s.to_dict() for s in skipped + unreadable),
    ]
    used = [p for p in products if p.name not in {s.name for s in unreadable}]
    log["insar"] = {"source": cfg.insar, "pairs": describe_products(used), "skipped": skipped_all}
    if insar is None:
        logger.warning(
            "no usable InSAR pair in %s: the cube has no coherence/interferogram", sources
        )
    return insar


@contextlib.contextmanager
def _source_read_errors(stac_url: str) -> Iterator[None]:
    """Turn a failed asset read during the write into a DownloadError (no store is left)."""
    try:
        yield
    except RasterioIOError as err:
        raise DownloadError(
            f"Reading a source raster failed while writing the cube ({err}); no store was "
            f"written. HTTP 403 means an expired or refused signature (check --signer for "
            f"{stac_url}); otherwise retry, the source may be temporarily unavailable."
        ) from err


def _local_inputs(cfg: BuildConfig) -> list[str | Path | None]:
    """The local files and folders a build reads (globs left out): never its output."""
    insar = [cfg.insar] if isinstance(cfg.insar, str) else list(cfg.insar)
    named: list[str | Path | None] = [cfg.labels, *(cfg.rtc or []), *(cfg.dem or [])]
    named += [p for p in insar if p not in ("hyp3", "none")]
    return [p for p in named if not any(c in str(p) for c in "*?[")]


def write_build_log(log: dict[str, Any], store: Path) -> Path:
    """Write ``<store stem>.build.json`` beside the store, atomically."""
    return write_text_atomic(
        store.with_name(f"{store.stem}.build.json"), json.dumps(log, indent=2, default=str)
    )
