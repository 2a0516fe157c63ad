"""The truncation check is exact: masked chunks are fine, lost chunk files are named."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from sarslide import conventions as cv
from sarslide.datacube import open_cube, write_cube
from sarslide.errors import CubeValidationError
from tests.factories import make_minimal_cube


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1 (directory listings on)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_masked_first_timestep_is_not_truncated(tmp_path: Path, zarr_format: int) -> None:
    ds = make_minimal_cube()
    ds[cv.VAR_VV][0] = np.nan  # fill value only: zarr writes no chunk for it
    path = write_cube(ds, tmp_path / "c.zarr", zarr_format=zarr_format)  # type: ignore[arg-type]
    opened = open_cube(path)
    assert np.isnan(opened[cv.VAR_VV][0].values).all()


def test_missing_chunk_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ds = make_minimal_cube()
    ds[cv.VAR_VV][0] = np.nan
    monkeypatch.chdir(tmp_path)
    path = write_cube(ds, "c.zarr")  # a relative path, as on the command line
    (path / cv.VAR_VV / "2.0.0").unlink()
    with pytest.raises(CubeValidationError, match=r"'vv' lacks 1 of 4 chunk files.*vv/2\.0\.0"):
        open_cube(path)


def test_missing_chunk_over_http_fails_loudly(http_root: tuple[Path, str]) -> None:
    folder, url = http_root
    write_cube(make_minimal_cube(), folder / "c.zarr")
    assert open_cube(f"{url}/c.zarr").sizes[cv.DIM_TIMESTEP] == 4  # complete: opens
    (folder / "c.zarr" / cv.VAR_VH / "1.0.0").unlink()
    with pytest.raises(CubeValidationError, match=r"'vh' lacks 1 of 4 chunk files.*vh/1\.0\.0"):
        open_cube(f"{url}/c.zarr")
