"""Fixtures for the sources tests; odc-geo's use of ``Affine * Affine`` is filtered."""

from __future__ import annotations

from pathlib import Path

import pytest

# odc-geo 0.5 multiplies Affine objects with '*', which affine>=3 flags as pending
# deprecation; nothing of ours to fix.
_AFFINE_WARNING = "ignore:Use `@` matmul instead of `\\*` mul operator:PendingDeprecationWarning"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.filterwarnings(_AFFINE_WARNING))
