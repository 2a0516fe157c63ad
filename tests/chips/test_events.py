"""Chips from several events: every chip keeps its event; leave-one-event-out leaks nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sarslide.chips import DataConfig, build_chip_splits, load_data_config
from sarslide.chips.events import build_event_chip_splits, read_events_overrides
from sarslide.datacube import open_cube
from sarslide.errors import ConfigError
from tests.conftest import tiny_events_data


def _loeo(events_file: Path, held_out: str = "alpine") -> DataConfig:
    return load_data_config(
        tiny_events_data(events_file, split="leave_one_event_out", held_out_event=held_out)
    )


def test_leave_one_event_out_keeps_the_held_out_event_out_of_training(tiny_events: Path) -> None:
    cfg = _loeo(tiny_events)
    splits = build_chip_splits(cfg)
    held = splits.events.index("alpine")
    assert splits.split == "leave_one_event_out"
    assert not np.any(splits.chip_events["train"] == held)
    assert not np.any(splits.chip_events["val"] == held)
    assert np.all(splits.chip_events["test"] == held)
    # every chip of the held-out scene is a test chip (positive_only: false, 16 px chips)
    assert len(splits.test) == (64 // 16) ** 2
    # training events give train and val chips (their test blocks train)
    for event in ("iburi", "monsoon", "farmland"):
        assert len(splits.event_chips("train", event)) > 0
        assert len(splits.event_chips("val", event)) > 0
        assert len(splits.event_chips("test", event)) == 0


def test_no_held_out_pixel_reaches_training_or_normalisation(tiny_events: Path) -> None:
    """Changing every value of the held-out cube changes neither the training chips nor
    the normalisation: nothing of the held-out event reaches them."""
    cfg = _loeo(tiny_events)
    cubes = {e.name: open_cube(e.cube) for e in cfg.events}
    reference = build_event_chip_splits(cfg, cubes=cubes)
    altered = dict(cubes)
    held = cubes["alpine"]
    altered["alpine"] = held.assign(vv=held.vv * 1000.0 + 5.0, vh=held.vh * 0.001)
    changed = build_event_chip_splits(cfg, cubes=altered)
    np.testing.assert_array_equal(changed.train.inputs, reference.train.inputs)
    np.testing.assert_array_equal(changed.val.inputs, reference.val.inputs)
    np.testing.assert_array_equal(changed.normalisation.mean, reference.normalisation.mean)
    np.testing.assert_array_equal(changed.normalisation.std, reference.normalisation.std)
    assert not np.allclose(changed.test.inputs, reference.test.inputs, equal_nan=True)


def test_spatial_split_over_events_pools_every_event_in_every_split(tiny_events: Path) -> None:
    splits = build_chip_splits(tiny_events_data(tiny_events))
    assert splits.events == ["iburi", "alpine", "monsoon", "farmland"]
    for split in ("train", "val", "test"):
        chips = splits.get(split)
        assert len(splits.chip_events[split]) == len(chips)
        assert set(np.unique(splits.chip_events[split])) == {0, 1, 2, 3}
    summary = splits.summary()
    assert summary["events"]["farmland"]["test"]["n_chips"] > 0
    assert '"events"' in splits.plan_json()


def test_each_event_is_chipped_with_its_own_window(tiny_events: Path) -> None:
    """The events have different dates; a chip's composite uses its own cube's window."""
    data = load_data_config(tiny_events_data(tiny_events))
    one = build_chip_splits(data.for_event("monsoon"))
    pooled = build_chip_splits(data)
    monsoon = pooled.event_chips("test", "monsoon")
    np.testing.assert_array_equal(monsoon.inputs, one.test.inputs)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cube": "x.zarr"}, "either 'cube'"),
        ({"split": "leave_one_event_out"}, "held_out_event=None"),
        ({"split": "leave_one_event_out", "held_out_event": "mars"}, "held_out_event='mars'"),
        ({"held_out_event": "iburi"}, "only used by split"),
        ({"split": "random"}, "one cube only"),
        ({"orbit": "ascending"}, "per event"),
    ],
)
def test_invalid_event_configs_are_clear_errors(
    tiny_events: Path, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_data_config(tiny_events_data(tiny_events, **changes))


def test_duplicate_event_names_are_refused() -> None:
    events = [{"name": "a", "cube": "a.zarr"}, {"name": "a", "cube": "b.zarr"}]
    with pytest.raises(ConfigError, match="unique"):
        load_data_config({"events": events})


def test_an_unlabelled_event_is_named(tiny_events: Path, tmp_path: Path) -> None:
    from sarslide.datacube import write_cube
    from sarslide.errors import DataSelectionError

    data = tiny_events_data(tiny_events)
    events = data["events"]
    assert isinstance(events, list)
    unlabelled = open_cube(events[1]["cube"]).load().drop_vars("landslides")
    events[1] = {**events[1], "cube": str(write_cube(unlabelled, tmp_path / "alpine.zarr"))}
    named = r"^Event 'alpine' \(.*alpine\.zarr\): The cube has no 'landslides' variable"
    with pytest.raises(DataSelectionError, match=named):
        build_chip_splits(data)


def test_an_events_file_replaces_the_cube_and_holds_one_event_out(tmp_path: Path) -> None:
    (tmp_path / "a.zarr").mkdir()
    events = tmp_path / "events.yaml"
    events.write_text("- {name: a, cube: a.zarr}\n- {name: b, cube: /data/b.zarr}\n")
    keys = read_events_overrides(events)
    assert keys["data.cube"] is None and "data.split" not in keys
    assert [e["cube"] for e in keys["data.events"]] == [str(tmp_path / "a.zarr"), "/data/b.zarr"]
    held = read_events_overrides(events, "b")
    assert (held["data.split"], held["data.held_out_event"]) == ("leave_one_event_out", "b")
