"""pyplot on the Agg backend, and saving a figure atomically: every figure goes through here."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType
from typing import Any

from sarslide.atomic import temporary_sibling


def load_pyplot() -> ModuleType:
    """``matplotlib.pyplot`` on the non-interactive Agg backend (figures are only saved).

    The one place pyplot is imported: on first use, not at module top, because pyplot
    costs about a second and selects a backend, and importing a module that can draw
    (the map's quicklook, a PR curve) must do neither when nothing is drawn.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot

    return matplotlib.pyplot


def save_figure(fig: Any, path: str | os.PathLike[str], *, dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` (PNG by suffix) through a temporary file, then close it."""
    plt = load_pyplot()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(target)  # unique: processes may write the same figure
    try:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=target.suffix.lstrip(".") or "png")
        tmp.replace(target)
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)
    return target
