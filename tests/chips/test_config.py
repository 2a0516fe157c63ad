"""DataConfig validation: unknown keys and bad values give one clear ConfigError."""

from __future__ import annotations

import pytest

from sarslide.chips import DataConfig, load_data_config
from sarslide.errors import ConfigError


def test_defaults_and_stride() -> None:
    cfg = DataConfig(cube="c.zarr")
    assert cfg.channels == "vv+vh" and cfg.timesteps_k == 4 and cfg.split == "spatial"
    assert cfg.stride_px == 128 and DataConfig(cube="c", chip_stride_px=64).stride_px == 64


def test_unknown_key_is_reported_by_name() -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'chip_szie_px'.*spelling"):
        load_data_config({"cube": "c", "chip_szie_px": 64})


@pytest.mark.parametrize(
    ("values", "pattern"),
    [
        ({"timesteps_k": 0}, r"timesteps_k: .*greater than or equal to 1 \(got 0\)"),
        ({"channels": "vvvh"}, "unknown channel set 'vvvh'"),
        ({"split_fractions": [0.5, 0.5, 0.5]}, "summing to 1"),
        (
            {"split": "blocks"},
            "split: Input should be 'spatial', 'random' or 'leave_one_event_out'",
        ),
        ({"event_start": "2018-09-07", "event_end": "2018-09-05"}, "before event_start"),
        ({"log_floor": 0}, "log_floor"),
    ],
)
def test_bad_values_are_clear_errors(values, pattern) -> None:
    with pytest.raises(ConfigError, match=pattern):
        load_data_config({"cube": "c", **values})


def test_all_problems_are_listed_at_once() -> None:
    with pytest.raises(ConfigError, match=r"\(2 problem\(s\)\)"):
        load_data_config({"cube": "c", "timesteps_k": -1, "extra": 1})
