"""A quick benchmark run never overwrites the full results (``*_quick.json``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from benchmarks import measure

BENCHMARKS = Path(__file__).parents[2] / "benchmarks"


def test_quick_results_go_to_their_own_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(measure, "RESULTS_DIR", tmp_path)
    full = measure.write_results("topic", {"n": 1}, quick=False)
    quick = measure.write_results("topic", {"n": 2}, quick=True)
    assert (full.name, quick.name) == ("topic.json", "topic_quick.json")
    assert json.loads(full.read_text())["n"] == 1


@pytest.mark.parametrize("script", sorted(BENCHMARKS.glob("bench_*.py")), ids=lambda p: p.stem)
def test_every_benchmark_passes_its_quick_flag_to_write_results(script: Path) -> None:
    text = script.read_text()
    calls = re.findall(r"write_results\(([^)]*)\)", text)
    assert calls, f"{script.name} writes no results through measure.write_results"
    assert all("quick=" in call for call in calls), calls
