from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from sarslide.datacube import open_cube, write_cube
from sarslide.errors import ConfigError, DownloadError
from sarslide.sources.zenodo import (
    extract_zip_safely,
    fetch_published_cube,
    get_published_cube,
)
from tests.factories import make_minimal_cube
from tests.sources.servers import LocalHttpServer

ZIP_PATH = "/record/7248056/files/hokkaido_japan.zip"


def _zip_of_store(tmp_path: Path) -> bytes:
    store = write_cube(make_minimal_cube(), tmp_path / "src" / "hokkaido_japan.zarr")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for path in sorted(store.rglob("*")):
            if path.is_file():
                archive.write(path, str(path.relative_to(store.parent)))
    return buffer.getvalue()


@pytest.fixture
def zenodo(tmp_path: Path):
    payload = _zip_of_store(tmp_path)
    with LocalHttpServer() as server:
        server.files[ZIP_PATH] = payload
        server.add_json(
            "/api/records/7248056",
            {
                "files": [
                    {
                        "key": "hokkaido_japan.zip",
                        "size": len(payload),
                        "checksum": "md5:" + hashlib.md5(payload).hexdigest(),
                    },
                ]
            },
        )
        yield server


def _fetch(server: LocalHttpServer, dest: Path, **kw):
    kw.setdefault("api_url", server.url + "/api/records/7248056")
    return fetch_published_cube(
        "hokkaido", dest, base_url=server.url + "/record/7248056/files", progress=False, **kw
    )


def test_fetch_verifies_and_extracts_an_openable_cube(
    zenodo: LocalHttpServer, tmp_path: Path
) -> None:
    store = _fetch(zenodo, tmp_path / "data")
    assert store == tmp_path / "data" / "hokkaido_japan.zarr"
    ds = open_cube(store, task="detection")
    assert "vv" in ds and not (tmp_path / "data" / "hokkaido_japan.zip").exists()
    assert not list((tmp_path / "data").glob(".extract-*"))


def test_truncated_download_is_resumed_with_range(zenodo: LocalHttpServer, tmp_path: Path) -> None:
    zenodo.truncate[ZIP_PATH] = [70_000]  # more than one 64 KiB block arrives
    store = _fetch(zenodo, tmp_path / "data")
    ranges = [r for (m, p, r) in zenodo.requests if p == ZIP_PATH and m == "GET"]
    assert ranges == [None, "bytes=65536-"]
    open_cube(store)


def test_download_that_stays_truncated_fails_without_a_store(
    zenodo: LocalHttpServer, tmp_path: Path
) -> None:
    zenodo.truncate[ZIP_PATH] = [0] * 10
    with pytest.raises(DownloadError, match="resume"):
        _fetch(zenodo, tmp_path / "data", max_attempts=3)
    assert not (tmp_path / "data" / "hokkaido_japan.zarr").exists()
    assert not (tmp_path / "data" / "hokkaido_japan.zip").exists()


def test_body_without_length_cut_short_is_completed_with_range(
    zenodo: LocalHttpServer, tmp_path: Path
) -> None:
    zenodo.no_length.add(ZIP_PATH)
    zenodo.truncate[ZIP_PATH] = [70_000]
    store = _fetch(zenodo, tmp_path / "data")
    ranges = [r for (m, p, r) in zenodo.requests if p == ZIP_PATH and m == "GET"]
    size = len(zenodo.files[ZIP_PATH])
    assert ranges == [None, "bytes=70000-", f"bytes={size}-"]  # the last one answers 416
    open_cube(store)


def test_body_without_length_that_stays_cut_keeps_and_names_the_part(
    zenodo: LocalHttpServer, tmp_path: Path
) -> None:
    zenodo.no_length.add(ZIP_PATH)
    zenodo.truncate[ZIP_PATH] = [20_000, 20_000]
    part = tmp_path / "data" / "hokkaido_japan.zip.part"
    with pytest.raises(DownloadError, match="resume") as caught:
        _fetch(zenodo, tmp_path / "data", max_attempts=2)
    assert str(part) in str(caught.value) and part.stat().st_size == 40_000
    store = _fetch(zenodo, tmp_path / "data")  # the rerun resumes the part
    assert [r for (m, p, r) in zenodo.requests if p == ZIP_PATH][2] == "bytes=40000-"
    open_cube(store)
    assert not part.exists()


