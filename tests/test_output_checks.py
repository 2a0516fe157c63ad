"""Output paths are checked before work: under a file, read-only, not writable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sarslide import output_checks
from sarslide.errors import OutputLocationError
from sarslide.output_checks import check_output_location


def test_a_new_nested_output_in_a_writable_folder_passes(tmp_path: Path) -> None:
    assert (
        check_output_location(tmp_path / "a" / "b" / "cube.zarr")
        == tmp_path / "a" / "b" / "cube.zarr"
    )
    assert check_output_location("s3://bucket/x.zarr").name == "x.zarr"  # remote: not checked


def test_an_output_under_a_regular_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    with pytest.raises(OutputLocationError, match=r"--output .*afile/sub/x'.*regular file"):
        check_output_location(tmp_path / "afile" / "sub" / "x")


def test_a_read_only_file_system_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class ReadOnly:
        f_flag = os.ST_RDONLY

    monkeypatch.setattr(output_checks.os, "statvfs", lambda _: ReadOnly())
    with pytest.raises(OutputLocationError, match="read-only file system"):
        check_output_location(tmp_path / "x", option="-o")


def test_a_folder_without_write_permission_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output_checks.os, "access", lambda *_: False)
    with pytest.raises(OutputLocationError, match="no write permission"):
        check_output_location(tmp_path / "x")
