"""Which engine runs a trained model: torch or ONNX Runtime, from a checkpoint or an ONNX file.

:func:`load_inference_model` takes a checkpoint (``sarslide train``) or an exported
model (``sarslide export``, ``*.onnx`` with its model card) and an ``engine``:

- ``torch``: the checkpoint's network in torch (channels-last, ``inference_mode``,
  autocast for bf16/fp16); needs a checkpoint.
- ``onnx``: ONNX Runtime (fp32, all graph optimisations); an exported file is opened
  as it is, a checkpoint is exported in memory first (measured: 1-3 s for unet-small,
  ~8 s for unet-resnet50 on 2 cores).
- ``auto``: the faster engine measured on this kind of device (docs/predict.md,
  "Engines"): ONNX Runtime on the CPU in fp32 (1.3-1.6x faster there), torch on GPUs
  and for bf16/fp16 (torch bf16 is faster still on CPUs with bf16 units); an ONNX file
  always runs on ONNX Runtime.

A checkpoint under ``--precision auto`` on the CPU runs on torch in bf16 autocast where
the check ``sarslide train`` recorded in it passed (bf16 moved the validation AUPRC by
less than 0.005) and the CPU has AVX512_BF16 or AMX
(:mod:`sarslide.models.precision_check`); otherwise as above, in fp32.

Precision ``int8`` runs the int8 graph that ``sarslide export --check-precision``
writes beside the model (``model.int8.onnx``, :mod:`sarslide.models.quantize`).
``--precision auto`` on the CPU chooses it by itself only when the model card records
that int8 moved the held-out AUPRC by less than 0.005 (``precision_check``) and the
file is the one checked (same SHA-256); otherwise fp32.

Every engine gives the same :class:`InferenceModel`: the checkpoint's
:class:`ModelBundle`, a per-batch ``predict_batch`` callable (standardised (B, C, H, W)
in, (B, H, W) probability out) and what ran (engine, version, device, precision).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from sarslide.devices import PrecisionPlan, precision_name, resolve_precision
from sarslide.errors import CheckpointError, ConfigError
from sarslide.models.checkpoints import ModelBundle, load_model_from_checkpoint, read_model_bundle
from sarslide.models.engine_run import EngineRun
from sarslide.models.model_card import bundle_from_card, parse_model_card
from sarslide.models.onnx_engine import (
    CARD_METADATA_KEY,
    OnnxPredictor,
    check_onnx_signature,
    create_onnx_session,
    export_onnx_bytes,
    onnxruntime_version,
    open_onnx_file,
    read_onnx_metadata,
)
from sarslide.models.precision_check import (
    PRECISION_CHECK_KEY,
    choose_checkpoint_precision,
    is_auto_on_cpu,
)
from sarslide.models.predict import auto_batch_size, make_torch_predictor, prepare_model
from sarslide.models.registry import get_model_spec

logger = logging.getLogger(__name__)

ENGINE_CHOICES = ("auto", "torch", "onnx")
ONNX_SUFFIX = ".onnx"
INT8_SUFFIX = ".int8.onnx"


@dataclass(kw_only=True)
class InferenceModel(EngineRun):
    """A loaded landslide model ready to map scenes (an ``EngineRun`` with its card).

    Attributes:
        bundle: channels, normalisation, composite settings, threshold (checkpoint or card).
        size_multiple_px: input height and width must be multiples of this.
        torch_model: the prepared torch module (engine torch), else None.
    """

    bundle: ModelBundle
    size_multiple_px: int
    torch_model: torch.nn.Module | None = None

    def choose_batch_size(self, tile_shape: tuple[int, int, int], *, default: int = 2) -> int:
        """Tiles per call: from free GPU memory for torch on CUDA, else ``default``."""
        if self.torch_model is None:
            return default
        return auto_batch_size(
            self.torch_model, tile_shape, self.device, self.precision, default=default
        )


def is_onnx_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names an exported model (``*.onnx``) rather than a checkpoint."""
    return Path(path).suffix.lower() == ONNX_SUFFIX


