"""Checkpoint evaluation: a trained model on the test chips and the whole test region.

``evaluate`` (``evaluate_checkpoint``) and ``report`` (``metrics.json``, ``summary.md``,
PR curve). The metrics themselves live in the leaf :mod:`sarslide.metrics`.
Exports load on first use (module ``__getattr__``): importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sarslide.lazy_exports import lazy_getattr

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


__getattr__ = lazy_getattr(__name__, _EXPORTS)
