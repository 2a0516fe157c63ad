"""``export_model``: a checkpoint as ONNX with its model card (``sarslide export``).

Writes ``model.onnx`` (the network with its probability head: input ``input``
``(B, C, H, W)`` standardised float32, output ``probability`` ``(B, H, W)``, batch,
height and width dynamic; the card in its ``metadata_props``), and beside it the same
card as ``model.json`` (for programs) and ``model.md`` (for people). Before anything is
written, the graph is run by ONNX Runtime on a seeded input and compared with torch;
the largest probability difference is recorded in the card (``model.export_check``).
With ``check_precision``, the graph is also quantised to int8 (calibrated on training
chips) and written as ``model.int8.onnx``, and int8 and bf16 are scored against fp32 on
the validation chips (``precision_check`` in the card; ``sarslide.models.quantize``);
without it the card carries the bf16 check ``sarslide train`` recorded in the
checkpoint, where there is one. All files appear complete or not at all.
"""

from __future__ import annotations

import copy
import json
import logging
import os
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sarslide.atomic import replacing
from sarslide.chips import build_chip_splits
from sarslide.chips.normalisation import standardise_chips
from sarslide.errors import CheckpointError, ConfigError, OutputExistsError
from sarslide.failures import OutputCommit
from sarslide.models.checkpoints import (
    ModelBundle,
    load_model_from_checkpoint,
    read_checkpoint,
)
from sarslide.models.config import ExportConfig
from sarslide.models.engines import ONNX_SUFFIX, _stride_px, file_sha256, int8_graph_path
from sarslide.models.model_card import (
    CARD_FORMAT,
    build_model_card,
    read_evaluation_metrics,
    render_model_card,
)
from sarslide.models.onnx_engine import (
    CARD_METADATA_KEY,
    INPUT_NAME,
    OPSET,
    OUTPUT_NAME,
    OnnxPredictor,
    create_onnx_session,
    export_onnx_bytes,
    onnxruntime_version,
    read_onnx_metadata,
    write_onnx_with_metadata,
)
from sarslide.models.precision_check import PRECISION_CHECK_KEY
from sarslide.models.predict import make_torch_predictor, positive_probability
from sarslide.models.quantize import (
    CALIBRATION_PERCENTILE,
    CALIBRATION_SEED,
    check_reduced_precisions,
    quantize_int8,
    select_calibration_chips,
)
from sarslide.models.training_cube import resolve_training_cube
from sarslide.output_checks import reporting_disk_full
from sarslide.ownership import check_not_input, hold_lock

logger = logging.getLogger(__name__)

EXPORT_COMMAND = "export"
CARD_MARKDOWN_TITLE = "# Model card: "

CHECK_TILE_PX = 128
EXPORT_TOLERANCE = 1e-5
"""Largest probability difference between ONNX Runtime and torch an export accepts."""


@dataclass(frozen=True)
class ExportOutputs:
    """What ``export_model`` wrote."""

    onnx: Path
    card_json: Path
    card_markdown: Path
    max_abs_difference: float
    int8: Path | None = None
    precision_check: dict[str, Any] | None = None

    def describe(self) -> list[str]:
        """The lines ``sarslide export`` prints under its first: the model card, then
        each reduced precision's AUPRC change on the validation chips and its verdict
        (measured now, or at training end: the checkpoint's record, carried)."""
        lines = [f"  {self.card_json.name}, {self.card_markdown.name}: the model card"]
        check = self.precision_check or {}
        trained = " at training end" if check.get("checked_at") == "training end" else ""
        if "not_run" in check:
            return [*lines, f"  bf16: not checked{trained} ({check['not_run']})"]
        for name, result in (check.get("results") or {}).items():
            verdict = "passed" if result["passed"] else "failed"
            lines.append(
                f"  {name}: validation AUPRC {result['auprc']:.4f} "
                f"({result['auprc_change']:+.4f} against fp32 {check['fp32_auprc']:.4f}; "
                f"{verdict}, allowed < {check['tolerance_auprc']}){trained}"
            )
        if self.int8 is None:
            return lines
        where = "--precision auto runs it where int8 passed"
        return [*lines, f"  {self.int8.name}: the int8 graph ({where})"]


