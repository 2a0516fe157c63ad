"""The Sentinel-1 acquisitions around an event: what exists, what is missing, what is next.

A model trained with ``timesteps_k = k`` needs the k acquisitions nearest the event on
each side (``sarslide.chips.select_event_timesteps``: strictly before ``event_start``,
strictly after ``event_end``). ``plan_acquisitions`` takes the passes found over the
AOI (one per satellite pass, frames merged) and says which k it will use, which passes
the revisit of each track predicts but the catalogue lacks, and, when the event is too
recent, the date on which the k-th pass after it is expected.

The revisit is not assumed: it is the smallest spacing between the observed passes of
one relative orbit (12 days with one Sentinel-1 platform, 6 with two), rounded to whole
days. A track seen only once is given 12 days (one platform) and said so.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sarslide.errors import DataSelectionError

logger = logging.getLogger(__name__)

ONE_PLATFORM_REVISIT_DAYS = 12  # Sentinel-1 repeat cycle of one satellite
MATCH_TOLERANCE = pd.Timedelta(days=1)  # a pass within a day of its expected date is that pass
FAR_REVISITS = 2  # a chosen pass farther from the event than this many revisits is reported


@dataclass(frozen=True)
class Pass:
    """One satellite pass over the AOI (adjacent frames merged): one cube timestep."""

    time: pd.Timestamp  # UTC, naive: the earliest frame's time
    orbit_state: str
    relative_orbit: int
    item_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time.isoformat(),
            "orbit_state": self.orbit_state,
            "relative_orbit": self.relative_orbit,
            "items": list(self.item_ids),
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Pass:
        return cls(
            time=pd.Timestamp(values["time"]),
            orbit_state=str(values["orbit_state"]),
            relative_orbit=int(values["relative_orbit"]),
            item_ids=tuple(values.get("items", ())),
        )

    def describe(self) -> str:
        return (
            f"{self.time:%Y-%m-%d %H:%M} ({self.orbit_state}, relative orbit {self.relative_orbit})"
        )


@dataclass
class AcquisitionPlan:
    """Which passes a model of k acquisitions per side gets for an event, and what is missing.

    Attributes:
        event_start, event_end: the event window (UTC, naive).
        k: acquisitions needed on each side.
        before, after: the chosen passes (at most k each, in time order).
        inside: passes inside the event window (in the cube, used by neither side).
        found: every pass found in the search window that passed the filters.
        revisit_days: per relative orbit, the revisit derived from the observed spacing.
        missing: passes the revisit predicts inside the search window but not found.
        expected_after: the next passes the revisit predicts after the last one found.
        notes: assumptions made (e.g. a track seen once is given 12 days).
    """

    event_start: pd.Timestamp
    event_end: pd.Timestamp
    k: int
    search_start: pd.Timestamp
    search_end: pd.Timestamp
    found: list[Pass]
    before: list[Pass]
    after: list[Pass]
    inside: list[Pass]
    revisit_days: dict[int, int]
    missing: list[Pass]
    expected_after: list[Pass]
    orbit_state: str | None = None
    relative_orbit: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """k passes on each side."""
        return len(self.before) >= self.k and len(self.after) >= self.k

    @property
    def ready_date(self) -> pd.Timestamp | None:
        """When the k-th pass after the event is expected (None: no track to project)."""
        if len(self.after) >= self.k:
            return self.after[self.k - 1].time
        future = sorted(
            [p.time for p in self.after]
            + [p.time for p in self.expected_after if p.time > self.event_end]
        )
        return future[self.k - 1] if len(future) >= self.k else None

    @property
    def cube_window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """The acquisition window that gives exactly the chosen passes (and those inside)."""
        if not self.complete:
            raise DataSelectionError("The plan is incomplete; no cube window to build.")
        margin = pd.Timedelta(minutes=30)  # frames of one pass: minutes; passes: >= 1.5 h apart
        return self.before[0].time - margin, self.after[-1].time + margin

    def to_dict(self) -> dict[str, Any]:
        ready = self.ready_date
        return {
            "event_start": self.event_start.isoformat(),
            "event_end": self.event_end.isoformat(),
            "timesteps_k": self.k,
            "orbit_state": self.orbit_state,
            "relative_orbit": self.relative_orbit,
            "search_window": [self.search_start.isoformat(), self.search_end.isoformat()],
            "complete": self.complete,
            "before": [p.to_dict() for p in self.before],
            "after": [p.to_dict() for p in self.after],
            "inside_event_window": [p.to_dict() for p in self.inside],
            "found": [p.to_dict() for p in self.found],
            "revisit_days": {str(k): v for k, v in self.revisit_days.items()},
            "missing": [p.to_dict() for p in self.missing],
            "expected_after": [p.to_dict() for p in self.expected_after],
            "ready_date": ready.isoformat() if ready is not None else None,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> AcquisitionPlan:
        """The plan ``to_dict`` wrote (a rerun resumes from it without searching again)."""

        def passes(key: str) -> list[Pass]:
            return [Pass.from_dict(p) for p in values.get(key, [])]

        return cls(
            event_start=pd.Timestamp(values["event_start"]),
            event_end=pd.Timestamp(values["event_end"]),
            k=int(values["timesteps_k"]),
            search_start=pd.Timestamp(values["search_window"][0]),
            search_end=pd.Timestamp(values["search_window"][1]),
            found=passes("found"),
            before=passes("before"),
            after=passes("after"),
            inside=passes("inside_event_window"),
            revisit_days={int(k): int(v) for k, v in values.get("revisit_days", {}).items()},
            missing=passes("missing"),
            expected_after=passes("expected_after"),
            orbit_state=values.get("orbit_state"),
            relative_orbit=values.get("relative_orbit"),
            notes=list(values.get("notes", [])),
        )

    def describe(self) -> list[str]:
        """Lines for the console and the report: counts, dates, gaps, revisit."""
        lines = [
            f"searched {self.search_start:%Y-%m-%d} .. {self.search_end:%Y-%m-%d}: "
            f"{len(self.found)} pass(es) over the AOI",
            f"before the event: {len(self.before)} of {self.k} needed" + _dates(self.before),
            f"after the event: {len(self.after)} of {self.k} needed" + _dates(self.after),
        ]
        if self.inside:
            lines.append(
                f"inside the event window (not used): {len(self.inside)}" + _dates(self.inside)
            )
        for track, days in sorted(self.revisit_days.items()):
            platforms = "one platform" if days >= ONE_PLATFORM_REVISIT_DAYS else "two platforms"
            lines.append(f"relative orbit {track}: revisit {days} days ({platforms})")
        if self.missing:
            lines.append(
                f"missing (expected from the revisit, not in the catalogue): "
                f"{len(self.missing)}" + _dates(self.missing)
            )
        lines.extend(self.notes)
        return lines


def plan_acquisitions(
    passes: Sequence[Pass],
    *,
    event_start: pd.Timestamp,
    event_end: pd.Timestamp,
    k: int,
    search_start: pd.Timestamp,
    search_end: pd.Timestamp,
    now: pd.Timestamp,
    orbit_state: str | None = None,
    relative_orbit: int | None = None,
) -> AcquisitionPlan:
    """Choose the k passes nearest the event on each side; find gaps; project the next passes.

    Args:
        passes: every pass found over the AOI in the search window (filters applied).
        event_start: passes strictly before it count as "before".
        event_end: passes strictly after it count as "after".
        k: passes needed on each side (the model's ``timesteps_k``).
        search_start: start of the searched period (gaps are looked for inside it).
        search_end: end of the searched period.
        now: the current time (UTC, naive): passes due after it are not missing yet.
        orbit_state: the orbit filter the passes went through (recorded in the plan).
        relative_orbit: the relative-orbit filter (recorded).
    """
    if k < 1:
        raise DataSelectionError(f"Invalid timesteps_k={k}; the model needs at least 1.")
    found = sorted(passes, key=lambda p: p.time)
    before = [p for p in found if p.time < event_start][-k:]
    after = [p for p in found if p.time > event_end][:k]
    inside = [p for p in found if event_start <= p.time <= event_end]
    revisit, notes = estimate_revisit_days(found)
    notes += describe_far_passes(before, after, event_start, event_end, revisit)
    missing, expected = [], []
    for track, days in revisit.items():
        mine = [p for p in found if p.relative_orbit == track]
        step = pd.Timedelta(days=days)
        missing += _missing_passes(mine, step, search_start, min(search_end, now))
        expected += _next_passes(mine[-1], step, after=event_end, count=k)
    return AcquisitionPlan(
        event_start=event_start,
        event_end=event_end,
        k=k,
        search_start=search_start,
        search_end=search_end,
        found=found,
        before=before,
        after=after,
        inside=inside,
        revisit_days=revisit,
        missing=sorted(missing, key=lambda p: p.time),
        expected_after=sorted(expected, key=lambda p: p.time),
        orbit_state=orbit_state,
        relative_orbit=relative_orbit,
        notes=notes,
    )


def estimate_revisit_days(passes: Sequence[Pass]) -> tuple[dict[int, int], list[str]]:
    """Per relative orbit, the smallest spacing of its passes in whole days (>= 1).

    A track seen once gets the one-platform revisit (12 days), noted in the second value.
    """
    revisit: dict[int, int] = {}
    notes = []
    tracks = sorted({p.relative_orbit for p in passes})
    for track in tracks:
        times = sorted(p.time for p in passes if p.relative_orbit == track)
        gaps = [(b - a) / pd.Timedelta(days=1) for a, b in itertools.pairwise(times)]
        gaps = [g for g in gaps if g >= 0.5]
        if gaps:
            revisit[track] = max(1, round(min(gaps)))
        else:
            revisit[track] = ONE_PLATFORM_REVISIT_DAYS
            notes.append(
                f"relative orbit {track} was seen once: its revisit is taken as "
                f"{ONE_PLATFORM_REVISIT_DAYS} days (one Sentinel-1 platform)"
            )
    return revisit, notes


def describe_far_passes(
    before: Sequence[Pass],
    after: Sequence[Pass],
    event_start: pd.Timestamp,
    event_end: pd.Timestamp,
    revisit: dict[int, int],
) -> list[str]:
    """A note for the nearest pass on each side when it is more than ``FAR_REVISITS``
    revisits from the event: the map then compares acquisitions months apart."""
    notes = []
    nearest = (("after", after[0] if after else None), ("before", before[-1] if before else None))
    for side, chosen in nearest:
        if chosen is None:
            continue
        days = revisit.get(chosen.relative_orbit, ONE_PLATFORM_REVISIT_DAYS)
        gap = chosen.time - event_end if side == "after" else event_start - chosen.time
        if gap > pd.Timedelta(days=FAR_REVISITS * days):
            notes.append(
                f"far {side} the event: the nearest pass {side} it ({chosen.time:%Y-%m-%d}) is "
                f"{gap.days} days away ({gap / pd.Timedelta(days=days):.0f} revisits of {days} "
                "days): the map compares acquisitions that far apart"
            )
    return notes


def search_days_needed(
    passes: Sequence[Pass], *, event_start: pd.Timestamp, event_end: pd.Timestamp, k: int
) -> tuple[list[Pass], list[Pass], int | None]:
    """The k passes nearest the event on each side among ``passes`` (any distance) and the
    ``--search-days`` that reaches them (None: fewer than k on a side)."""
    ordered = sorted(passes, key=lambda p: p.time)
    before = [p for p in ordered if p.time < event_start][-k:]
    after = [p for p in ordered if p.time > event_end][:k]
    if len(before) < k or len(after) < k:
        return before, after, None
    reach = max(event_start - before[0].time, after[-1].time - event_end)
    return before, after, int(reach / pd.Timedelta(days=1)) + 1


def describe_reach(plan: AcquisitionPlan, beyond: list[Pass] | None) -> str:
    """Where the k passes nearest the event lie when the search window misses them."""
    if not beyond or plan.complete:
        return ""
    before, after, days = search_days_needed(
        [*plan.found, *beyond], event_start=plan.event_start, event_end=plan.event_end, k=plan.k
    )
    short = [
        (side, chosen)
        for side, chosen, have in (("before", before, plan.before), ("after", after, plan.after))
        if len(have) < plan.k and chosen
    ]
    if not short:
        return ""
    found = "; ".join(
        f"{side} it: {', '.join(f'{p.time:%Y-%m-%d}' for p in chosen)}" for side, chosen in short
    )
    if days is None:
        return f" Outside the searched window the products hold {found}, fewer than k={plan.k}."
    return (
        f" Outside the searched window the products hold the nearest passes {found}: "
        f"rerun with --search-days {days} to reach them (the map then compares "
        "acquisitions that far apart)."
    )


def _missing_passes(
    track: list[Pass], step: pd.Timedelta, search_start: pd.Timestamp, search_end: pd.Timestamp
) -> list[Pass]:
    """Dates the revisit predicts in [search_start, search_end] with no pass within a day."""
    anchor = track[0]
    first = -int((anchor.time - search_start) // step)
    last = int((search_end - anchor.time) // step)
    found = [p.time for p in track]
    missing = []
    for n in range(first, last + 1):
        when = anchor.time + n * step
        if not search_start <= when <= search_end:
            continue
        if not any(abs(t - when) <= MATCH_TOLERANCE for t in found):
            missing.append(Pass(when, anchor.orbit_state, anchor.relative_orbit))
    return missing


def _next_passes(last: Pass, step: pd.Timedelta, *, after: pd.Timestamp, count: int) -> list[Pass]:
    """The ``count`` passes the revisit predicts after both ``last`` and ``after``."""
    skip = max(0, int((after - last.time) // step))
    return [
        Pass(last.time + n * step, last.orbit_state, last.relative_orbit)
        for n in range(skip + 1, skip + count + 2)
        if last.time + n * step > after
    ][:count]


def _dates(passes: Sequence[Pass]) -> str:
    return (": " + ", ".join(f"{p.time:%Y-%m-%d}" for p in passes)) if passes else ""
