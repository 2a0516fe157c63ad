"""Package exports loaded on first use: a module ``__getattr__`` (as odc-stac does), so
importing a package costs nothing until one of its names is used."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """The ``__getattr__`` of ``package``: ``exports`` maps each exported name to the
    module that defines it; any other name is an ``AttributeError``.

    Use: ``__getattr__ = lazy_getattr(__name__, _EXPORTS)`` in the package's ``__init__``.
    """

    def getattr_export(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(exports[name]), name)

    return getattr_export
