"""Import cost of ``sarslide predict`` and ``sarslide evaluate``: wall time and Lightning.

Each case runs in a fresh interpreter: the CLI entry module, the command's library
function and every module its body imports before work starts (the model registry's
builders included), timed from the first import; it reports whether Lightning (or
torchmetrics) was loaded. Runs alternate between cases; the median of N is reported.

``--before-src DIR`` also measures a checkout of an older layout (e.g. commit 33fa0a9,
before the layering of issue 13: ``git worktree add /tmp/before 33fa0a9``) with the
imports that layout's commands made, alternating with the current tree.

Usage: python benchmarks/bench_imports.py [--quick] [--runs N] [--before-src DIR]
Writes benchmarks/results/imports.json (``imports_quick.json`` with --quick).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from measure import write_results

SRC = Path(__file__).resolve().parents[1] / "src"

# What each command imports in the current layout (module top = what runs).
CURRENT = {
    "predict": (
        "import sarslide.cli.main; from sarslide.inference.outputs import predict_to_directory; "
        "import sarslide.models; sarslide.models.list_models()"
    ),
    "evaluate": (
        "import sarslide.cli.main; from rich.markdown import Markdown; "
        "from sarslide.evaluation.evaluate import evaluate_checkpoint; "
        "import sarslide.models; sarslide.models.list_models()"
    ),
}
# The same for the layout before issue 13 (commit 33fa0a9): its commands imported these
# inside their functions (the checkpoint loader through sarslide.training, hence Lightning).
BEFORE_33FA0A9 = {
    "predict": (
        "import sarslide.cli.main; from sarslide.compat import ensure_torchvision_importable; "
        "ensure_torchvision_importable(); "
        "from sarslide.inference.outputs import predict_to_directory; "
        "import sarslide.chips, sarslide.datacube, sarslide.models; "
        "from sarslide.training.checkpoints import load_model_from_checkpoint"
    ),
    "evaluate": (
        "import sarslide.cli.main; from rich.markdown import Markdown; "
        "from sarslide.evaluation.evaluate import evaluate_checkpoint; "
        "from sarslide.evaluation.report import format_summary_markdown; "
        "import sarslide.chips, sarslide.datacube, sarslide.evaluation.metrics; "
        "from sarslide.evaluation.predict import predict_chip_probabilities; "
        "from sarslide.training.checkpoints import load_model_from_checkpoint; "
        "from sarslide.training.datamodule import chips_to_tensors; "
        "from sarslide.inference.predict_scene import make_torch_predictor, predict_array; "
        "import sarslide.plotting.curves"
    ),
}
PROBE = (
    "import sys, time\n"
    "t0 = time.perf_counter()\n"
    "exec(sys.argv[1])\n"
    "seconds = time.perf_counter() - t0\n"
    "import json\n"
    "print(json.dumps({'seconds': seconds, 'lightning': 'lightning' in sys.modules,"
    " 'torchmetrics': 'torchmetrics' in sys.modules, 'modules': len(sys.modules)}))\n"
)


def run_once(statement: str, src: Path) -> dict[str, float | bool | int]:
    """One fresh interpreter importing ``statement`` with ``src`` first on the path."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, statement],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 run per case")
    parser.add_argument("--runs", type=int, default=5, help="runs per case (median)")
    parser.add_argument("--before-src", type=Path, help="src/ of a checkout at 33fa0a9")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    layouts = {"current": (CURRENT, SRC)}
    if args.before_src:
        layouts["before_33fa0a9"] = (BEFORE_33FA0A9, args.before_src.resolve())
    samples: dict[str, dict[str, list[dict[str, float | bool | int]]]] = {}
    for _ in range(runs):
        for command in CURRENT:
            for layout, (statements, src) in layouts.items():
                sample = run_once(statements[command], src)
                samples.setdefault(layout, {}).setdefault(command, []).append(sample)
    results: dict[str, dict[str, object]] = {}
    for layout, by_command in samples.items():
        statements = layouts[layout][0]
        for command, runs_ in by_command.items():
            results.setdefault(layout, {})[command] = {
                "statement": statements[command],
                "median_s": round(statistics.median(float(r["seconds"]) for r in runs_), 2),
                "runs_s": [round(float(r["seconds"]), 2) for r in runs_],
                "loads_lightning": any(bool(r["lightning"]) for r in runs_),
                "loads_torchmetrics": any(bool(r["torchmetrics"]) for r in runs_),
                "modules": int(runs_[-1]["modules"]),
            }
    for layout, by_command in results.items():
        for command, row in by_command.items():
            lightning = row["loads_lightning"]
            print(f"{layout:16s} {command:9s} {row['median_s']:6.2f} s  {lightning=}")
    write_results("imports", {"runs_per_case": runs, "results": results}, quick=args.quick)


if __name__ == "__main__":
    main()
