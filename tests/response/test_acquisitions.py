"""The acquisition plan: k per side, revisit from the observed spacing, gaps, ready date."""

from __future__ import annotations

import pandas as pd
import pytest

from sarslide.errors import DataSelectionError
from sarslide.response.acquisitions import AcquisitionPlan, Pass, plan_acquisitions

T = pd.Timestamp


def track(first: str, days: int, count: int, orbit: int = 9, skip: tuple[int, ...] = ()) -> list:
    start = T(first)
    return [
        Pass(start + n * pd.Timedelta(days=days), "ascending", orbit, (f"item-{orbit}-{n}",))
        for n in range(count)
        if n not in skip
    ]


def plan(passes: list, event: str, k: int, now: str = "2030-01-01", **kwargs) -> AcquisitionPlan:
    return plan_acquisitions(
        passes,
        event_start=T(event),
        event_end=T(kwargs.pop("event_end", event)),
        k=k,
        search_start=T(kwargs.pop("search_start", "2024-01-01")),
        search_end=T(kwargs.pop("search_end", "2024-12-31")),
        now=T(now),
        **kwargs,
    )


def test_two_platforms_give_a_six_day_revisit_and_the_nearest_k() -> None:
    passes = track("2024-03-01T08:47", 6, 10)  # 03-01 .. 03-55: two satellites
    result = plan(passes, "2024-03-20", 3, search_start="2024-03-01", search_end="2024-03-31")
    assert result.revisit_days == {9: 6}
    assert [f"{p.time:%m-%d}" for p in result.before] == ["03-07", "03-13", "03-19"]
    assert [f"{p.time:%m-%d}" for p in result.after] == ["03-25", "03-31", "04-06"][:3]
    assert result.complete and result.missing == []
    assert "relative orbit 9: revisit 6 days (two platforms)" in result.describe()


def test_a_gap_is_reported_missing_and_does_not_fool_the_revisit() -> None:
    passes = track("2024-03-23T08:47", 12, 6, skip=(4,))  # 05-10 missing, like the real data
    result = plan(
        passes,
        "2024-05-15",
        2,
        search_start="2024-03-20",
        search_end="2024-06-30",
        now="2024-05-25",
    )
    assert result.revisit_days == {9: 12}
    assert [f"{p.time:%Y-%m-%d}" for p in result.missing] == ["2024-05-10"]  # not 06-03: future
    assert not result.complete and len(result.after) == 1
    assert result.ready_date == T("2024-06-03T08:47")


def test_ready_date_merges_the_next_passes_of_every_track() -> None:
    ascending = track("2024-01-02T08:00", 12, 8, orbit=9)  # last 2024-03-26
    descending = [
        Pass(p.time, "descending", 60, p.item_ids) for p in track("2024-01-07T20:00", 12, 7, 60)
    ]  # last 2024-03-19
    result = plan(ascending + descending, "2024-03-22", 3, now="2024-03-27")
    # after: 03-26 (found); then 03-31 (orbit 60) and 04-07 (orbit 9) expected
    assert [f"{p.time:%m-%d}" for p in result.after] == ["03-26"]
    assert result.ready_date == T("2024-04-07T08:00")


def test_a_track_seen_once_is_given_one_platform_and_said_so() -> None:
    result = plan([Pass(T("2024-05-01T10:00"), "descending", 12)], "2024-05-02", 1)
    assert result.revisit_days == {12: 12}
    assert result.ready_date == T("2024-05-13T10:00")
    assert any("seen once" in line for line in result.describe())


def test_the_cube_window_gives_exactly_the_chosen_passes_and_round_trips() -> None:
    passes = track("2024-03-01T08:47", 12, 6)
    result = plan(passes, "2024-03-30", 2, orbit_state="ascending")
    start, end = result.cube_window
    inside = [p for p in passes if start <= p.time <= end]
    assert inside == result.before + result.after
    again = AcquisitionPlan.from_dict(result.to_dict())
    assert again.to_dict() == result.to_dict()
    assert again.before == result.before and again.orbit_state == "ascending"
    with pytest.raises(DataSelectionError, match="incomplete"):
        _ = plan(passes[:2], "2024-03-30", 2).cube_window
