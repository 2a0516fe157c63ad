"""Who wrote an output, and who is writing it now: manifests and locks.

Every command that writes a folder marks it with a small manifest,
``.sarslide-output.json``, naming the command. ``--overwrite`` then replaces only a
previous output of the same command, never an input of the run, a folder holding
one, or anything else a user had. While a command writes, a lock file beside the
output (``.<name>.lock``: pid, host, command, start time) makes a second command
writing the same output refuse; a lock whose process is gone is stale and replaced.

One entry point serves every command::

    with claim_output(out_dir, "predict", inputs=[checkpoint, cube], overwrite=True):
        ...  # write; call write_manifest(folder, "predict") inside the new folder
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import sarslide
from sarslide.atomic import host_id, is_process_alive
from sarslide.errors import OutputBusyError, OutputExistsError

logger = logging.getLogger(__name__)

MANIFEST_NAME = ".sarslide-output.json"
ATTR_OUTPUT = "sarslide_output"  # the same record in a Zarr store's attributes


def manifest_record(command: str, **details: Any) -> dict[str, Any]:
    """What a manifest says: the command, the sarslide version, when, ``details``."""
    return {
        "command": command,
        "sarslide_version": getattr(sarslide, "__version__", "unknown"),
        "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **details,
    }


def write_manifest(folder: str | os.PathLike[str], command: str, **details: Any) -> Path:
    """Mark ``folder`` as written by ``command`` (``details``: anything JSON-ready).

    Zarr stores carry the same record in their attributes instead (``ATTR_OUTPUT``,
    written by ``write_cube``): Zarr v3 warns about foreign files in a store.
    """
    path = Path(folder) / MANIFEST_NAME
    path.write_text(json.dumps(manifest_record(command, **details), indent=2, default=str))
    return path


def read_manifest(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The manifest of ``folder`` (its file, or a Zarr store's attribute), or None."""
    root = Path(folder)
    for name, section in (
        (MANIFEST_NAME, None),
        (".zattrs", ATTR_OUTPUT),
        ("zarr.json", "attributes"),
    ):
        try:
            record = json.loads((root / name).read_text())
        except (OSError, ValueError):
            continue
        if section == "attributes" and isinstance(record, dict):
            record = (record.get("attributes") or {}).get(ATTR_OUTPUT)
        elif section is not None and isinstance(record, dict):
            record = record.get(section)
        if isinstance(record, dict):
            return record
    return None


def written_by(folder: str | os.PathLike[str], command: str) -> bool:
    """True when ``folder``'s manifest names ``command``."""
    record = read_manifest(folder)
    return record is not None and record.get("command") == command


def check_not_input(
    target: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str] | None]
) -> None:
    """Refuse an output path that is an input, holds one, or lies inside one."""
    out = Path(target).expanduser().resolve()
    for given in inputs:
        if given is None or "://" in os.fspath(given):
            continue
        source = Path(given).expanduser().resolve()
        if out == source or out in source.parents:
            raise OutputExistsError(
                f"The output {str(target)!r} is or holds the input {str(given)!r}; writing "
                "there would destroy it. Choose another output path (-o)."
            )
        if source in out.parents and source.is_dir():
            raise OutputExistsError(
                f"The output {str(target)!r} lies inside the input {str(given)!r}; choose "
                "an output path outside it (-o)."
            )


def check_replaceable(target: str | os.PathLike[str], command: str, *, overwrite: bool) -> None:
    """Refuse an existing ``target`` unless ``overwrite`` and ``command`` wrote it."""
    path = Path(target)
    if not path.exists() and not path.is_symlink():
        return
    if not overwrite:
        raise OutputExistsError(
            f"{str(path)!r} exists; pass --overwrite to replace it, or choose another path."
        )
    if not path.is_dir() or not written_by(path, command):
        record = read_manifest(path) if path.is_dir() else None
        what = (
            f"it was written by 'sarslide {record.get('command')}'"
            if record
            else f"it has no {MANIFEST_NAME} naming 'sarslide {command}'"
        )
        raise OutputExistsError(
            f"Refusing to overwrite {str(path)!r}: {what}, and --overwrite only replaces a "
            f"previous output of 'sarslide {command}'. Choose another path, or delete it "
            "yourself if you no longer need it."
        )


