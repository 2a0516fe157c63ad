"""Output folders a command owns: made fresh, replaced only when they carry its marker.

``sarslide demo`` and ``sarslide insar demo`` write everything under one folder; on
``--overwrite`` it is replaced only if a demo wrote it (the marker file), so a folder a
user had is never deleted.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from sarslide.errors import OutputExistsError

DEMO_MARKER = ".sarslide-demo"


DEMO_COMPLETE = "complete"  # the marker's last line once the demo finished


def prepare_output_dir(
    directory: Path, *, overwrite: bool, steps: Sequence[tuple[str, str]] = ()
) -> None:
    """Create ``directory``; replace it only if ``overwrite`` and it is a demo output.

    ``steps`` are the demo's outputs in the order it writes them, as (path in the
    folder, what it is): a rerun into an unfinished demo says which it holds.
    """
    if directory.exists():
        if not overwrite and is_unfinished_output(directory, steps):
            raise OutputExistsError(
                f"{str(directory)!r} holds a demo that was interrupted before it finished"
                f"{describe_steps(directory, steps)}; pass --overwrite to run it again from "
                "the start (it replaces only a demo's folder), or choose another --output."
            )
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


def is_unfinished_output(directory: Path, steps: Sequence[tuple[str, str]] = ()) -> bool:
    """True for a demo folder whose run never reached :func:`mark_output_complete`
    (and, when ``steps`` are given, that lacks one of them: a demo finished by an older
    version has no completion mark but every output)."""
    marker = directory / DEMO_MARKER
    if not marker.is_file():
        return False
    lines = marker.read_text().split()
    if lines and lines[-1] == DEMO_COMPLETE:
        return False
    return not steps or not all((directory / path).exists() for path, _ in steps)


def describe_steps(directory: Path, steps: Sequence[tuple[str, str]]) -> str:
    """``: it holds A (a) but not B (b)`` for the steps found and missing; "" without steps."""
    if not steps:
        return " (its outputs are incomplete)"
    found = [f"{what} ({path})" for path, what in steps if (directory / path).exists()]
    missing = [f"{what} ({path})" for path, what in steps if not (directory / path).exists()]
    held = ", ".join(found) if found else "none of its outputs"
    return f": it holds {held} but not {', '.join(missing)}"


def mark_output_complete(directory: Path) -> None:
    """Record in the marker that the demo in ``directory`` finished."""
    (directory / DEMO_MARKER).write_text(f"written by sarslide demo\n{DEMO_COMPLETE}\n")
