"""ONNX: a trained network exported with its probability head, run by ONNX Runtime.

:func:`export_onnx_bytes` traces ``model`` followed by the one logits -> probability
rule (:func:`~sarslide.models.predict.positive_probability`) into an ONNX graph with
dynamic batch, height and width: input ``input`` ``(B, C, H, W)`` float32 standardised
values, output ``probability`` ``(B, H, W)`` float32. :func:`create_onnx_session` opens
such a graph (bytes or a file) with ONNX Runtime; :class:`OnnxPredictor` is the tiled
scene predictor's per-batch callable over a session.

``onnx`` and ``onnxruntime`` come with the ``ml`` extra; they are imported where used
so that importing this module costs nothing.
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from typing import Any

import numpy as np
import torch

from sarslide.errors import CheckpointError, ConfigError, DeviceError
from sarslide.models.predict import positive_probability

logger = logging.getLogger(__name__)

INPUT_NAME = "input"
OUTPUT_NAME = "probability"
OPSET = 17
CARD_METADATA_KEY = "sarslide_model_card"
"""The model card (JSON) in the ONNX file's ``metadata_props``."""


class ProbabilityHead(torch.nn.Module):
    """``model`` followed by :func:`positive_probability`: (B, C, H, W) -> (B, H, W).

    Two-class logits go through ``sigmoid(l1 - l0)``, which equals ``softmax[:, 1]``
    within float32 rounding (6e-8 measured): without a softmax over the channels, ONNX
    Runtime's int8 graph of unet-small ran a 960 px tile in 0.377 s instead of 0.485 s
    (best of 4, quiet, 2 cores; the softmax and its transposes were ~15 % of the
    graph); fp32 is unchanged (0.944 / 0.948 s).
    """

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.model(x)
        if logits.shape[1] == 2:
            return torch.sigmoid(logits[:, 1] - logits[:, 0])
        return positive_probability(logits)


def export_onnx_bytes(
    model: torch.nn.Module, *, in_channels: int, tile_px: int = 64, opset: int = OPSET
) -> bytes:
    """``model`` with its probability head as an ONNX graph (dynamic batch, height, width).

    Traced with torch's TorchScript-based exporter (``dynamo=False``: it needs neither
    ``onnxscript`` nor a symbolic trace, and the U-Nets here are static graphs);
    ``tile_px`` (a multiple of the model's stride) only sizes the example input.
    """
    # the wrapper in eval mode too: the exporter restores the wrapper's mode afterwards,
    # recursively, and a new module is in training mode (batch norm on batch statistics)
    head = ProbabilityHead(model.eval().float().to("cpu")).eval()
    example = torch.zeros((1, in_channels, tile_px, tile_px))
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # the exporter's deprecation and tracer notes
        warnings.simplefilter("ignore")
        torch.onnx.export(
            head,
            (example,),
            buffer,  # type: ignore[arg-type]  # file objects work (torch docs)
            dynamo=False,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={
                INPUT_NAME: {0: "batch", 2: "height", 3: "width"},
                OUTPUT_NAME: {0: "batch", 1: "height", 2: "width"},
            },
            opset_version=opset,
            do_constant_folding=True,
        )
    return buffer.getvalue()


def onnxruntime_version() -> str | None:
    """The installed ONNX Runtime version, or None when it is not installed."""
    try:
        import onnxruntime  # [ml] extra, optional: imported on use
    except ImportError:
        return None
    return str(onnxruntime.__version__)


def _import_onnxruntime() -> Any:
    try:
        import onnxruntime  # [ml] extra, optional: imported on use
    except ImportError as exc:
        raise ConfigError(
            "engine 'onnx' needs ONNX Runtime, which is not installed; run "
            "'pip install onnxruntime' (it comes with the [ml] extra) or use --engine torch."
        ) from exc
    return onnxruntime


def onnx_providers(device: torch.device) -> list[str]:
    """ONNX Runtime execution providers for ``device`` (CPU; CUDA where installed).

    Raises:
        DeviceError: a GPU device and this ONNX Runtime has no CUDA provider.
    """
    if device.type == "cpu":
        return ["CPUExecutionProvider"]
    available = _import_onnxruntime().get_available_providers()
    if device.type == "cuda" and "CUDAExecutionProvider" in available:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    raise DeviceError(
        f"engine 'onnx' cannot run on {device}: this ONNX Runtime offers {available}; "
        "use --device cpu, --engine torch with a checkpoint, or install onnxruntime-gpu."
    )


def create_onnx_session(
    model: bytes | str | os.PathLike[str],
    *,
    device: torch.device | None = None,
    threads: int | None = None,
    spinning: bool = False,
) -> Any:
    """An ONNX Runtime ``InferenceSession`` of an exported graph (bytes or a file path).

    All graph optimisations are on (constant folding, Conv+BN/activation fusions; fp32
    throughout). ``threads``: intra-op threads (default: torch's thread count, i.e.
    the cores this process may use). ``spinning``: whether idle intra-op threads spin
    (ONNX Runtime's default) or sleep (ours): the scene predictor reads the next block
    in a thread while the model runs, and spinning threads took the cores from it
    (measured, unet-small int8 on 2 cores shared with other jobs: the map's CPU time
    -17 to -32 %, wall -11 to -33 % in 4 interleaved rounds; docs/predict.md).
    """
    ort = _import_onnxruntime()
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.inter_op_num_threads = 1
    if not spinning:  # idle intra-op threads sleep instead of spinning between operators
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    source = model if isinstance(model, bytes) else os.fspath(model)
    providers = onnx_providers(device or torch.device("cpu"))
    return ort.InferenceSession(source, sess_options=options, providers=providers)


