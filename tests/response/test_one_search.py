"""respond searches once and hands the items it found to the cube build; importing it
loads no torch."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import sarslide.response.search
import sarslide.sources.build_inputs
from sarslide.response import RespondConfig, respond_to_event
from tests.response.conftest import ENGA_AOI, ENGA_DIR, in_folder
from tests.sources.stac_fixtures import AOI_BBOX, LocalStacApi


def _count(monkeypatch: pytest.MonkeyPatch, name: str, key: Any) -> Counter:
    """Count calls of ``name`` where respond and the build look it up."""
    calls: Counter = Counter()
    for module in (sarslide.response.search, sarslide.sources.build_inputs):
        original = getattr(module, name)

        def counted(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            calls[key(*args, **kwargs)] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    return calls


def test_the_catalogue_is_searched_once_for_backscatter(
    hokkaido_stac: LocalStacApi, model_k2: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    searches = _count(monkeypatch, "search_items", lambda *a, **kw: kw["collection"])
    cfg = RespondConfig.from_options(
        aoi=AOI_BBOX,
        event_start="2018-08-30",
        model=model_k2,
        stac_url=hokkaido_stac.server.url + "/",
        signer="none",
        chunk_px=96,
        figures=False,
    )
    result = respond_to_event(in_folder(cfg, tmp_path / "event"), progress=False)
    assert result.steps["cube"] == "done"
    assert searches["sentinel-1-rtc"] == 1  # was 2: the plan's search, then the build's


def test_local_products_are_read_once(
    model_k2: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = _count(monkeypatch, "rtc_items", lambda *a, **kw: "rtc")
    cfg = RespondConfig.from_options(
        aoi=ENGA_AOI,
        event_start="2024-04-10T12:00",
        model=model_k2,
        rtc=[str(ENGA_DIR / "*.tif")],
        dem=str(ENGA_DIR.parents[1] / "synthetic" / "enga_dem_3arcsec.tif"),
        stac_url="http://127.0.0.1:9/unreachable/",
        chunk_px=256,
        figures=False,
    )
    result = respond_to_event(in_folder(cfg, tmp_path / "event"), progress=False, now="2024-06-01")
    assert result.steps["cube"] == "done"
    assert reads["rtc"] == 1  # was 2: the plan's, then the build's


def test_importing_response_loads_no_torch() -> None:
    probe = "import sarslide.response, sarslide.response.run, sarslide.response.checks"
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", probe],
        check=True,
        capture_output=True,
        text=True,
    ).stderr
    modules = {line.rsplit("|", 1)[-1].strip() for line in err.splitlines() if "|" in line}
    assert "sarslide.response.run" in modules
    assert not {m for m in modules if m == "torch" or m.startswith("torch.")}
