"""One command for a new event: acquisitions around it, the cube, the map, the report.

``respond_to_event(RespondConfig(...), out_dir)`` finds the Sentinel-1 passes a trained
model needs around an event (k per side, its orbit), builds the cube of the AOI from a
STAC catalogue, predicts the landslide map and writes a report; it refuses an event too
recent for k passes after it and says when enough will exist; a rerun resumes.
Exports load on first use (module ``__getattr__``): importing the package costs nothing.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from sarslide.lazy_exports import lazy_getattr

# light, and named by the signature of sarslide.respond(cfg) (typing.get_type_hints)
from sarslide.respond.config import RespondConfig
from sarslide.respond.result import RespondResult

if TYPE_CHECKING:
    from sarslide.respond.acquisitions import AcquisitionPlan, Pass, plan_acquisitions
    from sarslide.respond.run import respond_to_event

_EXPORTS = {
    "AcquisitionPlan": "sarslide.respond.acquisitions",
    "Pass": "sarslide.respond.acquisitions",
    "plan_acquisitions": "sarslide.respond.acquisitions",
    "respond_to_event": "sarslide.respond.run",
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


class _CallableModule(types.ModuleType):
    """This package, callable: ``sarslide.respond(cfg)`` is ``respond_to_event(cfg)``.

    ``respond`` is one of the verbs ``sarslide`` exports, and also this package's
    name; once the package is imported Python answers ``sarslide.respond`` with it,
    so the package itself runs the job.
    """

    def __call__(self, cfg: RespondConfig, *args: Any, **kwargs: Any) -> RespondResult:
        from sarslide.respond.run import respond_to_event

        return respond_to_event(cfg, *args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
