"""Simulated landslide event cubes with the schema of the paper's datacubes.

Everything here is SIMULATED: fractal terrain, landslides placed by slope and
curvature, Sentinel-1-like RTC backscatter and InSAR layers, generated from a seed.
See docs/simulator.md.
Exports load on first use (module ``__getattr__``): importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sarslide.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from sarslide.simulate.config import EventCubeSpec
    from sarslide.simulate.event_cube import describe_spec, simulate_event_cube
    from sarslide.simulate.run import SimulateResult, simulate_cube

_EXPORTS = {
    "EventCubeSpec": "sarslide.simulate.config",
    "describe_spec": "sarslide.simulate.event_cube",
    "simulate_event_cube": "sarslide.simulate.event_cube",
    "SimulateResult": "sarslide.simulate.run",
    "simulate_cube": "sarslide.simulate.run",
}
__all__ = [
    "EventCubeSpec",
    "SimulateResult",
    "describe_spec",
    "simulate_cube",
    "simulate_event_cube",
]


__getattr__ = lazy_getattr(__name__, _EXPORTS)