def check_folder_reusable(
    target: str | os.PathLike[str],
    command: str,
    *,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
) -> None:
    """For commands that write files into a folder in place (``evaluate``): the folder
    must be new, empty, or an earlier output of ``command``, and hold no input."""
    path = Path(target).expanduser()
    check_not_input(path, inputs)
    if not path.exists():
        return
    if not path.is_dir():
        raise OutputExistsError(f"{str(path)!r} is a file; choose a folder path (-o).")
    if any(p.name != MANIFEST_NAME for p in path.iterdir()) and not written_by(path, command):
        raise OutputExistsError(
            f"{str(path)!r} already holds files that 'sarslide {command}' did not write "
            f"(no {MANIFEST_NAME} naming it); writing there could replace them. Choose a "
            "new or empty folder (-o)."
        )


def lock_path(target: str | os.PathLike[str]) -> Path:
    """The lock file of ``target``: ``.<name>.lock`` beside it."""
    path = Path(target).expanduser().absolute()
    return path.parent / f".{path.name}.lock"


@contextlib.contextmanager
def hold_lock(target: str | os.PathLike[str], command: str) -> Iterator[Path]:
    """Hold the lock of ``target`` for the block; refuse when a live process holds it.

    Raises:
        OutputBusyError: another live process writes ``target``.
    """
    lock = lock_path(target)
    lock.parent.mkdir(parents=True, exist_ok=True)
    held = _read_lock(lock) or {}
    if held.get("pid") == os.getpid() and held.get("host_id") == host_id():
        yield lock  # this process holds it already (a command around a library call)
        return
    record = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "host_id": host_id(),
        "command": command,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    for _attempt in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            _remove_if_stale(lock, target)
            continue
        with os.fdopen(fd, "w") as file:
            json.dump(record, file)
        break
    else:
        holder = _read_lock(lock) or {}
        raise OutputBusyError(
            f"{str(target)!r} is being written by another sarslide process "
            f"(pid {holder.get('pid', '?')} on {holder.get('host', '?')}, "
            f"'sarslide {holder.get('command', '?')}', since {holder.get('started', '?')}). "
            f"Wait for it to finish or choose another output; if that process is gone, "
            f"delete {str(lock)!r}."
        )
    try:
        yield lock
    finally:
        if (_read_lock(lock) or {}).get("pid") == os.getpid():
            lock.unlink(missing_ok=True)


def _read_lock(lock: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(lock.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _remove_if_stale(lock: Path, target: str | os.PathLike[str]) -> None:
    holder = _read_lock(lock)
    if holder is None:
        return  # being written right now, or unreadable: treat as held
    same_host = holder.get("host_id") == host_id()
    if same_host and not is_process_alive(int(holder.get("pid", 0))):
        lock.unlink(missing_ok=True)
        logger.warning("removed a stale lock on %s (process %s is gone)", target, holder.get("pid"))


@contextlib.contextmanager
def claim_output(
    target: str | os.PathLike[str],
    command: str,
    *,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    overwrite: bool = False,
) -> Iterator[Path]:
    """Check and lock ``target`` for ``command``; yield its path.

    Refuses (``OutputExistsError``) an output that is or holds an input, and an
    existing one unless ``overwrite`` and the same command wrote it; refuses
    (``OutputBusyError``) while another live process writes it.
    """
    path = Path(target).expanduser()
    check_not_input(path, inputs)
    with hold_lock(path, command):
        check_replaceable(path, command, overwrite=overwrite)
        yield path
