"""One timestamp type (``conventions.UtcTimestamp``) in every config, one UTC helper."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import sarslide
from sarslide.chips import DataConfig
from sarslide.conventions import to_utc_naive
from sarslide.errors import ConfigError
from sarslide.inference.config import PredictConfig
from sarslide.response import RespondConfig
from sarslide.simulate.config import EventCubeSpec
from sarslide.sources.config import BuildConfig

AWARE = "2018-09-05T18:08+09:00"
UTC = dt.datetime(2018, 9, 5, 9, 8)


def _configs(**event: str) -> dict[str, object]:
    return {
        "build": BuildConfig.from_options(aoi="0,0,1,1", **event),
        "respond": RespondConfig.from_options(aoi="0,0,1,1", model="m.ckpt", **event),
        "predict": PredictConfig.from_mapping(
            {"checkpoint": "m.ckpt", "cube": "c.zarr", "output_dir": "o"}, **event
        ),
        "data": DataConfig.from_mapping({"cube": "c.zarr"}, **event),
        "simulate": EventCubeSpec.from_mapping({}, **event),
    }


def test_every_config_reads_an_event_date_to_the_same_utc_naive_datetime() -> None:
    for name, cfg in _configs(event_start=AWARE, event_end="2018-09-07").items():
        assert cfg.event_start == UTC, name  # type: ignore[attr-defined]
        assert cfg.event_end == dt.datetime(2018, 9, 7), name  # type: ignore[attr-defined]
        # written back as ISO 8601 and read back equal
        assert type(cfg).from_mapping(cfg).event_start == UTC, name  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", ["notadate", 20180905])
def test_a_bad_event_date_is_one_line_naming_the_key(value: object) -> None:
    with pytest.raises(ConfigError) as err:
        BuildConfig.from_options(aoi="0,0,1,1", event_start=value, event_end="2018-09-07")
    message = str(err.value)
    assert message.startswith("Invalid build config: event_start: ") and "\n" not in message
    assert "2018-09-05T18:08" in message  # the example of what to write


def test_the_helper_converts_scalars_and_indexes() -> None:
    assert to_utc_naive(AWARE) == pd.Timestamp(UTC)
    assert to_utc_naive(pd.Timestamp("2018-09-05T18:08")) == pd.Timestamp("2018-09-05T18:08")
    index = pd.DatetimeIndex(["2018-09-05T02:00", "2018-09-06T12:00"]).tz_localize("Etc/GMT-2")
    assert list(to_utc_naive(index)) == [pd.Timestamp("2018-09-05"), pd.Timestamp("2018-09-06T10")]


def test_the_utc_naive_conversion_is_written_once() -> None:
    root = Path(sarslide.__file__).parent
    copies = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "tz_localize(None)" in path.read_text() and path.name != "conventions.py"
    ]
    assert copies == []


@pytest.mark.parametrize(
    "address",
    [
        "tcp://127.0.0.1:8786",
        "127.0.0.1:8786",
        "tcp://scheduler",
        "tls://[::1]:8786",
        "inproc://10.0.0.1/4242/1",
    ],
)
def test_scheduler_address_forms_dask_takes(address: str) -> None:
    from pydantic import TypeAdapter

    from sarslide.conventions import SchedulerAddress

    assert TypeAdapter(SchedulerAddress).validate_python(f" {address} ") == address


@pytest.mark.parametrize("address", ["not an address", ":notaport", "tcp://", "host", "8786"])
def test_malformed_scheduler_address_is_refused(address: str) -> None:
    from pydantic import TypeAdapter, ValidationError

    from sarslide.conventions import SchedulerAddress

    with pytest.raises(ValidationError, match="not a dask scheduler address"):
        TypeAdapter(SchedulerAddress).validate_python(address)
