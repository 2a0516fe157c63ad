"""Make ``import torchvision`` work where its compiled C++ ops cannot load.

The torchvision wheel on PyPI is a CUDA build. Next to a CPU-only torch its ``_C``
extension fails to load, and ``import torchvision`` then raises while registering
fake kernels for ``torchvision::nms`` and ``torchvision::qnms`` (operators that were
never defined). torchmetrics and segmentation_models_pytorch import torchvision, so
they fail too.

:func:`ensure_torchvision_importable` first tries to load torchvision's extension
itself. When that works (a matching CUDA or CPU install) it does nothing else. When it
fails, it defines the schemas of the two operators torchvision's import needs, without
kernels, so the pure-Python parts (models, transforms) import and run. Calling the
compiled ops themselves (``torchvision.ops.nms``) still raises ``NotImplementedError``.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: Operators that ``torchvision/_meta_registrations.py`` registers fake kernels for
#: unconditionally at import time; every other op there is guarded by ``_has_ops()``.
TORCHVISION_IMPORT_OP_SCHEMAS: dict[str, str] = {
    "nms": "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms": "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
}

# Keeps the stub library alive: torch unregisters its definitions when it is collected.
_STUB_LIBRARY: Any | None = None


def has_torchvision_op(name: str) -> bool:
    """Return True when ``torch.ops.torchvision.<name>`` is a registered operator."""
    # torch only when the shim runs: sarslide.compat imports without the [ml] extra.
    import torch

    try:
        getattr(torch.ops.torchvision, name)
    except (AttributeError, RuntimeError):
        return False
    return True


def _find_torchvision_dir() -> Path | None:
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _try_load_torchvision_extension(package_dir: Path) -> bool:
    """Load torchvision's compiled ``_C`` library the way torchvision does; True on success."""
    # torch only when the shim runs: sarslide.compat imports without the [ml] extra.
    import torch

    candidates = sorted(package_dir.glob("_C*.so")) + sorted(package_dir.glob("_C*.pyd"))
    for path in candidates:
        try:
            torch.ops.load_library(str(path))
        except (ImportError, OSError) as exc:
            logger.debug("torchvision extension %s does not load: %s", path, exc)
            continue
        return True
    return False


def ensure_torchvision_importable() -> bool:
    """Make ``import torchvision`` succeed next to a torch its C++ ops do not match.

    Idempotent and cheap after the first call. Does nothing when torchvision is not
    installed or when its own operators load.

    Returns:
        True when stub operator schemas were defined (now or by an earlier call),
        False when nothing was needed.
    """
    global _STUB_LIBRARY
    if _STUB_LIBRARY is not None:
        return True
    missing = [name for name in TORCHVISION_IMPORT_OP_SCHEMAS if not has_torchvision_op(name)]
    if not missing:
        return False
    package_dir = _find_torchvision_dir()
    if package_dir is None:
        return False
    if _try_load_torchvision_extension(package_dir):
        missing = [name for name in missing if not has_torchvision_op(name)]
        if not missing:
            return False
    # torch only when the shim runs: sarslide.compat imports without the [ml] extra.
    import torch.library

    library = torch.library.Library("torchvision", "FRAGMENT")
    for name in missing:
        library.define(TORCHVISION_IMPORT_OP_SCHEMAS[name])
    _STUB_LIBRARY = library
    logger.debug(
        "torchvision's C++ ops do not load with this torch; defined stub schemas for %s "
        "so its Python models import (torchvision.ops.nms and friends are unavailable).",
        ", ".join(missing),
    )
    return True
