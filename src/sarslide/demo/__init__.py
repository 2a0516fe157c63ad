"""The main job on the embedded default data: simulate, train, evaluate, map.

``run_demo(DemoConfig(...))`` (``sarslide demo``, ``make demo``) chains the library's
steps on the simulated default event cube and returns ``DemoOutputs``.
Exports load on first use (module ``__getattr__``): importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sarslide.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from sarslide.demo.config import DemoConfig
    from sarslide.demo.outputs import DemoOutputs
    from sarslide.demo.run import DEMO_STEPS, run_demo

_EXPORTS = {
    "DEMO_STEPS": "sarslide.demo.run",
    "DemoConfig": "sarslide.demo.config",
    "DemoOutputs": "sarslide.demo.outputs",
    "run_demo": "sarslide.demo.run",
}
__all__ = ["DEMO_STEPS", "DemoConfig", "DemoOutputs", "run_demo"]


__getattr__ = lazy_getattr(__name__, _EXPORTS)
