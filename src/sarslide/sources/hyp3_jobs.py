"""Order InSAR pairs of consecutive acquisitions from ASF HyP3 (INSAR_GAMMA).

Submit one job per pair, wait, download with retries; a pair whose job fails or
whose download keeps failing is resubmitted up to ``max_attempts`` times, then
skipped and recorded in the build log. The HyP3 client and the granule finder are
parameters, so tests run the whole logic with fakes and no network.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from shapely import to_wkt

from sarslide import conventions as cv
from sarslide.errors import ConfigError
from sarslide.sources.insar_pairs import SkippedPair

if TYPE_CHECKING:
    import xarray as xr

    from sarslide.sources.aoi import AreaOfInterest
    from sarslide.sources.config import Hyp3Options

logger = logging.getLogger(__name__)

GranuleFinder = Callable[[pd.Timestamp, int, "AreaOfInterest"], "str | None"]


@dataclass(frozen=True)
class PairRequest:
    """Two SLC granules of consecutive passes on one relative orbit."""

    reference: str
    secondary: str
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def name(self) -> str:
        return f"{self.start:%Y%m%dT%H%M%S}_{self.end:%Y%m%dT%H%M%S}"


def plan_consecutive_pairs(
    rtc: xr.Dataset, aoi: AreaOfInterest, *, find_granule: GranuleFinder
) -> tuple[list[PairRequest], list[SkippedPair]]:
    """Pairs of consecutive timesteps on the same relative orbit, with their SLC granules."""
    times = pd.DatetimeIndex(rtc[cv.DIM_TIMESTEP].values)
    orbits = (
        np.asarray(rtc[cv.COORD_RELATIVE_ORBIT].values)
        if cv.COORD_RELATIVE_ORBIT in rtc.coords
        else np.full(len(times), -1)
    )
    pairs, skipped = [], []
    for orbit in sorted(set(orbits.tolist())):
        track = sorted(times[orbits == orbit])
        granules = {t: find_granule(t, int(orbit), aoi) for t in track}
        for start, end in itertools.pairwise(track):
            if granules[start] is None or granules[end] is None:
                skipped.append(
                    SkippedPair(
                        f"{start:%Y%m%dT%H%M%S}_{end:%Y%m%dT%H%M%S}",
                        "no SLC granule found for one of the acquisitions",
                    )
                )
                continue
            pairs.append(PairRequest(granules[start], granules[end], start, end))  # type: ignore[arg-type]
    return pairs, skipped


def run_pair_jobs(
    pairs: list[PairRequest],
    folder: Path,
    *,
    client: Any,
    options: Hyp3Options,
    retry_wait_s: float = 5.0,
) -> tuple[list[Path], list[SkippedPair]]:
    """Submit, wait for and download each pair; retry failures; return files and skips."""
    # [sources] extra: imported where a live source is read.
    from hyp3_sdk import Batch

    folder.mkdir(parents=True, exist_ok=True)
    attempts = dict.fromkeys(pairs, 0)
    reasons: dict[PairRequest, str] = {}
    downloaded: list[Path] = []
    pending = [p for p in pairs if not _already_downloaded(p, folder, downloaded)]
    while pending:
        submitted: list[tuple[PairRequest, Any]] = []
        for pair in pending:
            attempts[pair] += 1
            try:
                batch = client.submit_insar_job(
                    pair.reference,
                    pair.secondary,
                    name=options.job_name,
                    include_wrapped_phase=True,
                    looks=options.looks,
                )
                submitted.extend((pair, job) for job in batch)
            except Exception as err:  # hyp3_sdk raises HyP3Error, requests errors, ...
                reasons[pair] = f"submission failed: {err}"
        finished = (
            list(client.watch(Batch([job for _, job in submitted]), timeout=options.wait_timeout_s))
            if submitted
            else []
        )
        by_id = {getattr(job, "job_id", id(job)): job for job in finished}
        for pair, job in submitted:
            done = by_id.get(getattr(job, "job_id", id(job)), job)
            if not done.succeeded():
                reasons[pair] = (
                    f"HyP3 job {getattr(done, 'job_id', '?')} ended "
                    f"{getattr(done, 'status_code', 'FAILED')}"
                )
                continue
            files = _download_with_retries(done, folder, options.max_attempts, retry_wait_s)
            if isinstance(files, str):
                reasons[pair] = files
            else:
                downloaded.extend(files)
                reasons.pop(pair, None)
        pending = [p for p in pending if p in reasons and attempts[p] < options.max_attempts]
        for pair in pending:
            logger.warning("retrying InSAR pair %s (%s)", pair.name, reasons[pair])
    skipped = [
        SkippedPair(p.name, f"{reasons[p]} (after {attempts[p]} attempt(s))")
        for p in pairs
        if p in reasons
    ]
    for skip in skipped:
        logger.warning("skipping InSAR pair %s: %s", skip.name, skip.reason)
    return downloaded, skipped


def order_consecutive_pairs(
    rtc: xr.Dataset,
    aoi: AreaOfInterest,
    folder: Path,
    *,
    options: Hyp3Options,
    client: Any = None,
    find_granule: GranuleFinder | None = None,
    log: dict[str, Any] | None = None,
) -> list[Path]:
    """Plan, order and download the pairs of a build into ``folder``; record skips in ``log``."""
    hyp3 = client if client is not None else _default_client()
    finder = find_granule or getattr(hyp3, "find_granule", None) or find_slc_granule
    pairs, unplanned = plan_consecutive_pairs(rtc, aoi, find_granule=finder)
    files, failed = run_pair_jobs(pairs, folder, client=hyp3, options=options)
    if log is not None:
        log["insar"] = {
            "skipped": [s.to_dict() for s in unplanned + failed],
            "ordered": [p.name for p in pairs],
        }
    return files


def find_slc_granule(
    when: pd.Timestamp,
    relative_orbit: int,
    aoi: AreaOfInterest,
    *,
    session: Any = None,
) -> str | None:
    """The Sentinel-1 IW SLC granule acquired within 2 minutes of ``when`` over the AOI.

    Searched with ASF's own client, ``asf_search`` (CMR behind it); a failed search is a
    warning and no granule (the pair is then skipped and recorded).

    Args:
        when: acquisition time of the pass (UTC, naive).
        relative_orbit: its track; -1 when unknown (not filtered).
        aoi: the area the granule must intersect.
        session: an ``asf_search.ASFSession`` (tests mount a local transport on one).
    """
    # [sources] extra: imported where a live source is read.
    import asf_search
    import requests

    options: dict[str, Any] = {
        "platform": asf_search.PLATFORM.SENTINEL1,
        "processingLevel": asf_search.PRODUCT_TYPE.SLC,
        "beamMode": asf_search.BEAMMODE.IW,
        "start": (when - pd.Timedelta(minutes=2)).to_pydatetime(),
        "end": (when + pd.Timedelta(minutes=2)).to_pydatetime(),
        "intersectsWith": to_wkt(aoi.geometry_lonlat, rounding_precision=5),
    }
    if relative_orbit >= 0:
        options["relativeOrbit"] = relative_orbit
    if session is not None:
        options["session"] = session
    try:
        results = asf_search.geo_search(**options)
    except (asf_search.ASFError, requests.RequestException, ValueError) as err:
        logger.warning("ASF search for the SLC of %s failed: %s", when, err)
        return None
    names = sorted(p.properties.get("sceneName") or p.properties["fileID"] for p in results)
    return names[0] if names else None


def _download_with_retries(
    job: Any, folder: Path, max_attempts: int, retry_wait_s: float
) -> list[Path] | str:
    error: Exception | None = None
    for attempt in range(1, max_attempts + 1):
        try:
            return [Path(p) for p in job.download_files(folder)]
        except Exception as err:  # network errors of any kind
            error = err
            logger.warning(
                "download of HyP3 job %s failed (attempt %d/%d): %s",
                getattr(job, "job_id", "?"),
                attempt,
                max_attempts,
                err,
            )
            time.sleep(retry_wait_s * attempt)
    return f"download failed: {error}"


def _already_downloaded(pair: PairRequest, folder: Path, found: list[Path]) -> bool:
    # HyP3 names products after the SLC start times: match the dates only
    matches = sorted(folder.glob(f"*_{pair.start:%Y%m%d}T*_{pair.end:%Y%m%d}T*.zip"))
    found.extend(matches)
    return bool(matches)


def _default_client() -> Any:
    try:  # [sources] extra: imported where a live source is read
        import hyp3_sdk

        return hyp3_sdk.HyP3()
    except Exception as err:  # missing credentials, network
        raise ConfigError(
            f"Cannot log in to ASF HyP3 ({err}). Put your Earthdata login in ~/.netrc "
            "(machine urs.earthdata.nasa.gov), or use --insar DIR with downloaded products, "
            "or --insar none."
        ) from err
