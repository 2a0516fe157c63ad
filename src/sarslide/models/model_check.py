"""A model file checked before any data is read: what it needs, and that it is whole.

``respond`` searches catalogues and builds a cube (minutes on real data) before its map
step loads the model; a model that cannot run there (an ONNX graph whose channels are
not its card's, an int8 graph asked for fp32, no checked int8 graph beside the model)
must be refused before that work. :func:`read_checked_model` reads only the checkpoint's
header (memory-mapped) or the exported file's card and graph signature: no torch model
is built and no ONNX Runtime session is opened. What it refuses is what
:func:`~sarslide.models.engines.load_inference_model` would refuse at load, in the same
words.
"""

from __future__ import annotations

import os
from pathlib import Path

from sarslide.devices import precision_name
from sarslide.models.checkpoints import ModelBundle, read_model_bundle
from sarslide.models.engines import choose_onnx_graph, is_onnx_file, read_onnx_card
from sarslide.models.model_card import bundle_from_card
from sarslide.models.onnx_engine import check_graph_signature, read_onnx_header


def read_checked_model(path: str | os.PathLike[str], *, precision: str | None) -> ModelBundle:
    """The :class:`ModelBundle` of a checkpoint or exported model, checked as its load
    will check it (cheaply: see the module docstring).

    For an exported model: the graph that ``precision`` will run (the file itself, or
    its checked int8 graph) takes ``input`` with the card's channel count and gives
    ``probability``.

    Raises:
        CheckpointError: missing, corrupt or foreign file; a graph that does not match
            its card; int8 asked and no checked int8 graph beside the model.
        ConfigError: fp32 asked of an int8 graph.
    """
    if not is_onnx_file(path):
        return read_model_bundle(path)
    source = Path(path).expanduser()
    card = read_onnx_card(source)
    bundle = bundle_from_card(card, source=str(source))
    asked = precision_name(precision)
    # auto never refuses (it falls back to fp32); choosing logs, so the load chooses
    graph = source if asked == "auto" else choose_onnx_graph(source, card, asked)[0]
    _, inputs, outputs = read_onnx_header(graph)
    check_graph_signature(inputs, outputs, len(bundle.channel_names), str(graph))
    return bundle
