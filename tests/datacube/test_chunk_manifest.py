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


def _xarray_store(path: Path) -> Path:
    """A cube written by xarray alone (no sarslide chunk record), 2 x 2 chunks a plane."""
    ds = make_minimal_cube(height=32, width=32)
    ds.chunk({cv.DIM_TIMESTEP: 1, cv.DIM_Y: 16, cv.DIM_X: 16}).to_zarr(path, zarr_format=2)
    return path


def test_a_lost_chunk_of_a_store_without_record_is_reported_with_count_and_place(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = _xarray_store(tmp_path / "xr.zarr")
    (store / cv.VAR_VV / "2.1.0").unlink()
    with caplog.at_level("WARNING"):
        ds = open_cube(store)
    assert "'vv' has no file for 1 of 16 chunks" in caplog.text
    assert "vv/2.1.0: timestep 2, y 16-31, x 0-15" in caplog.text
    assert ds.attrs["sarslide_missing_chunks"] == {
        "vv": {
            "missing": 1,
            "of": 16,
            "fill_value": "NaN",
            "examples": ["vv/2.1.0: timestep 2, y 16-31, x 0-15"],
        }
    }


def test_a_cube_resaved_after_masking_an_acquisition_is_not_truncated(tmp_path: Path) -> None:
    first = write_cube(make_minimal_cube(), tmp_path / "first.zarr")
    ds = open_cube(first).load()
    ds[cv.VAR_VV][1] = np.nan  # masked: zarr writes no chunk for it
    ds.to_zarr(tmp_path / "again.zarr", zarr_format=2)
    again = open_cube(tmp_path / "again.zarr")
    assert np.isnan(again[cv.VAR_VV][1].values).all()
    assert again.attrs["sarslide_missing_chunks"]["vv"]["missing"] == 1


class _Refusing(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(403)
        self.end_headers()

    do_HEAD = do_GET  # noqa: N815 (http.server's name)

    def log_message(self, *args: object) -> None:
        pass


def test_a_cube_url_the_server_refuses_is_a_network_error() -> None:
    from sarslide.errors import DownloadError

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/cube.zarr"
    try:
        with pytest.raises(DownloadError, match=r"Network error.*HTTP 403 \(Forbidden\)"):
            open_cube(url)
    finally:
        server.shutdown()
        server.server_close()


class _RefusingChunks(http.server.SimpleHTTPRequestHandler):
    """Serves the store's metadata, answers ``refuse`` for what lies under vv/."""

    refuse = (503, "vv/0")

    def do_GET(self) -> None:
        status, part = self.refuse
        if part in self.path:
            self.send_response(status)
            self.end_headers()
            return
        super().do_GET()

    do_HEAD = do_GET  # noqa: N815 (http.server's name)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("refuse", [(503, "vv/0"), (500, "/vv")])  # a chunk, the listing
def test_chunks_the_server_refuses_are_a_network_error(
    tmp_path: Path, refuse: tuple[int, str]
) -> None:
    from sarslide.errors import DownloadError

    write_cube(make_minimal_cube(), tmp_path / "cube.zarr")
    handler = type("H", (_RefusingChunks,), {"refuse": refuse})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(tmp_path))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/cube.zarr"
    try:
        with pytest.raises(DownloadError, match=rf"Network error.*HTTP {refuse[0]} .*/vv"):
            open_cube(url)
    finally:
        server.shutdown()
        server.server_close()


def test_a_cube_url_whose_host_cannot_be_reached_is_a_network_error() -> None:
    import socket

    from sarslide.errors import DownloadError

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/cube.zarr"
    with pytest.raises(DownloadError, match=r"Network error.*could not be reached"):
        open_cube(url)
