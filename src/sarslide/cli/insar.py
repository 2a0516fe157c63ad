"""``sarslide insar``: interferogram, simulate, patches, import, train, evaluate, demo."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer

from sarslide.cli import options as opt
from sarslide.cli.apps import insar_app
from sarslide.cli.config_flags import ConfigFlags, ConfigRequest, argument, config_command, flag
from sarslide.cli.console import console
from sarslide.errors import ConfigError

INTERFEROGRAM = ConfigFlags(
    "sarslide.insar.config:InterferogramConfig",
    "looks_range looks_azimuth goldstein_alpha:--alpha chunk_px",
    flag("output_dir", required=True),
)
SIMULATE = ConfigFlags(
    "sarslide.insar.config:SimulationConfig",
    "zones:--zone size_px:--size n_dates:--dates moves_per_zone:--moves seed",
    flag("output_dir", required=True),
)
PATCHES = ConfigFlags(
    "sarslide.insar.config:PatchConfig",
    "size_px:--size min_confidence include_no_move:--no-move/--moving-only layout",
    flag("output_dir", required=True),
)
IMPORT = ConfigFlags(
    "sarslide.insar.config:ImportConfig", "layout zone year", flag("output_dir", required=True)
)


def parse_weights(values: list[str], spelling: str) -> dict[str, str]:
    """``["unet=w.pt"]`` -> ``{"unet": "w.pt"}``.

    Raises:
        ConfigError: a value without ``=``.
    """
    pairs = dict(w.split("=", 1) for w in values if "=" in w)
    if len(pairs) != len(values):
        raise ConfigError(f"{spelling} takes MODEL=PATH; got {values}.")
    return pairs


TRAIN = ConfigFlags(
    "sarslide.insar.config:IsslideRunConfig",
    argument("ready_dir"),
    "output_dir models:--model test_zones:--test-zone max_epochs:--epochs lr batch_size seed",
    "heavy_max_epochs:--heavy-epochs max_patches_per_split:--max-patches",
    "num_threads:--threads device precision",
    flag("encoder_weights", "--weights", parse=parse_weights, multiple=True),
)
EVALUATE = ConfigFlags(
    "sarslide.insar.config:IsslideEvaluateConfig",
    argument("runs_dir"),
    "figure device precision engine",
    config_help=(
        "YAML config file (keys of sarslide.insar.config.IsslideEvaluateConfig; the models' "
        "settings come from the run's config.json); the options below and --set override "
        "its keys. See docs/configs.md."
    ),
)
DEMO = ConfigFlags(
    "sarslide.insar.config:IsslideDemoConfig",
    "output_dir seed num_threads:--threads device precision engine",
    flag("fast", "--fast", sets=True),
)


@config_command(insar_app, "interferogram", INTERFEROGRAM)
def interferogram(
    request: ConfigRequest,
    reference: Path = typer.Argument(..., help="Reference SLC (complex GeoTIFF, ISCE .slc/.vrt)."),
    secondary: Path = typer.Argument(..., help="Secondary SLC, co-registered on the reference."),
) -> None:
    """Multilooked, Goldstein-filtered phase, coherence and features (GeoTIFFs)."""
    from sarslide.insar.products import write_interferogram_products

    cfg = request.load()
    products = write_interferogram_products(reference, secondary, cfg.output_dir, cfg)
    rows, cols = products.shape_px
    console.print(f"{rows} x {cols} px, mean coherence {products.mean_coherence:.3f}")
    for path in products.paths:
        console.print(f"wrote {path}")


@config_command(insar_app, "simulate", SIMULATE)
def simulate(request: ConfigRequest) -> None:
    """Simulate an ISSLIDE raw layout (interferograms + annotation polygons)."""
    from sarslide.insar.simulate import simulate_isslide_raw

    cfg = request.load()
    items = simulate_isslide_raw(cfg.output_dir, cfg, progress=True)
    where = f"{len(cfg.zones)} zones to {cfg.output_dir}"
    console.print(f"wrote {len(items)} interferograms in {where}")


@config_command(insar_app, "patches", PATCHES)
def patches(
    request: ConfigRequest,
    raw: Path = typer.Argument(..., help="ISSLIDE raw layout."),
) -> None:
    """Extract patches around annotated moving areas (ready layout, keyed by name)."""
    from sarslide.insar.patches import extract_patches

    cfg = request.load()
    output = cfg.output_dir
    index = extract_patches(raw, output, **cfg.model_dump(exclude={"output_dir"}), progress=True)
    console.print(
        f"wrote {len(index)} patches ({int(index['has_move'].sum())} with a move) to {output} "
        f"({cfg.layout} layout)"
    )


@config_command(insar_app, "import", IMPORT)
def import_layout(
    request: ConfigRequest,
    source: Path = typer.Argument(
        ..., help="The authors' ISSLIDE folder (--layout isslide) or InSAR products."
    ),
) -> None:
    """Read the ISSLIDE authors' layout (or InSAR products) into sarslide's layouts."""
    from sarslide.insar.authors_layout import import_authors_layout
    from sarslide.insar.import_products import import_products_to_raw_layout

    cfg = request.load()
    output = cfg.output_dir
    if cfg.layout == "isslide":
        index = import_authors_layout(source, output, year=cfg.year)
        console.print(
            f"imported {len(index)} patches ({int(index['has_move'].sum())} with a move) in "
            f"zones {sorted(set(index['zone']))} to {output}"
        )
        return
    if not cfg.zone:
        raise ConfigError("--layout products needs --zone NAME (the zone of the products).")
    written = import_products_to_raw_layout(str(source), output, zone=cfg.zone)
    console.print(f"wrote {len(written)} interferograms of zone {cfg.zone} to {output}")


@config_command(insar_app, "train", TRAIN)
def train(request: ConfigRequest) -> None:
    """Train baselines; the threshold is chosen on validation and stored per model."""
    from sarslide.insar.run import train_isslide

    cfg = request.load()
    for run_dir in train_isslide(cfg, progress=True):
        console.print(f"trained {run_dir}")


@config_command(insar_app, "evaluate", EVALUATE)
def evaluate(request: ConfigRequest) -> None:
    """Score trained models on the held-out zone(s); write comparison.md/.csv."""
    from sarslide.insar.run import evaluate_isslide_run
    from sarslide.models.engines import check_engine_setting

    cfg = request.load()
    check_engine_setting(cfg.engine)
    print_outputs(evaluate_isslide_run(cfg))


@config_command(insar_app, "demo", DEMO)
def demo(
    request: ConfigRequest,
    overwrite: bool = opt.overwrite_option(
        "Replace a previous demo output (never another folder)."
    ),
) -> None:
    """Simulate a small ISSLIDE, train the five baselines briefly, write the comparison."""
    from sarslide.insar.demo import run_isslide_demo

    cfg = request.load()
    print_outputs(run_isslide_demo(cfg, progress=True, overwrite=overwrite))


def print_outputs(outputs: Mapping[str, Any]) -> None:
    """The comparison table, then every file written."""
    console.print(outputs["table_md"].read_text())
    for path in outputs.values():
        console.print(f"wrote {path}")
