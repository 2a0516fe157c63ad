"""Readers: complex GeoTIFF round trip, i/q rasters, HyP3 product folders, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from affine import Affine

from sarslide.errors import DataSelectionError
from sarslide.insar.isslide_layout import write_geotiff
from sarslide.insar.readers import read_hyp3_interferogram, read_slc, write_complex_geotiff

TRANSFORM = Affine(20.0, 0, 300000, 0, -20.0, 5000000)


def test_complex_geotiff_round_trip(tmp_path: Path) -> None:
    data = (np.arange(12).reshape(3, 4) + 1j * np.ones((3, 4))).astype(np.complex64)
    path = write_complex_geotiff(tmp_path / "slc.tif", data, {"transform": TRANSFORM})
    layer = read_slc(path)
    np.testing.assert_array_equal(layer.data, data)
    assert layer.profile["transform"] == TRANSFORM


def test_iq_raster_and_real_band_error(tmp_path: Path) -> None:
    iq = np.stack([np.ones((3, 4)), 2 * np.ones((3, 4))]).astype(np.float32)
    path = write_geotiff(tmp_path / "iq.tif", iq, transform=TRANSFORM, crs="EPSG:32632")
    np.testing.assert_array_equal(read_slc(path).data, np.full((3, 4), 1 + 2j, np.complex64))
    real = write_geotiff(tmp_path / "real.tif", iq[:1], transform=TRANSFORM, crs="EPSG:32632")
    with pytest.raises(DataSelectionError, match="not a complex SLC"):
        read_slc(real)
    with pytest.raises(FileNotFoundError):
        read_slc(tmp_path / "missing.tif")


def test_hyp3_product_folder(tmp_path: Path) -> None:
    phase = np.full((4, 5), 0.5, np.float32)
    coherence = np.full((4, 5), 0.7, np.float32)
    name = "S1AA_20180702T055000_20180708T055000_VVP006_INT80_G_ueF_ABCD"
    write_geotiff(
        tmp_path / f"{name}_wrapped_phase.tif", phase, transform=TRANSFORM, crs="EPSG:32632"
    )
    write_geotiff(tmp_path / f"{name}_corr.tif", coherence, transform=TRANSFORM, crs="EPSG:32632")
    got_phase, got_coherence = read_hyp3_interferogram(tmp_path)
    np.testing.assert_array_equal(got_phase.data, phase)
    np.testing.assert_array_equal(got_coherence.data, coherence)
    with pytest.raises(DataSelectionError, match="not a HyP3 INSAR_GAMMA product"):
        read_hyp3_interferogram(tmp_path / "..")
