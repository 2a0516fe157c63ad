"""Atomic writes: a file or folder appears complete, or not at all.

Every output goes to a hidden temporary path beside its target and is renamed into
place when complete, so an interrupted run never leaves a half-written output.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any


def temporary_sibling(target: Path, *, tag: str = "partial") -> Path:
    """A unique hidden path in ``target``'s folder (same filesystem: rename is atomic)."""
    return target.parent / f".{target.name}.{tag}-{uuid.uuid4().hex[:8]}"


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file, then rename."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(target)
    try:
        tmp.write_text(text)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def write_json_atomic(path: str | os.PathLike[str], values: Any, *, indent: int = 2) -> Path:
    """Write ``values`` as JSON (non-JSON values as strings) atomically."""
    return write_text_atomic(path, json.dumps(values, indent=indent, default=str))


def move_into_place(tmp: Path, target: Path) -> None:
    """Rename a finished ``tmp`` file or folder to ``target``, replacing what was there.

    The old ``target`` is first renamed aside and deleted only after the new one is in
    place, so at every moment ``target`` is either the old or the new complete output.
    """
    if target.exists():
        trash = temporary_sibling(target, tag="old")
        target.rename(trash)
        tmp.rename(target)
        if trash.is_dir():
            shutil.rmtree(trash, ignore_errors=True)
        else:
            trash.unlink(missing_ok=True)
    else:
        tmp.rename(target)
