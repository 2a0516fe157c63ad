"""Quicklook pieces: scale bar lengths, hillshade, error classes, the report page."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sarslide.inference.geotiff import grid_from_cube
from sarslide.inference.quicklook import (
    classify_errors,
    compute_hillshade,
    plot_probability_quicklook,
)
from sarslide.inference.report import write_report_html
from sarslide.plotting.map_furniture import nice_length_m
from tests.factories import make_minimal_cube


@pytest.mark.parametrize(
    ("target", "expected"),
    [(0.3, 1.0), (7, 5.0), (1234, 1000.0), (2600, 2000.0), (49_000, 20_000.0)],
)
def test_nice_scale_bar_lengths(target, expected) -> None:
    assert nice_length_m(target) == expected


def test_hillshade_is_bright_on_slopes_facing_the_sun() -> None:
    _, x = np.mgrid[0:20, 0:20].astype(float)
    facing_west = compute_hillshade(x * 10.0, 10.0)  # rises to the east: faces west
    facing_east = compute_hillshade(-x * 10.0, 10.0)
    assert facing_west.mean() > facing_east.mean()  # sun from the north-west
    assert facing_east.min() >= 0 and facing_west.max() <= 1


def test_error_classes() -> None:
    binary = np.array([[0, 1, 1, 0, 255]], np.uint8)
    labels = np.array([[0, 1, 0, 1, 1]], np.uint8)
    np.testing.assert_array_equal(
        classify_errors(binary, labels, binary != 255), [[0, 1, 2, 3, 255]]
    )


def test_quicklook_and_report_are_self_contained(tmp_path: Path) -> None:
    grid = grid_from_cube(make_minimal_cube(height=30, width=40))
    prob = np.random.default_rng(0).random((30, 40)).astype(np.float32)
    prob[:3] = np.nan
    png = plot_probability_quicklook(prob, grid, tmp_path / "q.png", background=None, threshold=0.5)
    assert png.read_bytes()[:4] == b"\x89PNG"
    html = write_report_html(
        tmp_path / "report.html",
        title="t",
        figures=[("q", png)],
        metrics={"auprc": 0.5},
        config={"tile_size_px": 512},
        outputs={"probability.tif": "p"},
    ).read_text()
    assert "data:image/png;base64," in html and "0.5000" in html and "tile_size_px" in html
    assert "src='q.png'" not in html
