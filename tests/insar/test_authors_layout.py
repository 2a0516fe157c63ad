"""The ISSLIDE authors' layout: their loader's file walk finds our patches; import back.

``authors_loader_walk`` re-implements, from reading it, the walk of
``BaselineNetworks/dataloader.py`` (Ant89ne/ISSLIDE, ``MA_Truth_Dataset``): string paths
with a trailing slash, every root entry a delay, every delay entry a zone, zones with
"Queyras" in the name for evaluation, interferograms sorted by name without
"Segmentations" or "30Oct", the first 80 % for training and the rest for evaluation,
phase files and masks each sorted by name and paired by position, the coherence found by
replacing "phase" with "coherence" in the path, samples without a 1 in the mask dropped.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from typer.testing import CliRunner

from sarslide.cli.main import app
from sarslide.errors import DataSelectionError
from sarslide.insar.authors_layout import (
    list_authors_patches,
    parse_interferogram_dates,
)
from sarslide.insar.isslide_layout import read_ready_index
from sarslide.insar.patches import extract_patches

runner = CliRunner()


def read_band(path: str) -> np.ndarray:
    with rasterio.open(path) as src:
        assert src.count == 1, f"{path} has {src.count} bands; the loader reads single bands"
        return src.read()


def authors_loader_walk(path1: str, typedataset: int, percentage: float = 0.8) -> list[tuple]:
    """``(phase, mask)`` paths the authors' loader would serve (see the module docstring)."""
    imgs: list[str] = []
    segs: list[str] = []
    for d in os.listdir(path1):
        delay_path = path1 + d + "/"
        zones = sorted(os.listdir(delay_path))
        zones = [z for z in zones if ("Queyras" in z) == bool(typedataset)]
        for z in zones:
            zone_path = delay_path + z + "/"
            names = sorted(f for f in os.listdir(zone_path) if f != "Segmentations")
            interferos = [f for f in names if "30Oct" not in f]
            cut = int(percentage * len(interferos))
            interferos = interferos[cut:] if typedataset else interferos[:cut]
            for i in interferos:
                phase_dir = zone_path + i + "/phase/"
                seg_dir = zone_path + "Segmentations/" + i + "/"
                imgs += sorted(phase_dir + f for f in os.listdir(phase_dir) if f.endswith(".tif"))
                segs += sorted(seg_dir + f for f in os.listdir(seg_dir) if f.endswith(".tif"))
    assert len(imgs) == len(segs)
    kept = [(i, s) for i, s in zip(imgs, segs, strict=True) if 1 in read_band(s)]
    for image, _ in kept:  # __getitem__: the coherence beside the phase
        assert read_band(image.replace("phase", "coherence")).shape == read_band(image).shape
    return kept


def expected_samples(index: pd.DataFrame, *, test: bool, percentage: float = 0.8) -> set[str]:
    """Names of the ready patches the loader should serve (same split rule, our index)."""
    names: set[str] = set()
    zone_is_test = index["zone"] == "queyras"
    for _, group in index[zone_is_test == test].groupby(["zone", "delay_days"]):
        interferos = sorted(group["start"] + "_" + group["end"])
        unique = sorted(set(interferos))
        cut = int(percentage * len(unique))
        chosen = set(unique[cut:] if test else unique[:cut])
        rows = group[(group["start"] + "_" + group["end"]).isin(chosen) & group["has_move"]]
        names |= set(rows["name"])
    return names


@pytest.fixture(scope="module")
def authors_root(tiny_raw: Path) -> Path:
    out = tiny_raw.parent / "authors"
    result = runner.invoke(
        app,
        ["insar", "patches", str(tiny_raw), "-o", str(out), "--size", "32", "--layout", "isslide"],
    )
    assert result.exit_code == 0, result.output
    return out


def test_authors_loader_walk_serves_our_patches(authors_root: Path, tiny_ready: Path) -> None:
    assert sorted(os.listdir(authors_root)) == ["12days", "6days"]  # nothing else at the root
    assert sorted(os.listdir(authors_root / "6days")) == ["Ecrins", "Queyras", "Vanoise"]
    index = read_ready_index(tiny_ready)
    images = {row.name: row.image_path for row in index.itertuples(index=False)}
    by_place = {
        (r.zone, r.delay_days, f"{r.start}_{r.end}", r.move_id): r.name
        for r in index.itertuples(index=False)
    }
    for test in (False, True):
        served = authors_loader_walk(str(authors_root) + "/", typedataset=int(test))
        assert served, "the loader found no sample"
        names = set()
        for phase_path, mask_path in served:
            parts = Path(phase_path).parts
            move, k = Path(phase_path).stem.split("_")
            assert Path(mask_path).name == Path(phase_path).name  # paired by sorted names
            name = by_place[
                (parts[-4].lower(), int(parts[-5].removesuffix("days")), parts[-3], int(k))
            ]
            assert int(move) == int(k) + 1  # the area's label in the merged map
            names.add(name)
            with rasterio.open(images[name]) as src:  # same pixels as the ready patch
                np.testing.assert_array_equal(read_band(phase_path)[0], src.read(1))
                coherence = read_band(phase_path.replace("phase", "coherence"))[0]
                np.testing.assert_array_equal(coherence, src.read(2))
        assert names == expected_samples(index, test=test)


def test_import_gives_back_the_ready_layout(authors_root: Path, tiny_ready: Path) -> None:
    out = authors_root.parent / "imported"
    result = runner.invoke(app, ["insar", "import", str(authors_root), "-o", str(out)])
    assert result.exit_code == 0, result.output
    ours = read_ready_index(tiny_ready).set_index("name")
    back = read_ready_index(out).set_index("name")
    assert sorted(back.index) == sorted(ours.index)
    columns = ["zone", "delay_days", "start", "end", "move_id", "interferogram", "has_move"]
    pd.testing.assert_frame_equal(back.loc[ours.index, columns], ours[columns])
    for name in ours.index:
        for column in ("image_path", "mask_path"):
            with (
                rasterio.open(ours.at[name, column]) as a,
                rasterio.open(back.at[name, column]) as b,
            ):
                np.testing.assert_array_equal(a.read(), b.read())
                assert a.transform == b.transform and a.crs == b.crs


def test_a_stray_file_at_the_root_is_refused(authors_root: Path, tmp_path: Path) -> None:
    (tmp_path / "patches.csv").write_text("name\n")
    (tmp_path / "6days").symlink_to(authors_root / "6days")
    with pytest.raises(DataSelectionError, match=r"patches\.csv is not a delay folder"):
        list_authors_patches(tmp_path)


@pytest.mark.parametrize(
    ("name", "dates"),
    [
        ("20180702_20180708", ("20180702", "20180708")),
        ("24Oct_30Oct", ("20181024", "20181030")),
        ("28Dec2019_03Jan2020", ("20191228", "20200103")),
        ("interf_3", ("", "")),
    ],
)
def test_interferogram_folder_names(name: str, dates: tuple[str, str]) -> None:
    assert parse_interferogram_dates(name) == dates


def test_extract_writes_no_index_in_the_authors_layout(tiny_raw: Path, tmp_path: Path) -> None:
    index = extract_patches(tiny_raw, tmp_path / "a", size_px=32, layout="isslide")
    assert not (tmp_path / "a" / "patches.csv").exists()
    assert len(list_authors_patches(tmp_path / "a")) == len(index)
