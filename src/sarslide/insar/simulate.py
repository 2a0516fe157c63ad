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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.ndimage import gaussian_filter

from sarslide.insar.goldstein import filter_goldstein
from sarslide.insar.interferometry import estimate_coherence, simulate_slc_pair
from sarslide.insar.isslide_layout import (
    LAYOVER_FILE,
    RawInterferogram,
    write_geotiff,
    write_raw_interferogram,
)

logger = logging.getLogger(__name__)
SENTINEL1_WAVELENGTH_M = 0.05547


@dataclass(frozen=True)
class SimulationConfig:
    """Size and content of a simulated ISSLIDE raw dataset."""

    zones: tuple[str, ...] = ("vanoise", "ecrins", "queyras")
    size_px: int = 160
    first_date: str = "20180702"
    revisit_days: int = 6
    n_dates: int = 6
    delays_days: tuple[int, ...] = (6, 12, 18)
    moves_per_zone: int = 5
    decoys_per_zone: int = 2
    layover_strips: int = 1
    looks_range: int = 8
    looks_azimuth: int = 2
    goldstein_alpha: float = 0.5
    pixel_m: float = 20.0
    visible_rad: float = 1.5
    min_coherent_fraction: float = 0.5
    epsg: int = 32632
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


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
    margin = 12
    for k in range(cfg.moves_per_zone):
        is_glacier = rng.random() < 0.35
        start = 0.0 if is_glacier else float(rng.uniform(-season_days / 2, season_days / 2))
        length = season_days * 2 if is_glacier else float(rng.uniform(12, season_days))
        major = float(rng.uniform(6, 15))
        moves.append(
            _Move(
                move_id=k,
                row=float(rng.uniform(margin, cfg.size_px - margin)),
                col=float(rng.uniform(margin, cfg.size_px - margin)),
                semi_major_px=major,
                semi_minor_px=float(major * rng.uniform(0.5, 0.9)),
                angle_rad=float(rng.uniform(0, np.pi)),
                rate_rad_per_day=float(rng.uniform(0.25, 0.9) * rng.choice([-1, 1])),
                active_from_day=max(0.0, start),
                active_to_day=start + length,
                move_class="rock_glacier" if is_glacier else "landslide",
                confidence=int(rng.integers(1, 4)),
            )
        )
    return moves


def _ellipse_polygon(move: _Move, transform: Any, scale: float = 0.85) -> Any:
    from shapely.geometry import Polygon

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


def simulate_isslide_raw(
    root: str | Path, config: SimulationConfig | None = None, *, progress: bool = False
) -> list[RawInterferogram]:
    """Write a simulated ISSLIDE raw layout under ``root``; return its interferograms."""
    import geopandas as gpd
    from affine import Affine

    cfg = config or SimulationConfig()
    rng = np.random.default_rng(cfg.seed)
    shape = (cfg.size_px, cfg.size_px)
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
    written: list[RawInterferogram] = []
    task = _progress_iter(cfg.zones, progress, "simulating zones")
    for z, zone in enumerate(task):
        transform = Affine(cfg.pixel_m, 0.0, 300_000 + 20_000 * z, 0.0, -cfg.pixel_m, 5_000_000)
        moves = _draw_moves(rng, cfg, days[-1])
        radii = [_elliptic_radius(shape, m) for m in moves]
        base_coherence = np.clip(0.75 + 0.12 * _smooth_field(rng, shape, 12), 0.45, 0.97)
        lowcoh = np.zeros(shape, dtype=bool)
        decoys = []
        for _ in range(cfg.decoys_per_zone):
            row, col = rng.uniform(10, cfg.size_px - 10, 2)
            decoy = _Move(
                move_id=-1, row=float(row), col=float(col), semi_major_px=10.0,
                semi_minor_px=8.0, angle_rad=0.0, rate_rad_per_day=0.0, active_from_day=0.0,
                active_to_day=0.0, move_class="unknown", confidence=0,
            )  # fmt: skip
            radius = _elliptic_radius(shape, decoy)
            lowcoh |= radius < 1.6
            decoys.append(radius)
        layover = np.zeros(shape, dtype=bool)
        for _ in range(cfg.layover_strips):
            col0 = int(rng.integers(0, cfg.size_px - 12))
            slope = float(rng.uniform(-0.4, 0.4))
            rows = np.arange(cfg.size_px)
            for r in rows:
                c = int(col0 + slope * r) % cfg.size_px
                layover[r, c : c + int(rng.integers(4, 9))] = True
        layover_ramp = np.where(layover, 2.5 * np.arange(cfg.size_px)[None, :], 0.0)
        decorrelated = lowcoh | layover
        coherent = {
            m.move_id: float(np.mean(~decorrelated[r < 0.85])) if np.any(r < 0.85) else 0.0
            for m, r in zip(moves, radii, strict=True)
        }
        aps = [1.2 * _smooth_field(rng, shape, 25) for _ in days]
        write_geotiff(
            Path(root) / zone / LAYOVER_FILE,
            layover.astype(np.uint8),
            transform=transform,
            crs=f"EPSG:{cfg.epsg}",
        )
        for i, j, delay in pairs:
            coherence = base_coherence * np.exp(-delay / 90.0)
            coherence = np.where(lowcoh, 0.12, coherence)
            coherence = np.where(layover, 0.08, coherence)
            phase = aps[j] - aps[i] + layover_ramp
            records = []
            for move, radius in zip(moves, radii, strict=True):
                peak = move.rate_rad_per_day * _active_days(move, days[i], days[j])
                phase = phase + peak * _bubble(radius)
                if _is_visible(move, peak, coherent[move.move_id], cfg):
                    records.append(move)
            for radius in decoys:
                phase = phase + 3.0 * _bubble(radius / 0.7)
            ml_phase, ml_coherence = _noisy_interferogram(rng, phase, coherence, cfg)
            repetitions = {
                m.move_id: sum(
                    _is_visible(
                        m,
                        m.rate_rad_per_day * _active_days(m, days[a], days[b]),
                        coherent[m.move_id],
                        cfg,
                    )
                    for a, b, d in pairs
                    if d == delay
                )
                for m in records
            }
            frame = gpd.GeoDataFrame(
                {
                    "move_id": [m.move_id for m in records],
                    "confidence": [m.confidence for m in records],
                    "repetitions": [repetitions[m.move_id] for m in records],
                    "class": [m.move_class for m in records],
                },
                geometry=[_ellipse_polygon(m, transform) for m in records],
                crs=f"EPSG:{cfg.epsg}",
            )
            item = RawInterferogram(zone, delay, labels[i], labels[j], Path())
            written.append(
                write_raw_interferogram(
                    root,
                    item,
                    phase_rad=ml_phase,
                    coherence=ml_coherence,
                    annotations=frame,
                    transform=transform,
                    crs=f"EPSG:{cfg.epsg}",
                )
            )
    logger.info(
        "simulated %d interferograms in %d zones under %s", len(written), len(cfg.zones), root
    )
    return written


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
    from rich.progress import track

    return track(items, description=label)
