"""The SLC granule finder goes through asf_search, answered by a local transport (no network).

``CmrPages`` is a requests transport adapter mounted on an ``asf_search.ASFSession``: it
answers CMR granule searches with pages in CMR's UMM-JSON form (hand-written: the fields
asf_search reads for Sentinel-1 SLC granules) and records every query it was sent.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import pandas as pd
import pytest
import requests

from sarslide.sources.aoi import parse_aoi
from sarslide.sources.hyp3_jobs import find_slc_granule

asf_search = pytest.importorskip("asf_search")

SCENES = (
    "S1A_IW_SLC__1SDV_20180906T204417_20180906T204444_023569_0291A3_5F8B",
    "S1A_IW_SLC__1SDV_20180906T204352_20180906T204419_023569_0291A3_1C46",
)


def slc_item(scene: str) -> dict[str, Any]:
    start = pd.Timestamp(scene[17:32])
    attributes = {
        "PATH_NUMBER": "107",
        "ASCENDING_DESCENDING": "ASCENDING",
        "PROCESSING_TYPE": "SLC",
        "BEAM_MODE_TYPE": "IW",
        "CENTER_LAT": "42.7",
        "CENTER_LON": "141.9",
    }
    return {
        "meta": {"concept-id": f"G-{scene[-4:]}", "native-id": f"{scene}-SLC"},
        "umm": {
            "GranuleUR": f"{scene}-SLC",
            "CollectionReference": {"ShortName": "SENTINEL-1A_SLC"},
            "Platforms": [{"ShortName": "SENTINEL-1A"}],
            "DataGranule": {
                "Identifiers": [{"IdentifierType": "ProducerGranuleId", "Identifier": scene}]
            },
            "TemporalExtent": {
                "RangeDateTime": {
                    "BeginningDateTime": f"{start.isoformat()}Z",
                    "EndingDateTime": f"{(start + pd.Timedelta(seconds=27)).isoformat()}Z",
                }
            },
            "AdditionalAttributes": [{"Name": k, "Values": [v]} for k, v in attributes.items()],
            "RelatedUrls": [{"Type": "GET DATA", "URL": f"https://example.invalid/{scene}.zip"}],
        },
    }


class CmrPages(requests.adapters.BaseAdapter):
    """Answers every CMR granule search with ``items``; keeps the queries."""

    def __init__(self, items: list[dict[str, Any]], status: int = 200) -> None:
        super().__init__()
        self.items, self.status, self.queries = items, status, []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        assert request.url is not None and "/search/granules.umm_json" in request.url
        body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
        self.queries.append(parse_qsl(body))
        response = requests.Response()
        response.status_code, response.url, response.request = self.status, request.url, request
        payload = {"hits": len(self.items), "took": 1, "items": self.items}
        if self.status >= 400:
            payload = {"errors": ["refused by the test"]}
        response._content = json.dumps(payload).encode()
        response.headers["Content-Type"] = "application/json"
        return response

    def close(self) -> None:
        pass


def local_session(adapter: CmrPages) -> Any:
    session = asf_search.ASFSession()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def test_the_earliest_granule_of_the_pass_is_chosen_and_the_query_says_what_it_wants() -> None:
    adapter = CmrPages([slc_item(scene) for scene in SCENES])
    aoi = parse_aoi("141.90,42.70,141.92,42.71")
    when = pd.Timestamp("2018-09-06T20:44:00")
    name = find_slc_granule(when, 107, aoi, session=local_session(adapter))
    assert name == sorted(SCENES)[0]
    (query,) = adapter.queries
    assert ("temporal", "2018-09-06T20:42:00Z,2018-09-06T20:46:00Z,") in query  # +- 2 min
    assert ("bounding_box", "141.9,42.7,141.92,42.71") in query  # the AOI
    assert ("attribute[]", "int,PATH_NUMBER,107") in query  # the track
    assert ("attribute[]", "string,BEAM_MODE,IW") in query
    assert ("shortName", "SENTINEL-1A_SLC") in query  # SLC collections of Sentinel-1
    assert ("provider", "ASF") in query


def test_a_failed_search_is_a_warning_and_no_granule(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(asf_search, "REPORT_ERRORS", False)  # no report sent to ASF
    adapter = CmrPages([], status=400)
    aoi = parse_aoi("141.90,42.70,141.92,42.71")
    with caplog.at_level("WARNING"):
        name = find_slc_granule(pd.Timestamp("2018-09-06"), -1, aoi, session=local_session(adapter))
    assert name is None and len(adapter.queries) == 1
    assert not [v for k, v in adapter.queries[0] if "PATH_NUMBER" in v]  # track unknown: any
    assert "ASF search for the SLC of 2018-09-06 00:00:00 failed" in caplog.text
