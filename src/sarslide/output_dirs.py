"""Output folders a command owns: made fresh, replaced only when they carry its marker.

``sarslide demo`` and ``sarslide insar demo`` write everything under one folder; on
``--overwrite`` it is replaced only if a demo wrote it (the marker file), so a folder a
user had is never deleted.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sarslide.errors import OutputExistsError

DEMO_MARKER = ".sarslide-demo"


def prepare_output_dir(directory: Path, *, overwrite: bool) -> None:
    """Create ``directory``; replace it only if ``overwrite`` and it is a demo output."""
    if directory.exists():
        if not overwrite:
            raise OutputExistsError(
                f"{str(directory)!r} exists; pass --overwrite to replace it, or choose "
                "another --output."
            )
        if any(directory.iterdir()) and not (directory / DEMO_MARKER).exists():
            raise OutputExistsError(
                f"{str(directory)!r} exists and was not written by 'sarslide demo'; "
                "refusing to delete it. Choose another --output."
            )
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    (directory / DEMO_MARKER).write_text("written by sarslide demo\n")
