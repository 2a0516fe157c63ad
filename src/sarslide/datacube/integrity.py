"""Name the corrupt chunk files of a Zarr store (variable and file) when decoding fails.

Reads go through dask and zarr-python, whose decode errors ("error during blosc
decompression") say neither which variable nor which file. ``open_cube`` remembers the
local stores it opened; when a command fails with a decode error, the CLI asks
:func:`describe_corrupt_chunks` to decode each chunk of those stores and name the bad ones.
"""

from __future__ import annotations

import itertools
import logging
import os
from pathlib import Path

import zarr

from sarslide.errors import CorruptChunkError, DownloadError

logger = logging.getLogger(__name__)

# Words of the errors codecs raise on bad bytes (blosc, zstd, zlib, a short buffer).
DECODE_ERROR_WORDS = ("decompress", "decod", "codec", "blosc", "zstd", "zlib", "corrupt", "reshape")
_OPENED_LOCAL_STORES: list[Path] = []
_MAX_REMEMBERED = 8


def remember_opened_store(path: str | os.PathLike[str]) -> None:
    """Note a local store ``open_cube`` opened (the CLI scans it if decoding fails)."""
    store = Path(path).resolve()
    if store in _OPENED_LOCAL_STORES:
        _OPENED_LOCAL_STORES.remove(store)
    _OPENED_LOCAL_STORES.append(store)
    del _OPENED_LOCAL_STORES[:-_MAX_REMEMBERED]


def corrupt_chunk_error(variable: str, chunk_file: Path, err: BaseException) -> CorruptChunkError:
    """The error for one undecodable chunk file: variable, file, and the fix."""
    return CorruptChunkError(
        f"Variable {variable!r}: the chunk file {str(chunk_file)!r} cannot be decoded "
        f"({type(err).__name__}: {err}); the store is corrupt or was copied incompletely. "
        "Copy, fetch or rebuild the cube again (sarslide cube info lists its variables)."
    )


def looks_like_decode_error(err: BaseException) -> bool:
    text = f"{type(err).__name__} {err}".lower()
    return any(word in text for word in DECODE_ERROR_WORDS)


def find_corrupt_chunks(store: Path, *, limit: int = 3) -> list[tuple[str, Path]]:
    """Up to ``limit`` ``(variable, chunk file)`` pairs of ``store`` that fail to decode."""
    found: list[tuple[str, Path]] = []
    group = zarr.open_group(str(store), mode="r")
    for name, array in group.arrays():
        sizes = zip(array.shape, array.chunks, strict=True)
        grid = [range(-(-size // max(chunk, 1))) for size, chunk in sizes]
        for coords in itertools.product(*grid):
            try:
                array.get_block_selection(coords)
            except Exception:
                key = array.metadata.encode_chunk_key(coords)
                found.append((str(name), store / str(name) / key))
                if len(found) >= limit:
                    return found
    return found


def describe_corrupt_chunks(err: BaseException) -> str | None:
    """One line naming the corrupt chunks behind decode error ``err``, or None."""
    if not looks_like_decode_error(err):
        return None
    for store in reversed(_OPENED_LOCAL_STORES):
        try:
            bad = find_corrupt_chunks(store)
        except Exception as scan_err:  # the scan is a diagnosis: never hide the first error
            logger.debug("could not scan %s for corrupt chunks: %s", store, scan_err)
            continue
        if bad:
            variable, chunk_file = bad[0]
            others = "" if len(bad) == 1 else f" (and {len(bad) - 1} more, e.g. {bad[1][1]})"
            return str(corrupt_chunk_error(variable, chunk_file, err)) + others
    return None


def network_error(err: BaseException, source: str | None = None) -> DownloadError | None:
    """A server's refusal (aiohttp's ``ClientResponseError``, HTTP 4xx/5xx) as a network
    error naming the status and the file asked for, not as a corrupt cube; else None.

    ``source`` is the store being read (None: a read during a command, store unknown).
    """
    causes = [err, err.__cause__, err.__context__]
    for cause in causes:
        if cause is not None and _is_connection_failure(cause):
            where = f" opening {source!r}" if source else " reading a remote store"
            return DownloadError(
                f"Network error{where}: the server could not be reached "
                f"({type(cause).__name__}: {cause}). Check the address and the network "
                "connection, then try again."
            )
    for cause in causes:
        status = getattr(cause, "status", None)
        if isinstance(status, int) and status >= 400:
            url = getattr(getattr(cause, "request_info", None), "real_url", source)
            reason = getattr(cause, "message", "") or "refused"
            opening = f" opening {source!r}" if source else " reading a remote store"
            return DownloadError(
                f"Network error{opening}: the server answered HTTP {status} "
                f"({reason}) for {str(url)!r}. Check the URL and your access to it "
                "(credentials, a signed URL that expired), then try again."
            )
    return None


# aiohttp's errors for a host that cannot be reached or drops the connection.
_CONNECTION_ERRORS = {"ClientConnectorError", "ServerDisconnectedError", "ServerTimeoutError"}


def _is_connection_failure(err: BaseException) -> bool:
    return isinstance(err, (ConnectionError, TimeoutError)) or any(
        kind.__name__ in _CONNECTION_ERRORS for kind in type(err).__mro__
    )
