"""``respond_to_event``: an AOI, an event date and a model in; a landslide map folder out.

Steps, each reported as it finishes and recorded in ``<out>/respond.json``:

1. **model**: read k (acquisitions per side), orbit and channels from the checkpoint.
2. **acquisitions**: search the catalogue around the event, choose the k passes nearest
   it on each side, list the gaps; refuse (writing nothing) when the event is too recent
   and say when enough passes will exist.
3. **cube**: build ``<out>/cube.zarr`` for the AOI over exactly those passes.
4. **map**: predict and write ``<out>/map/`` (COGs, polygons, quicklook, report.html).
5. **report**: ``<out>/report.md``, what was found and made at each step.

A rerun with the same request resumes: the recorded plan is reused without searching
when the cube built for it exists and fits it, an existing cube is reused once checked
against the request, a finished map is kept.
Outputs made for another request are never replaced without ``overwrite``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from sarslide.atomic import write_json_atomic
from sarslide.conventions import to_utc_naive
from sarslide.datacube import open_cube
from sarslide.devices import resolve_device, resolve_precision
from sarslide.errors import ConfigError, DataSelectionError, OutputExistsError
from sarslide.inference.output_paths import PredictionOutputs
from sarslide.ownership import check_not_input, hold_lock
from sarslide.response.acquisitions import (
    AcquisitionPlan,
    plan_acquisitions,
)
from sarslide.response.checks import (
    STATE_FILE,
    ModelSettings,
    baseline_settings,
    check_cube_matches,
    check_dem_request,
    check_model_channels,
    compare_requests,
    read_model_settings,
    read_state,
    resolve_grid_resolution,
    resolve_orbit,
)
from sarslide.response.config import CUBE_REQUEST_FIELDS, MAP_REQUEST_FIELDS, RespondConfig
from sarslide.response.mapping import map_baseline, map_with_model
from sarslide.response.report import write_respond_collection, write_respond_report
from sarslide.response.result import RespondResult
from sarslide.response.search import find_local_passes, refuse_incomplete, search_passes
from sarslide.sources.aoi import parse_aoi
from sarslide.sources.build import build_cube
from sarslide.sources.local_products import select_items
from sarslide.sources.rtc import describe_left_out
from sarslide.sources.signing import UrlSigner

logger = logging.getLogger(__name__)

CUBE_NAME = "cube.zarr"
CONFIG_FILE = "respond.yaml"
MAP_DIR = "map"
RESPOND_COMMAND = "respond"
StepReporter = Callable[[str], None]


def respond_to_event(
    cfg: RespondConfig,
    *,
    overwrite: bool = False,
    progress: bool = True,
    signer: UrlSigner | None = None,
    now: datetime | str | None = None,
    on_step: StepReporter | None = None,
) -> RespondResult:
    """Find the acquisitions around an event, build the cube, predict, report; resumable.

    Args:
        cfg: the request (AOI, event, model, source and prediction options) and
            ``output_dir``, the folder of this event (created; a rerun resumes in it).
        overwrite: replace outputs in ``cfg.output_dir`` made for another request.
        progress: show progress bars.
        signer: overrides ``cfg.signer`` for asset reads (tests).
        now: the current time (default: the clock), to tell a recent event from a gap.
        on_step: called with one line per finding (default: the logger).

    Raises:
        EventTooRecentError: fewer than k passes after the event; says when enough exist.
        DataSelectionError: fewer than k passes before the event in the searched period.
        ConfigError / OutputExistsError: ``cfg.output_dir`` is not set, or holds outputs
            of another request.
        CheckpointError: the model checkpoint is unusable.
    """
    say = on_step or logger.info
    if cfg.output_dir is None:
        raise ConfigError("No folder for this event: set output_dir (-o/--output).")
    target = Path(cfg.output_dir).expanduser()
    named = [cfg.model, cfg.labels, *(cfg.rtc or []), *(cfg.dem or [])]
    check_not_input(target, [p for p in named if not any(c in str(p) for c in "*?[")])
    with hold_lock(target, RESPOND_COMMAND):  # a second respond into it refuses at once
        return _respond_in(target, cfg, overwrite, progress, signer, now, say)


def _respond_in(
    target: Path,
    cfg: RespondConfig,
    overwrite: bool,
    progress: bool,
    signer: UrlSigner | None,
    now: datetime | str | None,
    say: StepReporter,
) -> RespondResult:
    # torch loads when a response runs: 'import sarslide.response' stays light
    from sarslide.models.engines import is_onnx_file, resolve_engine

    if cfg.model is None:  # --model none: the log-ratio change map
        model = baseline_settings()
    else:
        device = resolve_device(cfg.device, log=False)  # a device not here fails before a search
        if not cfg.scheduler:  # with workers, their device decides the precision
            resolve_precision(cfg.precision, device, inference=True)
        onnx = is_onnx_file(cfg.model)
        resolve_engine(cfg.engine, device, onnx_file=onnx, precision=cfg.precision)
        model = read_model_settings(cfg.model, precision=cfg.precision)
    say(model.describe())
    check_dem_request(model, cfg.dem)
    check_model_channels(model, cfg)
    cfg, grid_note = resolve_grid_resolution(cfg, model)
    if grid_note:
        say(grid_note)
    orbit = resolve_orbit(cfg.orbit_state, model.orbit)
    state = read_state(target)
    request = {
        **cfg.request(CUBE_REQUEST_FIELDS),
        "timesteps_k": model.timesteps_k,
        "orbit_state": orbit,
    }
    earlier = state.get("request")
    if earlier is not None and earlier != request and not overwrite:
        raise OutputExistsError(
            f"{str(target)!r} holds a response to another request ("
            + "; ".join(compare_requests(earlier, request))
            + "): choose another output folder, or pass --overwrite to replace it."
        )
    steps: dict[str, str] = {}
    resumable = state if earlier == request else {}
    plan, items = _plan_step(cfg, model, orbit, resumable, target / CUBE_NAME, now, say, steps)
    if items and cfg.rtc is not None:  # the polarisations the local products hold
        check_model_channels(model, cfg, items=items)
    target.mkdir(parents=True, exist_ok=True)
    state = {**(state if earlier == request else {}), "request": request, "model": model.to_dict()}
    state["plan"] = plan.to_dict()
    state_path = write_json_atomic(target / STATE_FILE, state)
    cfg.write_yaml(target / CONFIG_FILE)  # the resolved request: --config reruns it
    cube = _cube_step(
        cfg, model, plan, orbit, items, target, state, overwrite, progress, signer, say, steps
    )
    outputs = _map_step(cfg, model, plan, target, state, overwrite, progress, say, steps)
    report = write_respond_report(target / "report.md", cfg, model, plan, state, outputs)
    write_respond_collection(target, cfg, plan, outputs)
    say(f"report: {report}")
    return RespondResult(target, plan, cube, outputs, report, state_path, steps)


def _plan_step(
    cfg: RespondConfig,
    model: ModelSettings,
    orbit: str | None,
    state: dict[str, Any],
    cube: Path,
    now: datetime | str | None,
    say: StepReporter,
    steps: dict[str, str],
) -> tuple[AcquisitionPlan, list[Any] | None]:
    """The plan, and the RTC items the search found (None: a recorded plan reused)."""
    recorded = state.get("plan")
    # the recorded plan is reused with the cube built for it; otherwise the catalogue is
    # searched again (it may have gained passes since)
    if recorded and recorded.get("complete") and cube.exists():
        plan = AcquisitionPlan.from_dict(recorded)
        if not check_cube_matches(open_cube(cube, task="mapping"), plan, cfg):
            say("acquisitions: reusing the plan recorded in " + STATE_FILE)
            _report_lines(plan, say)
            steps["acquisitions"] = "reused"
            return plan, None

    k = model.timesteps_k
    event_start, event_end = cfg.event_window
    span = pd.Timedelta(days=cfg.search_days or 24 * k + 12)
    clock = to_utc_naive(now if now is not None else datetime.now(timezone.utc))
    if event_start > clock:
        raise DataSelectionError(
            f"The event ({event_start:%Y-%m-%d %H:%M} UTC) is in the future (now "
            f"{clock:%Y-%m-%d %H:%M} UTC): no acquisition can follow it yet. Check "
            "--event-start (a typo in the year?)."
        )
    search_start, search_end = event_start - span, min(event_end + span, clock)
    aoi = parse_aoi(cfg.aoi, crs=cfg.crs)
    if cfg.rtc is not None:
        found = find_local_passes(
            cfg.rtc,
            aoi,
            start=search_start,
            end=search_end,
            orbit_state=orbit,
            relative_orbit=cfg.relative_orbit,
        )
    else:
        found = search_passes(
            cfg.stac_url,
            cfg.collection,
            aoi,
            start=search_start,
            end=search_end,
            orbit_state=orbit,
            relative_orbit=cfg.relative_orbit,
        )
    plan = plan_acquisitions(
        found.passes,
        event_start=event_start,
        event_end=event_end,
        k=k,
        search_start=search_start,
        search_end=search_end,
        now=clock,
        orbit_state=orbit,
        relative_orbit=cfg.relative_orbit,
    )
    _report_lines(plan, say)
    if found.skipped:
        say(f"left out: {len(found.skipped)} product(s): {describe_left_out(found.skipped)}")
    refuse_incomplete(plan, cfg, clock, found.beyond)
    steps["acquisitions"] = "done"
    return plan, found.items


def _cube_step(
    cfg: RespondConfig,
    model: ModelSettings,
    plan: AcquisitionPlan,
    orbit: str | None,
    items: list[Any] | None,
    target: Path,
    state: dict[str, Any],
    overwrite: bool,
    progress: bool,
    signer: UrlSigner | None,
    say: StepReporter,
    steps: dict[str, str],
) -> Path:
    path = target / CUBE_NAME
    if path.exists():
        ds = open_cube(path, task="mapping")
        problems = check_cube_matches(ds, plan, cfg)
        if not problems:
            say(
                f"cube: reusing {path} ({ds.sizes['timestep']} timesteps, checked against the plan)"
            )
            steps["cube"] = "reused"
            return path
        if not overwrite:
            raise OutputExistsError(
                f"{str(path)!r} exists but does not fit this request ({'; '.join(problems)}); "
                "choose another output folder, or pass --overwrite to rebuild it."
            )
    start, end = plan.cube_window
    build_cfg = cfg.to_build_config(
        start=start, end=end, orbit_state=orbit, with_dem=model.needs_dem
    )
    if build_cfg.dem == []:
        say("cube: no DEM layers (the model has no DEM channel and no --dem was given)")
    say(f"cube: building {path} from {cfg.source_label} ({start:%Y-%m-%d} .. {end:%Y-%m-%d})")
    if items is not None:  # the search's items in the cube's window: no second search
        items, _ = select_items(items, start=start, end=end)
    result = build_cube(
        build_cfg, path, overwrite=overwrite, progress=progress, signer=signer, rtc_items=items
    )
    problems = check_cube_matches(open_cube(path, task="mapping"), plan, cfg)
    if problems:  # the catalogue changed between the search and the build (seconds)
        raise DataSelectionError(
            f"The cube built in {str(path)!r} does not give the planned acquisitions "
            f"({'; '.join(problems)}): the catalogue changed during the run. Run the "
            "command again: it searches again and keeps the cube if it fits."
        )
    say(
        f"cube: {result.timesteps} timesteps, {result.pairs} InSAR pairs, "
        f"{len(result.skipped_items)} item(s) skipped (build log {result.log_path.name})"
    )
    state.setdefault("steps", {})["cube"] = {"built_at": _stamp(), "log": result.log_path.name}
    write_json_atomic(target / STATE_FILE, state)
    steps["cube"] = "done"
    return path


def _map_step(
    cfg: RespondConfig,
    model: ModelSettings,
    plan: AcquisitionPlan,
    target: Path,
    state: dict[str, Any],
    overwrite: bool,
    progress: bool,
    say: StepReporter,
    steps: dict[str, str],
) -> PredictionOutputs:
    path = target / MAP_DIR
    recorded = state.setdefault("steps", {})
    request = {
        **cfg.request(MAP_REQUEST_FIELDS),
        "model_sha256": model.sha256,
        "cube_built_at": recorded.get("cube", {}).get("built_at"),
    }
    earlier = recorded.get("map", {}).get("request")
    has_labels = cfg.labels is not None
    if path.exists() and earlier == request:
        say(f"map: reusing {path} (made by an earlier run of this request)")
        steps["map"] = "reused"
        return PredictionOutputs.in_directory(path, has_labels=has_labels, figures=cfg.figures)
    if path.exists() and not overwrite:
        why = "; ".join(compare_requests(earlier, request)) if earlier else "no record of it"
        raise OutputExistsError(
            f"{str(path)!r} exists but was made for another request ({why}); choose another "
            "output folder, or pass --overwrite to replace it."
        )
    recorded["map"] = {"request": request, "status": "started"}
    write_json_atomic(target / STATE_FILE, state)
    if cfg.model is None:
        say(f"map: the log-ratio change of {CUBE_NAME} (no model, k={model.timesteps_k})")
        outputs = map_baseline(cfg, plan, target / CUBE_NAME, target / MAP_DIR, overwrite, progress)
    else:
        say(f"map: predicting with {model.path.name} on {CUBE_NAME}")
        outputs = map_with_model(
            cfg, model, plan, target / CUBE_NAME, target / MAP_DIR, overwrite, progress
        )
    recorded["map"] = {"request": request, "status": "done", "finished_at": _stamp()}
    write_json_atomic(target / STATE_FILE, state)
    say(f"map: written to {path}")
    steps["map"] = "done"
    return outputs


def _report_lines(plan: AcquisitionPlan, say: StepReporter) -> None:
    for line in plan.describe():
        say("acquisitions: " + line)


def _stamp() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
