"""Run every benchmark script (benchmarks/bench_*.py); each writes benchmarks/results/<topic>.json.

Usage: python benchmarks/run_all.py [--quick] [NAME ...]
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    names = [a for a in argv if not a.startswith("--")]
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if any(n in s.stem for n in names)]
    failures = 0
    for script in scripts:
        start = time.perf_counter()
        cmd = [sys.executable, str(script), *(["--quick"] if quick else [])]
        code = subprocess.call(cmd)
        status = "ok" if code == 0 else f"FAILED ({code})"
        sys.stderr.write(f"{script.name}: {status} in {time.perf_counter() - start:.0f} s\n")
        failures += code != 0
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
