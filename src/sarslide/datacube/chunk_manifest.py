"""Which chunk files a datacube store must have, recorded at write and checked at open.

Zarr writes no file for a chunk that holds only the fill value (a masked timestep,
nodata borders) and reads a missing file back as fill value, so a store that lost
chunk files in a copy or a download opens without error and maps NaN as data.
``write_cube`` records per variable the chunks it left unwritten on purpose; at open
every other chunk of the grid must exist, locally or over fsspec (``https://``,
``s3://``), or the store is refused naming the variable and the chunk.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import fsspec
import xarray as xr
import zarr
from fsspec.implementations.local import LocalFileSystem

from sarslide import conventions as cv
from sarslide.errors import CubeValidationError

logger = logging.getLogger(__name__)

# Written by write_cube into the store's attributes, checked by open_cube.
ATTR_CHUNK_MANIFEST = "sarslide_chunk_counts"  # chunk files written, per variable
ATTR_ABSENT_CHUNKS = "sarslide_absent_chunks"  # keys left out (fill value only), per variable
ATTR_MISSING_CHUNKS = "sarslide_missing_chunks"  # set by open_cube, reported in metrics.json
# Variables whose absent chunks are reported for a store without the record above.
CHECKED_WITHOUT_RECORD = (cv.VAR_VV, cv.VAR_VH, cv.VAR_LANDSLIDES)
_METADATA_FILES = {".zarray", ".zattrs", ".zgroup", ".zmetadata", "zarr.json"}


def expected_chunk_keys(shape: Sequence[int], chunks: Sequence[int], zarr_format: int) -> set[str]:
    """Every chunk key of an array's grid (default key encodings of Zarr v2 and v3)."""
    grid = [
        range(math.ceil(size / chunk)) if size else range(0)
        for size, chunk in zip(shape, chunks, strict=True)
    ]
    keys = set()
    for index in itertools.product(*grid):
        parts = [str(i) for i in index]
        if zarr_format == 2:
            keys.add(".".join(parts) or "0")
        else:
            keys.add("/".join(["c", *parts]))
    return keys


def list_chunk_keys(fs: Any, root: str, name: str) -> set[str]:
    """The chunk keys present under ``root/name`` on the fsspec filesystem ``fs``."""
    folder = f"{root.rstrip('/')}/{name}"
    try:
        paths = fs.find(folder)
    except (FileNotFoundError, NotADirectoryError):
        return set()
    keys = set()
    for path in paths:
        relative = str(path).rstrip("/")[len(folder) :].lstrip("/")
        if relative and relative.rsplit("/", 1)[-1] not in _METADATA_FILES:
            keys.add(relative)
    return keys


def write_chunk_manifest(
    store: Path,
    ds: xr.Dataset,
    zarr_format: Literal[2, 3],
    *,
    extra_attrs: dict[str, Any] | None = None,
) -> None:
    """Record per variable the chunks left unwritten (fill value only) and the count
    written; ``extra_attrs`` join the store's attributes in the same update."""
    group = zarr.open_group(str(store), mode="r+", zarr_format=zarr_format)
    counts, absent = {}, {}
    for name in map(str, ds.variables):
        array: Any = group[name]
        found = list_chunk_keys(LocalFileSystem(), str(Path(store).absolute()), name)
        expected = expected_chunk_keys(array.shape, array.chunks, zarr_format)
        counts[name] = len(found)
        absent[name] = sorted(expected - found)
    group.attrs[ATTR_CHUNK_MANIFEST] = counts
    group.attrs[ATTR_ABSENT_CHUNKS] = absent
    group.attrs.update(extra_attrs or {})
    if zarr_format == 2:
        zarr.consolidate_metadata(str(store), zarr_format=2)


