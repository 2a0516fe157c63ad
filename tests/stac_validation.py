"""Validate STAC JSON offline: pystac's validator with every schema it needs vendored.

pystac ships the STAC 1.1.0 core and GeoJSON schemas; the extension schemas are under
``tests/data/stac-schemas`` (see ATTRIBUTION.md). Any other schema fetch fails the test
instead of reaching the network.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pystac
import pytest
from pystac.validation.stac_validator import JsonSchemaSTACValidator

SCHEMAS = Path(__file__).parent / "data" / "stac-schemas"
VENDORED = {
    "https://stac-extensions.github.io/projection/v2.0.0/schema.json": "projection-v2.0.0.json",
    "https://stac-extensions.github.io/raster/v1.1.0/schema.json": "raster-v1.1.0.json",
    "https://stac-extensions.github.io/file/v2.1.0/schema.json": "file-v2.1.0.json",
}


def offline_validator() -> JsonSchemaSTACValidator:
    """pystac's jsonschema validator, its schema cache filled from the vendored files."""
    pytest.importorskip("jsonschema")
    validator = JsonSchemaSTACValidator()
    for uri, name in VENDORED.items():
        schema = json.loads((SCHEMAS / name).read_text())
        validator.schema_cache[uri] = schema
        validator.schema_cache[uri + "#"] = schema
    return validator


def validate_offline(
    path: Path, monkeypatch: pytest.MonkeyPatch, *, expect_extensions: int = 0
) -> dict[str, Any]:
    """Validate the STAC object in ``path`` against every schema it names; the network is
    refused. Returns the object's dict."""

    read_local = pystac.stac_io.DefaultStacIO.read_text

    def no_network(self: Any, source: Any, *args: Any, **kwargs: Any) -> str:
        if "://" in str(getattr(source, "href", source)):
            raise AssertionError(f"fetched from the network: {source}")
        return read_local(self, source, *args, **kwargs)

    monkeypatch.setattr(pystac.stac_io.DefaultStacIO, "read_text", no_network)
    data = json.loads(path.read_text())
    validated = pystac.validation.validate_dict(data, validator=offline_validator())
    assert len(validated) == 1 + expect_extensions, validated  # core + each extension
    return data
