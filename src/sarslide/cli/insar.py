"""``sarslide insar``: interferogram, simulate, patches, train, evaluate, demo."""

from __future__ import annotations

from pathlib import Path

import typer

from sarslide.cli import options as opt
from sarslide.cli.apps import insar_app
from sarslide.cli.console import console, report_errors
from sarslide.errors import ConfigError, OutputExistsError

EVALUATE_CONFIG_HELP = (
    "YAML config file (keys of sarslide.insar.run.IsslideEvaluateConfig; the models' "
    "settings come from the run's config.json); the options below and --set override "
    "its keys. See docs/configs.md."
)
EVALUATE_DEVICE_HELP = (
    "Default: the run's device (its config.json). auto (the GPU when one is usable, else "
    "the CPU; the log says which), cpu, cuda, cuda:N or mps. A device that is not there "
    "is an error."
)
EVALUATE_PRECISION_HELP = (
    "Default: the run's precision. auto (bf16 on GPUs that have it, else fp16; fp32 on "
    "the CPU), fp32, bf16, fp16."
)


@insar_app.command("interferogram")
@report_errors
def interferogram(
    reference: Path = typer.Argument(..., help="Reference SLC (complex GeoTIFF, ISCE .slc/.vrt)."),
    secondary: Path = typer.Argument(..., help="Secondary SLC, co-registered on the reference."),
    output: Path = opt.output_option("Output folder.", required=True),
    config: Path | None = opt.config_option(),
    looks_range: int | None = typer.Option(None, help="Looks in range (looks_range)."),
    looks_azimuth: int | None = typer.Option(None, help="Looks in azimuth (looks_azimuth)."),
    alpha: float | None = typer.Option(
        None, help="Goldstein exponent, 0 = no filtering (goldstein_alpha)."
    ),
    chunk_px: int | None = typer.Option(None, help="Dask chunk side (chunk_px)."),
    overrides: list[str] = opt.set_option(),
) -> None:
    """Multilooked, Goldstein-filtered phase, coherence and features (GeoTIFFs)."""
    # imported when the command runs (see sarslide.cli)
    from sarslide.insar.products import InterferogramConfig, write_interferogram_products

    flags = {
        "looks_range": looks_range,
        "looks_azimuth": looks_azimuth,
        "goldstein_alpha": alpha,
        "chunk_px": chunk_px,
    }
    cfg = opt.load_command_config(InterferogramConfig, config, overrides, flags)
    products = write_interferogram_products(reference, secondary, output, cfg)
    rows, cols = products.shape_px
    console.print(f"{rows} x {cols} px, mean coherence {products.mean_coherence:.3f}")
    for path in products.paths:
        console.print(f"wrote {path}")


@insar_app.command("simulate")
@report_errors
def simulate(
    output: Path = opt.output_option("Raw-layout output folder.", required=True),
    config: Path | None = opt.config_option(),
    zones: list[str] | None = typer.Option(None, "--zone", help="Zone names (zones)."),
    size_px: int | None = typer.Option(
        None, "--size", help="Scene side, multilooked pixels (size_px)."
    ),
    n_dates: int | None = typer.Option(None, "--dates", help="Acquisitions (n_dates)."),
    moves: int | None = typer.Option(None, help="Moving areas per zone (moves_per_zone)."),
    seed: int | None = typer.Option(None, help="Random seed (seed)."),
    overrides: list[str] = opt.set_option(),
) -> None:
    """Simulate an ISSLIDE raw layout (interferograms + annotation polygons)."""
    # imported when the command runs (see sarslide.cli)
    from sarslide.insar.simulate import SimulationConfig, simulate_isslide_raw

    flags = {
        "zones": zones or None,
        "size_px": size_px,
        "n_dates": n_dates,
        "moves_per_zone": moves,
        "seed": seed,
    }
    cfg = opt.load_command_config(SimulationConfig, config, overrides, flags)
    if output.exists() and any(output.iterdir()):
        raise OutputExistsError(f"{output} is not empty; choose a new folder.")
    items = simulate_isslide_raw(output, cfg, progress=True)
    console.print(f"wrote {len(items)} interferograms in {len(cfg.zones)} zones to {output}")


@insar_app.command("patches")
@report_errors
def patches(
    raw: Path = typer.Argument(..., help="ISSLIDE raw layout."),
    output: Path = opt.output_option("Ready-layout output folder.", required=True),
    config: Path | None = opt.config_option(),
    size_px: int | None = typer.Option(None, "--size", help="Patch side in pixels (size_px)."),
    min_confidence: int | None = typer.Option(
        None, help="Drop annotations below this confidence (min_confidence)."
    ),
    no_move: bool | None = typer.Option(
        None, "--no-move/--moving-only", help="Keep inactive-period patches (include_no_move)."
    ),
    overrides: list[str] = opt.set_option(),
) -> None:
    """Extract patches around annotated moving areas (ready layout, keyed by name)."""
    # imported when the command runs (see sarslide.cli)
    from sarslide.insar.patches import PatchConfig, extract_patches

    flags = {"size_px": size_px, "min_confidence": min_confidence, "include_no_move": no_move}
    cfg = opt.load_command_config(PatchConfig, config, overrides, flags)
    index = extract_patches(raw, output, **cfg.model_dump(), progress=True)
    console.print(
        f"wrote {len(index)} patches ({int(index['has_move'].sum())} with a move) to {output}"
    )


