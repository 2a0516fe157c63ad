"""pyplot on the Agg backend, and saving a figure atomically: every figure goes through here."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType
from typing import Any

from sarslide.atomic import replacing


def load_pyplot() -> ModuleType:
    """``matplotlib.pyplot`` on the non-interactive Agg backend (figures are only saved).

    The one place pyplot is imported: on first use, not at module top, because pyplot
    costs about a second and selects a backend, and importing a module that can draw
    (the map's quicklook, a PR curve) must do neither when nothing is drawn.
    """
    import matplotlib  # on first use: see the docstring

    matplotlib.use("Agg")
    import matplotlib.pyplot

    return matplotlib.pyplot


def save_figure(
    fig: Any,
    path: str | os.PathLike[str],
    *,
    dpi: int = 120,
    metadata: dict[str, str] | None = None,
) -> Path:
    """Write ``fig`` to ``path`` (PNG by suffix) through a temporary file, then close it.

    ``metadata``: text chunks of the file (PNG keys such as ``Title``, ``Description``).
    """
    plt = load_pyplot()
    target = Path(path)
    try:
        with replacing(target) as tmp:  # unique name: processes may write the same figure
            fmt = target.suffix.lstrip(".") or "png"
            fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=fmt, metadata=metadata)
    finally:
        plt.close(fig)
    return target
