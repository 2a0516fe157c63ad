from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sarslide import conventions as cv
from sarslide.sources.aoi import parse_aoi
from sarslide.sources.config import Hyp3Options
from sarslide.sources.hyp3_jobs import order_consecutive_pairs
from sarslide.sources.insar_pairs import find_insar_products
from tests.sources.stac_fixtures import make_hyp3_zip

_ids = itertools.count()


class FakeJob:
    def __init__(self, ref: str, sec: str, ok: bool, download_failures: int) -> None:
        self.job_id = f"job-{next(_ids)}"
        self.ref, self.sec, self.ok = ref, sec, ok
        self.download_failures = download_failures
        self.status_code = "SUCCEEDED" if ok else "FAILED"

    def succeeded(self) -> bool:
        return self.ok

    def download_files(self, location: Path) -> list[Path]:
        if self.download_failures > 0:
            self.download_failures -= 1
            raise ConnectionError("connection reset")
        start, end = (
            pd.Timestamp(g.split("_")[1]).strftime("%Y%m%dT%H%M%S") for g in (self.ref, self.sec)
        )
        return [make_hyp3_zip(Path(location), start, end, seed=int(start[4:8]))]


class FakeHyp3:
    """Stands in for hyp3_sdk.HyP3: scripted failures per reference granule."""

    def __init__(self, job_failures: dict[str, int], download_failures: dict[str, int]) -> None:
        self.job_failures, self.download_failures = dict(job_failures), dict(download_failures)
        self.submitted: list[tuple[str, str]] = []

    def submit_insar_job(self, granule1: str, granule2: str, **kw) -> list[FakeJob]:
        assert kw["include_wrapped_phase"] is True
        self.submitted.append((granule1, granule2))
        fails = self.job_failures.get(granule1, 0)
        self.job_failures[granule1] = fails - 1
        return [
            FakeJob(
                granule1,
                granule2,
                ok=fails <= 0,
                download_failures=self.download_failures.pop(granule1, 0),
            )
        ]

    def watch(self, batch, timeout: int) -> list[FakeJob]:
        return list(batch)

    @staticmethod
    def find_granule(when: pd.Timestamp, orbit: int, aoi) -> str:
        return f"S1A_{when:%Y%m%dT%H%M%S}_SLC"


def _rtc(times: list[str]) -> xr.Dataset:
    stamps = pd.DatetimeIndex(times)
    return xr.Dataset(
        coords={
            cv.DIM_TIMESTEP: stamps.values,
            cv.COORD_RELATIVE_ORBIT: (cv.DIM_TIMESTEP, np.full(len(stamps), 46)),
        }
    )


def test_failed_pair_is_retried_then_skipped_and_recorded(tmp_path: Path) -> None:
    rtc = _rtc(
        ["2018-08-12T20:40:31", "2018-08-24T20:40:32", "2018-09-05T20:40:33", "2018-09-17T20:40:33"]
    )
    client = FakeHyp3(
        job_failures={
            "S1A_20180812T204031_SLC": 1,  # fails once, succeeds on retry
            "S1A_20180824T204032_SLC": 99,
        },  # always fails
        download_failures={"S1A_20180905T204033_SLC": 2},  # download retried twice
    )
    log: dict = {}
    files = order_consecutive_pairs(
        rtc,
        parse_aoi("141,42.45,141.01,42.46"),
        tmp_path,
        options=Hyp3Options(max_attempts=3),
        client=client,
        log=log,
    )
    # 3 consecutive pairs; the 2nd failed 3 times and is skipped
    assert len(files) == 2
    assert [s["name"] for s in log["insar"]["skipped"]] == ["20180824T204032_20180905T204033"]
    assert "after 3 attempt(s)" in log["insar"]["skipped"][0]["reason"]
    assert client.submitted.count(("S1A_20180824T204032_SLC", "S1A_20180905T204033_SLC")) == 3
    assert client.submitted.count(("S1A_20180812T204031_SLC", "S1A_20180824T204032_SLC")) == 2
    products, skipped = find_insar_products(tmp_path)
    assert [p.start.strftime("%m%d") for p in products] == ["0812", "0905"] and not skipped


def test_already_downloaded_pairs_are_not_ordered_again(tmp_path: Path) -> None:
    make_hyp3_zip(tmp_path, "20180812T204040", "20180824T204041")  # SLC times differ from RTC's
    client = FakeHyp3({}, {})
    files = order_consecutive_pairs(
        _rtc(["2018-08-12T20:40:31", "2018-08-24T20:40:32"]),
        parse_aoi("141,42.45,141.01,42.46"),
        tmp_path,
        options=Hyp3Options(),
        client=client,
    )
    assert client.submitted == [] and len(files) == 1


@pytest.fixture(autouse=True)
def _no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    import sarslide.sources.hyp3_jobs as jobs

    monkeypatch.setattr(jobs.time, "sleep", lambda s: None)