def test_an_interrupted_download_names_the_part_it_keeps(tmp_path: Path) -> None:
    from sarslide.errors import Interrupted
    from sarslide.failures import describe_failure
    from sarslide.sources.http_download import download_file

    class _CutByCtrlC:  # a response whose body stops with Ctrl-C after one block
        status_code, headers = 200, {"Content-Length": "100000"}

        def __enter__(self):
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def raise_for_status(self) -> None:
            pass

        def iter_content(self, size: int):
            yield b"x" * 1000
            raise KeyboardInterrupt

    class _Session:
        def get(self, *args: object, **kw: object) -> _CutByCtrlC:
            return _CutByCtrlC()

    target = tmp_path / "cube.zip"
    with pytest.raises(KeyboardInterrupt) as caught:  # a regression must not stop pytest
        download_file("https://host/cube.zip", target, progress=False, session=_Session())
    assert isinstance(caught.value, Interrupted)
    failure = describe_failure(caught.value)
    assert failure.exit_code == 130
    assert f"'{target}.part' (1000 bytes) is kept; run the same command to resume" in (
        failure.message
    )


def test_download_that_is_not_a_zip_is_deleted_and_a_rerun_works(
    zenodo: LocalHttpServer, tmp_path: Path
) -> None:
    payload = zenodo.files[ZIP_PATH]
    zenodo.files[ZIP_PATH] = b"<html>maintenance</html>"
    with pytest.raises(DownloadError, match=r"not a zip .* was deleted. Run the same command"):
        _fetch(zenodo, tmp_path / "data", api_url=None)
    assert not (tmp_path / "data").exists()  # the folder it made is removed too
    zenodo.files[ZIP_PATH] = payload
    open_cube(_fetch(zenodo, tmp_path / "data", api_url=None))


def _zip_of_group_that_is_no_cube() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hokkaido_japan.zarr/.zgroup", '{"zarr_format": 2}')
        archive.writestr("hokkaido_japan.zarr/.zattrs", "{}")
    return buffer.getvalue()


def test_zip_of_a_zarr_group_that_is_no_cube_leaves_nothing(
    zenodo: LocalHttpServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    _fetch(zenodo, data, keep_zip=True)
    before = sorted(p.relative_to(data) for p in data.rglob("*"))
    (data / "hokkaido_japan.zip").unlink()
    zenodo.files[ZIP_PATH] = _zip_of_group_that_is_no_cube()
    refused = r"not a sarslide datacube .*nothing was extracted.*store already in .* is kept"
    with pytest.raises(DownloadError, match=refused):
        _fetch(zenodo, data, api_url=None)
    after = sorted(p.relative_to(data) for p in data.rglob("*"))
    assert after == [p for p in before if p.name != "hokkaido_japan.zip"]  # old store kept
    open_cube(data / "hokkaido_japan.zarr")
    with pytest.raises(DownloadError, match="not a sarslide datacube"):
        _fetch(zenodo, tmp_path / "fresh", api_url=None)
    assert not (tmp_path / "fresh").exists()  # nothing extracted, no empty folder


def _closed_port_url() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_unreachable_server_leaves_no_folder_and_claims_no_part(tmp_path: Path) -> None:
    dest = tmp_path / "new"
    url = _closed_port_url()
    with pytest.raises(DownloadError, match="Nothing was downloaded") as caught:
        fetch_published_cube(
            "hokkaido", dest, base_url=url, api_url=None, progress=False, max_attempts=1
        )
    assert "partial file" not in str(caught.value)
    assert not dest.exists()  # was: an empty folder and 'the partial file ... is kept'


def test_a_bad_md5_or_a_file_as_output_is_refused_before_any_request(
    zenodo: LocalHttpServer, tmp_path: Path
) -> None:
    from sarslide.errors import OutputLocationError

    with pytest.raises(ConfigError, match="Invalid md5='nothex'"):
        _fetch(zenodo, tmp_path / "a", md5="nothex")
    afile = tmp_path / "afile"
    afile.write_text("mine")
    with pytest.raises(OutputLocationError, match="it is a file, not a folder"):
        _fetch(zenodo, afile)
    assert zenodo.requests == [] and afile.read_text() == "mine"
    assert not (tmp_path / "a").exists()


def test_checksum_mismatch_is_an_error(zenodo: LocalHttpServer, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="Checksum mismatch"):
        _fetch(zenodo, tmp_path / "data", md5="0" * 32)
    assert not (tmp_path / "data" / "hokkaido_japan.zarr").exists()
    assert not (tmp_path / "data" / "hokkaido_japan.zip.part").exists()


def test_missing_file_is_a_clear_error(zenodo: LocalHttpServer, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="404"):
        fetch_published_cube(
            "puerto_rico", tmp_path, base_url=zenodo.url + "/nothing", api_url=None, progress=False
        )


@pytest.mark.parametrize(
    "entry", ["../evil.txt", "cube.zarr/../../evil.txt", "/abs/evil.txt", "C:/evil.txt"]
)
def test_zip_with_escaping_entries_is_refused(tmp_path: Path, entry: str) -> None:
    archive_path = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        archive.writestr("cube.zarr/.zgroup", "{}")
        archive.writestr(entry, "owned")
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(DownloadError, match="outside"):
        extract_zip_safely(archive_path, dest)
    assert list(dest.iterdir()) == []
    assert not (tmp_path / "evil.txt").exists()


def test_unknown_cube_name_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match="kaikoura_newzealand"):
        get_published_cube("atlantis")
    assert get_published_cube("talakmau").name == "talakmau_indonesia"


