"""A training run's folder: whose it is, who writes it, and what an interruption kept.

``train`` writes in place into its run folder (checkpoints appear epoch by epoch), so
before it starts the folder must be empty, new, or this same run to resume: a folder
with files of another run (another data, model or loss config; a ``best.ckpt``
without ``last.ckpt``) or files that are not a sarslide run is refused, never
replaced. While training, a lock beside the folder makes a second ``train`` into the
same folder refuse.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sarslide.errors import ConfigError, Interrupted, OutputExistsError
from sarslide.ownership import MANIFEST_NAME, hold_lock, read_manifest, write_manifest
from sarslide.training.config import load_train_config

logger = logging.getLogger(__name__)

COMMAND = "train"
CHECKPOINT_DIR = "checkpoints"
BEST_FILE = "best.ckpt"
LAST_FILE = "last.ckpt"
CONFIG_NAME = "config.yaml"


def is_launched_rank() -> bool:
    """True in the extra processes a DDP launcher starts (they reuse rank 0's folder)."""
    return any(os.environ.get(name, "0") != "0" for name in ("LOCAL_RANK", "NODE_RANK"))


@contextlib.contextmanager
def claim_run_folder(root: Path, cfg: Any) -> Iterator[Path]:
    """Check that ``root`` may take this run, lock it for the block, mark it as a run.

    If the block fails before anything but the mark was written (a bad cube, a wrong
    device), the mark goes again, and the folder too when this call created it.
    """
    if is_launched_rank():
        yield root
        return
    with hold_lock(root, COMMAND):
        check_run_folder(root, cfg)
        created = not root.exists()
        root.mkdir(parents=True, exist_ok=True)
        marked = read_manifest(root) is None
        if marked:
            write_manifest(root, COMMAND)
        try:
            yield root
        except BaseException:
            if marked:
                remove_untouched_run_folder(root, remove_folder=created)
            raise


def remove_untouched_run_folder(root: Path, *, remove_folder: bool) -> None:
    """Remove this run's mark from ``root`` when nothing else is in it (and the folder)."""
    if any(p.name != MANIFEST_NAME for p in root.iterdir()):
        return  # the run wrote something: kept (resume, or the user looks at it)
    (root / MANIFEST_NAME).unlink(missing_ok=True)
    if remove_folder:
        root.rmdir()


def check_run_folder(root: Path, cfg: Any) -> None:
    """Refuse a run folder holding another run's files, or files not from a run.

    Raises:
        OutputExistsError: not a folder; files that are not a sarslide run; a run of
            another command; a ``best.ckpt`` without ``last.ckpt``.
        ConfigError: the folder's run used other data, model or loss settings.
    """
    if not root.exists():
        return
    if not root.is_dir():
        raise OutputExistsError(
            f"The run directory {str(root)!r} is a file; choose a folder path (-o)."
        )
    if not any(p.name != MANIFEST_NAME for p in root.iterdir()):
        return
    record = read_manifest(root)
    config_path = root / CONFIG_NAME
    if record is not None and record.get("command") != COMMAND:
        raise OutputExistsError(
            f"The run directory {str(root)!r} holds the output of 'sarslide "
            f"{record.get('command')}', not a training run; choose another folder (-o)."
        )
    best, last = root / CHECKPOINT_DIR / BEST_FILE, root / CHECKPOINT_DIR / LAST_FILE
    if best.is_file() and not last.is_file():
        raise OutputExistsError(
            f"The run directory {str(root)!r} has {BEST_FILE} but no {LAST_FILE}: another "
            "run's model that cannot be resumed, and training would replace it. Choose "
            "another folder (-o)."
        )
    if record is None and not config_path.is_file():
        some = sorted(p.name for p in root.iterdir())[:3]
        raise OutputExistsError(
            f"The run directory {str(root)!r} already holds files that are not a sarslide "
            f"training run (e.g. {some}); training there could replace them. Choose a new "
            "or empty folder (-o)."
        )
    check_same_config(config_path, cfg)


def check_same_config(config_path: Path, cfg: Any) -> None:
    """Refuse to continue a run whose data, model or loss settings changed."""
    if not config_path.is_file():
        return
    previous = load_train_config(config_path)
    changed = [
        name for name in ("data", "model", "loss") if getattr(previous, name) != getattr(cfg, name)
    ]
    if changed:
        raise ConfigError(
            f"The run in {str(config_path.parent)!r} was trained with different {changed} "
            "settings; resuming would mix them. Use another output_dir."
        )


def describe_interruption(root: Path, exception: BaseException | None) -> Interrupted:
    """The ``Interrupted`` to raise after training stopped on Ctrl-C or SIGTERM."""
    signum = int(getattr(exception, "signum", 0)) or (
        signal.SIGTERM if type(exception).__name__ == "SIGTERMException" else signal.SIGINT
    )
    name = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"
    last = root / CHECKPOINT_DIR / LAST_FILE
    if last.is_file():
        kept = (
            f"{last} (the last finished epoch) is kept; resume with the same command "
            f"(it continues from last.ckpt), e.g. 'sarslide train {root / CONFIG_NAME}'."
        )
    else:
        kept = "no epoch had finished, so no checkpoint was kept; run the same command again."
    logger.warning("training interrupted (%s)", name)
    return Interrupted(f"training interrupted ({name}) before it finished; {kept}", signum=signum)
