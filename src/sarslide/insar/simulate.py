"""Simulate an ISSLIDE-like raw dataset: slow-moving areas in Sentinel-1 interferograms.

Per zone, a scene of ``size_px`` multilooked pixels holds:

- moving areas (ellipses): line-of-sight velocity times the active days of each pair
  gives a "bubble" phase that fades to the border, and fringes once the displacement
  passes half a wavelength (so a bubble at 6 days becomes fringes at 18 days). Rock
  glaciers move all season; landslides move during a window of dates only, so later
  pairs show "no-move" periods;
- a coherence map decaying with the delay, with low-coherence blobs (forest, lakes)
  that hold unreliable bubble-like "decoys" that are NOT annotated;
- an atmospheric phase screen per acquisition (smooth, differenced per pair);
- layover strips: very low coherence and steep phase ramps, flagged in ``layover.tif``.

Noise is real InSAR noise: full-resolution circular-Gaussian SLC pairs with the true
phase and coherence, multilooked ``8 x 2`` and Goldstein-filtered by the same code as
real data. Annotations (polygons with confidence, repetitions and class) are written
for each interferogram where a move is visible, as an annotator would see it: its peak
phase exceeds ``visible_rad`` and at least ``min_coherent_fraction`` of its outline lies
outside low-coherence blobs and layover (a move under a decorrelated forest is not
annotated).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
from affine import Affine
from rich.progress import track
from scipy.ndimage import gaussian_filter
from shapely.geometry import Polygon

from sarslide.insar.config import SimulationConfig
from sarslide.insar.goldstein import filter_goldstein
from sarslide.insar.interferometry import estimate_coherence, simulate_slc_pair
from sarslide.insar.isslide_layout import (
    LAYOVER_FILE,
    RawInterferogram,
    check_new_folder,
    write_geotiff,
    write_raw_interferogram,
)

__all__ = ["SimulationConfig", "simulate_isslide_raw"]

logger = logging.getLogger(__name__)
SENTINEL1_WAVELENGTH_M = 0.05547


@dataclass(frozen=True)
class _Move:
    move_id: int
    row: float
    col: float
    semi_major_px: float
    semi_minor_px: float
    angle_rad: float
    rate_rad_per_day: float
    active_from_day: float
    active_to_day: float
    move_class: str
    confidence: int


def _elliptic_radius(shape: tuple[int, int], move: _Move) -> np.ndarray:
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    dy, dx = rows - move.row, cols - move.col
    c, s = np.cos(move.angle_rad), np.sin(move.angle_rad)
    u, v = c * dx + s * dy, -s * dx + c * dy
    return np.sqrt((u / move.semi_major_px) ** 2 + (v / move.semi_minor_px) ** 2)


def _bubble(radius: np.ndarray) -> np.ndarray:
    """1 at the centre, fading smoothly to 0 at the border (radius 1)."""
    return np.where(radius < 1.0, (1.0 - radius**2) ** 2, 0.0).astype(np.float32)


def _smooth_field(rng: np.random.Generator, shape: tuple[int, int], sigma_px: float) -> np.ndarray:
    noise = gaussian_filter(rng.standard_normal(shape), sigma_px, mode="wrap")
    return (noise / (noise.std() + 1e-12)).astype(np.float32)


def _draw_moves(rng: np.random.Generator, cfg: SimulationConfig, season_days: float) -> list[_Move]:
    moves = []
    margin = cfg.move_margin_px
    for k in range(cfg.moves_per_zone):
        is_glacier = rng.random() < cfg.rock_glacier_share
        start = 0.0 if is_glacier else float(rng.uniform(-season_days / 2, season_days / 2))
        length = (
            season_days * 2
            if is_glacier
            else float(rng.uniform(cfg.min_landslide_active_days, season_days))
        )
        major = float(rng.uniform(*cfg.semi_major_px))
        moves.append(
            _Move(
                move_id=k,
                row=float(rng.uniform(margin, cfg.size_px - margin)),
                col=float(rng.uniform(margin, cfg.size_px - margin)),
                semi_major_px=major,
                semi_minor_px=float(major * rng.uniform(*cfg.axis_ratio)),
                angle_rad=float(rng.uniform(0, np.pi)),
                rate_rad_per_day=float(rng.uniform(*cfg.rate_rad_per_day) * rng.choice([-1, 1])),
                active_from_day=max(0.0, start),
                active_to_day=start + length,
                move_class="rock_glacier" if is_glacier else "landslide",
                confidence=int(rng.integers(1, 4)),
            )
        )
    return moves


def _ellipse_polygon(move: _Move, transform: Any, scale: float) -> Any:
    t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    a, b = move.semi_major_px * scale, move.semi_minor_px * scale
    c, s = np.cos(move.angle_rad), np.sin(move.angle_rad)
    cols = move.col + 0.5 + a * np.cos(t) * c - b * np.sin(t) * s
    rows = move.row + 0.5 + a * np.cos(t) * s + b * np.sin(t) * c
    xs = transform.a * cols + transform.b * rows + transform.c
    ys = transform.d * cols + transform.e * rows + transform.f
    return Polygon(zip(xs, ys, strict=True))


def _active_days(move: _Move, start_day: float, end_day: float) -> float:
    return max(0.0, min(end_day, move.active_to_day) - max(start_day, move.active_from_day))


@dataclass(frozen=True)
class _Dates:
    """Acquisition days since the first date, their labels, and the pairs (i, j, delay)."""

    days: list[int]
    labels: list[str]
    pairs: list[tuple[int, int, int]]


@dataclass(frozen=True)
class _ZoneScene:
    """What stays fixed in a zone across its interferograms."""

    transform: Any
    moves: list[_Move]
    radii: list[np.ndarray]  # elliptic radius of each move (1 at its border)
    base_coherence: np.ndarray
    lowcoh: np.ndarray  # decoy (forest, lake) ground
    decoy_radii: list[np.ndarray]
    layover: np.ndarray
    layover_ramp: np.ndarray
    coherent: dict[int, float]  # share of each move's outline on coherent ground
    aps: list[np.ndarray]  # atmospheric phase screen per acquisition


def simulate_isslide_raw(
    root: str | Path, config: SimulationConfig | None = None, *, progress: bool = False
) -> list[RawInterferogram]:
    """Write a simulated ISSLIDE raw layout under ``root``; return its interferograms.

    Raises:
        OutputExistsError: ``root`` is not empty.
    """
    check_new_folder(Path(root))
    cfg = config or SimulationConfig()
    rng = np.random.default_rng(cfg.seed)
    dates = _make_dates(cfg)
    written: list[RawInterferogram] = []
    task = _progress_iter(cfg.zones, progress, "simulating zones")
    for z, zone in enumerate(task):
        scene = _draw_zone_scene(rng, cfg, z, dates)
        write_geotiff(
            Path(root) / zone / LAYOVER_FILE,
            scene.layover.astype(np.uint8),
            transform=scene.transform,
            crs=f"EPSG:{cfg.epsg}",
        )
        for i, j, delay in dates.pairs:
            written.append(_write_pair(root, zone, rng, cfg, scene, dates, (i, j, delay)))
    logger.info(
        "simulated %d interferograms in %d zones under %s", len(written), len(cfg.zones), root
    )
    return written


def _make_dates(cfg: SimulationConfig) -> _Dates:
    first = dt.datetime.strptime(cfg.first_date, "%Y%m%d")
    days = [k * cfg.revisit_days for k in range(cfg.n_dates)]
    labels = [(first + dt.timedelta(days=d)).strftime("%Y%m%d") for d in days]
    pairs = [
        (i, j, delay)
        for delay in cfg.delays_days
        for i in range(cfg.n_dates)
        for j in range(i + 1, cfg.n_dates)
        if days[j] - days[i] == delay
    ]
    return _Dates(days, labels, pairs)


def _draw_zone_scene(
    rng: np.random.Generator, cfg: SimulationConfig, zone_index: int, dates: _Dates
) -> _ZoneScene:
    """Moves, coherence, decoys, layover and atmosphere of one zone (in this draw order)."""
    shape = (cfg.size_px, cfg.size_px)
    transform = Affine(
        cfg.pixel_m,
        0.0,
        cfg.zone_origin_x_m + cfg.zone_spacing_x_m * zone_index,
        0.0,
        -cfg.pixel_m,
        cfg.zone_origin_y_m,
    )
    moves = _draw_moves(rng, cfg, dates.days[-1])
    radii = [_elliptic_radius(shape, m) for m in moves]
    low, high = cfg.base_coherence_range
    base_coherence = np.clip(
        cfg.base_coherence
        + cfg.base_coherence_std * _smooth_field(rng, shape, cfg.base_coherence_sigma_px),
        low,
        high,
    )
    lowcoh, decoy_radii = _draw_decoys(rng, cfg)
    layover = _draw_layover(rng, cfg)
    layover_ramp = np.where(
        layover, cfg.layover_ramp_rad_per_px * np.arange(cfg.size_px)[None, :], 0.0
    )
    decorrelated = lowcoh | layover
    inside = cfg.outline_scale
    coherent = {
        m.move_id: float(np.mean(~decorrelated[r < inside])) if np.any(r < inside) else 0.0
        for m, r in zip(moves, radii, strict=True)
    }
    aps = [
        cfg.atmosphere_std_rad * _smooth_field(rng, shape, cfg.atmosphere_sigma_px)
        for _ in dates.days
    ]
    return _ZoneScene(
        transform, moves, radii, base_coherence, lowcoh, decoy_radii, layover, layover_ramp,
        coherent, aps,
    )  # fmt: skip


def _draw_decoys(
    rng: np.random.Generator, cfg: SimulationConfig
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Low-coherence ground and the elliptic radius of each decoy."""
    shape = (cfg.size_px, cfg.size_px)
    lowcoh = np.zeros(shape, dtype=bool)
    radii = []
    major, minor = cfg.decoy_semi_axes_px
    for _ in range(cfg.decoys_per_zone):
        row, col = rng.uniform(cfg.decoy_margin_px, cfg.size_px - cfg.decoy_margin_px, 2)
        decoy = _Move(
            move_id=-1, row=float(row), col=float(col), semi_major_px=major,
            semi_minor_px=minor, angle_rad=0.0, rate_rad_per_day=0.0, active_from_day=0.0,
            active_to_day=0.0, move_class="unknown", confidence=0,
        )  # fmt: skip
        radius = _elliptic_radius(shape, decoy)
        lowcoh |= radius < cfg.decoy_lowcoh_radius
        radii.append(radius)
    return lowcoh, radii


