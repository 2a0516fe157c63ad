"""sarslide: landslide maps from Sentinel-1 SAR datacubes.

The package follows the data's path: ``sources`` -> ``datacube`` -> ``terrain`` ->
``chips`` -> ``models`` -> ``training`` -> ``evaluation`` -> ``inference``, with
``insar`` (ISSLIDE, slow-moving landslides) reusing chips, models, training and
evaluation. ``simulate`` makes synthetic cubes with the schema of the real ones.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sarslide")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
