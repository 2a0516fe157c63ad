"""A corrupt chunk file is named (variable and file), on both read paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from sarslide.chips.zarr_chunks import LocalChunkReader
from sarslide.datacube import open_cube, write_cube
from sarslide.datacube.integrity import find_corrupt_chunks
from sarslide.errors import CorruptChunkError
from sarslide.failures import describe_failure
from tests.factories import make_minimal_cube


@pytest.fixture
def corrupt_store(tmp_path: Path) -> Path:
    store = write_cube(make_minimal_cube(), tmp_path / "cube.zarr")
    (store / "vv" / "1.0.0").write_bytes(b"not a blosc frame")
    return store


def test_the_scan_finds_the_corrupt_chunk_file(corrupt_store: Path) -> None:
    assert find_corrupt_chunks(corrupt_store) == [("vv", corrupt_store / "vv" / "1.0.0")]


def test_a_decode_error_through_dask_names_variable_and_file(corrupt_store: Path) -> None:
    ds = open_cube(corrupt_store)
    with pytest.raises(Exception) as caught:
        ds["vv"].values  # noqa: B018  (dask + zarr-python: an anonymous codec error)
    message = describe_failure(caught.value).message
    assert "'vv'" in message and str(corrupt_store / "vv" / "1.0.0") in message


def test_the_direct_chunk_reader_names_variable_and_file(corrupt_store: Path) -> None:
    reader = LocalChunkReader.from_dataarray(open_cube(corrupt_store)["vv"])
    assert reader is not None
    with pytest.raises(CorruptChunkError, match=r"'vv'.*vv/1\.0\.0"):
        reader.read_chunk((1, 0, 0))
