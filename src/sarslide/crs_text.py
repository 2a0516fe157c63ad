"""A CRS as a short label for messages and logs: ``EPSG:32754`` or its name, never WKT."""

from __future__ import annotations

from typing import Any

from pyproj import CRS

MAX_CHARS = 80


def format_crs(crs: Any) -> str:
    """``EPSG:32754`` when the CRS has an authority code, else its name (``WGS 84 /
    UTM zone 54S``); anything unparseable is cut to 80 characters."""
    if crs is None:
        return "no CRS"
    try:
        parsed = CRS.from_user_input(crs.to_wkt() if hasattr(crs, "to_wkt") else crs)
    except Exception:  # pyproj raises CRSError and others for odd input
        text = str(crs)
        return text if len(text) <= MAX_CHARS else f"{text[: MAX_CHARS - 3]}..."
    code = parsed.to_authority(min_confidence=90)
    return f"{code[0]}:{code[1]}" if code else parsed.name
