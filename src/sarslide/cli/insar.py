"""``sarslide insar``: interferogram, simulate, patches, train, evaluate, demo."""

from __future__ import annotations

from pathlib import Path

import typer

from sarslide.cli.apps import insar_app
from sarslide.cli.console import console, report_errors


@insar_app.command("interferogram")
@report_errors
def interferogram(
    reference: Path = typer.Argument(..., help="Reference SLC (complex GeoTIFF, ISCE .slc/.vrt)."),
    secondary: Path = typer.Argument(..., help="Secondary SLC, co-registered on the reference."),
    output: Path = typer.Option(..., "--output", "-o", help="Output folder."),
    looks_range: int = typer.Option(8, help="Looks in range (ISSLIDE 8, Boehm cubes 5)."),
    looks_azimuth: int = typer.Option(2, help="Looks in azimuth (ISSLIDE 2, Boehm cubes 1)."),
    alpha: float = typer.Option(0.5, help="Goldstein exponent (0 = no filtering)."),
    chunk_px: int = typer.Option(2048, help="Dask chunk side (memory per task)."),
) -> None:
    """Multilooked, Goldstein-filtered phase, coherence and features (GeoTIFFs)."""
    import dask.array as da
    import numpy as np

    from sarslide.insar.features import compute_features
    from sarslide.insar.goldstein import filter_goldstein_lazy
    from sarslide.insar.interferometry import estimate_coherence
    from sarslide.insar.isslide_layout import write_geotiff
    from sarslide.insar.readers import read_slc

    ref, sec = read_slc(reference), read_slc(secondary)
    chunks = (chunk_px, chunk_px)
    result = estimate_coherence(
        da.from_array(ref.data, chunks=chunks),
        da.from_array(sec.data, chunks=chunks),
        looks_range=looks_range,
        looks_azimuth=looks_azimuth,
    )
    filtered = (
        filter_goldstein_lazy(result.interferogram, alpha=alpha)
        if alpha > 0
        else result.interferogram
    )
    phase, coherence = da.compute(da.angle(filtered).astype(np.float32), result.coherence)
    transform, crs = ref.profile.get("transform"), ref.profile.get("crs")
    if transform is not None:
        from affine import Affine

        transform = transform @ Affine.scale(looks_range, looks_azimuth)
    written = [
        write_geotiff(output / "phase.tif", phase, transform=transform, crs=crs, nodata=np.nan),
        write_geotiff(
            output / "coherence.tif", coherence, transform=transform, crs=crs, nodata=np.nan
        ),
        write_geotiff(
            output / "features.tif",
            compute_features(phase, coherence),
            transform=transform,
            crs=crs,
        ),
    ]
    console.print(
        f"{phase.shape[0]} x {phase.shape[1]} px, mean coherence {float(np.mean(coherence)):.3f}"
    )
    for path in written:
        console.print(f"wrote {path}")


@insar_app.command("simulate")
@report_errors
def simulate(
    output: Path = typer.Option(..., "--output", "-o", help="Raw-layout output folder."),
    zones: list[str] = typer.Option(["vanoise", "ecrins", "queyras"], "--zone", help="Zone names."),
    size_px: int = typer.Option(160, "--size", help="Scene side, multilooked pixels."),
    n_dates: int = typer.Option(6, "--dates", help="Acquisitions, every 6 days."),
    moves: int = typer.Option(5, help="Moving areas per zone."),
    seed: int = typer.Option(0, help="Random seed."),
) -> None:
    """Simulate an ISSLIDE raw layout (interferograms + annotation polygons)."""
    from sarslide.errors import OutputExistsError
    from sarslide.insar.simulate import SimulationConfig, simulate_isslide_raw

    if output.exists() and any(output.iterdir()):
        raise OutputExistsError(f"{output} is not empty; choose a new folder.")
    cfg = SimulationConfig(
        zones=tuple(zones), size_px=size_px, n_dates=n_dates, moves_per_zone=moves, seed=seed
    )
    items = simulate_isslide_raw(output, cfg, progress=True)
    console.print(f"wrote {len(items)} interferograms in {len(zones)} zones to {output}")


