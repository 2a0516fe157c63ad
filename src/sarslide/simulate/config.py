"""``EventCubeSpec``: the simulated event cube's configuration (``sarslide cube simulate``)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import ConfigDict, Field, model_validator

from sarslide.config import ConfigModel
from sarslide.conventions import UtcTimestamp
from sarslide.errors import ConfigError

Orbit = Literal["ascending", "descending", "both"]


class EventCubeSpec(ConfigModel):
    """Everything that defines a simulated event cube; the same spec and seed give the
    same arrays. Stored as JSON in the cube's ``simulation_spec`` attribute."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    config_label: ClassVar[str] = "simulation config"

    height_px: int = Field(512, ge=16, description="Rows (y) of the grid.")
    width_px: int = Field(512, ge=16, description="Columns (x) of the grid.")
    timesteps: int = Field(
        8,
        ge=2,
        description="Number of acquisitions; half before the event unless "
        "timesteps_before/timesteps_after say otherwise.",
    )
    timesteps_before: int | None = Field(
        None, ge=1, description="Acquisitions before the event (default timesteps // 2)."
    )
    timesteps_after: int | None = Field(
        None, ge=1, description="Acquisitions after the event (default the rest)."
    )
    revisit_days: int = Field(12, ge=1, le=366, description="Days between acquisitions.")
    missing_acquisitions: tuple[int, ...] = Field(
        (),
        description="Acquisition gaps: slots of the regular revisit series (0 = "
        "first_acquisition, 1 = one revisit later, ...) with no acquisition (a satellite "
        "failure, a skipped pass). The series runs on until timesteps_before and "
        "timesteps_after acquisitions exist; a gap right after the event delays the "
        "first post-event image.",
    )
    first_acquisition: UtcTimestamp = Field(
        datetime(2018, 7, 1, 20, 40),
        description="Time of the first acquisition (UTC; Hokkaido's ascending pass is "
        "in the evening).",
    )
    event_start: UtcTimestamp | None = Field(
        None,
        description="Start of the triggering event (default: a few days after "
        "the last acquisition before it).",
    )
    event_end: UtcTimestamp | None = Field(
        None, description="End of the triggering event (default: event_start + 1 day)."
    )
    landslide_fraction: float = Field(
        0.05, ge=0.0, le=0.5, description="Target share of landslide pixels."
    )
    orbit: Orbit = Field(
        "ascending",
        description="Orbit direction of the acquisitions; 'both' alternates "
        "ascending and descending (interferometric pairs stay within one orbit).",
    )
    incidence_angle_deg: float = Field(
        36.0, gt=20.0, lt=50.0, description="Ellipsoid incidence angle (Hokkaido ~36°)."
    )
    equivalent_number_of_looks: float = Field(
        5.0, ge=1.0, le=50.0, description="Speckle looks of the RTC product (gamma speckle)."
    )
    coherence_looks: int = Field(50, ge=2, le=1000, description="Looks of the coherence estimator.")
    resolution_m: float = Field(10.0, gt=0.0, description="Pixel size in metres.")
    terrain_spectral_exponent: float = Field(
        4.4,
        ge=2.5,
        le=6.0,
        description="Roughness of the fractal terrain: exponent of its power spectrum "
        "P(k) ~ k^-exponent. Lower is rougher (more relief at short wavelengths, "
        "steeper pixel slopes for the same terrain_std_m); higher is smoother.",
    )
    terrain_corner_wavelength_m: float = Field(
        2500.0,
        gt=0.0,
        description="Wavelength above which the terrain spectrum flattens (the size of "
        "the largest hills and valleys).",
    )
    terrain_std_m: float = Field(
        100.0,
        gt=0.0,
        description="Standard deviation of elevation of the fractal terrain "
        "at scales up to ~2.5 km (relief of a few hundred metres; larger is steeper).",
    )
    base_elevation_m: float = Field(300.0, description="Mean elevation.")
    vegetation_fraction: float = Field(
        0.8, ge=0.0, le=1.0, description="Share of forest (the rest bare ground, built-up)."
    )
    built_up_fraction: float = Field(
        0.003, ge=0.0, le=0.2, description="Share of built-up (very bright) pixels."
    )
    nodata_fraction: float = Field(
        1e-4,
        ge=0.0,
        le=0.1,
        description="Share of VV/VH pixels per acquisition set to "
        "exactly 0 (half) or NaN (half), as real products have.",
    )
    landslide_median_length_m: float = Field(
        90.0,
        gt=0.0,
        le=5000.0,
        description="Median landslide length (lognormal; Iburi 2018: mostly 40-300 m).",
    )
    landslide_length_log_std: float = Field(
        0.5,
        ge=0.0,
        le=2.0,
        description="Standard deviation of the natural log of landslide length (wider "
        "= more very small and very large landslides).",
    )
    landslide_length_range_m: tuple[float, float] = Field(
        (30.0, 600.0),
        description="Landslide lengths are clipped to this (min, max) range (m).",
    )
    landslide_vv_change_db: float = Field(
        0.6,
        ge=-10.0,
        le=10.0,
        description="Mean VV change (dB, after minus before) of a fully bared landslide "
        "at the reference incidence; debris is rough, so it is about as bright as the "
        "forest it replaces.",
    )
    landslide_vh_change_db: float = Field(
        -2.2,
        ge=-10.0,
        le=10.0,
        description="Mean VH change (dB) of a fully bared landslide: the vegetation's "
        "volume scattering is lost.",
    )
    landslide_vv_incidence_gain: float = Field(
        1.2,
        ge=0.0,
        le=5.0,
        description="Extra VV change per dB of 10 log10(cos θ_loc / cos θ): bare debris "
        "depends on the local incidence more than forest does, so landslides on slopes "
        "facing the sensor brighten and those facing away darken.",
    )
    landslide_change_spread_db: float = Field(
        0.5,
        ge=0.0,
        le=5.0,
        description="Standard deviation (dB) of each landslide's own VV and VH change "
        "around the means (surface material, moisture, roughness).",
    )
    landslide_vegetation_remaining: tuple[float, float] = Field(
        (0.0, 0.4),
        description="Range of the share of vegetation that remains on a landslide "
        "(uniform per landslide, varying ±0.15 within it); the change scales with "
        "the bared share.",
    )
    confounder_fraction: float = Field(
        0.05,
        ge=0.0,
        le=0.5,
        description="Share of pixels in non-landslide change patches (harvested or "
        "ploughed fields, clear-cuts, wet soil) on flat or gentle ground.",
    )
    confounder_max_slope_deg: float = Field(
        12.0,
        gt=0.0,
        le=60.0,
        description="Change patches are placed where the slope is below about this "
        "angle (a logistic cut-off 2° wide).",
    )
    confounder_vv_change_db: tuple[float, float] = Field(
        (0.0, 1.2),
        description="Mean and standard deviation (dB) of a change patch's VV step "
        "between the last acquisition before and the first after the event.",
    )
    confounder_vh_change_db: tuple[float, float] = Field(
        (-1.0, 1.0),
        description="Mean and standard deviation (dB) of a change patch's VH step "
        "(crop harvest and clear-cuts remove volume scattering).",
    )
    confounder_date_std_db: float = Field(
        1.0,
        ge=0.0,
        le=10.0,
        description="Standard deviation (dB) of each change patch's own per-date "
        "fluctuation (irrigation, crop growth, tillage), at every acquisition.",
    )
    crs: str = Field("EPSG:32654", description="Projected CRS of the grid (UTM 54N).")
    origin_x_m: float = Field(560_000.0, description="x of the grid's upper-left corner.")
    origin_y_m: float = Field(4_740_000.0, description="y of the grid's upper-left corner.")
    seed: int = Field(0, ge=0, description="Seed of every random draw.")
    chunk_size_px: int = Field(
        1024,
        ge=16,
        description="Spatial block of generation and of the dask chunks; part "
        "of the random key (another block size gives other speckle).",
    )

    @model_validator(mode="after")
    def _check_ranges(self) -> EventCubeSpec:
        low, high = self.landslide_vegetation_remaining
        if not 0.0 <= low <= high <= 1.0:
            raise ValueError(
                f"landslide_vegetation_remaining={(low, high)} must be (low, high) with "
                "0 <= low <= high <= 1, e.g. (0.0, 0.5)"
            )
        shortest, longest = self.landslide_length_range_m
        if not 0.0 < shortest <= longest:
            raise ValueError(
                f"landslide_length_range_m={(shortest, longest)} must be (min, max) with "
                "0 < min <= max, e.g. (30, 600)"
            )
        if any(slot < 0 for slot in self.missing_acquisitions):
            raise ValueError(
                f"missing_acquisitions={list(self.missing_acquisitions)} must hold slot "
                "numbers >= 0 of the revisit series, e.g. [2, 5]"
            )
        for name in ("confounder_vv_change_db", "confounder_vh_change_db"):
            mean, std = getattr(self, name)
            if std < 0 or abs(mean) > 10:
                raise ValueError(
                    f"{name}={(mean, std)} must be (mean, std) with |mean| <= 10 dB and "
                    "std >= 0, e.g. (0.0, 1.5)"
                )
        return self

    @property
    def n_before(self) -> int:
        """Acquisitions before the event."""
        return _resolve_counts(self)[0]

    @property
    def n_after(self) -> int:
        """Acquisitions after the event."""
        return _resolve_counts(self)[1]


def _resolve_counts(spec: EventCubeSpec) -> tuple[int, int]:
    before, after = spec.timesteps_before, spec.timesteps_after
    explicit_total = "timesteps" in spec.model_fields_set
    if before is not None and after is not None:
        if explicit_total and before + after != spec.timesteps:
            raise ConfigError(
                f"timesteps={spec.timesteps} but timesteps_before={before} + "
                f"timesteps_after={after} = {before + after}; give consistent values or "
                "leave timesteps unset."
            )
        return before, after
    total = spec.timesteps
    if before is None and after is None:
        before = total // 2
    elif before is None:
        before = total - int(after)  # type: ignore[arg-type]
    after = total - before
    if before < 1 or after < 1:
        raise ConfigError(
            f"timesteps={total} with timesteps_before={spec.timesteps_before} and "
            f"timesteps_after={spec.timesteps_after} leaves {before} before and {after} "
            "after the event; both need at least 1."
        )
    return before, after
