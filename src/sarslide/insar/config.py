"""Settings of every ``sarslide insar`` command (no torch import): ``train``, ``evaluate``,
``demo``, ``simulate`` (``SimulationConfig``: every number the simulator uses; lengths in
multilooked pixels ``_px`` unless named otherwise, phases in radians), ``patches``,
``import`` and ``interferogram``.

The command line builds its flags from these fields, so ``sarslide insar train
--help`` does not load torch; ``sarslide.insar.run`` and ``sarslide.insar.demo`` run them.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final, Literal

from pydantic import ConfigDict, Field

from sarslide.config import ConfigModel, device_field, engine_field, precision_field
from sarslide.devices import DEFAULT_TRAIN_THREADS

THREADS_HELP: Final = (
    "torch CPU threads of training, the validation threshold and scoring. Fixed (default "
    "2, as the landslide trainer's trainer.threads): the CPU's float sums depend on the "
    "thread count, so one seed gives the same models and numbers on one machine whatever "
    "the load. 0 = auto: the cores the 1-minute load average leaves free (at least 1; "
    "faster on a busy shared machine, but the count, and so the floats, follow the load "
    "at start)."
)

DEFAULT_TEST_ZONES: Final = ("queyras",)
"""The zone held out for testing by default (the paper's)."""

ISSLIDE_MODELS = (
    "fcn-resnet50",
    "deeplabv3-resnet50",
    "isslide-unet",
    "isslide-resunet",
    "isslide-sepunet",
)


class IsslideRunConfig(ConfigModel):
    """Everything an ISSLIDE train/evaluate run needs (written next to its outputs)."""

    config_label: ClassVar[str] = "ISSLIDE run config"

    ready_dir: str = Field(description="Ready ISSLIDE layout (images/, masks/, patches.csv).")
    output_dir: str = Field(default="runs/isslide", description="One sub-folder per model.")
    models: list[str] = Field(
        default_factory=lambda: list(ISSLIDE_MODELS),
        description="Model names (default: the five baselines).",
    )
    test_zones: list[str] = Field(
        default_factory=lambda: list(DEFAULT_TEST_ZONES), description="Held-out zone(s)."
    )
    val_fraction: float = Field(
        default=0.2, ge=0, lt=1, description="Of training-zone interferograms."
    )
    val_zones: list[str] = Field(
        default_factory=list, description="Whole zones for validation instead."
    )
    batch_size: int = Field(default=8, ge=1, description="Batch size (8 in the paper).")
    max_epochs: int = Field(
        default=30, ge=1, description="Epochs of the small U-Nets (paper: 300; FCN/DeepLabV3 600)."
    )
    lr: float = Field(
        default=1e-3, gt=0, description="Adam lr (paper: 1e-5 U-Nets, 1e-7 FCN/DeepLabV3)."
    )
    heavy_lr: float | None = Field(default=None, description="lr for FCN/DeepLabV3 (default: lr).")
    heavy_max_epochs: int | None = Field(default=None, description="Epochs for FCN/DeepLabV3.")
    limit_train_batches: int | None = Field(
        default=None, description="Batches per epoch (quick runs)."
    )
    heavy_limit_train_batches: int | None = Field(default=None, description="Same, FCN/DeepLabV3.")
    max_patches_per_split: int | None = Field(default=None, description="Seeded cap per split.")
    augment: bool = Field(default=True, description="Random phase offset on TRAIN only.")
    model_kwargs: dict[str, dict[str, Any]] = Field(default_factory=dict, description="Per model.")
    encoder_weights: dict[str, str] = Field(
        default_factory=dict, description="Local weight files per model."
    )
    accelerator: str = Field(default="auto", description="Lightning accelerator; see device.")
    device: str = device_field()
    precision: str = precision_field()
    engine: str = Field(
        default="auto",
        description="What predicts the test patches (evaluate): auto (ONNX Runtime on the "
        "CPU, torch on GPUs or for bf16/fp16), torch, onnx. Training and the validation "
        "threshold run on torch.",
    )
    num_threads: int = Field(default=DEFAULT_TRAIN_THREADS, ge=0, description=THREADS_HELP)
    seed: int = Field(default=0, description="Seed of the validation draw and shuffling.")


class IsslideEvaluateConfig(ConfigModel):
    """Settings of ``sarslide insar evaluate`` (the models' own settings are the run's)."""

    config_label: ClassVar[str] = "ISSLIDE evaluate config"

    runs_dir: str = Field(description="Folder written by 'sarslide insar train'.")
    figure: bool = Field(default=True, description="Also write predictions.png.")
    device: str | None = Field(
        default=None, description="Where the models predict (default: the run's device)."
    )
    precision: str | None = Field(
        default=None, description="fp32, bf16, fp16 or auto (default: the run's precision)."
    )
    engine: str | None = Field(
        default=None,
        description="auto (ONNX Runtime on the CPU, torch on GPUs or for bf16/fp16), torch, "
        "onnx (default: the run's engine, auto).",
    )


class IsslideDemoConfig(ConfigModel):
    """Settings of ``sarslide insar demo``."""

    config_label: ClassVar[str] = "ISSLIDE demo config"

    output_dir: str = Field(default="runs/isslide-demo", description="New folder for everything.")
    fast: bool = Field(
        default=False,
        description="48 px patches, 7 epochs, 4 steps for FCN/DeepLabV3 (about 3 min).",
    )
    seed: int = Field(default=0, description="Seed of simulation, split and training.")
    num_threads: int = Field(default=DEFAULT_TRAIN_THREADS, ge=0, description=THREADS_HELP)
    device: str = device_field(" Training and evaluation run there.")
    precision: str = precision_field()
    engine: str = engine_field()


DEFAULT_YEAR: Final = 2018  # of interferogram folder names without one (02Jul_08Jul)


class SimulationConfig(ConfigModel):
    """Size and content of a simulated ISSLIDE raw dataset."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    config_label: ClassVar[str] = "ISSLIDE simulation config"

    zones: tuple[str, ...] = Field(
        default=("vanoise", "ecrins", "queyras"), description="Zone names; one scene each."
    )
    output_dir: str | None = Field(default=None, description="Raw-layout output folder.")
    size_px: int = Field(
        default=160, ge=8, description="Side of a zone's square scene (multilooked pixels)."
    )
    first_date: str = Field(default="20180702", description="First acquisition (YYYYMMDD).")
    revisit_days: int = Field(default=6, ge=1, description="Days between acquisitions.")
    n_dates: int = Field(default=6, ge=2, description="Acquisitions per zone.")
    delays_days: tuple[int, ...] = Field(
        default=(6, 12, 18),
        description="Temporal baselines of the interferograms (every pair of dates this "
        "far apart).",
    )
    moves_per_zone: int = Field(
        default=5, description="Annotated moving areas (landslides, rock glaciers) per zone."
    )
    decoys_per_zone: int = Field(
        default=2,
        description="Low-coherence blobs (forest, lakes) holding an unannotated bubble-like phase.",
    )
    layover_strips: int = Field(
        default=1, description="Layover strips per zone (flagged in layover.tif)."
    )
    looks_range: int = Field(
        default=8,
        description="Range looks of the multilooking (full-resolution pixels per output pixel).",
    )
    looks_azimuth: int = Field(default=2, description="Azimuth looks of the multilooking.")
    goldstein_alpha: float = Field(default=0.5, description="Strength of the Goldstein filter.")
    pixel_m: float = Field(default=20.0, description="Multilooked pixel size (m).")
    visible_rad: float = Field(
        default=1.5, description="An annotator sees a move whose peak phase reaches this."
    )
    min_coherent_fraction: float = Field(
        default=0.5,
        description="... and whose outline lies at least this much outside decorrelated ground.",
    )
    epsg: int = Field(
        default=32632,
        description="CRS of the written GeoTIFFs and annotations (UTM 32N, the Alps).",
    )
    seed: int = Field(
        default=0,
        description="Seed of the single random stream (draw order is part of the output).",
    )
    zone_origin_x_m: float = Field(
        default=300_000.0, description="x of the first zone's upper-left corner."
    )
    zone_spacing_x_m: float = Field(
        default=20_000.0, description="x step between the zones' corners."
    )
    zone_origin_y_m: float = Field(
        default=5_000_000.0, description="y of every zone's upper-left corner."
    )
    move_margin_px: float = Field(
        default=12.0, description="Move centres stay this far inside the scene."
    )
    rock_glacier_share: float = Field(
        default=0.35, description="Probability that a move is a rock glacier (moves all season)."
    )
    min_landslide_active_days: float = Field(
        default=12.0,
        description="Shortest active window of a landslide (the longest: the whole season).",
    )
    semi_major_px: tuple[float, float] = Field(
        default=(6.0, 15.0), description="Range of a move's semi-major axis."
    )
    axis_ratio: tuple[float, float] = Field(
        default=(0.5, 0.9), description="Range of a move's semi-minor / semi-major axis ratio."
    )
    rate_rad_per_day: tuple[float, float] = Field(
        default=(0.25, 0.9),
        description="Range of a move's phase rate magnitude (sign drawn at random).",
    )
    base_coherence: float = Field(
        default=0.75, description="Mean coherence of the zone's ground at zero delay."
    )
    base_coherence_std: float = Field(
        default=0.12, description="Spatial std of that coherence (a smooth field)."
    )
    base_coherence_sigma_px: float = Field(
        default=12.0, description="Smoothing scale of the coherence field."
    )
    base_coherence_range: tuple[float, float] = Field(
        default=(0.45, 0.97), description="Coherence field clipped to this range."
    )
    coherence_decay_days: float = Field(
        default=90.0, description="Coherence decays as exp(-delay / this)."
    )
    decoy_margin_px: float = Field(
        default=10.0, description="Decoy centres stay this far inside the scene."
    )
    decoy_semi_axes_px: tuple[float, float] = Field(
        default=(10.0, 8.0), description="Semi-axes of a decoy's ellipse."
    )
    decoy_lowcoh_radius: float = Field(
        default=1.6, description="Low-coherence ground reaches this many decoy radii."
    )
    decoy_phase_rad: float = Field(default=3.0, description="Peak of a decoy's bubble phase.")
    decoy_bubble_radius: float = Field(
        default=0.7, description="A decoy's bubble spans this share of its ellipse."
    )
    lowcoh_coherence: float = Field(
        default=0.12, description="Coherence on decoy (forest, lake) ground."
    )
    layover_margin_px: int = Field(
        default=12, description="Layover strips start at least this far from the right edge."
    )
    layover_slope_range: float = Field(
        default=0.4, description="A strip's column drifts by up to ± this many pixels per row."
    )
    layover_width_px: tuple[int, int] = Field(
        default=(4, 9),
        description="Width of a strip in a row (drawn per row; upper bound excluded).",
    )
    layover_ramp_rad_per_px: float = Field(
        default=2.5, description="Steep phase ramp along range in layover."
    )
    layover_coherence: float = Field(default=0.08, description="Coherence in layover.")
    atmosphere_std_rad: float = Field(
        default=1.2, description="Std of an acquisition's atmospheric phase screen."
    )
    atmosphere_sigma_px: float = Field(
        default=25.0, description="Smoothing scale of the atmospheric screen."
    )
    outline_scale: float = Field(
        default=0.85,
        description="Annotated outlines (and the coherent-fraction test) cover this "
        "share of a move.",
    )
    extra: dict[str, Any] = Field(
        default_factory=dict, description="Free-form notes carried with the config."
    )


class PatchConfig(ConfigModel):
    """How patches are cut from a raw ISSLIDE layout (``sarslide insar patches``)."""

    config_label: ClassVar[str] = "patch config"

    size_px: int = Field(default=100, ge=2, description="Patch side in pixels (ISSLIDE 100).")
    output_dir: str | None = Field(default=None, description="Ready-layout output folder.")
    min_confidence: int | None = Field(
        default=None, description="Drop annotations below this confidence; null: keep all."
    )
    include_no_move: bool = Field(
        default=True, description="Keep crops of inactive periods (all-zero masks)."
    )
    layout: Literal["ready", "isslide"] = Field(
        default="ready",
        description="ready: sarslide's images/, masks/, patches.csv (what 'insar train' "
        "reads); isslide: the authors' <delay>/<Zone>/<interferogram>/{phase,coherence}/ "
        "and Segmentations/ folders of single-band files (what their loader reads).",
    )


class ImportConfig(ConfigModel):
    """What ``sarslide insar import`` reads and how."""

    config_label: ClassVar[str] = "import config"

    layout: Literal["isslide", "products"] = Field(
        default="isslide",
        description="isslide: the authors' ready dataset -> sarslide's ready layout (for "
        "'insar train'); products: HyP3 / ISCE2 / GAMMA interferograms -> the raw layout.",
    )
    zone: str | None = Field(default=None, description="Zone of the products (layout products).")
    output_dir: str | None = Field(default=None, description="Output folder (new or empty).")
    year: int = Field(
        default=DEFAULT_YEAR,
        description="Year of interferogram folder names without one (02Jul_08Jul).",
    )


class InterferogramConfig(ConfigModel):
    """How an SLC pair becomes interferogram products."""

    config_label: ClassVar[str] = "interferogram config"

    looks_range: int = Field(default=8, ge=1, description="Looks in range (ISSLIDE 8, Boehm 5).")
    output_dir: str | None = Field(default=None, description="Output folder.")
    looks_azimuth: int = Field(
        default=2, ge=1, description="Looks in azimuth (ISSLIDE 2, Boehm cubes 1)."
    )
    goldstein_alpha: float = Field(
        default=0.5, ge=0, le=1, description="Goldstein filter exponent (0 = no filtering)."
    )
    chunk_px: int = Field(default=2048, ge=16, description="Dask chunk side (memory per task).")
