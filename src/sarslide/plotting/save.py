"""Save a matplotlib figure atomically."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sarslide.atomic import temporary_sibling


def save_figure(fig: Any, path: str | os.PathLike[str], *, dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` (PNG by suffix) through a temporary file, then close it."""
    import matplotlib.pyplot as plt

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
