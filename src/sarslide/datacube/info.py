"""Summarise a datacube: dims, variables, time range, orbits, grid, label fraction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import rioxarray  # noqa: F401
import xarray as xr
from rich.table import Table

from sarslide import conventions as cv


@dataclass
class VariableSummary:
    name: str
    dims: tuple[str, ...]
    dtype: str
    units: str
    chunks: str


@dataclass
class CubeSummary:
    """What ``sarslide cube info`` shows."""

    sizes: dict[str, int]
    variables: list[VariableSummary]
    time_start: str | None
    time_end: str | None
    orbit_counts: dict[str, int]
    crs: str | None
    resolution_m: tuple[float, float] | None
    bounds: tuple[float, float, float, float] | None
    landslide_fraction: float | None
    attrs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["variables"] = [v.__dict__ for v in self.variables]
        return out

    def to_tables(self, title: str) -> list[Table]:
        """The overview and variables tables ``sarslide cube info`` prints."""
        overview = Table(title=f"datacube {title}", show_header=False)
        overview.add_row("dims", ", ".join(f"{k}={v}" for k, v in self.sizes.items()))
        overview.add_row("time", f"{self.time_start} .. {self.time_end}")
        overview.add_row(
            "orbits", ", ".join(f"{k}: {v}" for k, v in self.orbit_counts.items()) or "-"
        )
        overview.add_row("crs", self.crs or "none")
        if self.resolution_m:
            overview.add_row("resolution", f"{self.resolution_m[0]:g} x {self.resolution_m[1]:g} m")
        if self.bounds:
            overview.add_row("bounds", ", ".join(f"{b:.1f}" for b in self.bounds))
        if self.landslide_fraction is not None:
            overview.add_row("landslide pixels", f"{100 * self.landslide_fraction:.2f} %")
        for key, value in self.attrs.items():
            overview.add_row(f"attr {key}", str(value))
        variables = Table(title="variables")
        for column in ("name", "dims", "dtype", "units", "chunks"):
            variables.add_column(column)
        for v in self.variables:
            variables.add_row(v.name, ", ".join(v.dims), v.dtype, v.units, v.chunks)
        return [overview, variables]


def summarize_cube(ds: xr.Dataset, *, compute_label_fraction: bool = True) -> CubeSummary:
    """Collect the facts a user checks first about a cube (cheap except the labels)."""
    variables = [
        VariableSummary(
            name=str(name),
            dims=tuple(map(str, da.dims)),
            dtype=str(da.dtype),
            units=str(da.attrs.get("units", cv.VARIABLES.get(str(name), _NO_SPEC).units)),
            chunks=_format_chunks(da),
        )
        for name, da in ds.data_vars.items()
    ]
    time_start = time_end = None
    if cv.DIM_TIMESTEP in ds.coords and ds.sizes.get(cv.DIM_TIMESTEP, 0) > 0:
        times = ds[cv.DIM_TIMESTEP].values
        time_start, time_end = str(times.min())[:19], str(times.max())[:19]
    orbit_counts: dict[str, int] = {}
    if cv.COORD_ORBIT_STATE in ds.coords:
        states, counts = np.unique(
            np.asarray(ds[cv.COORD_ORBIT_STATE].values).astype(str), return_counts=True
        )
        orbit_counts = {str(s): int(c) for s, c in zip(states, counts, strict=True)}
    crs = ds.rio.crs
    resolution = bounds = None
    if cv.DIM_X in ds.coords and cv.DIM_Y in ds.coords and ds.sizes[cv.DIM_X] > 1:
        res_x, res_y = ds.rio.resolution()
        resolution = (abs(float(res_x)), abs(float(res_y)))
        bounds = tuple(float(b) for b in ds.rio.bounds())
    fraction = None
    if compute_label_fraction and cv.VAR_LANDSLIDES in ds.data_vars:
        labels = ds[cv.VAR_LANDSLIDES]
        fraction = float((labels > cv.LANDSLIDE_POSITIVE_THRESHOLD).mean().compute())
    attrs = {k: v for k, v in ds.attrs.items() if not k.startswith("sarslide_")}
    return CubeSummary(
        sizes={str(k): int(v) for k, v in ds.sizes.items()},
        variables=variables,
        time_start=time_start,
        time_end=time_end,
        orbit_counts=orbit_counts,
        crs=crs.to_string() if crs is not None else None,
        resolution_m=resolution,
        bounds=bounds,  # type: ignore[arg-type]
        landslide_fraction=fraction,
        attrs=attrs,
    )


class _NoSpec:
    units = ""


_NO_SPEC = _NoSpec()


def _format_chunks(da: xr.DataArray) -> str:
    if da.chunks is None:
        return "in memory"
    return " x ".join(str(max(c)) for c in da.chunks)
