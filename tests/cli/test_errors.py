"""The CLI's one error handler: one line and an exit code, a traceback only with --debug."""

from __future__ import annotations

import errno

import pytest
from pydantic import BaseModel, Field, ValidationError
from typer.testing import CliRunner

from sarslide.cli.main import app
from sarslide.errors import ConfigError
from sarslide.failures import EXIT_INTERRUPTED, describe_failure

runner = CliRunner()


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.ENOSPC, "No space left"),
        (errno.EACCES, "Permission denied"),
        (errno.EROFS, "Read-only"),
        (errno.ENOTDIR, "regular file"),
        (errno.ECONNREFUSED, "Connection refused"),
    ],
)
def test_os_errors_name_the_class_the_path_and_a_fix(code: int, words: str) -> None:
    failure = describe_failure(OSError(code, "os text", "/out/cube.zarr"))
    assert words in failure.message
    assert "'/out/cube.zarr'" in failure.message
    assert ": " in failure.message.split("'/out/cube.zarr'")[1]  # then the fix
    assert failure.exit_code == 1


def test_a_wrapped_os_error_is_found_through_the_cause_chain() -> None:
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as inner:
            raise RuntimeError("writer thread failed") from inner
    except RuntimeError as outer:
        failure = describe_failure(outer)
    assert failure.message.startswith("No space left on the device")


def test_validation_errors_list_field_value_and_message() -> None:
    class Settings(BaseModel):
        size_px: int = Field(ge=16)

    with pytest.raises(ValidationError) as caught:
        Settings(size_px=-3)
    message = describe_failure(caught.value).message
    assert "size_px" in message and "-3" in message and "\n" not in message


def test_interrupt_exits_130_and_unknown_errors_point_to_debug() -> None:
    assert describe_failure(KeyboardInterrupt()).exit_code == EXIT_INTERRUPTED
    failure = describe_failure(ZeroDivisionError("division by zero"))
    assert "ZeroDivisionError" in failure.message and "--debug" in failure.message
    missing = describe_failure(ModuleNotFoundError("No module named 's3fs'", name="s3fs"))
    assert "pip install s3fs" in missing.message


def _simulate_raising(monkeypatch: pytest.MonkeyPatch, err: BaseException) -> None:
    def fail(**_: object) -> None:
        raise err

    monkeypatch.setattr("sarslide.simulate.run.simulate_event_cube", fail)


@pytest.mark.parametrize(
    ("err", "code"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "x.zarr"), 1),
        (OSError(errno.EROFS, "Read-only file system", "x.zarr"), 1),
        (ConfigError("Invalid thing=3. Use 1 or 2."), 1),
        (KeyError("boom"), 1),
        (KeyboardInterrupt(), 130),
    ],
)
def test_any_command_failure_is_one_line_without_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path, err: BaseException, code: int
) -> None:
    _simulate_raising(monkeypatch, err)
    result = runner.invoke(app, ["cube", "simulate", "-o", str(tmp_path / "x.zarr")])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    err = OSError(errno.ENOSPC, "No space left on device", "x.zarr")
    _simulate_raising(monkeypatch, err)
    result = runner.invoke(app, ["--debug", "cube", "simulate", "-o", str(tmp_path / "x.zarr")])
    assert result.exception is err


def test_a_remote_chunk_refused_during_a_run_is_a_network_error() -> None:
    aiohttp = pytest.importorskip("aiohttp")
    from yarl import URL

    url = URL("https://example.org/cube.zarr/vv/3.0.0")
    info = aiohttp.RequestInfo(url, "GET", {}, url)  # type: ignore[arg-type]
    refused = aiohttp.ClientResponseError(info, (), status=503, message="Service Unavailable")
    message = describe_failure(RuntimeError("compute failed")).message
    assert message.startswith("unexpected")
    wrapped = RuntimeError("compute failed")
    wrapped.__cause__ = refused
    message = describe_failure(wrapped).message
    assert "Network error" in message and "HTTP 503 (Service Unavailable)" in message
    assert "vv/3.0.0" in message and "try again" in message