def export_model(
    checkpoint: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    evaluation_metrics: dict[str, Any] | None = None,
    overwrite: bool = False,
    check_precision: bool = False,
    final: bool = False,
) -> ExportOutputs:
    """Export ``checkpoint`` to ``output`` (``*.onnx``) with its model card beside it.

    Args:
        checkpoint: a landslide checkpoint written by ``sarslide train``.
        output: the ONNX file to write; the card goes to the same name with ``.json``
            and ``.md``.
        evaluation_metrics: ``sarslide evaluate``'s ``metrics.json`` to put in the card.
        overwrite: replace existing files.
        check_precision: also write the int8 graph (``model.int8.onnx``) and record in
            the card how int8 and bf16 change the validation chips' AUPRC; needs the
            training cube(s).
        final: the files are the caller's last outputs (``sarslide export``): once they
            are all in place, SIGINT/SIGTERM no longer stop it (``failures.OutputCommit``).
            Either way a signal during their renames waits until all are renamed.

    Raises:
        CheckpointError: bad checkpoint, or ONNX Runtime disagrees with torch by more
            than ``EXPORT_TOLERANCE``.
        OutputExistsError: an output exists (without ``overwrite``), is not an earlier
            export's, is a folder, or is the checkpoint.
        OutputBusyError: another process exports to ``output`` right now.
        OutputLocationError: the disk filled up while writing (nothing is kept).
        ConfigError: ``output`` does not end in ``.onnx``; ONNX Runtime missing.
    """
    if Path(checkpoint).suffix.lower() == ONNX_SUFFIX:
        raise CheckpointError(
            f"{str(checkpoint)!r} is already an exported model; export takes the checkpoint "
            "it came from (its card's exported_from: the run's checkpoints/best.ckpt)."
        )
    target = Path(output).expanduser()
    paths = _output_paths(target)
    int8_path = int8_graph_path(target) if check_precision else None
    check_not_input(target, [checkpoint])
    with hold_lock(target, EXPORT_COMMAND):
        for path in [*paths, *([int8_path] if int8_path else [])]:
            check_export_target(path, overwrite=overwrite)
        return _write_export(checkpoint, paths, int8_path, evaluation_metrics, final)


def export_configured(cfg: ExportConfig, *, overwrite: bool = False) -> ExportOutputs:
    """``sarslide export``'s job: :func:`export_model` with ``cfg``'s checkpoint, output,
    precision check and evaluation metrics (``cfg.metrics``, read here); its files are
    the job's final outputs (``final``)."""
    evaluation = read_evaluation_metrics(Path(cfg.metrics)) if cfg.metrics else None
    return export_model(
        cfg.checkpoint,
        cfg.output,
        evaluation_metrics=evaluation,
        overwrite=overwrite,
        check_precision=cfg.check_precision,
        final=True,
    )


