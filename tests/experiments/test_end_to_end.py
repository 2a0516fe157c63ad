"""The real path: simulate a cube, train and evaluate a tiny grid, resume it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sarslide.experiments.config import AblationConfig
from sarslide.experiments.study import run_ablation


@pytest.mark.slow
def test_tiny_real_grid_runs_and_resumes(tmp_path: Path) -> None:
    import torch

    from sarslide.datacube import write_cube
    from sarslide.simulate import simulate_event_cube

    torch.set_num_threads(1)
    write_cube(simulate_event_cube(height_px=128, width_px=128, seed=3), tmp_path / "cube.zarr")
    train = {
        "data": {
            "cube": str(tmp_path / "cube.zarr"),
            "chip_size_px": 32,
            "split_block_px": 64,
            "split_fractions": [0.5, 0.25, 0.25],
        },
        "model": {"name": "unet-tiny"},
        "trainer": {"max_epochs": 1, "batch_size": 8, "accelerator": "cpu", "devices": 1},
    }
    cfg = AblationConfig.model_validate(
        {
            "train": train,
            "input_sets": ["vv", "sar+dem", "dem"],
            "timesteps_k": [1, 2],
            "seeds": [0],
            "output_dir": tmp_path / "ablation",
        }
    )
    outcome = run_ablation(cfg, progress=False)
    assert outcome.grid.complete, outcome.grid.failed
    channels = {r.input_set: r.output.channel_names for r in outcome.grid.records}
    assert sorted(channels["vv"]) == ["vv_after", "vv_before"]
    assert len(channels["sar+dem"]) == 8 and len(channels["dem"]) == 4
    for record in outcome.grid.records:  # real EvaluationResult mapped: chips AND region
        metrics = record.output.metrics
        for where in ("chips", "region"):
            assert 0.0 <= metrics[f"auprc_{where}"] <= 1.0, (record.run_id, metrics)
            assert 0.0 < metrics[f"baseline_auprc_{where}"] < 0.5, (record.run_id, metrics)
    table = outcome.paths.table_csv.read_bytes()
    again = run_ablation(cfg, progress=False)
    assert again.grid.ran == [] and again.paths.table_csv.read_bytes() == table
    assert "log-ratio" in table.decode()
    header, *rows = table.decode().splitlines()
    region_mean = header.split(",").index("auprc_region_mean")
    assert all(row.split(",")[region_mean] for row in rows)  # no empty region cell
