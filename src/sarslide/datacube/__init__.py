"""The datacube: its contract checks, Zarr I/O and summary."""

from sarslide.datacube.info import CubeSummary, summarize_cube
from sarslide.datacube.io import open_cube, write_cube
from sarslide.datacube.validate import validate_cube

__all__ = ["CubeSummary", "open_cube", "summarize_cube", "validate_cube", "write_cube"]
