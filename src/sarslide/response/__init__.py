"""One command for a new event: acquisitions around it, the cube, the map, the report.

``respond_to_event(RespondConfig(...))`` (exported as ``sarslide.respond``) finds the
Sentinel-1 passes a trained model needs around an event (k per side, its orbit), builds
the cube of the AOI from a STAC catalogue, predicts the landslide map and writes a
report; it refuses an event too recent for k passes after it and says when enough will
exist; a rerun resumes.
Exports load on first use (module ``__getattr__``): importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sarslide.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from sarslide.response.acquisitions import AcquisitionPlan, Pass, plan_acquisitions
    from sarslide.response.config import RespondConfig
    from sarslide.response.result import RespondResult
    from sarslide.response.run import respond_to_event

_EXPORTS = {
    "AcquisitionPlan": "sarslide.response.acquisitions",
    "Pass": "sarslide.response.acquisitions",
    "RespondConfig": "sarslide.response.config",
    "RespondResult": "sarslide.response.result",
    "plan_acquisitions": "sarslide.response.acquisitions",
    "respond_to_event": "sarslide.response.run",
}
__all__ = [
    "AcquisitionPlan",
    "Pass",
    "RespondConfig",
    "RespondResult",
    "plan_acquisitions",
    "respond_to_event",
]


__getattr__ = lazy_getattr(__name__, _EXPORTS)
