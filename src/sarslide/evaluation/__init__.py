"""Checkpoint evaluation: a trained model on the test chips and the whole test region.

``evaluate`` (``evaluate_checkpoint``) and ``report`` (``metrics.json``, ``summary.md``,
PR curve). The metrics themselves live in the leaf :mod:`sarslide.metrics`.
Exports load on first use (module ``__getattr__``): importing the package costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sarslide.evaluation.config import EvaluateConfig
    from sarslide.evaluation.evaluate import evaluate_checkpoint
    from sarslide.evaluation.result import EvaluationResult

_EXPORTS = {
    "EvaluateConfig": "sarslide.evaluation.config",
    "EvaluationResult": "sarslide.evaluation.result",
    "evaluate_checkpoint": "sarslide.evaluation.evaluate",
}
__all__ = [
    "EvaluateConfig",
    "EvaluationResult",
    "evaluate_checkpoint",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