def _write_export(
    checkpoint: str | os.PathLike[str],
    paths: tuple[Path, Path, Path],
    int8_path: Path | None,
    evaluation_metrics: dict[str, Any] | None,
    final: bool,
) -> ExportOutputs:
    hparams = read_checkpoint(checkpoint).get("hyper_parameters") or {}
    model, bundle = load_model_from_checkpoint(checkpoint)
    bundle.chip_inputs()  # refuses an ISSLIDE checkpoint in one line
    stride = _stride_px(model, bundle.model_name)
    n_channels = len(bundle.channel_names)
    graph = export_onnx_bytes(model, in_channels=n_channels, tile_px=max(stride, 32) * 2)
    height = max(stride, CHECK_TILE_PX // stride * stride)
    shape = (2, n_channels, height, height + max(stride, 32))  # another width than traced
    check = check_onnx_graph(model, graph, bundle.num_classes, shape)
    spec = {
        "input": f"{INPUT_NAME}: float32 (batch, {n_channels}, height, width), standardised",
        "output": f"{OUTPUT_NAME}: float32 (batch, height, width), landslide probability 0-1",
        "size_multiple_px": stride,
        "graph_precision": "fp32",
        "onnx_opset": OPSET,
        "export_check": {
            **check,
            "reference": "torch fp64 on a seeded (2, C, 128, 160) standard-normal input",
            "onnxruntime": onnxruntime_version(),
        },
    }
    card = build_model_card(
        hparams, source=str(checkpoint), model_spec=spec, evaluation=evaluation_metrics
    )
    with ExitStack() as stack:
        # leaves last: the renames of the files below are held together (OutputCommit)
        commit = stack.enter_context(OutputCommit(f"the export's files ({paths[0]})", final=final))
        stack.enter_context(reporting_disk_full(paths[0]))
        precision_check = None
        if int8_path is not None:
            int8_tmp = stack.enter_context(replacing(int8_path))
            precision_check = _write_int8(checkpoint, model, bundle, graph, card, int8_tmp)
            precision_check["results"]["int8"].update(
                file=int8_path.name, sha256=file_sha256(int8_tmp)
            )
            card[PRECISION_CHECK_KEY] = precision_check
        elif isinstance(bundle.extra.get(PRECISION_CHECK_KEY), dict):
            precision_check = bundle.extra[PRECISION_CHECK_KEY]  # training's bf16 check
            card[PRECISION_CHECK_KEY] = precision_check
        card_text = json.dumps(card, indent=2, default=str)
        tmp = [stack.enter_context(replacing(path)) for path in paths]
        write_onnx_with_metadata(graph, tmp[0], {CARD_METADATA_KEY: card_text})
        tmp[1].write_text(card_text + "\n")
        tmp[2].write_text(render_model_card(card))
        commit.hold()  # a signal from here on waits for every file to be in place
    difference = check["onnx_vs_torch_max_abs_difference"]
    logger.info("exported %s to %s (max |dp| vs torch %.2e)", checkpoint, paths[0], difference)
    return ExportOutputs(
        *paths, max_abs_difference=difference, int8=int8_path, precision_check=precision_check
    )


def _write_int8(
    checkpoint: str | os.PathLike[str],
    model: Any,
    bundle: ModelBundle,
    graph: bytes,
    card: dict[str, Any],
    path: Path,
) -> dict[str, Any]:
    """Quantise ``graph`` on training chips, score it (and bf16) on validation chips,
    write it to ``path`` with its card; the check's record."""
    data_config, normalisation = bundle.chip_inputs()
    if data_config.cube is not None and not data_config.events:
        cube = resolve_training_cube(checkpoint, data_config.cube, bundle.extra)
        data_config = data_config.model_copy(update={"cube": cube})
    splits = build_chip_splits(data_config)
    calibration = select_calibration_chips(splits, normalisation)
    graph_int8 = quantize_int8(graph, calibration)
    held_out = standardise_chips(splits.get("val"), normalisation)
    record = check_reduced_precisions(model, bundle.num_classes, graph, graph_int8, held_out)
    record = {
        "split": "val",
        "split_method": bundle.split_method,
        **record,
        "calibration": {
            "split": "train",
            "chips": int(calibration.shape[0]),
            "method": f"percentile {CALIBRATION_PERCENTILE}",
            "seed": CALIBRATION_SEED,
        },
    }
    int8_card = copy.deepcopy(card)
    int8_card["model"]["graph_precision"] = "int8"
    int8_card[PRECISION_CHECK_KEY] = record
    text = json.dumps(int8_card, indent=2, default=str)
    write_onnx_with_metadata(graph_int8, path, {CARD_METADATA_KEY: text})
    return record


def check_export_target(path: Path, *, overwrite: bool) -> None:
    """Refuse ``path`` (one of an export's files) when something is in its way.

    A folder is refused at once (it used to be found only after the export's work, once
    the card's other files were already in place); an existing file needs ``overwrite``
    and must be an earlier export's (an ONNX file with a sarslide card, the card's JSON or
    Markdown): ``--overwrite`` never replaces a user's ``model.md`` notes.

    Raises:
        OutputExistsError: see above.
    """
    if path.is_dir():
        raise OutputExistsError(
            f"{str(path)!r} is a folder, in the way of the export's file of that name; "
            "choose another -o (the card goes beside the .onnx as .json and .md)."
        )
    if not path.exists() and not path.is_symlink():
        return
    if not overwrite:
        raise OutputExistsError(
            f"{str(path)!r} exists; pass --overwrite to replace it or choose another -o."
        )
    if not _is_export_file(path):
        raise OutputExistsError(
            f"Refusing to overwrite {str(path)!r}: it is not a file 'sarslide export' wrote "
            "(no sarslide model card in it), and --overwrite only replaces an earlier export. "
            "Choose another -o, or move the file yourself if you no longer need it."
        )


def _is_export_file(path: Path) -> bool:
    """Whether ``path`` is an ONNX file, card JSON or card Markdown that an export wrote."""
    try:
        if path.suffix.lower() == ONNX_SUFFIX:
            return CARD_METADATA_KEY in read_onnx_metadata(path)
        if path.suffix.lower() == ".md":
            with path.open(encoding="utf-8") as file:
                return file.read(len(CARD_MARKDOWN_TITLE)) == CARD_MARKDOWN_TITLE
        card = json.loads(path.read_text(encoding="utf-8"))
        return isinstance(card, dict) and card.get("card_format") == CARD_FORMAT
    except Exception:  # unreadable, not UTF-8, not ONNX: not ours
        return False


def _output_paths(target: Path) -> tuple[Path, Path, Path]:
    if target.suffix.lower() != ONNX_SUFFIX:
        raise ConfigError(
            f"Invalid output {str(target)!r}: an exported model is a .onnx file; use "
            "-o model.onnx (the card goes beside it as model.json and model.md)."
        )
    return target, target.with_suffix(".json"), target.with_suffix(".md")


def check_onnx_graph(
    model: Any, graph: bytes, num_classes: int, shape: tuple[int, int, int, int]
) -> dict[str, float]:
    """ONNX Runtime and torch fp32 against torch fp64 on a seeded input of ``shape``.

    The graph is accepted when its largest probability error is within
    ``EXPORT_TOLERANCE`` or twice torch's own fp32 error, whichever is larger (a deep
    network's fp32 noise can pass 1e-5: unet-resnet50's differs by 1.2e-5 between
    torch's two memory layouts). ``export_model`` checks at another width than the
    traced one (dynamic axes at work).

    Raises:
        CheckpointError: the graph's error is above that.
    """
    import torch  # [ml] extra; the module is imported by the export command only

    inputs = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    expected = make_torch_predictor(model, num_classes=num_classes, channels_last=False)(inputs)
    with torch.inference_mode():
        exact = copy.deepcopy(model).double()(torch.from_numpy(inputs.astype(np.float64)))
        reference = positive_probability(exact).numpy()
    got = OnnxPredictor(create_onnx_session(graph))(inputs)
    torch_error = float(np.max(np.abs(expected - reference)))
    onnx_error = float(np.max(np.abs(got - reference)))
    allowed = max(EXPORT_TOLERANCE, 2 * torch_error)
    if not onnx_error <= allowed:
        raise CheckpointError(
            f"The ONNX graph's probabilities are off by {onnx_error:.3g} (allowed {allowed:.3g}, "
            "twice torch's own fp32 error); this model does not export faithfully, run its "
            "checkpoint with --engine torch."
        )
    return {
        "onnx_max_abs_error": onnx_error,
        "torch_fp32_max_abs_error": torch_error,
        "onnx_vs_torch_max_abs_difference": float(np.max(np.abs(got - expected))),
    }
