"""Atomic writes: a file or folder appears complete, or not at all.

Every output goes to a hidden temporary path beside its target and is renamed into
place when complete, so an interrupted run never leaves a half-written output::

    with replacing(target) as tmp:   # tmp: a path beside target, not yet created
        write_something(tmp)         # a file or a folder
    # here target is the new output; on any error (or Ctrl-C) tmp is gone

Temporary names follow one pattern, ``.<name>.partial-<host>-<pid>-<random><suffix>``
(``old`` instead of ``partial`` for a previous output set aside during the swap), so
the next run can tell a stale one (its process is gone) from one being written and
remove it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import math
import os
import re
import shutil
import socket
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

_TAGS = ("partial", "old", "rows")  # rows: a GeoTIFF staged before its COG copy


def host_id() -> str:
    """Eight hex digits naming this machine (for temporary names and locks)."""
    return f"{zlib.crc32(socket.gethostname().encode()):08x}"


def temporary_sibling(target: Path, *, tag: str = "partial") -> Path:
    """A unique hidden path in ``target``'s folder (same filesystem: rename is atomic).

    Named ``.<name>.<tag>-<host>-<pid>-<random><suffix>``; the suffix is kept so that
    writers which choose a format by extension still do.
    """
    target = Path(target)
    token = f"{host_id()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    return target.parent / f".{target.name}.{tag}-{token}{target.suffix}"


def is_process_alive(pid: int) -> bool:
    """True when a process ``pid`` runs on this machine (or cannot be checked)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, owned by someone else
    return True


def remove_path(path: Path) -> None:
    """Delete a file or folder if it exists (temporary outputs only)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def remove_stale_partials(target: Path) -> list[Path]:
    """Remove temporary siblings of ``target`` left by processes that are gone.

    Only names of the pattern above, written on this machine by a process that no
    longer runs, are removed (and logged); others are left alone.
    """
    target = Path(target)
    pattern = re.compile(
        rf"^\.{re.escape(target.name)}\.(?:{'|'.join(_TAGS)})-"
        r"(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-[0-9a-f]{6}"
    )
    removed: list[Path] = []
    if not target.parent.is_dir():
        return removed
    for candidate in target.parent.glob(f".{glob_escape(target.name)}.*"):
        match = pattern.match(candidate.name)
        if match is None or match["host"] != host_id():
            continue
        pid = int(match["pid"])
        if pid == os.getpid() or is_process_alive(pid):
            continue
        remove_path(candidate)
        logger.warning(
            "removed %s, left by an interrupted write of %s (process %d is gone)",
            candidate,
            target.name,
            pid,
        )
        removed.append(candidate)
    return removed


def glob_escape(name: str) -> str:
    """``name`` with glob metacharacters escaped."""
    return re.sub(r"([\[\]*?])", r"[\1]", name)


def move_into_place(tmp: Path, target: Path) -> None:
    """Rename a finished ``tmp`` file or folder to ``target``, replacing what was there.

    A file replaces a file in one ``os.replace``. For a folder, the old ``target`` is
    first renamed aside and deleted only after the new one is in place, so at every
    moment ``target`` is either the old or the new complete output. A file never
    replaces a folder (``--figure myfolder`` would have deleted the folder and all it
    held): that raises ``IsADirectoryError`` and leaves the folder as it was.
    """
    if target.is_dir() and not target.is_symlink() and not tmp.is_dir():
        raise IsADirectoryError(
            errno.EISDIR, "a folder is in the way of the file to write", str(target)
        )
    if target.is_dir() and not target.is_symlink():
        trash = temporary_sibling(target, tag="old")
        target.rename(trash)
        tmp.rename(target)
        remove_path(trash)
    else:
        os.replace(tmp, target)


@contextlib.contextmanager
def replacing(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``.

    The caller writes a file or a folder at the yielded path. When the block ends
    normally it replaces ``path`` (see :func:`move_into_place`); when it raises (or is
    interrupted) the temporary path is removed and ``path`` is untouched. Stale
    temporary siblings of ``path`` from earlier interrupted runs are removed first.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(target)
    tmp = temporary_sibling(target)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written to {tmp} for {target}")
        move_into_place(tmp, target)
    finally:
        remove_path(tmp)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file, then rename."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def to_json_safe(values: Any) -> Any:
    """``values`` with every NaN or infinite float replaced by None (JSON has no NaN)."""
    if isinstance(values, float) and not math.isfinite(values):
        return None
    if isinstance(values, dict):
        return {key: to_json_safe(value) for key, value in values.items()}
    if isinstance(values, list | tuple):
        return [to_json_safe(value) for value in values]
    if hasattr(values, "item") and getattr(values, "ndim", None) == 0:  # numpy scalar
        return to_json_safe(values.item())
    return values


def write_json_atomic(path: str | os.PathLike[str], values: Any, *, indent: int = 2) -> Path:
    """Write ``values`` as strict JSON atomically: NaN and infinities become null.

    Non-JSON values are written as strings. Callers that can say *why* a value is
    undefined add that next to it (see ``sarslide.metrics.undefined.mark_undefined``).
    """
    text = json.dumps(to_json_safe(values), indent=indent, default=str, allow_nan=False)
    return write_text_atomic(path, text)
