"""Expand an ablation configuration into run specifications with stable ids.

A run id names the cell and the seed (``vv_vh-k2-s1``); its directory is
``<output_dir>/runs/<run id>``. Ids depend only on (input set, k, seed), so a grid
that grows (more seeds, more k) keeps the runs it already has.

"dem" has no SAR channel and does not depend on k: by default it runs once per seed
(``dem-s0``) and is drawn as a flat line; ``dem_per_k: true`` runs it for every k.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sarslide.experiments.config import (
    K_INDEPENDENT_INPUT_SETS,
    PAPER_INPUT_SETS,
    AblationConfig,
)
from sarslide.experiments.records import RESULT_FILENAME

RUNS_DIRNAME: Final = "runs"
_SLUGS: Final[dict[str, str]] = {
    "vv": "vv",
    "vh": "vh",
    "vv+vh": "vv_vh",
    "sar+dem": "sar_dem",
    "dem": "dem",
}

EXPECTED_CHANNELS: Final[dict[str, tuple[str, ...]]] = {
    "vv": ("vv_before", "vv_after"),
    "vh": ("vh_before", "vh_after"),
    "vv+vh": ("vv_before", "vh_before", "vv_after", "vh_after"),
    "sar+dem": (
        "vv_before",
        "vh_before",
        "vv_after",
        "vh_after",
        "dem",
        "dem_slope_radians",
        "dem_aspect",
        "dem_curvature",
    ),
    "dem": ("dem", "dem_slope_radians", "dem_aspect", "dem_curvature"),
}
"""The channels each input set must get (the order is the chips package's)."""


@dataclass(frozen=True)
class RunSpec:
    """One run of the grid: an input set, k (None when k does not matter) and a seed.

    ``train`` is the base training configuration (a mapping, identical for every run);
    the runner applies this run's channels, k, seed and directory to it.
    """

    input_set: str
    timesteps_k: int | None
    seed: int
    run_dir: Path
    data_k: int = 1
    train: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def run_id(self) -> str:
        """Stable id: ``<input set>-k<k>-s<seed>`` or ``<input set>-s<seed>``."""
        return make_run_id(self.input_set, self.timesteps_k, self.seed)


def make_run_id(input_set: str, timesteps_k: int | None, seed: int) -> str:
    """``vv_vh-k2-s1`` for (``vv+vh``, 2, 1); ``dem-s0`` when k is None."""
    slug = _SLUGS.get(input_set, input_set.replace("+", "_"))
    k_part = "" if timesteps_k is None else f"-k{timesteps_k}"
    return f"{slug}{k_part}-s{seed}"


def expand_grid(cfg: AblationConfig, *, train: dict[str, Any] | None = None) -> list[RunSpec]:
    """All runs of ``cfg`` in a fixed order: input set (paper order), k, seed.

    Args:
        cfg: the ablation configuration.
        train: the resolved base training configuration (a mapping) to carry in
            every spec; default: ``cfg.train`` when it is a mapping, else empty.
    """
    base = train if train is not None else (cfg.train if isinstance(cfg.train, dict) else {})
    runs_dir = Path(cfg.output_dir) / RUNS_DIRNAME
    ordered_sets = sorted(cfg.input_sets, key=input_set_rank)
    specs: list[RunSpec] = []
    for input_set in ordered_sets:
        independent = input_set in K_INDEPENDENT_INPUT_SETS and not cfg.dem_per_k
        ks: list[int | None] = [None] if independent else list(cfg.timesteps_k)
        for k in ks:
            for seed in sorted(cfg.seeds):
                run_id = make_run_id(input_set, k, seed)
                specs.append(
                    RunSpec(
                        input_set=input_set,
                        timesteps_k=k,
                        seed=seed,
                        run_dir=runs_dir / run_id,
                        data_k=k if k is not None else min(cfg.timesteps_k),
                        train=base,
                    )
                )
    return specs


def input_set_rank(input_set: str) -> int:
    """Position of an input set in the paper's order (unknown ones last)."""
    try:
        return PAPER_INPUT_SETS.index(input_set)
    except ValueError:
        return len(PAPER_INPUT_SETS)


def count_finished_runs(output_dir: str | Path) -> int:
    """Runs of a grid folder that wrote their result."""
    return len(list((Path(output_dir) / RUNS_DIRNAME).glob(f"*/{RESULT_FILENAME}")))
