"""What the ISSLIDE jobs return: frozen records of the files they wrote."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class IsslideOutputs(Mapping[str, Path]):
    """The files an ISSLIDE evaluation wrote, by name (``table_md``, ``table_csv``,
    ``metrics_json``, ``figure_png``, ...); reads like the dict it replaced."""

    paths: dict[str, Path]

    def __getitem__(self, name: str) -> Path:
        return self.paths[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)


@dataclass(frozen=True)
class IsslideRuns:
    """The run folders ``train_isslide`` trained, one per model, in ``cfg.models`` order."""

    run_dirs: tuple[Path, ...]

    def __iter__(self) -> Iterator[Path]:
        return iter(self.run_dirs)

    def __len__(self) -> int:
        return len(self.run_dirs)
