"""Settings of the simulated ISSLIDE raw dataset: every number the simulator uses.

Each field's description follows it. Lengths in multilooked pixels (``_px``) unless
named otherwise; phases in radians.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SimulationConfig:
    """Size and content of a simulated ISSLIDE raw dataset."""

    zones: tuple[str, ...] = ("vanoise", "ecrins", "queyras")
    """Zone names; one scene each."""
    size_px: int = 160
    """Side of a zone's square scene (multilooked pixels)."""
    first_date: str = "20180702"
    """First acquisition (YYYYMMDD)."""
    revisit_days: int = 6
    """Days between acquisitions."""
    n_dates: int = 6
    """Acquisitions per zone."""
    delays_days: tuple[int, ...] = (6, 12, 18)
    """Temporal baselines of the interferograms (every pair of dates this far apart)."""
    moves_per_zone: int = 5
    """Annotated moving areas (landslides, rock glaciers) per zone."""
    decoys_per_zone: int = 2
    """Low-coherence blobs (forest, lakes) holding an unannotated bubble-like phase."""
    layover_strips: int = 1
    """Layover strips per zone (flagged in layover.tif)."""
    looks_range: int = 8
    """Range looks of the multilooking (full-resolution pixels per output pixel)."""
    looks_azimuth: int = 2
    """Azimuth looks of the multilooking."""
    goldstein_alpha: float = 0.5
    """Strength of the Goldstein filter."""
    pixel_m: float = 20.0
    """Multilooked pixel size (m)."""
    visible_rad: float = 1.5
    """An annotator sees a move whose peak phase reaches this."""
    min_coherent_fraction: float = 0.5
    """... and whose outline lies at least this much outside decorrelated ground."""
    epsg: int = 32632
    """CRS of the written GeoTIFFs and annotations (UTM 32N, the Alps)."""
    seed: int = 0
    """Seed of the single random stream (draw order is part of the output)."""
    zone_origin_x_m: float = 300_000.0
    """x of the first zone's upper-left corner."""
    zone_spacing_x_m: float = 20_000.0
    """x step between the zones' corners."""
    zone_origin_y_m: float = 5_000_000.0
    """y of every zone's upper-left corner."""
    move_margin_px: float = 12.0
    """Move centres stay this far inside the scene."""
    rock_glacier_share: float = 0.35
    """Probability that a move is a rock glacier (moves all season)."""
    min_landslide_active_days: float = 12.0
    """Shortest active window of a landslide (the longest: the whole season)."""
    semi_major_px: tuple[float, float] = (6.0, 15.0)
    """Range of a move's semi-major axis."""
    axis_ratio: tuple[float, float] = (0.5, 0.9)
    """Range of a move's semi-minor / semi-major axis ratio."""
    rate_rad_per_day: tuple[float, float] = (0.25, 0.9)
    """Range of a move's phase rate magnitude (sign drawn at random)."""
    base_coherence: float = 0.75
    """Mean coherence of the zone's ground at zero delay."""
    base_coherence_std: float = 0.12
    """Spatial std of that coherence (a smooth field)."""
    base_coherence_sigma_px: float = 12.0
    """Smoothing scale of the coherence field."""
    base_coherence_range: tuple[float, float] = (0.45, 0.97)
    """Coherence field clipped to this range."""
    coherence_decay_days: float = 90.0
    """Coherence decays as exp(-delay / this)."""
    decoy_margin_px: float = 10.0
    """Decoy centres stay this far inside the scene."""
    decoy_semi_axes_px: tuple[float, float] = (10.0, 8.0)
    """Semi-axes of a decoy's ellipse."""
    decoy_lowcoh_radius: float = 1.6
    """Low-coherence ground reaches this many decoy radii."""
    decoy_phase_rad: float = 3.0
    """Peak of a decoy's bubble phase."""
    decoy_bubble_radius: float = 0.7
    """A decoy's bubble spans this share of its ellipse."""
    lowcoh_coherence: float = 0.12
    """Coherence on decoy (forest, lake) ground."""
    layover_margin_px: int = 12
    """Layover strips start at least this far from the right edge."""
    layover_slope_range: float = 0.4
    """A strip's column drifts by up to ± this many pixels per row."""
    layover_width_px: tuple[int, int] = (4, 9)
    """Width of a strip in a row (drawn per row; upper bound excluded)."""
    layover_ramp_rad_per_px: float = 2.5
    """Steep phase ramp along range in layover."""
    layover_coherence: float = 0.08
    """Coherence in layover."""
    atmosphere_std_rad: float = 1.2
    """Std of an acquisition's atmospheric phase screen."""
    atmosphere_sigma_px: float = 25.0
    """Smoothing scale of the atmospheric screen."""
    outline_scale: float = 0.85
    """Annotated outlines (and the coherent-fraction test) cover this share of a move."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Free-form notes carried with the config."""
