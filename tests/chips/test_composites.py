"""Composites in log10 space with a floor; channel sets; the lazy model input stack."""

from __future__ import annotations

import numpy as np
import pytest

from sarslide.chips import DataConfig, build_composite_stack, make_composites, resolve_channels
from sarslide.chips.composites import count_composite_inputs, select_composite_inputs
from sarslide.chips.log_composite import composite_values, log10_floored
from sarslide.errors import DataSelectionError
from tests.factories import make_minimal_cube


@pytest.fixture
def cube():
    cube = make_minimal_cube(height=16, width=20, timesteps=6, seed=3)
    cube.attrs.update(event_start="2018-08-20T00:00", event_end="2018-08-21T00:00")
    return cube  # acquisitions 08-01, 08-13 | 08-25, 09-06, 09-18, 09-30


def test_log_floor_turns_zeros_and_negatives_into_the_floor_and_keeps_nan() -> None:
    values = np.array([0.0, -1.0, 1e-6, 0.01, np.nan, 100.0], dtype=np.float32)
    out = log10_floored(values, 1e-4)
    np.testing.assert_allclose(out[:3], -4.0)
    np.testing.assert_allclose(out[[3, 5]], [-2.0, 2.0], rtol=1e-6)
    assert np.isnan(out[4]) and np.isfinite(out[:4]).all()


def test_composite_is_mean_of_log10_skipping_nan() -> None:
    raw = np.array(
        [[1.0, np.nan], [100.0, np.nan], [np.nan, np.nan]], dtype=np.float32
    )  # (k=3, 2 px)
    out = composite_values(raw, log10=True, floor=1e-4, reducer="mean")
    assert out[0] == pytest.approx(1.0)  # mean(log10(1), log10(100)); NaN acquisition skipped
    assert np.isnan(out[1])  # all acquisitions nodata -> nodata
    med = composite_values(
        np.array([[1.0], [10.0], [1000.0]], np.float32), log10=True, floor=1e-4, reducer="median"
    )
    assert med[0] == pytest.approx(1.0)


def test_make_composites_uses_the_k_nearest_and_counts_floored_and_nodata(cube) -> None:
    cube["vv"][1, 0, 0] = 0.0  # last pre-event acquisition: a zero
    cube["vv"][0, 0, 1] = np.nan
    ds = make_composites(cube, timesteps_k=2).compute()
    assert list(ds.data_vars) == ["vv_before", "vv_after", "vh_before", "vh_after"]
    expected = np.log10(np.maximum(cube["vv"].values[[2, 3]], 1e-4)).mean(axis=0)
    np.testing.assert_allclose(ds["vv_after"].values, expected, rtol=1e-6)
    assert ds["vv_before"].values[0, 0] == pytest.approx(
        (-4.0 + np.log10(cube["vv"].values[0, 0, 0])) / 2, rel=1e-6
    )
    assert ds["vv_before"].values[0, 1] == pytest.approx(
        np.log10(cube["vv"].values[1, 0, 1]), rel=1e-6
    )
    assert ds.attrs["timesteps_before"][-1].startswith("2018-08-13")
    sel = select_composite_inputs(cube, timesteps_k=2)
    counts = count_composite_inputs(cube, sel)
    assert counts.by_channel["vv_before"] == {
        "n_values": 2 * 16 * 20,
        "n_floored": 1,
        "n_nodata": 1,
    }
    assert counts.n_floored == 1 and counts.n_nodata == 1


def test_make_composites_stays_lazy_on_dask(cube) -> None:
    lazy = cube.chunk({"timestep": 1, "y": 8, "x": 8})
    ds = make_composites(lazy, timesteps_k=2)
    assert ds["vv_before"].chunks is not None
    np.testing.assert_array_equal(
        ds["vh_after"].values, make_composites(cube, timesteps_k=2)["vh_after"].values
    )


@pytest.mark.parametrize("reducer", ["mean", "median", "mean_exact"])
@pytest.mark.parametrize("time_chunk", [1, 2, 4])
def test_lazy_composites_equal_eager_ones_for_any_time_chunking(cube, reducer, time_chunk) -> None:
    cube.attrs.update(event_start="2018-09-01T00:00", event_end="2018-09-02T00:00")  # 3 | 3
    cube["vv"][2, 3, 4] = np.nan
    cube["vv"][3, 5, 6] = 0.0
    eager = make_composites(cube, timesteps_k=3, reducer=reducer)
    lazy = make_composites(
        cube.chunk({"timestep": time_chunk, "y": 5, "x": 7}), timesteps_k=3, reducer=reducer
    )
    for name in eager.data_vars:
        assert lazy[name].chunks is not None
        np.testing.assert_array_equal(lazy[name].values, eager[name].values)
        assert lazy[name].dims == ("y", "x") and "timestep" not in lazy[name].coords


@pytest.mark.parametrize(
    ("channels", "expected"),
    [
        ("vv", ["vv_before", "vv_after"]),
        ("vh", ["vh_before", "vh_after"]),
        ("vv+vh", ["vv_before", "vv_after", "vh_before", "vh_after"]),
        ("dem", ["dem", "dem_slope_radians", "dem_aspect", "dem_curvature"]),
        (
            "sar+dem",
            [
                "vv_before",
                "vv_after",
                "vh_before",
                "vh_after",
                "dem",
                "dem_slope_radians",
                "dem_aspect",
                "dem_curvature",
            ],
        ),
        (["vh_after", "dem"], ["vh_after", "dem"]),
        (["vv", "dem"], ["vv_before", "vv_after", "dem"]),
    ],
)
def test_resolve_channels(cube, channels, expected) -> None:
    assert resolve_channels(channels, cube) == expected


def test_missing_channel_variable_lists_what_the_cube_offers(cube) -> None:
    with pytest.raises(DataSelectionError, match=r"\['nope'\].*offers: \['vv_before'"):
        resolve_channels(["vv_before", "nope"], cube)
    with pytest.raises(DataSelectionError, match="dem_aspect"):
        resolve_channels("sar+dem", cube.drop_vars("dem_aspect"))
    with pytest.raises(DataSelectionError, match="Unknown channel set 'vvvh'"):
        resolve_channels("vvvh", cube)


def test_dem_channels_on_a_cube_without_dem_name_the_dem_option(cube) -> None:
    no_dem = cube.drop_vars([v for v in cube.data_vars if str(v).startswith("dem")])
    with pytest.raises(DataSelectionError, match=r"built with --dem none .* --dem FILE") as err:
        resolve_channels("sar+dem", no_dem)
    assert "\n" not in str(err.value)


def test_composite_stack_has_channel_dim_and_raw_static_layers(cube) -> None:
    stack = build_composite_stack(
        cube.chunk({"y": 8}), DataConfig(cube="c", channels="sar+dem", timesteps_k=2)
    )
    assert stack.dims == ("channel", "y", "x") and stack.chunks is not None
    assert list(stack["channel"].values) == resolve_channels("sar+dem", cube)
    np.testing.assert_array_equal(stack.sel(channel="dem").values, cube["dem"].values)
    assert stack.dtype == np.float32