def _draw_layover(rng: np.random.Generator, cfg: SimulationConfig) -> np.ndarray:
    """Layover strips: a drifting column band of random width per row."""
    layover = np.zeros((cfg.size_px, cfg.size_px), dtype=bool)
    for _ in range(cfg.layover_strips):
        col0 = int(rng.integers(0, cfg.size_px - cfg.layover_margin_px))
        slope = float(rng.uniform(-cfg.layover_slope_range, cfg.layover_slope_range))
        for r in np.arange(cfg.size_px):
            c = int(col0 + slope * r) % cfg.size_px
            layover[r, c : c + int(rng.integers(*cfg.layover_width_px))] = True
    return layover


def _write_pair(
    root: str | Path,
    zone: str,
    rng: np.random.Generator,
    cfg: SimulationConfig,
    scene: _ZoneScene,
    dates: _Dates,
    pair: tuple[int, int, int],
) -> RawInterferogram:
    """Simulate one interferogram of a zone, annotate its visible moves, write it."""
    i, j, delay = pair
    coherence = scene.base_coherence * np.exp(-delay / cfg.coherence_decay_days)
    coherence = np.where(scene.lowcoh, cfg.lowcoh_coherence, coherence)
    coherence = np.where(scene.layover, cfg.layover_coherence, coherence)
    phase = scene.aps[j] - scene.aps[i] + scene.layover_ramp
    records = []
    for move, radius in zip(scene.moves, scene.radii, strict=True):
        peak = move.rate_rad_per_day * _active_days(move, dates.days[i], dates.days[j])
        phase = phase + peak * _bubble(radius)
        if _is_visible(move, peak, scene.coherent[move.move_id], cfg):
            records.append(move)
    for radius in scene.decoy_radii:
        phase = phase + cfg.decoy_phase_rad * _bubble(radius / cfg.decoy_bubble_radius)
    ml_phase, ml_coherence = _noisy_interferogram(rng, phase, coherence, cfg)
    item = RawInterferogram(zone, delay, dates.labels[i], dates.labels[j], Path())
    return write_raw_interferogram(
        root,
        item,
        phase_rad=ml_phase,
        coherence=ml_coherence,
        annotations=_annotate(records, scene, dates, delay, cfg),
        transform=scene.transform,
        crs=f"EPSG:{cfg.epsg}",
    )


