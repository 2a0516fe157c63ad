"""The package's error hierarchy.

Every error says what was wrong, the value received, and how to fix it.
"""

from __future__ import annotations

from collections.abc import Sequence


class SarslideError(Exception):
    """Base class of every error raised on purpose by sarslide."""


class CubeNotFoundError(SarslideError, FileNotFoundError):
    """A datacube path or URL does not exist or cannot be opened as Zarr."""


class CubeValidationError(SarslideError, ValueError):
    """A datacube breaks the datacube contract; lists every problem at once."""

    def __init__(self, problems: Sequence[str], *, source: str | None = None) -> None:
        self.problems = list(problems)
        where = f" {source}" if source else ""
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"The datacube{where} does not meet the sarslide datacube contract "
            f"({len(self.problems)} problem(s)):\n{lines}"
        )


class CrsError(SarslideError, ValueError):
    """A raster or vector has no CRS, or a CRS unfit for the computation."""


class ConfigError(SarslideError, ValueError):
    """A configuration file or option is invalid."""


class DataSelectionError(SarslideError, ValueError):
    """A requested selection (timesteps, channels, chips, region) cannot be made."""


class OutputExistsError(SarslideError, FileExistsError):
    """An output path exists and overwriting was not asked for."""


class DownloadError(SarslideError, OSError):
    """A download failed, was truncated, or did not match its checksum."""


class RasterGridError(SarslideError, ValueError):
    """A raster's dims, coordinates or size cannot be used for the computation."""


class CheckpointError(SarslideError, ValueError):
    """A model checkpoint is missing, unreadable, or lacks what sarslide stores in it."""


class EventTooRecentError(DataSelectionError):
    """Fewer acquisitions exist after an event than the model needs (yet).

    ``ready_date`` is when the last one needed is expected (None if it cannot be said).
    """

    def __init__(self, message: str, *, ready_date: object = None) -> None:
        super().__init__(message)
        self.ready_date = ready_date


class OutputLocationError(SarslideError, OSError):
    """An output path cannot be written: under a regular file, read-only or not writable."""


class CorruptChunkError(SarslideError, ValueError):
    """A chunk file of a Zarr store cannot be decoded (corrupt or truncated)."""


class OutputBusyError(SarslideError, FileExistsError):
    """Another sarslide process is writing the same output right now."""


class SchedulerLostError(SarslideError, ConnectionError):
    """The dask scheduler went away (stopped, crashed, unreachable) during a run."""


class CubeContentError(SarslideError, ValueError):
    """A datacube's values cannot be used: dB instead of linear, all zeros, all nodata."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) or SIGTERM stopped a command; the message says what was kept.

    A KeyboardInterrupt, so every ``finally`` cleans up as for Ctrl-C; the CLI exits
    with 128 + ``signum`` (130 for SIGINT, 143 for SIGTERM).
    """

    def __init__(self, message: str = "", *, signum: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.signum = signum


class DeviceError(ConfigError):
    """A requested device (GPU) or precision is not available on this machine."""
