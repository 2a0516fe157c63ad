"""Lightning's checkpoint writing, made atomic in the checkpoint's own folder.

Lightning writes a checkpoint through an fsspec transaction that stages the file in
the system temporary folder and *copies* it across filesystems on commit: a full
disk then leaves a truncated ``last.ckpt`` under its final name, and the run can be
neither resumed nor restarted. Here the file is written beside its target and
renamed (``sarslide.atomic.replacing``): a failed write leaves the previous
checkpoint intact.
"""

from __future__ import annotations

import os
from typing import Any

import torch

from sarslide.atomic import replacing
from sarslide.compat.torch_stack import lightning
from sarslide.errors import CheckpointError


class AtomicCheckpointIO(lightning.pytorch.plugins.TorchCheckpointIO):
    """``TorchCheckpointIO`` whose saves are a temporary file in the same folder + rename."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None
    ) -> None:
        if storage_options is not None or "://" in os.fspath(path):
            super().save_checkpoint(checkpoint, path, storage_options)  # remote: Lightning's
            return
        save_checkpoint_file(checkpoint, path)


def save_checkpoint_file(checkpoint: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """``torch.save`` to a temporary file beside ``path``, flushed to disk, then rename.

    Raises:
        CheckpointError: the write failed (disk full...); ``path`` is unchanged.
    """
    try:
        with replacing(path) as tmp, open(tmp, "wb") as file:
            torch.save(checkpoint, file)
            file.flush()
            os.fsync(file.fileno())
    except (OSError, RuntimeError) as err:  # torch reports a failed write as RuntimeError
        cause: BaseException | None = err
        while cause is not None and not isinstance(cause, OSError):
            cause = cause.__context__
        reason = cause.strerror if isinstance(cause, OSError) else str(err)
        raise CheckpointError(
            f"Could not write the checkpoint {os.fspath(path)!r} ({reason}); the previous "
            "checkpoint is kept. Free some space, then run the same command to resume."
        ) from err


class ExceptionRecorder(lightning.Callback):
    """Keeps the exception that stopped ``fit`` (Lightning turns Ctrl-C into an exit)."""

    def __init__(self) -> None:
        self.exception: BaseException | None = None

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self.exception = exception
