"""Issue 23's respond cases: an event in the future is called so, before any search."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sarslide.errors import DataSelectionError
from sarslide.response import RespondConfig, respond_to_event
from tests.response.conftest import ENGA_AOI, ENGA_DIR, in_folder


def test_an_event_in_the_future_is_named_so(model_k2: Path, tmp_path: Path) -> None:
    cfg = RespondConfig.from_options(
        aoi=ENGA_AOI,
        event_start="2042-04-10T12:00",
        model=model_k2,
        rtc=[str(ENGA_DIR / "*.tif")],
        stac_url="http://127.0.0.1:9/unreachable/",
        figures=False,
    )
    with pytest.raises(DataSelectionError, match=r"2042-04-10 12:00 UTC\) is in the future"):
        respond_to_event(in_folder(cfg, tmp_path / "event"), progress=False, now="2024-06-01")
    assert not (tmp_path / "event" / "cube.zarr").exists()


def test_respond_never_writes_inside_its_products_folder(
    model_k2: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    def never(*_: object, **__: object) -> None:
        raise AssertionError("searched before the output was checked against the inputs")

    monkeypatch.setattr("sarslide.response.run.find_local_passes", never)

    from sarslide.errors import OutputExistsError

    products = tmp_path / "products"
    shutil.copytree(ENGA_DIR, products)
    before = sorted(p.name for p in products.iterdir())
    cfg = RespondConfig.from_options(
        aoi=ENGA_AOI,
        event_start="2024-04-10T12:00",
        model=model_k2,
        rtc=[str(products)],
        stac_url="http://127.0.0.1:9/unreachable/",
        figures=False,
    )
    with pytest.raises(OutputExistsError, match="lies inside the input"):
        respond_to_event(in_folder(cfg, products / "event"), progress=False, now="2024-06-01")
    assert sorted(p.name for p in products.iterdir()) == before


@pytest.mark.slow
def test_sigterm_during_the_cube_build_on_real_products_keeps_no_partial(
    tmp_path: Path,
) -> None:
    """A real 'sarslide respond' process on the vendored OPERA series, stopped with
    SIGTERM as soon as its cube's temporary store appears (zarr's IO thread used to
    recreate it behind the cleanup, 1 in 4 runs)."""
    series = Path(__file__).parents[1] / "data" / "s1-rtc-opera-dists1-10SGD"
    out = tmp_path / "event"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [sys.executable, "-m", "sarslide.cli.main", "respond", "--rtc", str(series)]
    command += ["--aoi=-120.727,34.580,-120.717,34.588", "--event-start", "2023-10-20"]
    command += ["--model", "none", "--resolution-m", "30", "--no-figures", "-o", str(out)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    deadline = time.monotonic() + 240
    while process.poll() is None and time.monotonic() < deadline:
        if out.is_dir() and any(".partial-" in p.name for p in out.iterdir()):
            break
        time.sleep(0.02)
    assert process.poll() is None, process.communicate(timeout=60)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 143, stderr[-3000:]
    text = " ".join((stdout + stderr).split())
    assert "error: terminated (SIGTERM)" in text and "Traceback" not in text
    time.sleep(1.0)  # a write still pending would land now
    left = sorted(p.name for p in out.iterdir())
    assert not [name for name in left if name.startswith(".")], left
    assert not (out / "cube.zarr").exists()


def test_a_second_respond_into_the_same_folder_refuses_before_searching(
    model_k2: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """respond took no lock: a second run into the same -o searched again, rewrote
    respond.json under the first and stopped only at the cube or map lock."""
    import json

    from sarslide.atomic import host_id
    from sarslide.errors import OutputBusyError
    from sarslide.ownership import lock_path

    def never(*_: object, **__: object) -> None:
        raise AssertionError("searched while another respond writes the folder")

    monkeypatch.setattr("sarslide.response.run.find_local_passes", never)
    out = tmp_path / "event"
    record = {"pid": os.getppid(), "host": "here", "host_id": host_id(), "command": "respond"}
    lock_path(out).write_text(json.dumps(record))  # a live process (pytest's parent)
    cfg = RespondConfig.from_options(
        aoi=ENGA_AOI, event_start="2024-04-10T12:00", model=model_k2, rtc=[str(ENGA_DIR)]
    )
    with pytest.raises(OutputBusyError, match="being written by another sarslide process"):
        respond_to_event(in_folder(cfg, out), progress=False, now="2024-06-01")
    assert not out.exists() and lock_path(out).exists()
