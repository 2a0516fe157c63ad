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
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import torch

from sarslide.chips import DataConfig
from sarslide.errors import CheckpointError, ConfigError, Interrupted, OutputExistsError
from sarslide.ownership import (
    MANIFEST_NAME,
    check_not_input,
    hold_lock,
    read_manifest,
    write_manifest,
)
from sarslide.training.config import load_train_config

logger = logging.getLogger(__name__)

COMMAND = "train"
CHECKPOINT_DIR = "checkpoints"
BEST_FILE = "best.ckpt"
LAST_FILE = "last.ckpt"
CONFIG_NAME = "config.yaml"
RESOLVED_CONFIG_NAME = "config.resolved.yaml"  # beside a user's own config.yaml
# What a run writes into its folder (a user's files of these names would be replaced).
RUN_OUTPUTS = (
    CHECKPOINT_DIR,
    "logs",
    CONFIG_NAME,
    "split.json",
    "normalisation.json",
    "chips.json",
    "metrics.csv",
    "training_curve.png",
)


def is_launched_rank() -> bool:
    """True in the extra processes a DDP launcher starts (they reuse rank 0's folder)."""
    return any(os.environ.get(name, "0") != "0" for name in ("LOCAL_RANK", "NODE_RANK"))


@contextlib.contextmanager
def claim_run_folder(
    root: Path, cfg: Any, *, inputs: Iterable[str | os.PathLike[str] | None] = ()
) -> Iterator[Path]:
    """Check that ``root`` may take this run, lock it for the block, mark it as a run.

    ``inputs`` (the cubes, ...) must not be, hold or contain ``root``. If the block
    fails before anything but the mark was written (a bad cube, a wrong device), the
    mark goes again, and the folder too when this call created it.
    """
    if is_launched_rank():
        yield root
        return
    check_not_input(root, inputs)
    with hold_lock(root, COMMAND):
        check_run_folder(root, cfg)
        created = not root.exists()
        root.mkdir(parents=True, exist_ok=True)
        before = {p.name for p in root.iterdir()}
        marked = read_manifest(root) is None
        if marked:
            users_config = CONFIG_NAME in before and not (root / CHECKPOINT_DIR).exists()
            details = {"config_file": RESOLVED_CONFIG_NAME} if users_config else {}
            write_manifest(root, COMMAND, **details)
        try:
            yield root
        except BaseException:
            if marked:
                remove_untouched_run_folder(root, before=before, remove_folder=created)
            raise


def run_config_path(root: Path) -> Path:
    """Where the run in ``root`` keeps its resolved config: ``config.yaml``, or
    ``config.resolved.yaml`` when the folder held a user's ``config.yaml`` before."""
    record = read_manifest(root) or {}
    name = record.get("config_file") if record.get("command") == COMMAND else None
    return root / (name if name in (CONFIG_NAME, RESOLVED_CONFIG_NAME) else CONFIG_NAME)


def remove_untouched_run_folder(root: Path, *, before: set[str], remove_folder: bool) -> None:
    """Remove this run's mark from ``root`` when the run added nothing else (and the
    folder, when the run made it)."""
    if any(p.name not in before and p.name != MANIFEST_NAME for p in root.iterdir()):
        return  # the run wrote something: kept (resume, or the user looks at it)
    (root / MANIFEST_NAME).unlink(missing_ok=True)
    if remove_folder:
        root.rmdir()


