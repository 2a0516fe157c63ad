"""Issue 23's respond cases: an event in the future is called so, before any search."""

from __future__ import annotations

from pathlib import Path

import pytest

from sarslide.errors import DataSelectionError
from sarslide.respond import RespondConfig, respond_to_event
from tests.respond.conftest import ENGA_AOI, ENGA_DIR


def test_an_event_in_the_future_is_named_so(model_k2: Path, tmp_path: Path) -> None:
    cfg = RespondConfig.from_options(
        aoi=ENGA_AOI,
        event_start="2042-04-10T12:00",
        model=model_k2,
        rtc=[str(ENGA_DIR / "*.tif")],
        stac_url="http://127.0.0.1:9/unreachable/",
        figures=False,
    )
    with pytest.raises(DataSelectionError, match=r"2042-04-10 12:00 UTC\) is in the future"):
        respond_to_event(cfg, tmp_path / "event", progress=False, now="2024-06-01")
    assert not (tmp_path / "event" / "cube.zarr").exists()