def test_cli_data_fetch_prints_summary(zenodo: LocalHttpServer, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sarslide.cli.main import app

    result = CliRunner().invoke(
        app,
        [
            "data",
            "fetch",
            "hokkaido_japan",
            "--dest",
            str(tmp_path / "d"),
            "--base-url",
            zenodo.url + "/record/7248056/files",
            "--no-checksum",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "vv" in result.output and "EPSG:32654" in result.output
    listing = CliRunner().invoke(app, ["data", "list"])
    assert "puerto_rico" in listing.output


def _fetch_cli(tmp_path: Path, config: str, *args: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from sarslide.cli.main import app

    cfg_file = tmp_path / "fetch.yaml"
    cfg_file.write_text(config)
    result = CliRunner().invoke(app, ["data", "fetch", "--config", str(cfg_file), *args])
    return result.exit_code, result.output


def test_cli_data_fetch_reads_a_config_file_and_flags_and_set_win(
    zenodo: LocalHttpServer, tmp_path: Path
) -> None:
    config = (
        f"name: hokkaido\noutput_dir: {tmp_path / 'from-file'}\n"
        f"base_url: {zenodo.url}/record/7248056/files\n"
        f"api_url: {zenodo.url}/api/records/7248056\n"
    )
    code, output = _fetch_cli(tmp_path, config, "--keep-zip")
    assert code == 0, output
    assert (tmp_path / "from-file" / "hokkaido_japan.zarr").is_dir()
    assert (tmp_path / "from-file" / "hokkaido_japan.zip").is_file()
    code, output = _fetch_cli(tmp_path, config, "-o", str(tmp_path / "flag"))
    assert code == 0, output
    assert (tmp_path / "flag" / "hokkaido_japan.zarr").is_dir()
    assert not (tmp_path / "flag" / "hokkaido_japan.zip").exists()
    setting = f"output_dir={tmp_path / 'set'}"
    code, output = _fetch_cli(tmp_path, config, "-o", str(tmp_path / "f2"), "--set", setting)
    assert code == 0, output
    assert (tmp_path / "set" / "hokkaido_japan.zarr").is_dir() and not (tmp_path / "f2").exists()


def test_cli_data_fetch_bad_key_is_one_error_line(tmp_path: Path) -> None:
    code, output = _fetch_cli(tmp_path, "name: hokkaido\nkeepzip: true\n")
    assert code == 1 and "Traceback" not in output
    lines = [line for line in output.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and "'keepzip'" in lines[0] and "keep_zip" in lines[0], output
