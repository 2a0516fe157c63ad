"""``sarslide.predict(cfg) -> PredictResult``: files with an output folder, an
``xr.DataArray`` without."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio

import sarslide
from sarslide.errors import ConfigError
from sarslide.inference.config import PredictConfig
from tests.factories import make_minimal_cube


def test_without_an_output_folder_predict_returns_the_map_in_memory(
    tmp_path: Path, fake_checkpoint: Path
) -> None:
    cube = make_minimal_cube(height=70, width=90)
    cube["vv"][:, 5:9, 10:14] = np.nan
    settings = {"checkpoint": str(fake_checkpoint), "cube": "<in memory>", "tile_size_px": 64}
    settings["overlap_px"] = 16
    in_memory = sarslide.predict(PredictConfig(**settings), cube=cube)
    assert list(tmp_path.iterdir()) == [fake_checkpoint]  # nothing written
    assert in_memory.files is None and in_memory.probability is not None
    probability = in_memory.probability
    assert probability.dims == ("y", "x") and probability.dtype == np.float32
    np.testing.assert_array_equal(probability["x"].values, cube["x"].values)
    assert probability.rio.crs == cube.rio.crs and probability.attrs["threshold"] == 0.5
    assert np.isnan(probability.values[5:9, 10:14]).all()
    # the same values as the map written to a folder
    written = sarslide.predict(
        PredictConfig(**settings, output_dir=str(tmp_path / "map"), figures=False), cube=cube
    )
    assert written.probability is None and written.files is not None
    with rasterio.open(written.files.probability_tif) as src:
        np.testing.assert_array_equal(src.read(1), probability.values)
        assert src.crs == probability.rio.crs


def test_the_cli_still_needs_an_output_folder(fake_checkpoint: Path) -> None:
    cfg = PredictConfig(checkpoint=str(fake_checkpoint), cube="c.zarr")
    with pytest.raises(ConfigError, match="-o/--output"):
        _ = cfg.output_path


def test_importing_sarslide_loads_nothing_and_the_verbs_resolve() -> None:
    import subprocess
    import sys

    from sarslide.experiments.evaluate import evaluate
    from sarslide.inference.predict import predict
    from sarslide.response import respond_to_event
    from sarslide.sources.build import build_cube

    probe = "import sys, sarslide; print(sorted(m for m in sys.modules if 'sarslide.' in m))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"  # the exports load on first use
    assert (sarslide.predict, sarslide.evaluate, sarslide.build_cube) == (
        predict,
        evaluate,
        build_cube,
    )
    assert sarslide.respond is respond_to_event  # a plain function, not the package


@pytest.mark.slow
def test_every_export_resolves() -> None:
    for name in sarslide.__all__:
        assert getattr(sarslide, name) is not None, name


def test_run_config_records_the_precision_a_checked_checkpoint_ran_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sarslide.models import precision_check
    from tests.inference.conftest import checked_record, write_fake_checkpoint

    monkeypatch.setattr(precision_check, "cpu_has_bf16_units", lambda: True)
    metadata = {precision_check.PRECISION_CHECK_KEY: checked_record(passed=True)}
    ckpt = write_fake_checkpoint(tmp_path / "best.ckpt", metadata=metadata)
    settings = {"checkpoint": str(ckpt), "cube": "<in memory>", "tile_size_px": 64}
    cfg = PredictConfig(**settings, overlap_px=16, output_dir=str(tmp_path / "m"), figures=False)
    result = sarslide.predict(cfg, cube=make_minimal_cube(height=70, width=90))
    assert result.files is not None
    run = json.loads(result.files.config_json.read_text())
    assert (run["engine"], run["precision"]) == ("torch", "bf16")
    assert run["precision_chosen_by"].startswith("bf16: checked at training end")
