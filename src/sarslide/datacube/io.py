"""Open and write datacubes as Zarr: lazily, from any fsspec URL, atomically on write."""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import dask
import fsspec
import xarray as xr

from sarslide import conventions as cv
from sarslide.atomic import replacing
from sarslide.datacube.chunk_manifest import (
    ATTR_ABSENT_CHUNKS,
    ATTR_CHUNK_MANIFEST,
    check_chunks_present,
    drop_chunk_manifest,
    write_chunk_manifest,
)
from sarslide.datacube.content import check_backscatter_values
from sarslide.datacube.dialect import drop_gdal_crs, to_published_dialect
from sarslide.datacube.integrity import network_error, remember_opened_store
from sarslide.datacube.orbit import normalise_orbit_coord
from sarslide.datacube.validate import validate_cube
from sarslide.errors import CubeNotFoundError, CubeValidationError
from sarslide.ownership import ATTR_OUTPUT, claim_output, manifest_record
from sarslide.parallel import compute_with_progress, joined_threads, zarr_io_drained

logger = logging.getLogger(__name__)

DEFAULT_CHUNKS: dict[str, int] = {
    cv.DIM_TIMESTEP: 1,
    cv.DIM_TIMEPAIR: 1,
    cv.DIM_Y: 1024,
    cv.DIM_X: 1024,
}


def check_url_protocol(url: str) -> None:
    """Refuse a URL whose fsspec protocol is unknown or needs a package not installed."""
    protocol = url.split("://", 1)[0]
    try:
        fsspec.get_filesystem_class(protocol)
    except ImportError as err:
        package = getattr(err, "name", None) or _FSSPEC_PACKAGES.get(protocol, protocol)
        raise CubeNotFoundError(
            f"Cannot open {url!r}: {protocol}:// URLs need the package {package!r}, which is "
            f"not installed. Install it (pip install {package}) or copy the store locally."
        ) from err
    except ValueError as err:
        raise CubeNotFoundError(
            f"Cannot open {url!r}: unknown protocol {protocol!r} ({err}). Use a local path "
            "or an fsspec URL such as s3://, gs://, https://."
        ) from err


# fsspec protocols and the package each needs (for the message when it is missing).
_FSSPEC_PACKAGES = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs"}


def open_cube(
    path_or_url: str | os.PathLike[str],
    *,
    storage_options: dict[str, Any] | None = None,
    chunks: dict[str, int] | str | None = None,
    validate: bool = True,
    task: str = "any",
    check_values: bool = True,
) -> xr.Dataset:
    """Open a datacube Zarr store lazily (dask arrays on the store's chunks).

    Reads Zarr v2 with consolidated metadata (the Zenodo cubes), Zarr v2 without it,
    and Zarr v3; local paths or any fsspec URL (``s3://``, ``https://``, ...).

    Args:
        path_or_url: the store.
        storage_options: passed to fsspec for remote stores.
        chunks: dask chunks; default: the store's own chunks.
        validate: run ``validate_cube`` (with ``task``) before returning.
        task: see ``validate_cube``.
        check_values: with ``validate``, refuse backscatter in dB, all zeros or all
            nodata (read from a few chunks; see ``check_backscatter_values``).

    Raises:
        CubeNotFoundError: the path does not exist or is not a Zarr store.
        CubeValidationError: the store is truncated or breaks the contract.
        CubeContentError: backscatter in dB, all zeros or all nodata.
    """
    source = os.fspath(path_or_url)
    is_url = "://" in source
    if not is_url:
        path = Path(source).expanduser()
        if not path.exists():
            raise CubeNotFoundError(
                f"No datacube at {source!r}: the path does not exist. Check the path, or "
                "make one with 'sarslide cube simulate -o cube.zarr' or 'sarslide data fetch'."
            )
        if path.is_file() and path.suffix == ".zip":
            raise CubeNotFoundError(
                f"{source!r} is a zip archive; extract it first (sarslide data fetch does) "
                "or open it as 'zip::' + path with fsspec."
            )
        source = str(path)
        remember_opened_store(path)
    else:
        check_url_protocol(source)
    consolidated = None if is_url else _has_consolidated_metadata(Path(source))
    try:
        ds = xr.open_zarr(
            source,
            consolidated=consolidated,
            chunks={} if chunks is None else chunks,  # type: ignore[arg-type]
            storage_options=storage_options,
        )
    except FileNotFoundError as err:
        if is_url:
            raise CubeNotFoundError(
                f"No Zarr store at {source!r}: the server has none of its metadata files "
                "('zarr.json', '.zgroup', '.zmetadata'). Check the URL."
            ) from err
        raise CubeNotFoundError(
            f"{source!r} is not a readable Zarr store ({err}). A Zarr store is a folder "
            "with '.zgroup'/'.zmetadata' (v2) or 'zarr.json' (v3); if it was copied or "
            "downloaded, it may be truncated: fetch it again."
        ) from err
    except Exception as err:
        refused = network_error(err, source)
        if refused is not None:
            raise refused from err
        if not isinstance(err, (KeyError, ValueError, OSError)):
            raise
        raise CubeValidationError(
            [
                f"the store could not be opened ({type(err).__name__}: {err}); it is likely "
                "truncated or not a datacube. Fetch or write it again."
            ],
            source=source,
        ) from err
    try:  # these read chunk listings and chunks: the server may refuse them too
        check_chunks_present(ds, source, storage_options=storage_options)
        ds = drop_chunk_manifest(ds)  # this store's record, not the data's (see its doc)
        if cv.COORD_SPATIAL_REF in ds.data_vars:
            # Zarr keeps no coordinate flag for a scalar; rioxarray needs it as a coordinate.
            ds = ds.set_coords(cv.COORD_SPATIAL_REF)
        ds = drop_gdal_crs(normalise_orbit_coord(_load_small_coords(ds)))
        if validate:
            validate_cube(ds, task=task, source=source)
            if check_values:
                check_backscatter_values(ds, source=source)
    except Exception as err:
        refused = network_error(err, source) if is_url else None
        if refused is not None:
            raise refused from err
        raise
    return ds


