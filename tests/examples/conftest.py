"""The examples build cubes with odc-geo, as the source tests do: the same warning filters."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sources.stac_fixtures import filter_third_party_warnings


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    filter_third_party_warnings(items, Path(__file__).parent)
