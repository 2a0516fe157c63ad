"""Issue 23's respond cases: an event in the future is called so, before any search."""

from __future__ import annotations

from pathlib import Path

import pytest

from sarslide.errors import DataSelectionError
from sarslide.response import RespondConfig, respond_to_event
from tests.response.conftest import ENGA_AOI, ENGA_DIR, in_folder


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
        respond_to_event(in_folder(cfg, tmp_path / "event"), progress=False, now="2024-06-01")
    assert not (tmp_path / "event" / "cube.zarr").exists()


def test_respond_never_writes_inside_its_products_folder(
    model_k2: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    def never(*_: object, **__: object) -> None:
        raise AssertionError("searched before the output was checked against the inputs")

    monkeypatch.setattr("sarslide.response.run.find_local_passes", never)

    from sarslide.errors import OutputExistsError

    products = tmp_path / "products"
    shutil.copytree(ENGA_DIR, products)
    before = sorted(p.name for p in products.iterdir())
    cfg = RespondConfig.from_options(
        aoi=ENGA_AOI,
        event_start="2024-04-10T12:00",
        model=model_k2,
        rtc=[str(products)],
        stac_url="http://127.0.0.1:9/unreachable/",
        figures=False,
    )
    with pytest.raises(OutputExistsError, match="lies inside the input"):
        respond_to_event(in_folder(cfg, products / "event"), progress=False, now="2024-06-01")
    assert sorted(p.name for p in products.iterdir()) == before
