"""What a rerun of ``respond`` may reuse: the model's settings, the state file, the cube."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from pyproj import CRS

from sarslide import conventions as cv
from sarslide.chips import select_event_timesteps
from sarslide.chips.channels import offered_channels, resolve_channels
from sarslide.crs_text import format_crs
from sarslide.datacube.resolution import METADATA_KEY as RESOLUTION_KEY
from sarslide.datacube.resolution import GridResolution, resolution_mismatch
from sarslide.errors import ConfigError, DataSelectionError
from sarslide.response.acquisitions import AcquisitionPlan
from sarslide.response.config import RespondConfig
from sarslide.sources.aoi import make_geobox, parse_aoi
from sarslide.sources.build_inputs import local_bands

logger = logging.getLogger(__name__)

STATE_FILE = "respond.json"


@dataclass(frozen=True)
class ModelSettings:
    """What respond needs from a checkpoint before any data is fetched."""

    path: Path
    sha256: str
    model_name: str
    timesteps_k: int
    orbit: str | None
    channels: list[str]
    threshold: float
    resolution: dict[str, Any] | None = None  # the training pixel size, when recorded
    channel_spec: str | list[str] | None = None  # the data config's channels (set or list)

    @property
    def needs_dem(self) -> bool:
        """True when a channel is the DEM or a terrain layer."""
        return any(c in cv.DEM_VARS or c.startswith(cv.VAR_DEM) for c in self.channels)

    def describe(self) -> str:
        return (
            f"model {self.model_name} ({self.path.name}): k={self.timesteps_k} acquisitions "
            f"per side, orbit {self.orbit or 'any'}, channels {', '.join(self.channels)}, "
            f"threshold {self.threshold:.3f}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "sha256": self.sha256,
            "model_name": self.model_name,
            "timesteps_k": self.timesteps_k,
            "orbit": self.orbit,
            "channels": self.channels,
            "threshold": self.threshold,
            "training_resolution": self.resolution,
        }


def read_model_settings(
    path: str | os.PathLike[str], *, precision: str | None = "auto"
) -> ModelSettings:
    """k, orbit, channels and threshold of a checkpoint or exported model, checked as the
    map step's load will check it (its weights are not built; ``precision``: the graph of
    an exported model that will run, see ``models.model_check.read_checked_model``).

    Raises:
        CheckpointError: missing, corrupt or foreign model file, or one that cannot run.
        ConfigError: fp32 asked of an int8 graph.
    """
    # torch (the model readers) loads when a model is read: 'import sarslide.response'
    # stays light (tests/response/test_one_search.py)
    from sarslide.models.model_check import read_checked_model

    source = Path(path).expanduser()
    bundle = read_checked_model(source, precision=precision)
    data_config, _ = bundle.chip_inputs()
    return ModelSettings(
        path=source,
        sha256=hash_file(source),
        model_name=bundle.model_name,
        timesteps_k=data_config.timesteps_k,
        orbit=data_config.orbit,
        channels=list(bundle.channel_names),
        threshold=bundle.threshold,
        resolution=bundle.extra.get(RESOLUTION_KEY),
        channel_spec=data_config.channels,
    )


def check_model_channels(
    model: ModelSettings, cfg: RespondConfig, *, items: list[Any] | None = None
) -> None:
    """Refuse a model whose channels respond's cube cannot give, before it is built.

    The cube will hold the backscatter bands over time (``vv``, ``vh`` from a STAC
    search; from local products, the polarisations all the found ``items`` hold, any
    before they are found) and the DEM and its terrain layers (``conventions.DEM_VARS``)
    when the model needs them or ``--dem`` gives them. The model's channels are resolved
    against that as the map step resolves them against the built cube.

    Raises:
        ConfigError: a channel the cube will not hold, or channels in another order.
    """
    if cfg.rtc is None:
        bands: tuple[str, ...] = (cv.VAR_VV, cv.VAR_VH)
    else:
        bands = local_bands(items) if items else (cv.VAR_VV, cv.VAR_VH, "hh", "hv")
    holds = "can hold" if cfg.rtc is not None and not items else "holds"
    with_dem = model.needs_dem or bool(cfg.dem)
    source = cfg.source_label
    if model.channel_spec is None:
        return
    one = np.zeros((1, 1), dtype=np.float32)
    layout: dict[str, tuple[tuple[str, ...], np.ndarray]] = {
        band: ((cv.DIM_TIMESTEP, *cv.SPATIAL_DIMS), one[None]) for band in bands
    }
    layout.update({name: (cv.SPATIAL_DIMS, one) for name in (cv.DEM_VARS if with_dem else ())})
    planned = xr.Dataset(layout)
    offered = offered_channels(planned)
    missing = [c for c in model.channels if c not in offered]
    try:
        built = resolve_channels(model.channel_spec, planned)
    except DataSelectionError:
        built = None
    if not missing and built == model.channels:
        return
    why = (
        f"the cube it builds from {source} {holds} {', '.join(offered)}, not {', '.join(missing)}"
        if missing
        else f"its data config's channels {model.channel_spec!r} give {built}, not its "
        f"{len(model.channels)} input channels {model.channels}"
    )
    raise ConfigError(
        f"The model {model.path.name} cannot map this request: {why}. Nothing was written. "
        "Use a model trained on channels respond builds (vv+vh, or sar+dem), or "
        "build a cube with those variables yourself and run 'sarslide predict' on it."
    )


def baseline_settings() -> ModelSettings:
    """The settings of ``--model none``: the log-ratio change map, k = 2, VV and VH."""
    # the map writer (and its imports) loads when a map is made
    from sarslide.inference.baseline_map import BASELINE_NAME
    from sarslide.inference.config import DEFAULT_TIMESTEPS_K

    return ModelSettings(
        path=Path("log-ratio"),
        sha256="log-ratio baseline",
        model_name=BASELINE_NAME,
        timesteps_k=DEFAULT_TIMESTEPS_K,
        orbit=None,
        channels=["vv_before", "vv_after", "vh_before", "vh_after"],
        threshold=0.5,
    )


def resolve_grid_resolution(
    cfg: RespondConfig, model: ModelSettings
) -> tuple[RespondConfig, str | None]:
    """The request on the model's training pixel size when ``resolution_m`` was not given.

    Returns:
        The config to use and a line saying what was chosen (None: nothing changed).

    Raises:
        DataSelectionError: ``resolution_m`` was given, differs from the model's by more
            than 10 % and ``allow_resolution_mismatch`` is not set.
    """
    trained = GridResolution.from_dict(model.resolution) if model.resolution else None
    if trained is None or trained.unit != "m":
        return cfg, None
    if "resolution_m" not in cfg.model_fields_set:
        chosen = cfg.model_copy(update={"resolution_m": trained.pixel_size})
        return chosen, f"grid: {trained.pixel_size:g} m, the model's training pixel size"
    asked = GridResolution(cfg.resolution_m, "m", "projected")
    problem = resolution_mismatch(trained, asked)
    if problem is None:
        return cfg, None
    if cfg.allow_resolution_mismatch:
        logger.warning("resolution mismatch: %s; mapping anyway", problem)
        return cfg, f"grid: {cfg.resolution_m:g} m as asked ({problem})"
    raise DataSelectionError(
        f"Resolution mismatch: --resolution-m {cfg.resolution_m:g} but {problem}. Leave "
        f"--resolution-m out (the model's {trained.pixel_size:g} m is the default), or pass "
        "--allow-resolution-mismatch to map anyway."
    )


def check_dem_request(model: ModelSettings, dem: list[str] | None) -> None:
    """Refuse ``--dem none`` for a model whose channels need the DEM.

    Raises:
        ConfigError: the model needs DEM channels and the request has none.
    """
    if model.needs_dem and dem == []:
        needed = [c for c in model.channels if c in cv.DEM_VARS or c.startswith(cv.VAR_DEM)]
        raise ConfigError(
            f"The model {model.path.name} needs DEM channels ({', '.join(needed)}) and the "
            "request has --dem none; give --dem FILE (or leave --dem out to fetch it from "
            "--dem-collection)."
        )


def resolve_orbit(requested: str | None, model_orbit: str | None) -> str | None:
    """The orbit direction to search: the model's if it set one, else the one asked for.

    Raises:
        ConfigError: both are set and differ (the model's composites need its orbit).
    """
    if model_orbit in ("any", "auto"):  # trained on mixed geometries: no direction
        model_orbit = None
    if requested and model_orbit and requested != model_orbit:
        raise ConfigError(
            f"--orbit-state {requested} conflicts with the model, trained on {model_orbit} "
            f"acquisitions only; drop --orbit-state or pass {model_orbit}."
        )
    return model_orbit or requested


def hash_file(path: Path, *, block_bytes: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(block_bytes):
            digest.update(block)
    return digest.hexdigest()


def read_state(directory: Path) -> dict[str, Any]:
    """The state file of an earlier run in ``directory`` ({} if none).

    Raises:
        ConfigError: the folder exists, is not empty and holds no readable state file
            (it was not made by respond: nothing in it is touched).
    """
    path = directory / STATE_FILE
    if not directory.exists():
        return {}
    if not directory.is_dir():
        raise ConfigError(f"Output {str(directory)!r} exists and is not a folder; choose another.")
    if not path.exists():
        if any(not p.name.startswith(".") for p in directory.iterdir()):
            raise ConfigError(
                f"Output folder {str(directory)!r} is not empty and was not made by "
                f"'sarslide respond' (no {STATE_FILE}); choose another folder."
            )
        return {}
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise ConfigError(
            f"Cannot read {str(path)!r} ({err}); choose another output folder."
        ) from err
    return state if isinstance(state, dict) else {}


def compare_requests(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """``name: was X, now Y`` for each value that differs."""
    return [
        f"{key}: was {before.get(key)!r}, now {now.get(key)!r}"
        for key in sorted(set(before) | set(now))
        if before.get(key) != now.get(key)
    ]


def check_cube_matches(ds: xr.Dataset, plan: AcquisitionPlan, cfg: RespondConfig) -> list[str]:
    """Why an existing cube does not fit this request ([] if it does).

    It fits when it is on the request's grid, carries the event window and gives the
    plan's passes on each side (the acquisitions the prediction will use).
    """
    problems = []
    aoi = parse_aoi(cfg.aoi, crs=cfg.crs)
    geobox = make_geobox(aoi, resolution_m=cfg.resolution_m)
    crs = ds.rio.crs
    wanted = aoi.crs
    if crs is None or CRS.from_user_input(crs.to_wkt()) != wanted:
        problems.append(f"CRS {format_crs(crs)} is not the request's {format_crs(wanted)}")
    elif tuple(ds.rio.shape) != tuple(geobox.shape) or not np.allclose(
        tuple(ds.rio.transform())[:6], tuple(geobox.transform)[:6]
    ):
        problems.append(
            f"grid {tuple(ds.rio.shape)} px at {ds.rio.transform()[:6]} is not the request's "
            f"{tuple(geobox.shape)} px at {tuple(geobox.transform)[:6]}"
        )
    for key, value in zip(  # noqa: B905 - two of each
        (cv.ATTR_EVENT_START, cv.ATTR_EVENT_END), plan_window(plan)
    ):
        if str(ds.attrs.get(key)) != value:
            problems.append(f"{key} {ds.attrs.get(key)!r} is not {value!r}")
    times = ds[cv.DIM_TIMESTEP].values
    states = ds[cv.COORD_ORBIT_STATE].values if cv.COORD_ORBIT_STATE in ds.coords else None
    orbit = plan.orbit_state
    try:
        before, after = select_event_timesteps(
            times, plan.event_start, plan.event_end, plan.k, orbit_states=states, orbit=orbit
        )
    except DataSelectionError as err:
        return [*problems, str(err)]
    chosen = [np.datetime64(t, "ns") for t in times[np.concatenate([before, after])]]
    planned = [np.datetime64(p.time.to_datetime64(), "ns") for p in plan.before + plan.after]
    if chosen != planned:
        problems.append(
            f"its acquisitions {[str(t)[:19] for t in chosen]} are not the planned "
            f"{[str(t)[:19] for t in planned]}"
        )
    return problems


def plan_window(plan: AcquisitionPlan) -> tuple[str, str]:
    return plan.event_start.isoformat(), plan.event_end.isoformat()