def _load_small_coords(ds: xr.Dataset) -> xr.Dataset:
    """Read the lazy 0-D and 1-D coordinates (orbit state per timestep, pair dates...) in
    one compute: they are tiny and read at every use otherwise."""
    names = [
        name
        for name, coord in ds.coords.items()
        if name not in ds.indexes and coord.ndim <= 1 and coord.chunks is not None
    ]
    if not names:
        return ds

    values = dask.compute(*(ds[name].data for name in names))  # type: ignore[no-untyped-call]
    return ds.assign_coords(
        {
            name: ds[name].variable.copy(data=value)
            for name, value in zip(names, values, strict=True)
        }
    )


def _has_consolidated_metadata(store: Path) -> bool:
    if (store / ".zmetadata").exists():
        return True
    root = store / "zarr.json"
    if root.exists():
        try:
            return json.loads(root.read_text()).get("consolidated_metadata") is not None
        except (OSError, ValueError):
            return False
    return False


def write_cube(
    ds: xr.Dataset,
    path: str | os.PathLike[str],
    *,
    chunks: dict[str, int] | None = None,
    overwrite: bool = False,
    zarr_format: Literal[2, 3] = 2,
    progress: bool = False,
    command: str = "write_cube",
    inputs: Iterable[str | os.PathLike[str] | None] = (),
) -> Path:
    """Validate ``ds`` and write it as a chunked, consolidated Zarr store, atomically.

    The store speaks the published cubes' dialect and CF-1.8 (``datacube.dialect``):
    orbit state 'a'/'d', a ``timepair`` dimension (length 0 without InSAR), a
    ``grid_mapping`` and GDAL's ``_CRS`` on every (y, x) variable, so that the paper's
    loader, GDAL and QGIS read it; ``ds`` itself is not modified.

    The store is written to a hidden temporary folder beside ``path`` and renamed into
    place only when complete, so an interrupted write never leaves a store that opens
    as valid (the writer threads are stopped before the temporary folder is removed).
    Dask-backed variables are computed chunk by chunk (on a dask.distributed cluster if
    a client is active). The store is marked as written by ``command``; a lock beside
    it makes a second writer of the same path refuse.

    Args:
        ds: the cube; validated with ``validate_cube(task="any")``.
        path: target folder (``*.zarr``).
        chunks: dask/zarr chunks per dimension; default ``DEFAULT_CHUNKS``.
        overwrite: replace an existing store written by the same ``command``;
            otherwise refuse.
        zarr_format: 2 (as the published cubes, readable everywhere) or 3.
        progress: show a progress bar while computing.
        command: the command writing the store (named in its manifest).
        inputs: paths the store must not replace or lie in.

    Returns:
        The path of the written store.
    """
    target = Path(path).expanduser()
    with claim_output(target, command, inputs=inputs, overwrite=overwrite):
        validate_cube(ds, task="any", source=str(target))
        to_write = _prepare_for_zarr(to_published_dialect(ds), chunks)
        with replacing(target) as tmp, zarr_io_drained():  # writes end before cleanup
            with warnings.catch_warnings(), joined_threads():
                # Zarr v3 has no stable spec for string arrays (the orbit-state
                # coordinate); zarr-python writes and reads them fine. v2 is unaffected.
                warnings.filterwarnings("ignore", message=".*does not have a Zarr V3 specification")
                delayed = to_write.to_zarr(
                    tmp,
                    mode="w",
                    consolidated=zarr_format == 2,  # not part of the v3 spec
                    zarr_format=zarr_format,
                    compute=False,
                )
                compute_with_progress(
                    delayed, description=f"writing {target.name}", progress=progress
                )
            write_chunk_manifest(
                tmp, to_write, zarr_format, extra_attrs={ATTR_OUTPUT: manifest_record(command)}
            )
    logger.info("wrote datacube %s", target)
    return target


def _prepare_for_zarr(ds: xr.Dataset, chunks: dict[str, int] | None) -> xr.Dataset:
    wanted = {**DEFAULT_CHUNKS, **(chunks or {})}
    out = ds.copy()
    for name in list(out.variables):
        # Encodings read from another store (chunks, compressors) fight new chunks.
        out[name].encoding = {
            k: v
            for k, v in out[name].encoding.items()
            if k in {"dtype", "_FillValue", "units", "calendar"}
        }
    dims_chunks = {d: min(c, out.sizes[d]) for d, c in wanted.items() if out.sizes.get(d)}
    out = out.chunk(dims_chunks)
    out.attrs.pop(ATTR_CHUNK_MANIFEST, None)
    out.attrs.pop(ATTR_ABSENT_CHUNKS, None)
    out.attrs.pop(ATTR_OUTPUT, None)
    return out