def _annotate(
    records: list[_Move], scene: _ZoneScene, dates: _Dates, delay: int, cfg: SimulationConfig
) -> Any:
    """Polygons of the visible moves with confidence, class and repetitions (how many
    interferograms of this delay show the move)."""
    repetitions = {
        m.move_id: sum(
            _is_visible(
                m,
                m.rate_rad_per_day * _active_days(m, dates.days[a], dates.days[b]),
                scene.coherent[m.move_id],
                cfg,
            )
            for a, b, d in dates.pairs
            if d == delay
        )
        for m in records
    }
    return gpd.GeoDataFrame(
        {
            "move_id": [m.move_id for m in records],
            "confidence": [m.confidence for m in records],
            "repetitions": [repetitions[m.move_id] for m in records],
            "class": [m.move_class for m in records],
        },
        geometry=[_ellipse_polygon(m, scene.transform, cfg.outline_scale) for m in records],
        crs=f"EPSG:{cfg.epsg}",
    )


def _is_visible(
    move: _Move, peak_rad: float, coherent_fraction: float, cfg: SimulationConfig
) -> bool:
    """Would an annotator see ``move``: enough phase, mostly on coherent ground."""
    return abs(peak_rad) >= cfg.visible_rad and coherent_fraction >= cfg.min_coherent_fraction


def _noisy_interferogram(
    rng: np.random.Generator, phase: np.ndarray, coherence: np.ndarray, cfg: SimulationConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Full-resolution SLC pair -> multilook -> Goldstein, at the multilooked grid."""
    full_phase = np.repeat(np.repeat(phase, cfg.looks_azimuth, 0), cfg.looks_range, 1)
    full_coherence = np.repeat(np.repeat(coherence, cfg.looks_azimuth, 0), cfg.looks_range, 1)
    s1, s2 = simulate_slc_pair(full_phase, full_coherence, rng=rng)
    result = estimate_coherence(
        s1, s2, looks_range=cfg.looks_range, looks_azimuth=cfg.looks_azimuth
    )
    filtered = filter_goldstein(result.interferogram, alpha=cfg.goldstein_alpha)
    return np.angle(filtered).astype(np.float32), result.coherence


def _progress_iter(items: Sequence[str], progress: bool, label: str) -> Any:
    if not progress:
        return items

    return track(items, description=label)
