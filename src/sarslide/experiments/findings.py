"""State, from the numbers, whether the paper's three findings hold on this cube.

Boehm et al. (2022) report: (1) more timesteps help, for all input sets; (2) VV is
more informative than VH; (3) adding the DEM helps with 1-2 timesteps but not
beyond. Each is checked on the ablation table's cell means and spreads.

Rule for "A beats B": the difference of means exceeds ``z`` standard errors
(``sqrt(sA²/nA + sB²/nB)``, default z = 2) when both cells have n >= 2 seeds; with a
single seed there is no spread, and a difference counts when it exceeds
``min_difference`` (0.01 AUPRC) -- the text says which rule was applied.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from sarslide.experiments.results import (
    METHOD_LEARNED,
    METHOD_LOG_RATIO,
    METHOD_POSITIVE_RATE,
    CellStats,
    TableRow,
)

Verdict = Literal["holds", "partly holds", "does not hold", "not testable"]
SAR_INPUT_SETS: Final = ("vv", "vh", "vv+vh", "sar+dem")
METRIC_TITLES: Final = {
    "auprc_chips": "AUPRC on the positive test chips (the paper's measure)",
    "auprc_region": "AUPRC on the whole test region",
}


@dataclass
class Finding:
    """One of the paper's findings, checked: a verdict and the numbers behind it."""

    claim: str
    verdict: Verdict
    evidence: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Comparison:
    """A - B with its standard error and whether it is a clear gain or loss."""

    difference: float
    standard_error: float | None
    direction: Literal["higher", "lower", "same"]

    def describe(self) -> str:
        spread = (
            "no spread, n=1" if self.standard_error is None else f"± {self.standard_error:.3f} SE"
        )
        return f"{self.difference:+.3f} ({spread})"


def compare_cells(
    a: CellStats, b: CellStats, *, z: float = 2.0, min_difference: float = 0.01
) -> Comparison:
    """Is ``a`` clearly higher, clearly lower, or not clearly different from ``b``?"""
    diff = a.mean - b.mean
    if a.n >= 2 and b.n >= 2 and math.isfinite(a.std) and math.isfinite(b.std):
        spread = math.sqrt(a.std**2 / a.n + b.std**2 / b.n)
        se: float | None = spread
        margin = max(z * spread, 1e-12)
    else:
        se = None
        margin = min_difference
    direction: Literal["higher", "lower", "same"] = (
        "higher" if diff > margin else "lower" if diff < -margin else "same"
    )
    return Comparison(diff, se, direction)


def derive_findings(rows: Sequence[TableRow], metric: str = "auprc_chips") -> list[Finding]:
    """The three findings checked on ``metric`` of the learned cells in ``rows``."""
    cells = {
        (r.input_set, r.timesteps_k): r.stats[metric]
        for r in rows
        if r.method == METHOD_LEARNED and r.stats[metric].n > 0
    }
    return [_more_timesteps(cells), _vv_beats_vh(cells), _dem_helps_early(cells)]


def format_findings(
    rows: Sequence[TableRow], *, metrics: Sequence[str] = tuple(METRIC_TITLES)
) -> str:
    """The findings text for every metric, with the baselines for context."""
    lines = [
        "# Do the paper's findings hold on this cube?",
        "",
        "A difference counts when it exceeds 2 standard errors of the difference of the "
        "seed means (or 0.01 AUPRC when a cell has a single seed).",
    ]
    for metric in metrics:
        lines += ["", f"## {METRIC_TITLES.get(metric, metric)}", ""]
        for number, finding in enumerate(derive_findings(rows, metric), start=1):
            lines.append(f"{number}. {finding.claim}: **{finding.verdict.upper()}**")
            lines += [f"   - {line}" for line in finding.evidence]
        lines += _context_lines(rows, metric)
    return "\n".join(lines) + "\n"