def read_model_file_bundle(path: str | os.PathLike[str]) -> ModelBundle:
    """The :class:`ModelBundle` of a checkpoint or of an exported model's card.

    Raises:
        CheckpointError: missing, corrupt or foreign file.
    """
    if is_onnx_file(path):
        return bundle_from_card(read_onnx_card(path), source=str(path))
    return read_model_bundle(path)


def read_onnx_card(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The model card embedded in an exported ONNX file.

    Raises:
        CheckpointError: missing or unreadable file, or no sarslide card in it.
    """
    onnx_path = Path(path).expanduser()
    if not onnx_path.is_file():
        what = "is a folder, not a file" if onnx_path.is_dir() else "does not exist"
        raise CheckpointError(
            f"Model file {str(onnx_path)!r} {what}; give a checkpoint (best.ckpt) or "
            "a model exported with 'sarslide export'."
        )
    if onnx_path.stat().st_size == 0:  # protobuf reads no bytes as an empty model
        raise CheckpointError(
            f"Model file {str(onnx_path)!r} is empty (0 bytes): an interrupted copy or "
            "download? Copy it again, or export it again with 'sarslide export'."
        )
    try:
        meta = read_onnx_metadata(onnx_path)
    except Exception as exc:  # onnx raises DecodeError and others for foreign files
        raise CheckpointError(
            f"Model file {str(onnx_path)!r} cannot be read as ONNX ({type(exc).__name__}: "
            f"{exc}); export it again with 'sarslide export'."
        ) from exc
    if CARD_METADATA_KEY not in meta:
        raise CheckpointError(
            f"ONNX file {str(onnx_path)!r} has no sarslide model card; export it with "
            "'sarslide export CHECKPOINT -o model.onnx'."
        )
    return parse_model_card(meta[CARD_METADATA_KEY], source=str(onnx_path))


def resolve_engine(
    setting: str | None, device: torch.device, *, onnx_file: bool, precision: str | None = "auto"
) -> str:
    """``torch`` or ``onnx`` for the ``engine`` setting (see the module docstring).

    Raises:
        ConfigError: an unknown engine, torch for an ONNX file, a reduced precision
            (bf16, fp16) on ONNX Runtime, or int8 on torch or from a checkpoint.
    """
    name = str(setting or "auto").strip().lower()
    if name not in ENGINE_CHOICES:
        raise ConfigError(f"Invalid engine {setting!r}; use one of {', '.join(ENGINE_CHOICES)}.")
    asked = precision_name(precision)
    reduced = asked in ("bf16", "fp16")
    if onnx_file:
        if name == "torch":
            raise ConfigError(
                "engine 'torch' needs a checkpoint; an exported .onnx model runs on ONNX "
                "Runtime (--engine onnx or auto), or give its best.ckpt."
            )
        name = "onnx"
    if asked == "int8":
        if name == "torch" or not onnx_file:
            raise ConfigError(
                "precision 'int8' runs the int8 graph of an exported model on ONNX Runtime; "
                "run 'sarslide export CHECKPOINT -o model.onnx --check-precision' and give "
                "model.onnx (or use --precision fp32/bf16 with the checkpoint)."
            )
        return "onnx"
    if name == "auto":
        ort_here = onnxruntime_version() is not None
        name = "onnx" if device.type == "cpu" and ort_here and not reduced else "torch"
    if name == "onnx" and reduced:
        raise ConfigError(
            f"engine 'onnx' runs fp32 only (or an exported model's int8 graph); got precision "
            f"{precision!r}. Use --precision fp32 (or auto, or int8 with an exported model), "
            "or --engine torch with a checkpoint for bf16/fp16."
        )
    return name


def load_inference_model(
    path: str | os.PathLike[str],
    *,
    engine: str | None = "auto",
    device: torch.device | str = "cpu",
    precision: str | None = "auto",
    channels_last: bool = True,
) -> InferenceModel:
    """A checkpoint or exported model, loaded on ``engine`` (see the module docstring).

    Raises:
        CheckpointError: missing, corrupt or foreign model file.
        ConfigError: see :func:`resolve_engine`.
        DeviceError: engine onnx on a GPU without ONNX Runtime's CUDA provider.
    """
    torch_device = torch.device(device)
    onnx_file = is_onnx_file(path)
    why = ""
    if not onnx_file and is_auto_on_cpu(precision, torch_device):
        check_engine_setting(engine)  # a bad name is refused before the file is read
        record = read_model_bundle(path).extra.get(PRECISION_CHECK_KEY)
        precision, why = choose_checkpoint_precision(record, precision, torch_device, engine)
        logger.info("precision auto: %s", why)
    name = resolve_engine(engine, torch_device, onnx_file=onnx_file, precision=precision)
    start = time.perf_counter()
    if name == "onnx":
        loaded = _load_onnx(path, torch_device, onnx_file=onnx_file, precision=precision)
    else:
        loaded = _load_torch(path, torch_device, precision, channels_last=channels_last)
    loaded.load_s = time.perf_counter() - start
    if why:
        loaded.notes["precision_chosen_by"] = why
    logger.info(
        "model %s on %s (%s, %s, %.1f s to load)",
        loaded.bundle.model_name,
        name,
        loaded.engine_version,
        loaded.device,
        loaded.load_s,
    )
    return loaded


def _load_torch(
    path: str | os.PathLike[str],
    device: torch.device,
    precision: str | None,
    *,
    channels_last: bool,
) -> InferenceModel:
    model, bundle = load_model_from_checkpoint(path)
    plan = resolve_precision(precision, device)
    model = prepare_model(model, device=device, channels_last=channels_last)
    predictor = make_torch_predictor(
        model,
        num_classes=bundle.num_classes,
        channels_last=channels_last,
        device=device,
        precision=plan,
    )
    return InferenceModel(
        bundle=bundle,
        engine="torch",
        engine_version=str(torch.__version__),
        device=device,
        precision=plan,
        predict_batch=predictor,
        size_multiple_px=_stride_px(model, bundle.model_name),
        torch_model=model,
        notes={"channels_last": channels_last},
    )


def _load_onnx(
    path: str | os.PathLike[str], device: torch.device, *, onnx_file: bool, precision: str | None
) -> InferenceModel:
    plan = PrecisionPlan("fp32")
    if onnx_file:
        card = read_onnx_card(path)
        bundle = bundle_from_card(card, source=str(path))
        stride = int(card["model"].get("size_multiple_px") or 1)
        graph_path, graph_precision, why = choose_onnx_graph(
            Path(path).expanduser(), card, precision, on_cpu=device.type == "cpu"
        )
        plan = PrecisionPlan(graph_precision)  # type: ignore[arg-type]
        session = open_onnx_file(graph_path, device=device)
        check_onnx_signature(session, len(bundle.channel_names), str(graph_path))
        notes: dict[str, Any] = {"exported_model": True, "graph": graph_path.name}
        if why:
            notes["precision_chosen_by"] = why
    else:
        model, bundle = load_model_from_checkpoint(path)
        stride = _stride_px(model, bundle.model_name)
        graph = export_onnx_bytes(
            model, in_channels=len(bundle.channel_names), tile_px=max(stride, 32) * 2
        )
        session = create_onnx_session(graph, device=device)
        notes = {"exported_model": False}
    return InferenceModel(
        bundle=bundle,
        engine="onnx",
        engine_version=str(onnxruntime_version()),
        device=device,
        precision=plan,
        predict_batch=OnnxPredictor(session),
        size_multiple_px=stride,
        notes=notes,
    )


def int8_graph_path(path: str | os.PathLike[str]) -> Path:
    """Where ``sarslide export --check-precision`` puts the int8 graph of ``path``."""
    target = Path(path)
    return target.with_name(target.name.removesuffix(target.suffix) + INT8_SUFFIX)


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def cpu_has_vnni() -> bool:
    """Whether this CPU has VNNI (AVX512_VNNI or AVX-VNNI) int8 dot products.

    Without them ONNX Runtime's uint8 x int8 convolutions use ``VPMADDUBSW``, whose
    16-bit sums can saturate (ONNX Runtime's quantisation notes): the check recorded at
    export would not carry over, so ``auto`` keeps fp32 there.
    """
    check = getattr(torch.cpu, "_is_vnni_supported", None)
    return bool(check()) if check is not None else False


def choose_onnx_graph(
    path: Path, card: dict[str, Any], precision: str | None, *, on_cpu: bool = True
) -> tuple[Path, str, str]:
    """The graph file to run for ``precision``, its precision, and why it was chosen.

    ``auto`` takes the int8 graph only when the card's ``precision_check`` passed for
    int8, the file beside ``path`` is the one checked, the model runs on the CPU
    (``on_cpu``) and the CPU has VNNI (:func:`cpu_has_vnni`); ``int8`` takes the
    checked file even where the check failed (with a warning).

    Raises:
        ConfigError: fp32 asked of an int8 graph.
        CheckpointError: int8 asked and no checked int8 graph beside the model (none,
            or another file than the one the card's check recorded).
    """
    asked = precision_name(precision)
    if card["model"].get("graph_precision") == "int8":
        if asked not in ("auto", "int8"):
            raise ConfigError(
                f"{str(path)!r} is an int8 graph; for {asked} give the fp32 model it was "
                "exported beside (model.onnx)."
            )
        return path, "int8", "the file is an int8 graph"
    record = ((card.get("precision_check") or {}).get("results") or {}).get("int8") or {}
    int8_path = path.with_name(str(record.get("file") or int8_graph_path(path).name))
    if asked == "int8":
        if not record or not int8_path.is_file() or file_sha256(int8_path) != record["sha256"]:
            raise CheckpointError(
                f"No checked int8 graph beside {str(path)!r} (looked for {int8_path.name}, "
                "recorded in the model card); export with 'sarslide export CHECKPOINT -o "
                "model.onnx --check-precision'."
            )
        if not record.get("passed"):
            logger.warning(
                "int8 asked for although its check on held-out chips failed (AUPRC change %s)",
                record.get("auprc_change"),
            )
        return int8_path, "int8", "--precision int8"
    if asked != "auto" or not record.get("passed") or not int8_path.is_file():
        return path, "fp32", ""
    if file_sha256(int8_path) != record.get("sha256"):
        logger.warning("%s is not the int8 graph that was checked; running fp32", int8_path)
        return path, "fp32", ""
    if not on_cpu:  # the check and VNNI speak of the CPU; a GPU runs the fp32 graph
        logger.info("int8 passed its check, but the model runs on a GPU: running fp32")
        return path, "fp32", ""
    if not cpu_has_vnni():
        logger.info("int8 passed its check, but this CPU has no VNNI: running fp32")
        return path, "fp32", ""
    why = (
        f"precision check: int8 moved the held-out AUPRC by {record['auprc_change']:+.4f} "
        f"(allowed < {card['precision_check']['tolerance_auprc']})"
    )
    return int8_path, "int8", why


def _stride_px(model: torch.nn.Module, model_name: str) -> int:
    return int(getattr(model, "input_stride_px", 0) or get_model_spec(model_name).stride_px)


def check_engine_setting(setting: str | None) -> None:
    """Refuse an unknown engine name before anything is loaded.

    Raises:
        ConfigError: not one of ``ENGINE_CHOICES``.
    """
    if str(setting or "auto").strip().lower() not in ENGINE_CHOICES:
        raise ConfigError(f"Invalid engine {setting!r}; use one of {', '.join(ENGINE_CHOICES)}.")
