"""The direct chunk-file reader: same chips as the dask path, v2 and v3, NaN and zeros."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from sarslide.chips import DataConfig, build_chip_splits
from sarslide.chips.channels import resolve_channel_specs
from sarslide.chips.chipping import chip_origins
from sarslide.chips.composites import build_composite_stack, selection_from_config
from sarslide.chips.dataset import extract_composite_chips
from sarslide.chips.log_composite import (
    composite_values,
    log10_floored,
    log10_mean,
    reduce_acquisitions,
)
from sarslide.chips.zarr_chunks import LocalChunkReader
from sarslide.datacube import open_cube, write_cube
from tests.factories import make_minimal_cube


def _cube_with_gaps():  # type: ignore[no-untyped-def]
    cube = make_minimal_cube(height=40, width=52, timesteps=6, seed=5)
    cube.attrs.update(event_start="2018-08-20T00:00", event_end="2018-08-21T00:00")
    cube["vv"][1, 3:6, 4:9] = np.nan  # partial nodata in one acquisition
    cube["vv"][:2, 10, 10] = np.nan  # all before-acquisitions nodata at one pixel
    cube["vh"][0, 20:23, 30:33] = 0.0  # zeros: floored
    cube["vh"][2, 5, 5] = -1.0
    return cube


@pytest.fixture(scope="module", params=[2, 3], ids=["zarr-v2", "zarr-v3"])
def store(request, tmp_path_factory):  # type: ignore[no-untyped-def]
    chunks = {"timestep": 1, "y": 16, "x": 20}  # chips straddle chunk edges
    path = tmp_path_factory.mktemp(f"v{request.param}") / "c.zarr"
    return write_cube(_cube_with_gaps(), path, chunks=chunks, zarr_format=request.param)


def _chips(cube, direct: bool, stride: int = 8):  # type: ignore[no-untyped-def]
    cfg = DataConfig(cube="c.zarr", channels="sar+dem", timesteps_k=2, chip_size_px=12)
    specs = resolve_channel_specs(cfg.channels, cube)
    origins = chip_origins((40, 52), 12, stride)
    return extract_composite_chips(
        cube, specs, selection_from_config(cube, cfg), origins, 12, direct_read=direct
    )


def test_direct_read_equals_dask_path_with_nan_zeros_and_overlap(store) -> None:
    cube = open_cube(store)
    assert LocalChunkReader.from_dataarray(cube["vv"]) is not None
    fast, slow = _chips(cube, True), _chips(cube, False)
    np.testing.assert_array_equal(fast.inputs, slow.inputs)
    np.testing.assert_array_equal(fast.labels, slow.labels)
    assert fast.counts == slow.counts
    assert fast.counts["n_nodata"] > 0 and fast.counts["n_floored"] > 0
    assert np.isnan(fast.inputs).any()  # the all-NaN pixel stays nodata


def test_direct_read_equals_in_memory_cube(store) -> None:
    cube = open_cube(store)
    fast = _chips(cube, True)
    in_memory = _chips(cube.load(), True)  # numpy-backed: no reader, numpy path
    np.testing.assert_array_equal(fast.inputs, in_memory.inputs)


def test_reader_refuses_modified_or_remote_arrays(store) -> None:
    cube = open_cube(store)
    assert LocalChunkReader.from_dataarray(cube["vv"] * 2) is None
    assert LocalChunkReader.from_dataarray(cube["vv"].isel(timestep=[0, 1, 2])) is None
    assert LocalChunkReader.from_dataarray(cube["vv"].load()) is None
    assert LocalChunkReader.from_dataarray(cube["vv"].isel(timestep=0)) is None
    assert LocalChunkReader.from_dataarray(cube["dem"][:10]) is None


@pytest.mark.parametrize("name", ["dem", "landslides", "vv"])
def test_read_all_equals_the_lazy_array(store, name) -> None:
    cube = open_cube(store)
    reader = LocalChunkReader.from_dataarray(cube[name])
    assert reader is not None
    whole = reader.read_all()
    assert whole.dtype == cube[name].dtype
    np.testing.assert_array_equal(whole, cube[name].values)


def test_missing_chunks_read_as_zarr_reads_them(tmp_path) -> None:
    """Chunks never written (all fill value) read as zarr-python reads them: the array's
    fill value, or zero where it has none (uint8 labels with fill_value null)."""
    import zarr

    cube = make_minimal_cube(height=40, width=52, timesteps=4, seed=1)
    cube["landslides"][:] = 0
    cube["landslides"][30:, 45:] = 1  # one chunk with a landslide; the others all zero
    path = write_cube(cube, tmp_path / "c.zarr", chunks={"timestep": 1, "y": 16, "x": 20})
    labels_dir = path / "landslides"
    for name in ("0.0", "0.1"):  # as a writer that skips empty chunks leaves them
        (labels_dir / name).unlink(missing_ok=True)
    reader = LocalChunkReader.from_dataarray(open_cube(path)["landslides"])
    assert reader is not None
    expected = zarr.open_array(str(labels_dir), mode="r")[:]
    np.testing.assert_array_equal(reader.read_all(), expected)
    assert reader.read_all()[30:, 45:].all() and not reader.read_all()[:16, :40].any()


def test_reader_fills_missing_chunks_with_the_fill_value(store, tmp_path) -> None:
    import shutil

    cube = open_cube(shutil.copytree(store, tmp_path / "copy.zarr"))
    reader = LocalChunkReader.from_dataarray(cube["vv"])
    assert reader is not None
    (reader.directory / reader.chunk_key((0, 0, 0))).unlink()
    box = reader.read_box(np.array([0, 1]), (0, 20), (0, 25))
    assert np.isnan(box[0, :16, :20]).all()
    np.testing.assert_array_equal(box[1], cube["vv"].values[1, :20, :25])


def test_build_chip_splits_same_with_and_without_direct_read(store) -> None:
    cfg = DataConfig(
        cube=str(store), chip_size_px=12, timesteps_k=2, split="random", positive_only=False
    )
    from_path = build_chip_splits(cfg)  # opens the store itself: direct read
    dask_only = build_chip_splits(cfg, cube=open_cube(store).chunk({"y": 10}))
    for name in ("train", "val", "test"):
        np.testing.assert_array_equal(from_path.get(name).inputs, dask_only.get(name).inputs)
        np.testing.assert_array_equal(
            from_path.get(name).origins_px, dask_only.get(name).origins_px
        )


def test_log10_mean_matches_mean_of_logs_and_handles_nan_zero_and_range() -> None:
    rng = np.random.default_rng(0)
    raw = rng.exponential(0.2, (4, 64, 64)).astype(np.float32)
    raw[:, 0, 0] = np.nan  # all nodata
    raw[1, 1, 1] = np.nan  # one nodata: mean of the other three
    raw[2, 2, 2] = 0.0  # floored
    raw[:, 3, 3] = 1e30  # product overflows float32
    raw[:, 4, 4] = 1e-30  # product below the floor's range is floored first
    raw[0, 5, 5] = np.inf
    tally: dict[str, int] = {}
    fast = log10_mean(raw, 1e-4, tally=tally)
    slow = reduce_acquisitions(log10_floored(raw, 1e-4), "mean")
    assert np.array_equal(np.isnan(fast), np.isnan(slow)) and np.isnan(fast[0, 0])
    finite = np.isfinite(slow)
    np.testing.assert_allclose(fast[finite], slow[finite], rtol=1e-6, atol=1e-6)
    assert fast[3, 3] == pytest.approx(30.0) and fast[4, 4] == pytest.approx(-4.0)
    assert fast[5, 5] == np.inf
    with np.errstate(invalid="ignore"):
        n_floored = int((raw < np.float32(1e-4)).sum())
    assert n_floored >= 5 and tally == {"n_floored": n_floored, "n_nodata": 4 + 1}
    moved = log10_mean(np.moveaxis(raw, 0, -1).copy(), 1e-4, axis=-1)
    np.testing.assert_array_equal(moved, fast)  # pixel-wise: same value in any layout
    np.testing.assert_array_equal(log10_mean(raw[:, 10:20, 5:9], 1e-4), fast[10:20, 5:9])
    np.testing.assert_array_equal(
        composite_values(raw, log10=True, floor=1e-4, reducer="mean"), fast
    )
    tally_of_list: dict[str, int] = {}
    as_list = log10_mean(list(raw), 1e-4, tally=tally_of_list)  # acquisitions unstacked
    np.testing.assert_array_equal(as_list, fast)
    assert tally_of_list == tally


def test_log10_mean_redoes_products_that_underflow_with_a_tiny_floor() -> None:
    raw = np.full((4, 2, 2), 0.5, dtype=np.float32)
    raw[:, 0, 0] = 1e-11  # product 1e-44: a float32 subnormal
    out = log10_mean(raw, 1e-12)
    assert out[0, 0] == pytest.approx(-11.0, abs=1e-6)
    np.testing.assert_allclose(out[1:, 1:], np.log10(0.5), rtol=1e-6)


def test_load_if_direct_decodes_small_local_layers_and_keeps_large_ones_lazy(store) -> None:
    from sarslide.chips.zarr_chunks import load_if_direct

    cube = open_cube(store)
    loaded = load_if_direct(cube["dem"], max_bytes=cube["dem"].nbytes)
    assert isinstance(loaded, np.ndarray)
    np.testing.assert_array_equal(loaded, cube["dem"].values)
    assert hasattr(load_if_direct(cube["dem"], max_bytes=cube["dem"].nbytes - 1), "dask")
    assert hasattr(load_if_direct(cube["dem"] + 1, max_bytes=1 << 30), "dask")  # not a view


def test_mean_exact_equals_numpy_log10_then_mean_bit_for_bit(store) -> None:
    cube = open_cube(store)
    cfg = DataConfig(
        cube="c.zarr", channels="vv+vh", timesteps_k=2, chip_size_px=12, reducer="mean_exact"
    )
    selection = selection_from_config(cube, cfg)
    specs = resolve_channel_specs(cfg.channels, cube)
    origins = chip_origins((40, 52), 12, 8)
    fast = extract_composite_chips(cube, specs, selection, origins, 12, direct_read=True)
    slow = extract_composite_chips(cube, specs, selection, origins, 12, direct_read=False)
    np.testing.assert_array_equal(fast.inputs, slow.inputs)
    assert fast.counts == slow.counts and fast.counts["n_floored"] > 0
    raw = cube["vv"].values[selection.before]
    with warnings.catch_warnings():  # the all-NaN pixel: NaN, as expected
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmean(np.log10(np.maximum(raw, np.float32(1e-4))), axis=0)
    windows = np.stack([expected[r : r + 12, c : c + 12] for r, c in origins])
    np.testing.assert_array_equal(fast.inputs[:, 0], windows)  # vv_before
    scene = build_composite_stack(cube, cfg).sel(channel="vv_before").values
    np.testing.assert_array_equal(scene, expected)
