"""respond refuses a model that cannot map the request before it searches or builds.

The map step loads the model after the cube is built (minutes on real data); a model
whose channels the cube will not hold, or an exported model whose graph cannot run as
asked, used to be refused only there, with the built cube left behind (issue 25's
hostile leftovers). Each case here fails on that code: the search is replaced by one
that fails the test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sarslide.errors import CheckpointError, ConfigError
from sarslide.response import RespondConfig, respond_to_event
from tests.inference.conftest import write_fake_checkpoint, write_fake_export
from tests.response.conftest import ENGA_AOI, ENGA_DIR, in_folder

SAR = ["vv_before", "vv_after", "vh_before", "vh_after"]


@pytest.fixture
def no_search(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_: object, **__: object) -> None:
        raise AssertionError("searched for acquisitions with a model that cannot map them")

    monkeypatch.setattr("sarslide.response.run.find_local_passes", never)
    monkeypatch.setattr("sarslide.response.run.search_passes", never)


def _respond(model: Path, out: Path, **options: Any) -> None:
    cfg = RespondConfig.from_options(
        aoi=ENGA_AOI,
        event_start="2024-04-10T12:00",
        model=model,
        rtc=[str(ENGA_DIR / "*.tif")],
        stac_url="http://127.0.0.1:9/unreachable/",
        figures=False,
        **options,
    )
    respond_to_event(in_folder(cfg, out), progress=False, now="2024-06-01")


@pytest.mark.parametrize(
    ("channels", "names", "expected"),
    [
        (["vv", "vh", "land_cover"], [*SAR, "land_cover"], r"hold .*, not land_cover\."),
        ("vv+vh", [*SAR, "dem_slope_riserun"], r"not dem_slope_riserun\."),
        ("vv+vh", [*SAR, "dem"], r"channels 'vv\+vh' give \[.*\], not its 5 input channels"),
    ],
    ids=["a-channel-no-build-makes", "a-terrain-layer-respond-does-not-derive", "set-and-list"],
)
@pytest.mark.usefixtures("no_search")
def test_a_model_whose_channels_the_cube_cannot_give_is_refused_before_any_search(
    channels: str | list[str], names: list[str], expected: str, tmp_path: Path
) -> None:
    model = write_fake_checkpoint(tmp_path / "m.ckpt", channels=channels, names=names)
    with pytest.raises(ConfigError, match=expected) as caught:
        _respond(model, tmp_path / "event")
    assert "Nothing was written" in str(caught.value) and "\n" not in str(caught.value)
    assert not (tmp_path / "event").exists()


def test_a_polarisation_the_local_products_lack_is_refused_before_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Local products may hold HH until they are found: checked again on the found ones."""

    def never(*_: object, **__: object) -> None:
        raise AssertionError("built a cube for a model that cannot map it")

    monkeypatch.setattr("sarslide.response.run.build_cube", never)
    names = ["hh_before", "hh_after", "vh_before", "vh_after"]
    model = write_fake_checkpoint(tmp_path / "hh.ckpt", channels=["hh", "vh"], names=names)
    with pytest.raises(ConfigError, match=r"holds vv_before, .*, not hh_before, hh_after\."):
        _respond(model, tmp_path / "event")
    assert not (tmp_path / "event").exists()


@pytest.mark.usefixtures("no_search")
def test_the_exported_model_is_checked_as_its_load_will_check_it(tmp_path: Path) -> None:
    ckpt = write_fake_checkpoint(tmp_path / "m.ckpt")

    def claim_dem(card: dict[str, Any]) -> None:  # 8 channels (DEM too) on a 4-channel graph
        meta = card["checkpoint"]["metadata"]
        names = [*SAR, "dem", "dem_slope_radians", "dem_aspect", "dem_curvature"]
        meta["channel_names"] = card["channels"] = names
        meta["normalisation"] = card["normalisation"] = {
            "channel_names": names,
            "mean": [0.0] * 8,
            "std": [1.0] * 8,
            "n_pixels": 1,
        }
        meta["data_config"]["channels"] = "sar+dem"

    lying = write_fake_export(ckpt, tmp_path / "lying.onnx", claim_dem)
    with pytest.raises(CheckpointError, match="takes 4 input channels but its model card lists 8"):
        _respond(lying, tmp_path / "event")

    def as_int8(card: dict[str, Any]) -> None:
        card["model"]["graph_precision"] = "int8"

    int8 = write_fake_export(ckpt, tmp_path / "model.int8.onnx", as_int8)
    with pytest.raises(ConfigError, match="is an int8 graph; for fp32 give the fp32 model"):
        _respond(int8, tmp_path / "event", precision="fp32")
    plain = write_fake_export(ckpt, tmp_path / "plain.onnx")
    with pytest.raises(CheckpointError, match="No checked int8 graph beside"):
        _respond(plain, tmp_path / "event", precision="int8")
    assert not (tmp_path / "event").exists()


@pytest.mark.usefixtures("no_search")
@pytest.mark.parametrize(
    ("name", "make", "expected"),
    [
        ("missing.ckpt", None, "does not exist"),
        ("missing.onnx", None, "does not exist"),
        ("run.ckpt", "folder", "is a folder, not a file"),
        ("model.onnx", "folder", "is a folder, not a file"),
        ("notes.ckpt", "text", "cannot be read"),
        ("notes.onnx", "text", "cannot be read as ONNX"),
    ],
)
def test_a_model_path_that_is_no_model_is_one_line_before_any_search(
    name: str, make: str | None, expected: str, tmp_path: Path
) -> None:
    path = tmp_path / name
    if make == "folder":
        path.mkdir()
    elif make == "text":
        path.write_text("not a model\n")
    with pytest.raises(CheckpointError, match=expected) as caught:
        _respond(path, tmp_path / "event")
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "event").exists()


@pytest.mark.usefixtures("no_search")
def test_an_unknown_precision_is_refused_before_any_search(model_k2: Path, tmp_path: Path) -> None:
    """'--precision half' passed respond's checks (the engine read it as auto) and was
    refused only at the map step, after the search and the cube build."""
    with pytest.raises(ConfigError, match="Invalid precision 'half'; use one of auto, fp32"):
        _respond(model_k2, tmp_path / "event", precision="half")
    assert not (tmp_path / "event").exists()
