"""Settings of the simulated ISSLIDE raw dataset: every number the simulator uses.

A ``ConfigModel`` (``insar simulate --config FILE --set key=value``); every field has a
description. Lengths in multilooked pixels (``_px``) unless
named otherwise; phases in radians.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ConfigDict, Field

from sarslide.config import ConfigModel


class SimulationConfig(ConfigModel):
    """Size and content of a simulated ISSLIDE raw dataset."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    config_label: ClassVar[str] = "ISSLIDE simulation config"

    zones: tuple[str, ...] = Field(
        default=("vanoise", "ecrins", "queyras"), description="Zone names; one scene each."
    )
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