def check_chunks_present(
    ds: xr.Dataset, source: str, *, storage_options: dict[str, Any] | None = None
) -> None:
    """Refuse a store written by sarslide that lacks chunk files it had when written.

    Stores not written by sarslide (no manifest) are not checked.

    Raises:
        CubeValidationError: naming each variable with missing chunks and a chunk file.
    """
    counts = ds.attrs.get(ATTR_CHUNK_MANIFEST)
    fs, root = fsspec.core.url_to_fs(source, **(storage_options or {}))
    if not isinstance(counts, dict):  # not written by sarslide: holes are reported
        report_absent_chunks(ds, fs, root, source)
        return
    zarr_format = 3 if fs.exists(f"{root.rstrip('/')}/zarr.json") else 2
    absent = ds.attrs.get(ATTR_ABSENT_CHUNKS)
    problems = []
    for name, written in sorted(counts.items()):
        found = list_chunk_keys(fs, root, name)
        if isinstance(absent, dict) and name in absent and name in ds.variables:
            encoding = ds[name].encoding
            chunks = encoding.get("chunks") or ds[name].shape
            expected = expected_chunk_keys(ds[name].shape, chunks, zarr_format)
            missing = sorted(expected - set(absent[name]) - found)
            if missing:
                problems.append(
                    f"variable {name!r} lacks {len(missing)} of {len(expected)} chunk files "
                    f"(e.g. {name}/{missing[0]})"
                )
        elif len(found) < int(written):  # stores written before the absent-chunk record
            problems.append(f"variable {name!r} has {len(found)} of {written} chunk files")
    if problems:
        raise CubeValidationError(
            [
                f"the store is truncated: {'; '.join(problems)}. Copy, download or write it "
                "again. (If you re-saved this cube yourself with xarray, zarr left out the "
                f"chunks holding only the fill value: delete the attributes "
                f"{ATTR_CHUNK_MANIFEST!r} and {ATTR_ABSENT_CHUNKS!r} before saving; "
                "open_cube drops them.)"
            ],
            source=source,
        )


def drop_chunk_manifest(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` without the chunk record of the store it was read from: a cube saved again
    (zarr leaves out chunks of fill value only, e.g. a masked acquisition) gets its own."""
    for name in (ATTR_CHUNK_MANIFEST, ATTR_ABSENT_CHUNKS):
        ds.attrs.pop(name, None)
    return ds


def report_absent_chunks(ds: xr.Dataset, fs: Any, root: str, source: str) -> None:
    """For a store without sarslide's record: warn, with count and place, about the
    chunks of ``vv``, ``vh`` and the labels that have no file (read as the fill value:
    nodata, or lost in a copy), and note them in ``ds.attrs[ATTR_MISSING_CHUNKS]``."""
    zarr_format = 3 if fs.exists(f"{root.rstrip('/')}/zarr.json") else 2
    report: dict[str, Any] = {}
    for name in CHECKED_WITHOUT_RECORD:
        if name not in ds.variables:
            continue
        chunks = ds[name].encoding.get("chunks") or ds[name].shape
        expected = expected_chunk_keys(ds[name].shape, chunks, zarr_format)
        missing = sorted(expected - list_chunk_keys(fs, root, name), key=_key_index)
        if not missing:
            continue
        places = [_describe_place(ds[name], key, chunks) for key in missing[:3]]
        report[name] = {
            "missing": len(missing),
            "of": len(expected),
            "fill_value": _fill_value(ds[name]),
            "examples": [
                f"{name}/{key}: {place}" for key, place in zip(missing, places, strict=False)
            ],
        }
        logger.warning(
            "%s: variable %r has no file for %d of %d chunks (e.g. %s); zarr reads them as "
            "the fill value %s, so these pixels are nodata. The store has no sarslide chunk "
            "record to tell lost chunks from empty ones: if it was copied or downloaded, "
            "check the copy.",
            source,
            name,
            len(missing),
            len(expected),
            report[name]["examples"][0],
            report[name]["fill_value"],
        )
    if report:
        ds.attrs[ATTR_MISSING_CHUNKS] = report


def _key_index(key: str) -> tuple[int, ...]:
    parts = key.replace("/", ".").split(".")
    return tuple(int(p) for p in parts if p.isdigit())


def _describe_place(array: xr.DataArray, key: str, chunks: Sequence[int]) -> str:
    index = _key_index(key)
    ranges = []
    for dim, i, size, chunk in zip(array.dims, index, array.shape, chunks, strict=False):
        start, stop = i * chunk, min((i + 1) * chunk, size) - 1
        ranges.append(f"{dim} {start}" if start == stop else f"{dim} {start}-{stop}")
    return ", ".join(ranges)


def _fill_value(array: xr.DataArray) -> Any:
    value = array.encoding.get("_FillValue", array.encoding.get("fill_value"))
    if value is None:
        return None
    try:
        return "NaN" if math.isnan(float(value)) else float(value)
    except (TypeError, ValueError):
        return str(value)
