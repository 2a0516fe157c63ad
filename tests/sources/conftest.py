"""Fixtures for the sources tests; odc-geo's own deprecation warnings are filtered."""

from __future__ import annotations

from pathlib import Path

import pytest

# odc-geo 0.5 multiplies Affine objects with '*', which affine>=3 flags as pending
# deprecation; nothing of ours to fix.
_THIRD_PARTY_WARNINGS = (
    "ignore:Use `@` matmul instead of `\\*` mul operator:PendingDeprecationWarning",
    # odc-geo 0.5 reprojects geometries with shapely.ops.transform
    "ignore:The 'shapely.ops.transform\\(\\)' function is deprecated:DeprecationWarning",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            for spec in _THIRD_PARTY_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))