@insar_app.command("patches")
@report_errors
def patches(
    raw: Path = typer.Argument(..., help="ISSLIDE raw layout."),
    output: Path = typer.Option(..., "--output", "-o", help="Ready-layout output folder."),
    size_px: int = typer.Option(100, "--size", help="Patch side in pixels (ISSLIDE 100)."),
    min_confidence: int = typer.Option(None, help="Drop annotations below this confidence."),
    no_move: bool = typer.Option(
        True, "--no-move/--moving-only", help="Keep inactive-period patches."
    ),
) -> None:
    """Extract patches around annotated moving areas (ready layout, keyed by name)."""
    from sarslide.insar.patches import extract_patches

    index = extract_patches(
        raw,
        output,
        size_px=size_px,
        min_confidence=min_confidence,
        include_no_move=no_move,
        progress=True,
    )
    console.print(
        f"wrote {len(index)} patches ({int(index['has_move'].sum())} with a move) to {output}"
    )


@insar_app.command("train")
@report_errors
def train(
    ready: Path = typer.Argument(..., help="Ready ISSLIDE layout."),
    output: Path = typer.Option(
        ..., "--output", "-o", help="Run folder (one sub-folder per model)."
    ),
    models: list[str] = typer.Option(
        None, "--model", help="Model names (default: the five baselines)."
    ),
    test_zones: list[str] = typer.Option(["queyras"], "--test-zone", help="Held-out zone(s)."),
    epochs: int = typer.Option(30, help="Epochs (small U-Nets)."),
    heavy_epochs: int = typer.Option(None, help="Epochs for FCN/DeepLabV3 (default: --epochs)."),
    lr: float = typer.Option(1e-3, help="Adam learning rate."),
    batch_size: int = typer.Option(8, help="Batch size (paper: 8)."),
    max_patches: int = typer.Option(None, help="Seeded cap of patches per split."),
    weights: list[str] = typer.Option([], help="MODEL=PATH local weights (never downloaded)."),
    seed: int = typer.Option(0, help="Seed of the validation draw, shuffling, augmentation."),
    threads: int = typer.Option(0, help="torch CPU threads (0 = auto: the cores not busy)."),
) -> None:
    """Train baselines; the threshold is chosen on validation and stored per model."""
    from sarslide.errors import ConfigError
    from sarslide.insar.run import ISSLIDE_MODELS, IsslideRunConfig, train_isslide

    pairs = dict(w.split("=", 1) for w in weights if "=" in w)
    if len(pairs) != len(weights):
        raise ConfigError(f"--weights takes MODEL=PATH; got {weights}.")
    cfg = IsslideRunConfig(
        ready_dir=str(ready),
        output_dir=str(output),
        models=list(models or ISSLIDE_MODELS),
        test_zones=test_zones,
        max_epochs=epochs,
        heavy_max_epochs=heavy_epochs,
        lr=lr,
        batch_size=batch_size,
        max_patches_per_split=max_patches,
        encoder_weights=pairs,
        seed=seed,
        num_threads=threads,
    )
    for run_dir in train_isslide(cfg, progress=True):
        console.print(f"trained {run_dir}")


@insar_app.command("evaluate")
@report_errors
def evaluate(
    runs: Path = typer.Argument(..., help="Folder written by 'sarslide insar train'."),
    figure: bool = typer.Option(True, help="Also write predictions.png."),
) -> None:
    """Score trained models on the held-out zone(s); write comparison.md/.csv."""
    from sarslide.insar.run import evaluate_isslide

    outputs = evaluate_isslide(runs, figure=figure)
    console.print(outputs["table_md"].read_text())
    for path in outputs.values():
        console.print(f"wrote {path}")


@insar_app.command("demo")
@report_errors
def demo(
    output: Path = typer.Option(..., "--output", "-o", help="New folder for everything."),
    fast: bool = typer.Option(
        False, "--fast", help="48 px patches, 7 epochs, 4 steps for FCN/DeepLabV3 (about 3 min)."
    ),
    seed: int = typer.Option(0, help="Random seed."),
    threads: int = typer.Option(0, help="torch CPU threads (0 = auto: the cores not busy)."),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace a previous demo output (never another folder)."
    ),
) -> None:
    """Simulate a small ISSLIDE, train the five baselines briefly, write the comparison."""
    from sarslide.insar.demo import run_isslide_demo

    outputs = run_isslide_demo(
        output, fast=fast, seed=seed, num_threads=threads, progress=True, overwrite=overwrite
    )
    console.print(outputs["table_md"].read_text())
    for path in outputs.values():
        console.print(f"wrote {path}")
