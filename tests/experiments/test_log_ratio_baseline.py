"""The log-ratio baseline: its score, its sign choice, and that it beats chance."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from sarslide import conventions as cv
from sarslide.chips.log_ratio import MASKED_SCORE, compute_log_ratio_score
from sarslide.errors import DataSelectionError
from sarslide.experiments.config import LogRatioSettings
from sarslide.experiments.log_ratio_baseline import score_log_ratio
from tests.factories import make_minimal_cube

DATA = {"cube": "in-memory", "timesteps_k": 2, "chip_size_px": 16, "split_block_px": 32}


def cube_with_brighter_landslides(factor: float) -> xr.Dataset:
    """Landslide pixels get ``factor`` x VV after the event (2 of 4 acquisitions)."""
    cube = make_minimal_cube(height=128, width=128, timesteps=4, seed=1)
    landslides = cube[cv.VAR_LANDSLIDES].values.astype(bool)
    vv = cube[cv.VAR_VV].values.copy()
    vv[2:, landslides] *= factor
    cube[cv.VAR_VV] = (cube[cv.VAR_VV].dims, vv)
    return cube


@pytest.fixture(scope="module")
def brighter() -> xr.Dataset:
    return cube_with_brighter_landslides(3.0)


def test_log_ratio_beats_positive_rate_and_picks_the_sign_on_validation(brighter) -> None:
    result = score_log_ratio(brighter, DATA, LogRatioSettings(slope_min_deg=None))
    assert result.sign == "increase"
    for where in ("chips", "region"):
        assert result.metrics[f"auprc_{where}"] > 2 * result.metrics[f"baseline_auprc_{where}"]
        assert result.metrics[f"auroc_{where}"] > 0.7
        low, high = result.metrics[f"auprc_{where}_low"], result.metrics[f"auprc_{where}_high"]
        assert low <= result.metrics[f"auprc_{where}"] <= high  # its block bootstrap interval
    assert 0 < result.metrics["f1_region"] <= 1
    wrong_way = score_log_ratio(
        brighter, DATA, LogRatioSettings(sign="decrease", slope_min_deg=None)
    )
    assert wrong_way.metrics["auprc_region"] < result.metrics["baseline_auprc_region"]


def test_darker_landslides_choose_decrease() -> None:
    result = score_log_ratio(
        cube_with_brighter_landslides(0.3), DATA, LogRatioSettings(slope_min_deg=None)
    )
    assert result.sign == "decrease"
    assert result.metrics["auprc_chips"] > 2 * result.metrics["baseline_auprc_chips"]


def test_score_signs_and_slope_mask() -> None:
    comps = {
        "vv_before": np.array([0.0, 0.0, 0.0]),
        "vv_after": np.array([0.5, -0.5, 0.1]),
        "vh_before": np.array([0.0, 0.0, 0.0]),
        "vh_after": np.array([0.1, 0.0, np.nan]),
    }
    np.testing.assert_allclose(compute_log_ratio_score(comps, sign="abs")[:2], [0.6, 0.5])
    np.testing.assert_allclose(compute_log_ratio_score(comps, sign="increase")[:2], [0.6, -0.5])
    np.testing.assert_allclose(
        compute_log_ratio_score(comps, polarisations="vv", sign="decrease"), [-0.5, 0.5, -0.1]
    )
    assert np.isnan(compute_log_ratio_score(comps)[2])
    slope = np.radians([5.0, 20.0, 30.0])
    masked = compute_log_ratio_score(comps, slope_rad=slope, slope_min_deg=10.0)
    assert masked[0] == MASKED_SCORE and masked[1] == pytest.approx(0.5)


def test_bad_inputs_are_clear_errors() -> None:
    with pytest.raises(DataSelectionError, match="Must be one of"):
        compute_log_ratio_score({}, sign="up")
    with pytest.raises(DataSelectionError, match="needs composites \\['vh_before', 'vh_after'\\]"):
        compute_log_ratio_score({"vv_before": np.zeros(1), "vv_after": np.zeros(1)})
