"""A quick benchmark run never overwrites the full results (``*_quick.json``)."""

from __future__ import annotations

import ast
import json
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
    calls = [
        node
        for node in ast.walk(ast.parse(script.read_text()))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "write_results"
    ]
    assert calls, f"{script.name} writes no results through measure.write_results"
    lines_without_quick = [
        call.lineno for call in calls if "quick" not in {kw.arg for kw in call.keywords}
    ]
    assert not lines_without_quick, (
        f"{script.name}: write_results without quick= at lines {lines_without_quick}"
    )
