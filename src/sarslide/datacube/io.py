"""Open and write datacubes as Zarr: lazily, from any fsspec URL, atomically on write."""

from __future__ import annotations

import json
import logging
import os
import shutil
import warnings
from pathlib import Path
from typing import Any, Literal

import dask
import fsspec
import xarray as xr
import zarr

from sarslide import conventions as cv
from sarslide.atomic import move_into_place, temporary_sibling
from sarslide.datacube.integrity import remember_opened_store
from sarslide.datacube.orbit import normalise_orbit_coord
from sarslide.datacube.validate import validate_cube
from sarslide.errors import CubeNotFoundError, CubeValidationError, OutputExistsError
from sarslide.parallel import compute_with_progress

logger = logging.getLogger(__name__)

# Written by write_cube: number of chunk objects per variable, checked by open_cube.
ATTR_CHUNK_MANIFEST = "sarslide_chunk_counts"
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

    Raises:
        CubeNotFoundError: the path does not exist or is not a Zarr store.
        CubeValidationError: the store is truncated or breaks the contract.
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
        raise CubeNotFoundError(
            f"{source!r} is not a readable Zarr store ({err}). A Zarr store is a folder "
            "with '.zgroup'/'.zmetadata' (v2) or 'zarr.json' (v3); if it was copied or "
            "downloaded, it may be truncated: fetch it again."
        ) from err
    except (KeyError, ValueError, OSError) as err:
        raise CubeValidationError(
            [
                f"the store could not be opened ({type(err).__name__}: {err}); it is likely "
                "truncated or not a datacube. Fetch or write it again."
            ],
            source=source,
        ) from err
    if not is_url:
        _check_chunk_manifest(ds, Path(source))
    if cv.COORD_SPATIAL_REF in ds.data_vars:
        # Zarr keeps no coordinate flag for a scalar; rioxarray needs it as a coordinate.
        ds = ds.set_coords(cv.COORD_SPATIAL_REF)
    ds = normalise_orbit_coord(_load_small_coords(ds))
    if validate:
        validate_cube(ds, task=task, source=source)
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

    values = dask.compute(*(ds[name].data for name in names))
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
) -> Path:
    """Validate ``ds`` and write it as a chunked, consolidated Zarr store, atomically.

    The store is written to a hidden temporary folder beside ``path`` and renamed into
    place only when complete, so an interrupted write never leaves a store that opens
    as valid. Dask-backed variables are computed chunk by chunk (on a
    dask.distributed cluster if a client is active).

    Args:
        ds: the cube; validated with ``validate_cube(task="any")``.
        path: target folder (``*.zarr``).
        chunks: dask/zarr chunks per dimension; default ``DEFAULT_CHUNKS``.
        overwrite: replace an existing store; otherwise refuse.
        zarr_format: 2 (as the published cubes, readable everywhere) or 3.
        progress: show a progress bar while computing.

    Returns:
        The path of the written store.
    """
    target = Path(path).expanduser()
    if target.exists() and not overwrite:
        raise OutputExistsError(
            f"{str(target)!r} exists; pass overwrite=True (--overwrite) to replace it, "
            "or choose another path."
        )
    validate_cube(ds, task="any", source=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(target)
    to_write = _prepare_for_zarr(ds, chunks)
    try:
        with warnings.catch_warnings():
            # Zarr v3 has no stable spec for string arrays (the orbit-state coordinate);
            # zarr-python writes and reads them fine. v2 (the default) is unaffected.
            warnings.filterwarnings("ignore", message=".*does not have a Zarr V3 specification")
            delayed = to_write.to_zarr(
                tmp,
                mode="w",
                consolidated=zarr_format == 2,  # not part of the v3 spec
                zarr_format=zarr_format,
                compute=False,
            )
            compute_with_progress(delayed, description=f"writing {target.name}", progress=progress)
        _write_chunk_manifest(tmp, to_write, zarr_format)
        move_into_place(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
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
    dims_chunks = {d: min(c, out.sizes[d]) for d, c in wanted.items() if d in out.dims}
    out = out.chunk(dims_chunks)
    out.attrs.pop(ATTR_CHUNK_MANIFEST, None)
    return out


def _count_chunk_files(store: Path, name: str, zarr_format: int) -> int:
    folder = store / name
    if not folder.is_dir():
        return 0
    skip = {".zarray", ".zattrs", ".zgroup", "zarr.json"}
    return sum(1 for p in folder.rglob("*") if p.is_file() and p.name not in skip)


def _write_chunk_manifest(store: Path, ds: xr.Dataset, zarr_format: Literal[2, 3]) -> None:
    counts = {str(name): _count_chunk_files(store, str(name), zarr_format) for name in ds.variables}
    group = zarr.open_group(str(store), mode="r+", zarr_format=zarr_format)
    group.attrs[ATTR_CHUNK_MANIFEST] = counts
    if zarr_format == 2:
        zarr.consolidate_metadata(str(store), zarr_format=2)


def _check_chunk_manifest(ds: xr.Dataset, store: Path) -> None:
    manifest = ds.attrs.get(ATTR_CHUNK_MANIFEST)
    if not isinstance(manifest, dict):
        return  # not written by sarslide: nothing recorded to check against
    fmt = 3 if (store / "zarr.json").exists() else 2
    short = {
        name: (expected, found)
        for name, expected in manifest.items()
        if (found := _count_chunk_files(store, name, fmt)) < int(expected)
    }
    if short:
        detail = ", ".join(f"{n}: {f} of {e} chunks" for n, (e, f) in sorted(short.items()))
        raise CubeValidationError(
            [f"the store is truncated ({detail}); copy or write it again."], source=str(store)
        )
