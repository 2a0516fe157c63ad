"""Read windows of a local Zarr array by decoding its chunk files directly.

The fast path behind chip extraction for local stores: per chunk, one file read and one
numcodecs decode into a reused buffer (Blosc and Zstd release the GIL, so threads run
in parallel), without xarray's, dask's or zarr-python's per-chunk overhead. It applies
only where it gives exactly what the lazy array would: a variable opened with
``open_cube`` / ``xr.open_zarr`` and not modified since (no CF masking or scaling,
no indexing), a ``LocalStore``, C order, and codecs numcodecs can decode (Zarr v2
compressor + filters; Zarr v3 ``bytes`` + Blosc / Zstd / Gzip, no sharding).
``LocalChunkReader.from_dataarray`` returns None otherwise, and callers keep the dask
path (remote stores, scenes built in memory, anything else).

Time stacks ``(timestep, y, x)`` with one time step per chunk are read as windows
(``read_box``, ``read_tile``); 2-D layers (labels, DEM) whole (``read_all``,
``load_if_direct``). Chunks never written read as zarr-python reads them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numcodecs
import numpy as np
import xarray as xr
import zarr
from zarr.storage import LocalStore

from sarslide.chips.chipping import cut_and_transform, progress_iter
from sarslide.datacube.integrity import corrupt_chunk_error

logger = logging.getLogger(__name__)

_PASS_THROUGH = ("ImplicitToExplicitIndexingAdapter", "CopyOnWriteArray", "MemoryCachedArray")


class LocalChunkReader:
    """Decodes chunks of one local Zarr array; ``read_box`` assembles windows from them.

    Args:
        directory: the array's folder.
        chunk_key: chunk grid coordinates -> file name relative to ``directory``.
        shape: array shape.
        chunks: chunk shape.
        dtype: stored dtype (with byte order).
        decoders: applied in order to a chunk file's bytes (last one may take ``out``).
        fill_value: value of chunks without a file.
    """

    def __init__(
        self,
        directory: Path,
        chunk_key: Callable[[tuple[int, ...]], str],
        shape: tuple[int, ...],
        chunks: tuple[int, ...],
        dtype: np.dtype[Any],
        decoders: list[Any],
        fill_value: Any,
    ) -> None:
        self.directory = directory
        self.chunk_key = chunk_key
        self.shape = shape
        self.chunks = chunks
        self.dtype = np.dtype(dtype)
        self.decoders = decoders
        self.fill_value = fill_value
        self._local = threading.local()

    @classmethod
    def from_dataarray(cls, array: xr.DataArray) -> LocalChunkReader | None:
        """A reader for the store behind ``array``, or None where the fast path cannot apply."""
        try:
            zarr_array = _backing_zarr_array(array)
            return None if zarr_array is None else cls._from_zarr(zarr_array)
        except Exception as err:  # any surprise in third-party internals: use dask
            logger.debug("no direct chunk reader for %s: %s", array.name, err)
            return None

    @classmethod
    def _from_zarr(cls, za: Any) -> LocalChunkReader | None:
        if not isinstance(za.store, LocalStore):
            return None
        meta = za.metadata
        dtype = np.dtype(za.dtype)
        if meta.zarr_format == 2:
            if meta.order != "C":
                return None
            decoders = [f for f in reversed(meta.filters or ())]
            decoders = [meta.compressor, *decoders] if meta.compressor is not None else decoders
        else:
            codecs = list(meta.codecs)
            if not codecs or type(codecs[0]).__name__ != "BytesCodec":
                return None
            endian = getattr(codecs[0].endian, "value", codecs[0].endian)
            dtype = dtype.newbyteorder("<" if endian in (None, "little") else ">")
            known = {
                "BloscCodec": numcodecs.Blosc,
                "ZstdCodec": numcodecs.Zstd,
                "GzipCodec": numcodecs.GZip,
            }
            decoders = []
            for codec in reversed(codecs[1:]):
                if type(codec).__name__ not in known:
                    return None  # sharding, transpose, checksums...: zarr's own pipeline
                decoders.append(known[type(codec).__name__]())
        fill = meta.fill_value
        return cls(
            Path(za.store.root) / za.path,
            meta.encode_chunk_key,
            tuple(za.shape),
            tuple(za.chunks),
            dtype,
            decoders,
            dtype.type(0) if fill is None else fill,  # as zarr reads a missing chunk
        )

    def _buffer(self) -> np.ndarray:
        buffer = getattr(self._local, "buffer", None)
        if buffer is None:  # one per thread, reused: fresh pages cost as much as decoding
            buffer = np.empty(int(np.prod(self.chunks)), dtype=self.dtype)
            self._local.buffer = buffer
        return buffer

    def read_chunk(self, coords: tuple[int, ...]) -> np.ndarray:
        """The decoded chunk at grid ``coords`` (full chunk shape; a per-thread buffer)."""
        buffer = self._buffer()
        path = self.directory / self.chunk_key(coords)
        try:
            data: Any = path.read_bytes()
        except FileNotFoundError:
            buffer.fill(self.fill_value)
            return buffer.reshape(self.chunks)
        try:
            if len(self.decoders) == 1:
                self.decoders[0].decode(data, out=buffer)
            else:
                for decoder in self.decoders:
                    data = decoder.decode(data)
                buffer[...] = np.frombuffer(memoryview(data).cast("B"), dtype=self.dtype)
        except Exception as err:
            raise corrupt_chunk_error(self.directory.name, path, err) from err
        return buffer.reshape(self.chunks)

    def _decode_into(self, coords: tuple[int, ...], target: np.ndarray) -> None:
        """Decode one whole chunk of a 3-D array into a float32 C-contiguous ``(ch, cw)``."""
        if self.dtype != np.float32 or len(self.decoders) != 1:  # convert via the buffer
            target[...] = self.read_chunk(coords)[0]
            return
        try:
            data = (self.directory / self.chunk_key(coords)).read_bytes()
        except FileNotFoundError:
            target.fill(self.fill_value)
            return
        try:
            self.decoders[0].decode(data, out=target)
        except Exception as err:
            path = self.directory / self.chunk_key(coords)
            raise corrupt_chunk_error(self.directory.name, path, err) from err

    def read_all(self) -> np.ndarray:
        """The whole array (any number of dimensions), decoded chunk by chunk."""
        out = np.empty(self.shape, dtype=self.dtype.newbyteorder("="))
        grid = [
            range(-(-size // chunk)) for size, chunk in zip(self.shape, self.chunks, strict=True)
        ]
        for coords in np.ndindex(*(len(axis) for axis in grid)):
            target = tuple(
                slice(c * n, min((c + 1) * n, size))
                for c, n, size in zip(coords, self.chunks, self.shape, strict=True)
            )
            chunk = self.read_chunk(coords)
            out[target] = chunk[tuple(slice(0, t.stop - t.start) for t in target)]
        return out

    def read_tile(self, lead: np.ndarray, tile: tuple[int, int]) -> np.ndarray:
        """The whole chunks at (y, x) grid position ``tile`` for each lead index, as
        float32 ``(len(lead), ch, cw)``, each decoded straight into place (edge chunks
        keep their padding: only the part inside the array holds data)."""
        out = np.empty((len(lead), *self.chunks[-2:]), dtype=np.float32)
        for n, t in enumerate(lead):
            self._decode_into((int(t), *tile), out[n])
        return out

    def read_box(
        self, lead: np.ndarray, rows: tuple[int, int], cols: tuple[int, int]
    ) -> np.ndarray:
        """``array[lead, r0:r1, c0:c1]`` as float32 ``(len(lead), r1 - r0, c1 - c0)``.

        The array is 3-D (time, y, x) with time chunks of 1; each chunk under the box is
        decoded once per lead index. A box of whole chunks of one tile: ``read_tile``.
        """
        (r0, r1), (c0, c1) = rows, cols
        ch, cw = self.chunks[-2:]
        out = np.empty((len(lead), r1 - r0, c1 - c0), dtype=np.float32)
        for i in range(r0 // ch, (r1 - 1) // ch + 1):
            for j in range(c0 // cw, (c1 - 1) // cw + 1):
                a0, a1 = max(r0, i * ch), min(r1, (i + 1) * ch)
                b0, b1 = max(c0, j * cw), min(c1, (j + 1) * cw)
                for n, t in enumerate(lead):
                    chunk = self.read_chunk((int(t), i, j))[0]
                    out[n, a0 - r0 : a1 - r0, b0 - c0 : b1 - c0] = chunk[
                        a0 - i * ch : a1 - i * ch, b0 - j * cw : b1 - j * cw
                    ]
        return out


def _backing_zarr_array(array: xr.DataArray) -> Any | None:
    """The zarr.Array whose whole content ``array`` is, unmodified; else None."""
    data = array.data
    if not hasattr(data, "dask") or array.ndim not in (2, 3):
        return None
    layers = data.dask.layers
    original = [layer for name, layer in layers.items() if name.startswith("original-")]
    if len(layers) != 2 or len(original) != 1:
        return None  # computed from the store (masked, scaled, indexed, ...)
    obj = next(iter(original[0].values()))
    for _ in range(10):
        if isinstance(obj, zarr.Array):
            break
        name = type(obj).__name__
        if name in _PASS_THROUGH:
            obj = obj.array
        elif name == "LazilyIndexedArray":
            key = getattr(obj.key, "tuple", None)
            if key is None or any(k != slice(None) for k in key):
                return None
            obj = obj.array
        elif name == "ZarrArrayWrapper":
            obj = obj._array
        else:
            return None  # e.g. CF mask / scale decoding: values differ from the store
    if not isinstance(obj, zarr.Array) or tuple(obj.shape) != tuple(data.shape):
        return None
    if obj.ndim == 3 and obj.chunks[0] != 1:
        return None  # read_box decodes one time step per chunk
    return obj


def load_if_direct(array: xr.DataArray, max_bytes: int) -> Any:
    """``array``'s values as numpy, decoded directly, if it is a local Zarr view no larger
    than ``max_bytes``; otherwise its (lazy) data unchanged.

    For 2-D layers read more than once (labels, DEM): one direct decode is faster than
    reading the same chunks through dask twice.
    """
    if array.nbytes > max_bytes:
        return array.data
    reader = LocalChunkReader.from_dataarray(array)
    return array.data if reader is None else reader.read_all()


def gather_windows_from_chunks(
    reader: LocalChunkReader,
    lead: np.ndarray,
    origins_px: np.ndarray,
    size_px: int,
    *,
    transform: Callable[[np.ndarray], np.ndarray],
    progress: bool = False,
    n_threads: int | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """``transform`` of the windows ``array[lead, r:r+s, c:c+s]`` at each origin.

    Same contract as ``chipping.gather_windows`` with a dask array: origins are grouped
    by the chunk tile they start in; each group's bounding box is decoded (each chunk
    once per lead index), cut and transformed in a pool of threads, which write their
    chips straight into ``out`` (allocated from the first result if None).
    """
    origins_px = np.asarray(origins_px, dtype=np.int64).reshape(-1, 2)
    ch, cw = reader.chunks[-2:]
    tile = (origins_px[:, 0] // ch) * (reader.shape[-1] // cw + 1) + origins_px[:, 1] // cw
    order = np.argsort(tile, kind="stable")
    groups = np.split(order, np.flatnonzero(np.diff(tile[order])) + 1) if len(order) else []

    lock = threading.Lock()
    result = {"out": out}

    def work(members: np.ndarray) -> None:
        r0, c0 = origins_px[members].min(axis=0)
        r1, c1 = origins_px[members].max(axis=0) + size_px
        tile_r, tile_c = int(r0 // ch), int(c0 // cw)
        if (r1 - 1) // ch == tile_r and (c1 - 1) // cw == tile_c:
            # every window inside one chunk tile: decode whole chunks, no assembly copy
            raw = reader.read_tile(lead, (tile_r, tile_c))
            r0, c0 = tile_r * ch, tile_c * cw
        else:
            raw = reader.read_box(lead, (int(r0), int(r1)), (int(c0), int(c1)))
        windows = cut_and_transform(
            raw, origins_px[members] - np.array([r0, c0]), size_px, transform
        )
        with lock:
            if result["out"] is None:
                shape = (len(origins_px), *windows.shape[1:])
                result["out"] = np.empty(shape, dtype=windows.dtype)
        out = result["out"]
        assert out is not None  # set above, under the lock
        out[members] = windows  # disjoint rows per group: no lock needed

    workers = n_threads or min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = pool.map(work, groups)
        for _ in progress_iter(done, progress, "gathering chips", total=len(groups)):
            pass
    if result["out"] is None:
        return transform(np.empty((0, len(lead), size_px, size_px), dtype=np.float32))
    return result["out"]
