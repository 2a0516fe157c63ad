"""``PredictionOutputs``: the paths of a prediction's output folder.

Apart from the predictor (``inference.outputs``) so that a caller that only names the
files (``respond`` reusing a finished map) imports no torch.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from sarslide.inference.config import CONFIG_FILENAME
from sarslide.inference.stac_item import ITEM_FILENAME


@dataclass(frozen=True)
class PredictionOutputs:
    """Paths of everything ``predict_to_directory`` writes (None: not written)."""

    directory: Path
    probability_tif: Path
    binary_tif: Path
    polygons_gpkg: Path
    polygons_geojson: Path
    config_json: Path
    config_yaml: Path
    report_html: Path
    quicklook_png: Path | None = None
    metrics_json: Path | None = None
    error_map_png: Path | None = None
    item_json: Path | None = None  # the STAC Item of the folder

    @classmethod
    def in_directory(
        cls, directory: Path, *, has_labels: bool, figures: bool = True
    ) -> PredictionOutputs:
        return cls(
            directory=directory,
            probability_tif=directory / "probability.tif",
            binary_tif=directory / "landslides.tif",
            polygons_gpkg=directory / "landslides.gpkg",
            polygons_geojson=directory / "landslides.geojson",
            config_json=directory / "run_config.json",
            config_yaml=directory / CONFIG_FILENAME,
            report_html=directory / "report.html",
            quicklook_png=directory / "quicklook.png" if figures else None,
            metrics_json=directory / "metrics.json" if has_labels else None,
            error_map_png=directory / "error_map.png" if has_labels and figures else None,
            item_json=directory / ITEM_FILENAME,
        )

    def listing(self) -> list[Path]:
        """The files a user opens, in the order ``sarslide predict`` lists them."""
        names = "probability_tif binary_tif polygons_gpkg polygons_geojson quicklook_png "
        names += "error_map_png metrics_json report_html config_yaml"
        return [path for name in names.split() if (path := getattr(self, name)) is not None]

    def moved_to(self, directory: Path) -> PredictionOutputs:
        """The same file names in another folder."""
        values: dict[str, Any] = {
            f.name: (directory / getattr(self, f.name).name if getattr(self, f.name) else None)
            for f in fields(self)
            if f.name != "directory"
        }
        return PredictionOutputs(directory=directory, **values)
