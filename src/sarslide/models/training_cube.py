"""Find the cube a checkpoint was trained on, from any working folder.

``sarslide train`` records the cube as given (``data_config.cube``), as an absolute
path (``cube_path``) and relative to the run folder (``cube_path_from_run``), so that
``sarslide evaluate RUN/checkpoints/best.ckpt`` works from any folder, and after the run
folder and the cube were moved together.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sarslide.errors import CubeNotFoundError

CHECKPOINT_DIR_NAME = "checkpoints"


def record_training_cube(cube: str, run_dir: str | os.PathLike[str]) -> dict[str, str]:
    """The checkpoint metadata entries that locate ``cube`` later (empty for a URL)."""
    if "://" in cube:
        return {}
    absolute = Path(cube).expanduser().absolute()
    return {
        "cube_path": str(absolute),
        "cube_path_from_run": os.path.relpath(absolute, Path(run_dir).absolute()),
    }


def resolve_training_cube(
    checkpoint: str | os.PathLike[str], data_cube: str, extra: dict[str, Any]
) -> str:
    """The cube a checkpoint was trained on, as a path that exists (or its URL)."""
    if "://" in data_cube:
        return data_cube
    ckpt = Path(checkpoint).expanduser().absolute()
    run_dir = ckpt.parent.parent if ckpt.parent.name == CHECKPOINT_DIR_NAME else ckpt.parent
    candidates = [
        extra.get("cube_path"),
        run_dir / extra["cube_path_from_run"] if extra.get("cube_path_from_run") else None,
        data_cube,
        run_dir / data_cube,
    ]
    tried = [Path(c).expanduser() for c in candidates if c]
    for path in tried:
        if path.exists():
            return str(path)
    shown = ", ".join(dict.fromkeys(repr(str(p)) for p in tried))
    raise CubeNotFoundError(
        f"The cube this checkpoint was trained on is not found (tried {shown}). "
        "Pass it with --cube PATH."
    )


SIMULATED_KEY = "training_simulated"
"""Checkpoint metadata: whether the training cube(s) hold simulated data (``cube simulate``)."""


def record_simulated(by_event: dict[str, bool] | bool) -> dict[str, Any]:
    """``{SIMULATED_KEY: ...}`` for the checkpoint metadata: a bool for one cube; for
    several events ``{"summary": "all" | "none" | "some", "events": {name: bool}}``."""
    if isinstance(by_event, bool):
        return {SIMULATED_KEY: by_event}
    flags = set(by_event.values())
    summary = "all" if flags == {True} else "none" if flags == {False} else "some"
    return {SIMULATED_KEY: {"summary": summary, "events": dict(by_event)}}