def check_onnx_signature(session: Any, n_channels: int, source: str) -> None:
    """Refuse a session whose graph is not what its model card describes
    (:func:`check_graph_signature` of the session's inputs and outputs).

    Raises:
        CheckpointError: names, rank or channel count differ.
    """
    inputs = {node.name: list(node.shape) for node in session.get_inputs()}
    outputs = {node.name for node in session.get_outputs()}
    check_graph_signature(inputs, outputs, n_channels, source)


def check_graph_signature(
    inputs: dict[str, list[Any]], outputs: set[str], n_channels: int, source: str
) -> None:
    """Refuse a graph whose input or output is not what its model card describes.

    An exported file is run as ``input`` (B, ``n_channels``, H, W) -> ``probability``;
    a graph with another channel count (a card copied onto another model's graph) or
    other names would fail at its first tile with ONNX Runtime's own message.
    ``inputs``: name -> shape (ints, or names/None for dynamic axes), as a session or
    the file's proto (:func:`read_onnx_header`) gives them.

    Raises:
        CheckpointError: names, rank or channel count differ.
    """
    shape = inputs.get(INPUT_NAME)
    channels = shape[1] if shape is not None and len(shape) == 4 else None
    if OUTPUT_NAME not in outputs or channels is None:
        raise CheckpointError(
            f"ONNX file {source!r} is not a sarslide export: its graph takes "
            f"{sorted(inputs)} and gives {sorted(outputs)}, not {INPUT_NAME!r} "
            f"(batch, channels, height, width) -> {OUTPUT_NAME!r}; export the checkpoint "
            "again with 'sarslide export CHECKPOINT -o model.onnx'."
        )
    if isinstance(channels, int) and channels != n_channels:
        raise CheckpointError(
            f"ONNX file {source!r} is inconsistent: its graph takes {channels} input "
            f"channels but its model card lists {n_channels}; the card belongs to another "
            "model. Export the checkpoint again with 'sarslide export CHECKPOINT -o "
            "model.onnx'."
        )


def open_onnx_file(path: str | os.PathLike[str], *, device: torch.device | None = None) -> Any:
    """:func:`create_onnx_session` of an exported file; a graph ONNX Runtime cannot
    load (a model card on a broken or foreign graph) is one ``CheckpointError``.

    Raises:
        CheckpointError: ONNX Runtime refuses the graph.
        DeviceError, ConfigError: see :func:`create_onnx_session`.
    """
    try:
        return create_onnx_session(path, device=device)
    except (ConfigError, DeviceError):
        raise
    except Exception as exc:  # onnxruntime's Fail/InvalidGraph/InvalidProtobuf...
        raise CheckpointError(
            f"ONNX Runtime cannot load {os.fspath(path)!r} ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); export the checkpoint again "
            "with 'sarslide export CHECKPOINT -o model.onnx'."
        ) from exc


class OnnxPredictor:
    """A session as the tiled scene predictor's ``PredictBatchFn``: (B, C, H, W) -> (B, H, W)."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        batch = np.ascontiguousarray(inputs, dtype=np.float32)
        (probability,) = self.session.run([OUTPUT_NAME], {INPUT_NAME: batch})
        return np.asarray(probability, dtype=np.float32)

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError(
            "An ONNX Runtime session cannot be pickled; send the model file to the "
            "workers and load it there (sarslide.inference.worker_predict)."
        )


def read_onnx_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """The ``metadata_props`` of an ONNX file (the graph's weights are not kept)."""
    return read_onnx_header(path)[0]


def read_onnx_header(
    path: str | os.PathLike[str],
) -> tuple[dict[str, str], dict[str, list[Any]], set[str]]:
    """An ONNX file's ``metadata_props``, graph inputs (name -> shape: an int per fixed
    axis, the axis name for a dynamic one) and output names; no session is made."""
    import onnx  # [ml] extra, optional: imported on use

    proto = onnx.load(os.fspath(path), load_external_data=False)
    meta = {prop.key: prop.value for prop in proto.metadata_props}
    inputs = {
        node.name: [
            dim.dim_value if dim.HasField("dim_value") else (dim.dim_param or None)
            for dim in node.type.tensor_type.shape.dim
        ]
        for node in proto.graph.input
    }
    return meta, inputs, {node.name for node in proto.graph.output}


def write_onnx_with_metadata(
    graph: bytes, path: str | os.PathLike[str], meta: dict[str, str]
) -> None:
    """Write ``graph`` to ``path`` with ``meta`` added to its ``metadata_props``."""
    import onnx  # [ml] extra, optional: imported on use

    proto = onnx.load_from_string(graph)
    for key, value in meta.items():
        prop = proto.metadata_props.add()
        prop.key, prop.value = key, value
    proto.producer_name = "sarslide"
    onnx.save(proto, os.fspath(path))