@insar_app.command("train")
@report_errors
def train(
    ready: Path | None = typer.Argument(None, help="Ready ISSLIDE layout (ready_dir)."),
    output: Path | None = opt.output_option("Run folder, one sub-folder per model (output_dir)."),
    config: Path | None = opt.config_option(),
    models: list[str] | None = typer.Option(
        None, "--model", help="Model names (models; default: the five baselines)."
    ),
    test_zones: list[str] | None = typer.Option(
        None, "--test-zone", help="Held-out zone(s) (test_zones)."
    ),
    epochs: int | None = typer.Option(None, help="Epochs of the small U-Nets (max_epochs)."),
    heavy_epochs: int | None = typer.Option(
        None, help="Epochs for FCN/DeepLabV3 (heavy_max_epochs)."
    ),
    lr: float | None = typer.Option(None, help="Adam learning rate (lr)."),
    batch_size: int | None = typer.Option(None, help="Batch size (batch_size)."),
    max_patches: int | None = typer.Option(
        None, help="Seeded cap of patches per split (max_patches_per_split)."
    ),
    weights: list[str] | None = typer.Option(
        None, help="MODEL=PATH local weights, never downloaded (encoder_weights)."
    ),
    seed: int | None = typer.Option(None, help="Seed of validation draw, shuffling (seed)."),
    threads: int | None = typer.Option(None, help="torch CPU threads, 0 = auto (num_threads)."),
    device: str | None = opt.device_option(),
    precision: str | None = opt.precision_option(),
    overrides: list[str] = opt.set_option(),
) -> None:
    """Train baselines; the threshold is chosen on validation and stored per model."""
    # imported when the command runs (see sarslide.cli)
    from sarslide.insar.run import IsslideRunConfig, train_isslide

    pairs = dict(w.split("=", 1) for w in weights or [] if "=" in w)
    if len(pairs) != len(weights or []):
        raise ConfigError(f"--weights takes MODEL=PATH; got {weights}.")
    flags = {
        "ready_dir": ready,
        "output_dir": output,
        "models": models or None,
        "test_zones": test_zones or None,
        "max_epochs": epochs,
        "heavy_max_epochs": heavy_epochs,
        "lr": lr,
        "batch_size": batch_size,
        "max_patches_per_split": max_patches,
        "encoder_weights": pairs or None,
        "seed": seed,
        "num_threads": threads,
        "device": device,
        "precision": precision,
    }
    opt.check_device_option(device)
    cfg = opt.load_command_config(IsslideRunConfig, config, overrides, flags)
    opt.check_device_option(cfg.device)
    for run_dir in train_isslide(cfg, progress=True):
        console.print(f"trained {run_dir}")


@insar_app.command("evaluate")
@report_errors
def evaluate(
    runs: Path | None = typer.Argument(
        None, help="Folder written by 'sarslide insar train' (runs_dir)."
    ),
    config: Path | None = opt.config_option(EVALUATE_CONFIG_HELP),
    figure: bool | None = typer.Option(
        None, "--figure/--no-figure", help="Also write predictions.png (figure)."
    ),
    device: str | None = opt.device_option(EVALUATE_DEVICE_HELP),
    precision: str | None = opt.precision_option(EVALUATE_PRECISION_HELP),
    overrides: list[str] = opt.set_option(),
) -> None:
    """Score trained models on the held-out zone(s); write comparison.md/.csv."""
    opt.check_device_option(device)
    # imported when the command runs (see sarslide.cli)
    from sarslide.insar.run import IsslideEvaluateConfig, evaluate_isslide

    flags = {"runs_dir": runs, "figure": figure, "device": device, "precision": precision}
    cfg = opt.load_command_config(IsslideEvaluateConfig, config, overrides, flags)
    opt.check_device_option(cfg.device)
    outputs = evaluate_isslide(
        cfg.runs_dir, figure=cfg.figure, device=cfg.device, precision=cfg.precision
    )
    console.print(outputs["table_md"].read_text())
    for path in outputs.values():
        console.print(f"wrote {path}")


@insar_app.command("demo")
@report_errors
def demo(
    output: Path | None = opt.output_option("New folder for everything (output_dir)."),
    config: Path | None = opt.config_option(),
    fast: bool | None = typer.Option(
        None, "--fast", help="48 px patches, 7 epochs, 4 steps for FCN/DeepLabV3 (about 3 min)."
    ),
    seed: int | None = typer.Option(None, help="Random seed (seed)."),
    threads: int | None = typer.Option(None, help="torch CPU threads, 0 = auto (num_threads)."),
    device: str | None = opt.device_option(),
    precision: str | None = opt.precision_option(),
    overrides: list[str] = opt.set_option(),
    overwrite: bool = opt.overwrite_option(
        "Replace a previous demo output (never another folder)."
    ),
) -> None:
    """Simulate a small ISSLIDE, train the five baselines briefly, write the comparison."""
    opt.check_device_option(device)
    # imported when the command runs (see sarslide.cli)
    from sarslide.insar.demo import IsslideDemoConfig, run_isslide_demo

    flags = {
        "output_dir": output,
        "fast": fast,
        "seed": seed,
        "num_threads": threads,
        "device": device,
        "precision": precision,
    }
    cfg = opt.load_command_config(IsslideDemoConfig, config, overrides, flags)
    outputs = run_isslide_demo(cfg, progress=True, overwrite=overwrite)
    console.print(outputs["table_md"].read_text())
    for path in outputs.values():
        console.print(f"wrote {path}")