def _more_timesteps(cells: dict[tuple[str, int | None], CellStats]) -> Finding:
    claim = "More timesteps help (AUPRC rises from the smallest to the largest k)"
    evidence: list[str] = []
    gains = 0
    tested = 0
    for input_set in SAR_INPUT_SETS:
        ks = sorted(k for (s, k) in cells if s == input_set and k is not None)
        if len(ks) < 2:
            continue
        tested += 1
        low, high = cells[(input_set, ks[0])], cells[(input_set, ks[-1])]
        comp = compare_cells(high, low)
        gains += comp.direction == "higher"
        evidence.append(
            f"{input_set}: k={ks[0]} {low.mean:.3f} -> k={ks[-1]} {high.mean:.3f}, "
            f"{comp.describe()}: {_word(comp)}"
        )
    if tested == 0:
        return Finding(claim, "not testable", ["needs a SAR input set run at two or more k"])
    evidence.append(f"clear gain for {gains} of {tested} input set(s)")
    return Finding(claim, _majority_verdict(gains, tested), evidence)


def _vv_beats_vh(cells: dict[tuple[str, int | None], CellStats]) -> Finding:
    claim = "VV beats VH"
    ks = sorted(k for (s, k) in cells if s == "vv" and k is not None and ("vh", k) in cells)
    if not ks:
        return Finding(claim, "not testable", ["needs 'vv' and 'vh' run at the same k"])
    evidence = []
    wins = 0
    for k in ks:
        comp = compare_cells(cells[("vv", k)], cells[("vh", k)])
        wins += comp.direction == "higher"
        evidence.append(
            f"k={k}: vv {cells[('vv', k)].mean:.3f} vs vh {cells[('vh', k)].mean:.3f}, "
            f"{comp.describe()}: {_word(comp)}"
        )
    evidence.append(f"VV clearly better at {wins} of {len(ks)} k")
    return Finding(claim, _majority_verdict(wins, len(ks)), evidence)


def _dem_helps_early(cells: dict[tuple[str, int | None], CellStats]) -> Finding:
    claim = "Adding the DEM helps at k=1-2 but not beyond (sar+dem vs vv+vh)"
    ks = sorted(k for (s, k) in cells if s == "sar+dem" and k is not None and ("vv+vh", k) in cells)
    early = [k for k in ks if k <= 2]
    late = [k for k in ks if k > 2]
    if not early:
        return Finding(claim, "not testable", ["needs 'sar+dem' and 'vv+vh' at k=1 or 2"])
    evidence = []
    early_gain = late_gain = 0
    for k in ks:
        comp = compare_cells(cells[("sar+dem", k)], cells[("vv+vh", k)])
        gained = comp.direction == "higher"
        if k <= 2:
            early_gain += gained
        else:
            late_gain += gained
        evidence.append(
            f"k={k}: sar+dem {cells[('sar+dem', k)].mean:.3f} vs vv+vh "
            f"{cells[('vv+vh', k)].mean:.3f}, {comp.describe()}: {_word(comp)}"
        )
    early_ok = early_gain == len(early)
    late_ok = late_gain == 0
    if not late:
        evidence.append("no k > 2 run: only the first half of the claim is tested")
    evidence.append(
        f"DEM gain at {early_gain} of {len(early)} early k, at {late_gain} of {len(late)} later k"
    )
    if early_ok and late_ok:
        verdict: Verdict = "holds"
    elif early_gain == 0:
        verdict = "does not hold"
    else:
        verdict = "partly holds"
    return Finding(claim, verdict, evidence)


def _majority_verdict(successes: int, tested: int) -> Verdict:
    if successes * 2 > tested:
        return "holds"
    return "does not hold" if successes == 0 else "partly holds"


def _word(comp: Comparison) -> str:
    return {"higher": "clear gain", "lower": "clear loss", "same": "no clear difference"}[
        comp.direction
    ]


def _context_lines(rows: Sequence[TableRow], metric: str) -> list[str]:
    lines = [""]
    for row in rows:
        stats = row.stats[metric]
        if stats.n == 0:
            continue
        if row.method == METHOD_POSITIVE_RATE:
            lines.append(f"- Positive-rate baseline (random score): {stats.mean:.3f}")
        elif row.method == METHOD_LOG_RATIO:
            lines.append(f"- {row.label}, k={row.timesteps_k}: {stats.mean:.3f}")
        elif row.method == METHOD_LEARNED and row.input_set == "dem":
            lines.append(f"- DEM only (learned, no SAR): {stats.mean:.3f} (n={stats.n})")
    return lines if len(lines) > 1 else []
