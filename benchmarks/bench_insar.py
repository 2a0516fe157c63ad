"""Benchmark: interferogram + coherence + Goldstein on a full-scene-sized SLC pair.

Usage: python benchmarks/bench_insar.py [--quick] [--size N] [--chunk N]
Writes benchmarks/results/insar.json (insar_quick.json with --quick; wall time and peak
RSS per stage).

The pair is N x N complex64 (default 4000; --quick 1000), multilooked 8 x 2 (range x
azimuth) to (N/2) x (N/8), then Goldstein-filtered (alpha 0.5, 32 px patches, step 8).
Three paths: in-memory numpy, and lazy dask (chunks of --chunk px) with the threaded
scheduler, both end to end; plus coherence accuracy against the known truth.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.measure import measure, write_results


def make_pair(
    size: int, coherence: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from sarslide.insar.interferometry import simulate_slc_pair

    rows, cols = np.mgrid[0:size, 0:size].astype(np.float32)
    phase = 0.002 * cols + 0.004 * rows
    s1, s2 = simulate_slc_pair(phase, coherence, rng=np.random.default_rng(seed))
    return s1, s2, phase


def run_numpy(s1: np.ndarray, s2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from sarslide.insar.goldstein import filter_goldstein
    from sarslide.insar.interferometry import estimate_coherence

    result = estimate_coherence(s1, s2, looks_range=8, looks_azimuth=2)
    return np.angle(filter_goldstein(result.interferogram)), result.coherence


def run_dask(s1: np.ndarray, s2: np.ndarray, chunk: int) -> tuple[np.ndarray, np.ndarray]:
    import dask
    import dask.array as da

    from sarslide.insar.goldstein import filter_goldstein_lazy
    from sarslide.insar.interferometry import estimate_coherence

    result = estimate_coherence(
        da.from_array(s1, chunks=chunk),
        da.from_array(s2, chunks=chunk),
        looks_range=8,
        looks_azimuth=2,
    )
    phase = da.angle(filter_goldstein_lazy(result.interferogram))
    with dask.config.set(scheduler="threads"):
        return da.compute(phase, result.coherence)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--chunk", type=int, default=1024)
    args = parser.parse_args(argv)
    size = args.size or (1000 if args.quick else 4000)
    true_coherence = 0.6
    with measure() as m_make:
        s1, s2, _ = make_pair(size, true_coherence)
    with measure() as m_np:
        phase_np, coh_np = run_numpy(s1, s2)
    with measure() as m_dask:
        phase_da, _ = run_dask(s1, s2, args.chunk)
    from sarslide.insar.interferometry import expected_coherence

    results = {
        "size_px": size,
        "input_mib": 2 * s1.nbytes / 2**20,
        "looks": "8x2 (range x azimuth)",
        "output_shape": list(coh_np.shape),
        "simulate_pair": m_make,
        "numpy_pipeline": m_np,
        "dask_pipeline": {**m_dask, "chunk_px": args.chunk},
        "dask_equals_numpy_max_abs_phase_diff": float(
            np.max(np.abs(np.angle(np.exp(1j * (phase_np - phase_da)))))
        ),
        "coherence_mean": float(coh_np.mean()),
        "coherence_expected_L16": float(expected_coherence(true_coherence, 16)),
        "mpix_per_s_numpy": size * size / 1e6 / m_np["wall_s"],
    }
    path = write_results("insar", results, quick=args.quick)
    sys.stdout.write(f"{path}: numpy {m_np['wall_s']:.2f} s, dask {m_dask['wall_s']:.2f} s\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
