"""build_chip_splits end to end on tiny cubes: no leak, train-only statistics, errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import binary_dilation

from sarslide.chips import DataConfig, build_chip_splits, build_composite_stack, extract_chips
from sarslide.errors import DataSelectionError
from tests.factories import make_minimal_cube


@pytest.fixture
def cube():
    cube = make_minimal_cube(height=160, width=192, timesteps=6, seed=1)
    cube.attrs.update(event_start="2018-08-20T00:00", event_end="2018-08-21T00:00")
    return cube


def _cfg(**kw) -> DataConfig:
    return DataConfig(cube="tiny.zarr", chip_size_px=16, timesteps_k=2, split_block_px=32, **kw)


def test_default_split_chips_never_overlap_or_touch(cube) -> None:
    splits = build_chip_splits(_cfg(), cube=cube)
    assert splits.split == "spatial" and splits.summary()["split_method"] == "spatial"
    masks = {}
    for name in ("train", "val", "test"):
        chips = splits.get(name)
        assert len(chips) > 0
        mask = np.zeros(cube["vv"].shape[1:], dtype=bool)
        for r, c in chips.origins_px:
            mask[r : r + 16, c : c + 16] = True
        masks[name] = mask
    for a, b in (("train", "val"), ("train", "test"), ("val", "test")):
        # grow by the default buffer (= chip size, 16 px): still no pixel of the other split
        grown = binary_dilation(masks[a], np.ones((2 * 16 + 1, 2 * 16 + 1), dtype=bool))
        assert not (grown & masks[b]).any(), f"{a} and {b} chips are closer than the buffer"


def test_normalisation_ignores_val_and_test_pixels(cube) -> None:
    cfg = _cfg()
    base = build_chip_splits(cfg, cube=cube)
    poisoned = cube.copy(deep=True)
    outside_train = ~base.plan.region_mask("train")
    poisoned["vv"].values[:, outside_train] = 1e6  # huge values only outside train
    poisoned["vh"].values[:, outside_train] = 0.0  # zeros (floored) only outside train
    again = build_chip_splits(cfg, cube=poisoned)
    np.testing.assert_array_equal(again.normalisation.mean, base.normalisation.mean)
    np.testing.assert_array_equal(again.normalisation.std, base.normalisation.std)
    assert again.test.inputs[:, 0].max() == pytest.approx(6.0)  # the test chips did change
    assert (
        again.val.counts["n_floored"] > 0 and again.train.counts["n_floored"] > 0
    )  # counted over all chips


def test_chip_splits_equal_chips_of_the_whole_scene_stack(cube) -> None:
    cfg = _cfg(channels="sar+dem")
    splits = build_chip_splits(cfg, cube=cube.chunk({"timestep": 2, "y": 80, "x": 96}))
    whole = extract_chips(build_composite_stack(cube, cfg), cube["landslides"], size_px=16)
    index = {tuple(o): i for i, o in enumerate(whole.origins_px)}
    for name in ("train", "val", "test"):
        chips = splits.get(name)
        rows = [index[tuple(o)] for o in chips.origins_px]
        np.testing.assert_array_equal(chips.inputs, whole.inputs[rows])
        np.testing.assert_array_equal(chips.labels, whole.labels[rows])


def test_random_split_is_labelled_and_reproducible(cube) -> None:
    a = build_chip_splits(_cfg(split="random", seed=3), cube=cube)
    b = build_chip_splits(_cfg(split="random", seed=3), cube=cube)
    assert a.split == "random" and a.plan.method == "random"
    np.testing.assert_array_equal(a.test.origins_px, b.test.origins_px)
    assert len(a.train) + len(a.val) + len(a.test) == 10 * 12


def test_errors_for_bad_input(cube) -> None:
    with pytest.raises(DataSelectionError, match="2 before and 4 after"):
        build_chip_splits(_cfg().model_copy(update={"timesteps_k": 3}), cube=cube)
    with pytest.raises(DataSelectionError, match="no labelled landslides"):
        build_chip_splits(_cfg(), cube=cube.assign(landslides=cube["landslides"] * 0))
    with pytest.raises(DataSelectionError, match="larger than the scene"):
        build_chip_splits(_cfg().model_copy(update={"chip_size_px": 256}), cube=cube)
    with pytest.raises(DataSelectionError, match="offers"):
        build_chip_splits(_cfg(channels=["vv_before", "coherence_mean"]), cube=cube)
    with pytest.raises(
        DataSelectionError,
        match=r"leaves \['val', 'test'\] without chips|leaves \['val'\]|leaves \['test'\]",
    ):
        build_chip_splits(
            DataConfig(
                cube="t", chip_size_px=16, timesteps_k=2, split_block_px=160, split_buffer_px=16
            ),
            cube=cube,
        )
