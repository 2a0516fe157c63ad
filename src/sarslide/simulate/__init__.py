"""Simulated landslide event cubes with the schema of the paper's datacubes.

Everything here is SIMULATED: fractal terrain, landslides placed by slope and
curvature, Sentinel-1-like RTC backscatter and InSAR layers, generated from a seed.
See docs/simulator.md.
"""

from sarslide.simulate.config import EventCubeSpec
from sarslide.simulate.event_cube import describe_spec, simulate_event_cube

__all__ = ["EventCubeSpec", "describe_spec", "simulate_event_cube"]
