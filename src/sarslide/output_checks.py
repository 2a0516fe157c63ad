"""Cheap checks of an output path, made before any expensive work starts.

A command that will write ``path`` (a file or a folder, created with its parents) calls
:func:`check_output_location` first: a path under a regular file, on a read-only file
system or in a folder the user cannot write is refused in one line, before chipping,
training or predicting for minutes.
"""

from __future__ import annotations

import os
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