def check_run_folder(root: Path, cfg: Any) -> None:
    """Refuse a run folder holding another run's files, or files not from a run.

    Raises:
        OutputExistsError: not a folder; files that are not a sarslide run; a run of
            another command; a ``best.ckpt`` without ``last.ckpt`` and no run manifest.
        ConfigError: the folder's run used other data, model or loss settings.
        CheckpointError: its ``last.ckpt`` (or lone ``best.ckpt``) is truncated.
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
    if record is not None and record.get("command") != COMMAND:
        raise OutputExistsError(
            f"The run directory {str(root)!r} holds the output of 'sarslide "
            f"{record.get('command')}', not a training run; choose another folder (-o)."
        )
    best, last = root / CHECKPOINT_DIR / BEST_FILE, root / CHECKPOINT_DIR / LAST_FILE
    if record is None and best.is_file() and not last.is_file():
        raise OutputExistsError(
            f"The run directory {str(root)!r} has {BEST_FILE} but no {LAST_FILE}: another "
            "run's model that cannot be resumed, and training would replace it. Choose "
            "another folder (-o)."
        )
    if record is None:
        check_foreign_files(root)
    check_same_settings(root, cfg)


def check_foreign_files(root: Path) -> None:
    """Refuse a folder without a run manifest unless it is an older sarslide run
    (``config.yaml`` and ``checkpoints/``) or holds only a user's ``config.yaml``
    (the run then writes its resolved config beside it, as ``config.resolved.yaml``)."""
    names = sorted(p.name for p in root.iterdir() if p.name != MANIFEST_NAME)
    if CONFIG_NAME in names and (CHECKPOINT_DIR in names or names == [CONFIG_NAME]):
        return
    replaced = [name for name in names if name in RUN_OUTPUTS]
    clash = f"; training would overwrite {replaced}" if replaced else ""
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    raise OutputExistsError(
        f"The run directory {str(root)!r} already holds {len(names)} entries that are not a "
        f"sarslide training run ({shown}){clash}; a run writes {', '.join(RUN_OUTPUTS)} "
        "there. Choose a new or empty folder (-o)."
    )


def check_same_settings(root: Path, cfg: Any) -> None:
    """Refuse to continue a run whose data, model or loss settings changed: compared
    with the run's resolved config, or (when that was lost) with what its checkpoint
    recorded. A truncated checkpoint is named with the fix."""
    config_path = run_config_path(root)
    if config_path.is_file():
        previous = load_train_config(config_path)
        sections = ("data", "model", "loss")
        _refuse_changes(root, previous, cfg, sections, where=config_path)
    last = root / CHECKPOINT_DIR / LAST_FILE
    checkpoint = last if last.is_file() else root / CHECKPOINT_DIR / BEST_FILE
    recorded = read_run_checkpoint(checkpoint) if checkpoint.is_file() else None
    if recorded is not None and not config_path.is_file():
        try:
            data = DataConfig.model_validate(recorded["data_config"])
        except ValueError:  # not this version's settings: compared as recorded
            data = recorded["data_config"]
        _refuse_changes(root, {"data": data}, cfg, ("data",), where=checkpoint, resolved=True)


def _refuse_changes(
    root: Path,
    previous: Any,
    cfg: Any,
    sections: tuple[str, ...],
    *,
    where: Path,
    resolved: bool = False,
) -> None:
    """``resolved``: ``previous`` holds the values the run resolved (a checkpoint's
    ``orbit: ascending``), so a setting left to the run now (None, 'auto') matches."""

    def dump(value: Any) -> Any:
        return value.model_dump(mode="json") if hasattr(value, "model_dump") else value

    before = {
        name: dump(previous[name] if isinstance(previous, dict) else getattr(previous, name))
        for name in sections
    }
    now = {name: dump(getattr(cfg, name)) for name in sections}
    changes = describe_changes(before, now, left_to_run=resolved)
    if changes:
        raise ConfigError(
            f"The run in {str(root)!r} was trained with other settings ({'; '.join(changes)}; "
            f"recorded in {str(where)!r}); resuming would mix them. Use the run's settings, "
            "or another output_dir."
        )


def describe_changes(
    before: dict[str, Any], now: dict[str, Any], prefix: str = "", *, left_to_run: bool = False
) -> list[str]:
    """``'data.timesteps_k: 4 in the run, 2 now'`` for every leaf that differs
    (``left_to_run``: a value now None or 'auto' matches what the run resolved)."""
    changes: list[str] = []
    for key in sorted({*before, *now}):
        old, new = before.get(key), now.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            changes += describe_changes(old, new, f"{prefix}{key}.", left_to_run=left_to_run)
        elif left_to_run and new in (None, "auto"):
            continue
        elif old != new:
            changes.append(f"{prefix}{key}: {old!r} in the run, {new!r} now")
    return changes


def read_run_checkpoint(path: Path) -> dict[str, Any] | None:
    """The landslide metadata of a run's checkpoint (None for another task's).

    Raises:
        CheckpointError: the file cannot be read (truncated by a crash during a save).
    """
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as err:  # torch raises many types for a truncated file
        best = path.parent / BEST_FILE
        fix = (
            f"delete or rename it to resume from {BEST_FILE}"
            if path.name == LAST_FILE and best.is_file()
            else "delete it to train anew"
        )
        raise CheckpointError(
            f"The run's checkpoint {str(path)!r} is truncated or corrupt and cannot be "
            f"resumed ({type(err).__name__}: {_first_line(err)}); {fix}, or train into "
            "another folder (-o)."
        ) from err
    metadata = ((ckpt or {}).get("hyper_parameters") or {}).get("metadata") or {}
    return metadata if "data_config" in metadata else None


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [""])[0][:200]


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
            f"(it continues from last.ckpt), e.g. 'sarslide train {run_config_path(root)}'."
        )
    else:
        kept = "no epoch had finished, so no checkpoint was kept; run the same command again."
    logger.warning("training interrupted (%s)", name)
    return Interrupted(f"training interrupted ({name}) before it finished; {kept}", signum=signum)
