"""The simulated event cube's schedule: when each acquisition is, from its ``EventCubeSpec``."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sarslide import conventions as cv
from sarslide.errors import ConfigError
from sarslide.simulate.config import EventCubeSpec


@dataclass(frozen=True)
class Schedule:
    """Acquisition times and orbits, the event window and the interferometric pairs."""

    times: pd.DatetimeIndex
    orbits: list[str]
    event_start: pd.Timestamp
    event_end: pd.Timestamp
    pairs: list[tuple[int, int]]  # (start index, end index), same orbit, consecutive


def resolve_schedule(spec: EventCubeSpec) -> Schedule:
    """Acquisition times, orbits, event window and pairs for ``spec``."""
    n_before, n_after = spec.n_before, spec.n_after
    revisit = pd.Timedelta(days=spec.revisit_days)
    slots = [
        slot
        for slot in range(n_before + n_after + len(set(spec.missing_acquisitions)))
        if slot not in spec.missing_acquisitions
    ][: n_before + n_after]
    times = pd.DatetimeIndex([pd.Timestamp(spec.first_acquisition) + i * revisit for i in slots])
    gap = times[n_before] - times[n_before - 1]
    if spec.event_start is None:  # midnight after the midpoint between the two dates
        start = (times[n_before - 1] + gap / 2).ceil("D")
        if start >= times[n_before]:
            start = times[n_before - 1] + gap / 2
    else:
        start = pd.Timestamp(spec.event_start)
    if spec.event_end is not None:
        end = pd.Timestamp(spec.event_end)
    elif spec.event_start is not None or start + pd.Timedelta(days=1) <= times[n_before]:
        end = start + pd.Timedelta(days=1)
    else:  # revisit of a day or two: keep the window between the two dates
        end = start + (times[n_before] - start) / 2
    if end < start:
        raise ConfigError(f"event_end={end} is before event_start={start}; swap them.")
    if not times[n_before - 1] < start or not end <= times[n_before]:
        raise ConfigError(
            f"The event window {start} .. {end} must lie between acquisition {n_before} "
            f"({times[n_before - 1]}) and {n_before + 1} ({times[n_before]}) so that "
            f"{n_before} acquisitions come before it; move the window, change "
            "first_acquisition, or leave event_start unset to place it automatically."
        )
    if spec.orbit == "both":
        orbits = [cv.ORBIT_STATES[i % 2] for i in range(len(times))]
    else:
        orbits = [spec.orbit] * len(times)
    pairs = []
    for i in range(len(times)):
        later = [j for j in range(i + 1, len(times)) if orbits[j] == orbits[i]]
        if later:
            pairs.append((i, later[0]))
    pairs.sort(key=lambda p: (times[p[0]], times[p[1]]))
    if not pairs:
        raise ConfigError(
            f"timesteps={len(times)} with orbit={spec.orbit!r} gives no interferometric pair "
            "(pairs join acquisitions of the same orbit); use at least 3 timesteps."
        )
    return Schedule(times, orbits, start, end, pairs)
