"""Before/after composites in log10 space, and the channel stack a model reads.

Decision (documented in docs/chips.md): a composite is the pixel-wise reduction
(mean or median) of the **log10** of the k acquisitions, i.e. ``mean(log10(x))``, a
geometric mean in linear units. That is what the paper's code computed (log first,
then the mean over timesteps) and it is robust to the heavy linear tail (values up to
~900). Before the log, values below ``log_floor`` (zeros, negatives) are raised to it
and counted; NaN stays NaN (nodata) and is counted; the mean skips NaN
acquisitions, so a pixel is NaN only if all k acquisitions are.

The same numpy function (``sarslide.chips.log_composite.composite_values``) computes
composites for whole scenes (``make_composites``, lazily on dask blocks) and for
gathered chips (``sarslide.chips.dataset``), so both give bit-identical values.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

import dask
import dask.array
import numpy as np
import xarray as xr

from sarslide import conventions as cv
from sarslide.chips.channels import ChannelSpec, resolve_channel_specs
from sarslide.chips.config import DataConfig
from sarslide.chips.event_window import EventWindow, resolve_event_window, select_cube_timesteps
from sarslide.chips.log_composite import Reducer, composite_values
from sarslide.chips.orbit_choice import Geometry, choose_geometry, geometry_mask


@dataclass
class CompositeCounts:
    """How many raw values went into composites, were floored, or were nodata (NaN)."""

    n_values: int = 0
    n_floored: int = 0
    n_nodata: int = 0
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, channel: str, raw: np.ndarray, floor: float, *, log10: bool) -> None:
        raw = np.asarray(raw)
        nodata = int(np.count_nonzero(np.isnan(raw)))
        floored = int(np.count_nonzero(raw < floor)) if log10 else 0
        with self._lock:  # called from dask worker threads
            self._add(channel, raw.size, floored, nodata)

    def add_counted(self, channel: str, n_values: int, floored: int, nodata: int) -> None:
        """Add counts computed elsewhere (e.g. by ``log10_mean``); thread-safe."""
        with self._lock:
            self._add(channel, n_values, floored, nodata)

    def _add(self, channel: str, n_values: int, floored: int, nodata: int) -> None:
        entry = self.by_channel.setdefault(channel, {"n_values": 0, "n_floored": 0, "n_nodata": 0})
        entry["n_values"] += n_values
        entry["n_floored"] += floored
        entry["n_nodata"] += nodata
        self.n_values += n_values
        self.n_floored += floored
        self.n_nodata += nodata

    def to_dict(self) -> dict[str, object]:
        return {
            "n_values": self.n_values,
            "n_floored": self.n_floored,
            "n_nodata": self.n_nodata,
            "by_channel": self.by_channel,
        }


@dataclass(frozen=True)
class CompositeSelection:
    """Which acquisitions make each side of the composites, and how they are reduced."""

    window: EventWindow
    before: np.ndarray  # indices into the cube's timestep dim
    after: np.ndarray
    reducer: Reducer
    log_floor: float
    geometry: Geometry | None = None  # the one viewing geometry used (None: any)

    def indices(self, side: str) -> np.ndarray:
        return self.before if side == "before" else self.after

    def to_attrs(self, cube: xr.Dataset) -> dict[str, object]:
        times = cube[cv.DIM_TIMESTEP].values
        return {
            "event_start": self.window.start.isoformat(),
            "event_end": self.window.end.isoformat(),
            "event_window_source": self.window.source,
            "timesteps_before": [str(t) for t in times[self.before]],
            "timesteps_after": [str(t) for t in times[self.after]],
            "reducer": self.reducer,
            "log_floor": self.log_floor,
            "orbit_state": self.geometry.orbit_state if self.geometry else "any",
            "relative_orbit": (
                -1
                if self.geometry is None or self.geometry.relative_orbit is None
                else self.geometry.relative_orbit
            ),
            "composite": f"{self.reducer} of log10(max(x, log_floor)) over acquisitions",
        }


def select_composite_inputs(
    cube: xr.Dataset,
    *,
    timesteps_k: int = 4,
    reducer: Reducer = "mean",
    orbit: str | None = None,
    event_start: datetime | str | None = None,
    event_end: datetime | str | None = None,
    log_floor: float = 1e-4,
    cube_name: str | None = None,
) -> CompositeSelection:
    """Resolve the event window and the k acquisitions on each side."""
    window = resolve_event_window(
        cube, event_start=event_start, event_end=event_end, cube_name=cube_name
    )
    geometry = choose_geometry(cube, window, orbit)
    keep = geometry_mask(cube, geometry)
    named = geometry.orbit_state if geometry else orbit  # errors name the direction used
    before, after = select_cube_timesteps(cube, window, timesteps_k, orbit=named, keep=keep)
    return CompositeSelection(window, before, after, reducer, log_floor, geometry)


def selection_from_config(cube: xr.Dataset, cfg: DataConfig) -> CompositeSelection:
    """``select_composite_inputs`` with the values of a ``DataConfig``."""
    return select_composite_inputs(
        cube,
        timesteps_k=cfg.timesteps_k,
        reducer=cfg.reducer,
        orbit=cfg.orbit,
        event_start=cfg.event_start,
        event_end=cfg.event_end,
        log_floor=cfg.log_floor,
        cube_name=cfg.cube,
    )


def _composite_of_blocks(
    blocks: list[np.ndarray], *, log10: bool, floor: float, reducer: Reducer
) -> np.ndarray:
    """``composite_values`` of the (time, y, x) chunks of one output chunk, unstacked."""
    layers = [layer for block in blocks for layer in block]
    return composite_values(layers, log10=log10, floor=floor, reducer=reducer)


def _composite_array(cube: xr.Dataset, spec: ChannelSpec, sel: CompositeSelection) -> xr.DataArray:
    assert spec.side is not None  # composites only (internal)
    raw = (
        cube[spec.variable]
        .isel({cv.DIM_TIMESTEP: sel.indices(spec.side)})
        .transpose(cv.DIM_TIMESTEP, *cv.SPATIAL_DIMS)
    )
    options = {"log10": spec.log10, "floor": sel.log_floor, "reducer": sel.reducer}
    if raw.chunks is not None:
        # Each output chunk reads its acquisitions' chunks as they are: no rechunking
        # along time, so no (k, y, x) copy is made before the reduction.
        data = dask.array.blockwise(
            _composite_of_blocks,
            "yx",
            raw.data,
            "tyx",
            concatenate=False,
            meta=np.empty((0, 0), dtype=np.float32),  # given: no trial call on an array
            **options,
        )
    else:
        data = composite_values(raw.values, axis=0, **options)  # type: ignore[arg-type]
    out = raw.isel({cv.DIM_TIMESTEP: 0}, drop=True).copy(data=data)
    out.encoding = {}
    unit = "log10(gamma0)" if spec.log10 else cube[spec.variable].attrs.get("units", "1")
    out.attrs = {
        "units": unit,
        "long_name": f"{sel.reducer} {spec.side}-event composite of {spec.variable}",
    }
    return out.rename(spec.name)


def make_composites(
    cube: xr.Dataset,
    cfg: DataConfig | None = None,
    *,
    variables: tuple[str, ...] | list[str] = cv.SAR_VARS,
    selection: CompositeSelection | None = None,
    timesteps_k: int = 4,
    reducer: Reducer = "mean",
    orbit: str | None = None,
    event_start: datetime | str | None = None,
    event_end: datetime | str | None = None,
    log_floor: float = 1e-4,
) -> xr.Dataset:
    """Lazy before/after composites (``vv_before``, ``vv_after``, ...) of time variables.

    Values of ``cfg`` (if given) replace the keyword values. Dask-backed cubes stay
    lazy; the selection and method are recorded in the result's attributes. Counts
    of floored / nodata values: ``count_composite_inputs``.
    """
    if selection is None:
        if cfg is not None:
            selection = selection_from_config(cube, cfg)
        else:
            selection = select_composite_inputs(
                cube,
                timesteps_k=timesteps_k,
                reducer=reducer,
                orbit=orbit,
                event_start=event_start,
                event_end=event_end,
                log_floor=log_floor,
            )
    names = [f"{var}_{side}" for var in variables for side in ("before", "after")]
    specs = resolve_channel_specs(names, cube)
    out = xr.Dataset({spec.name: _composite_array(cube, spec, selection) for spec in specs})
    out.attrs.update(selection.to_attrs(cube))
    return out


def count_composite_inputs(
    cube: xr.Dataset,
    selection: CompositeSelection,
    variables: tuple[str, ...] | list[str] = cv.SAR_VARS,
) -> CompositeCounts:
    """Count the raw values, floored values and NaN entering each composite (computes)."""
    counts = CompositeCounts()
    for var in variables:
        for side in ("before", "after"):
            raw = cube[var].isel({cv.DIM_TIMESTEP: selection.indices(side)}).data
            nodata, floored = dask.compute(np.isnan(raw).sum(), (raw < selection.log_floor).sum())
            name = f"{var}_{side}"
            counts.by_channel[name] = {
                "n_values": int(raw.size),
                "n_floored": int(floored),
                "n_nodata": int(nodata),
            }
            counts.n_values += int(raw.size)
            counts.n_floored += int(floored)
            counts.n_nodata += int(nodata)
    return counts


def build_composite_stack(
    cube: xr.Dataset, cfg: DataConfig, *, selection: CompositeSelection | None = None
) -> xr.DataArray:
    """The model input stack ``(channel, y, x)``: lazy, log10 composites, NOT standardised.

    Channel order and names follow ``resolve_channels(cfg.channels, cube)``. Static
    variables (DEM and derivatives) enter as float32 without log. Used by
    whole-scene inference; apply ``NormalisationStats`` from the model afterwards.
    """
    specs = resolve_channel_specs(cfg.channels, cube)
    if selection is None and any(spec.is_composite for spec in specs):
        selection = selection_from_config(cube, cfg)
    layers = []
    for spec in specs:
        if spec.is_composite:
            assert selection is not None
            layer = _composite_array(cube, spec, selection)
        else:
            layer = (
                cube[spec.variable].astype(np.float32).transpose(*cv.SPATIAL_DIMS).rename(spec.name)
            )
        layers.append(
            layer.drop_vars(
                [c for c in layer.coords if c not in (*cv.SPATIAL_DIMS, cv.COORD_SPATIAL_REF)]
            )
        )
    stack = xr.concat(
        layers, dim=cv.DIM_CHANNEL, coords="minimal", compat="override", join="override"
    )
    stack = stack.assign_coords({cv.DIM_CHANNEL: [spec.name for spec in specs]}).rename("inputs")
    stack.attrs = {"long_name": "model input channels (log10 composites and static layers)"}
    if selection is not None:
        stack.attrs.update(selection.to_attrs(cube))
    return stack
