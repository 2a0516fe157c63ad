"""``sarslide export`` and a SIGTERM or Ctrl-C once its files are written (docs/safety.md).

The export writes three files (``model.onnx``, ``model.json``, ``model.md``) and renames
them into place one by one. A SIGTERM between two renames left a mix of new and old
files (with ``--overwrite``) and exit 143; one just after the renames gave exit 143 with
complete files, so a batch job was counted failed and its rerun refused ('exists').
Now the renames are held together and, once they are done, the job is done: exit 0.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sarslide.cli.main import app
from tests.inference.conftest import write_fake_checkpoint


@pytest.fixture
def guarded_sigterm() -> Iterator[None]:
    """A SIGTERM that no sarslide handler takes fails the test instead of killing pytest."""

    def fail(signum: int, frame: object) -> None:
        raise AssertionError("SIGTERM reached the test's own handler")

    previous = signal.signal(signal.SIGTERM, fail)
    yield
    signal.signal(signal.SIGTERM, previous)


def _exported_from(folder: Path) -> set[str]:
    """The checkpoint each of the three files was exported from (one value: one export)."""
    from sarslide.models.engines import read_onnx_card

    sources = {read_onnx_card(folder / "model.onnx")["exported_from"]}
    sources.add(json.loads((folder / "model.json").read_text())["exported_from"])
    markdown = (folder / "model.md").read_text()
    return sources | {f"md from {s}" for s in sources if f"`{s}`" not in markdown}


@pytest.mark.usefixtures("guarded_sigterm")
def test_a_sigterm_between_the_renames_waits_for_all_and_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = (write_fake_checkpoint(tmp_path / f"{n}.ckpt") for n in ("first", "second"))
    out = tmp_path / "model.onnx"
    runner = CliRunner()
    assert runner.invoke(app, ["export", str(first), "-o", str(out)]).exit_code == 0
    assert _exported_from(tmp_path) == {str(first)}
    real_replace = os.replace
    renames: list[str] = []

    def replace_then_sigterm(src: str, dst: str) -> None:
        real_replace(src, dst)
        renames.append(Path(dst).name)
        if len(renames) == 1:  # the first of three files in place, then the scheduler
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr("sarslide.atomic.os.replace", replace_then_sigterm)
    result = runner.invoke(app, ["export", str(second), "-o", str(out), "--overwrite"])
    assert result.exit_code == 0, result.output
    assert "exported" in result.output
    assert sorted(renames) == ["model.json", "model.md", "model.onnx"]
    assert _exported_from(tmp_path) == {str(second)}  # all three: the new export's


@pytest.mark.slow
def test_sigterm_just_after_the_files_are_written_exits_0_in_a_real_process(
    tmp_path: Path,
) -> None:
    """A real 'sarslide export' process that receives SIGTERM right after its last
    rename (sent by the process itself, at the log line that follows the commit)."""
    ckpt = write_fake_checkpoint(tmp_path / "m.ckpt")
    out = tmp_path / "model.onnx"
    script = (
        "import os, signal, sys\n"
        "import sarslide.models.export as export\n"
        "real = export.logger.info\n"
        "def info(*args, **kwargs):\n"
        "    if str(args[0]).startswith('exported'):\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "    real(*args, **kwargs)\n"
        "export.logger.info = info\n"
        "from sarslide.cli.main import app\n"
        f"sys.argv = ['sarslide', 'export', {str(ckpt)!r}, '-o', {str(out)!r}]\n"
        "app()\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "SIGTERM arrived after the export's files" in done.stderr
    assert _exported_from(tmp_path) == {str(ckpt)}
    assert not any(".partial-" in p.name or p.name.endswith(".lock") for p in tmp_path.iterdir())
