"""Cheap checks of an output path, made before any expensive work starts.

A command that will write ``path`` (a file or a folder, created with its parents) calls
:func:`check_output_location` first: a path under a regular file, on a read-only file
system or in a folder the user cannot write is refused in one line, before chipping,
training or predicting for minutes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from sarslide.errors import OutputLocationError


def check_output_location(path: str | os.PathLike[str], *, option: str = "--output") -> Path:
    """Refuse an output path that cannot be created; return it as a ``Path``.

    Remote URLs (``scheme://``) are not checked. The first existing folder on the way
    to ``path`` must be a folder (not a regular file), on a writable file system, and
    writable by this user.
    """
    text = os.fspath(path)
    target = Path(text).expanduser()
    if "://" in text:
        return target
    existing = _first_existing(target.absolute().parent)
    shown = f"{option} {text!r}"
    if not existing.is_dir():
        raise OutputLocationError(
            f"Cannot write {shown}: {str(existing)!r} is a regular file, not a folder. "
            "Choose an output path whose parent folders are folders."
        )
    if _is_read_only(existing):
        raise OutputLocationError(
            f"Cannot write {shown}: {str(existing)!r} is on a read-only file system. "
            "Choose an output on a writable disk."
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputLocationError(
            f"Cannot write {shown}: you have no write permission in {str(existing)!r}. "
            "Choose a folder you can write to, or fix its permissions."
        )
    return target


def _first_existing(folder: Path) -> Path:
    for candidate in (folder, *folder.parents):
        if candidate.exists() or candidate.is_file():
            return candidate
    return Path(folder.anchor or "/")


def _is_read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (AttributeError, OSError):  # no statvfs (Windows) or unreadable: let the write say
        return False


# Below this many free bytes, a write that failed is taken for a full disk: GDAL and
# zarr report a full disk as a generic write failure (the errno is only logged).
DISK_FULL_FREE_BYTES = 16 * 2**20


def describe_disk_full(err: BaseException, path: str | os.PathLike[str]) -> str | None:
    """One line for a write into ``path`` that failed on a full disk, else None.

    Call it while the failed output is still on disk (before its cleanup frees the space).
    """
    chain: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    said = any(
        (isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT))
        or "no space left" in str(e).lower()
        for e in chain
    )
    folder = _first_existing(Path(path).expanduser().absolute())
    try:
        usage = shutil.disk_usage(folder)
    except OSError:
        return None
    if not said and usage.free >= DISK_FULL_FREE_BYTES:
        return None
    return (
        f"No space left on the device holding {str(folder)!r} ({_size(usage.free)} free of "
        f"{_size(usage.total)}) while writing {os.fspath(path)!r}; nothing "
        "was kept. Free space there, or choose an output on another disk (-o)."
    )


@contextlib.contextmanager
def reporting_disk_full(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn a failure of the block on a full disk into one ``OutputLocationError`` that
    names the device's folder and its free space (enter it inside the temporary output's
    cleanup, so that the space is still taken when it is measured)."""
    try:
        yield
    except Exception as err:
        full = describe_disk_full(err, path)
        if full is None:
            raise
        raise OutputLocationError(full) from err


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 2**30:.1f} GiB" if n_bytes >= 2**30 else f"{n_bytes / 2**20:.1f} MiB"
