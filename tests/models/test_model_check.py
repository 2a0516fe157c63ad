"""``read_checked_model``: a model file checked as its load checks it, without loading it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sarslide.errors import CheckpointError
from sarslide.models.engines import read_model_file_bundle
from sarslide.models.model_check import read_checked_model
from tests.inference.conftest import write_fake_checkpoint, write_fake_export


def test_a_card_edited_by_hand_to_show_other_channels_is_refused(tmp_path: Path) -> None:
    """The readable part of a card said one thing and its checkpoint record, which
    runs, another: the card described a DEM model that ran on VV+VH only."""
    ckpt = write_fake_checkpoint(tmp_path / "m.ckpt")

    def show_dem(card: dict[str, Any]) -> None:
        card["channels"] = [*card["channels"], "dem"]

    def show_k3(card: dict[str, Any]) -> None:
        card["composite"]["timesteps_k"] = 3

    for name, edit, key in [("dem", show_dem, "channels"), ("k3", show_k3, "timesteps_k")]:
        edited = write_fake_export(ckpt, tmp_path / f"{name}.onnx", edit)
        with pytest.raises(CheckpointError, match=rf"contradicts itself: .*{key} is .* edited"):
            read_model_file_bundle(edited)
    plain = write_fake_export(ckpt, tmp_path / "plain.onnx")
    bundle = read_checked_model(plain, precision="fp32")
    assert bundle.channel_names == read_checked_model(ckpt, precision="auto").channel_names


def test_the_graph_that_will_run_is_the_one_checked(tmp_path: Path) -> None:
    """``--precision auto`` with a card claiming 3 channels on the 4-channel graph."""
    ckpt = write_fake_checkpoint(tmp_path / "m.ckpt")

    def three(card: dict[str, Any]) -> None:
        names = card["channels"][:3]
        meta = card["checkpoint"]["metadata"]
        meta["channel_names"] = card["channels"] = names
        for part in (meta["normalisation"], card["normalisation"]):
            part.update(channel_names=names, mean=part["mean"][:3], std=part["std"][:3])
        meta["data_config"]["channels"] = names

    with pytest.raises(CheckpointError, match="takes 4 input channels but its model card lists 3"):
        read_checked_model(write_fake_export(ckpt, tmp_path / "m.onnx", three), precision="auto")


def test_a_file_that_is_no_checkpoint_says_what_it_is_in_one_short_line(tmp_path: Path) -> None:
    """The card JSON given as the model quoted torch's advice to load it with
    weights_only=False (that runs a file's code); a truncated checkpoint quoted torch's
    whole miniz paragraph; 'export model.onnx' said the ONNX file 'cannot be read'."""
    from sarslide.models.checkpoints import read_checkpoint
    from sarslide.models.export import export_model

    ckpt = write_fake_checkpoint(tmp_path / "m.ckpt")
    card = tmp_path / "model.json"
    card.write_text('{"card_format": "sarslide-model-card/1"}\n')
    truncated = tmp_path / "cut.ckpt"
    truncated.write_bytes(ckpt.read_bytes()[: ckpt.stat().st_size // 2])
    for path, expected in [(card, "it is JSON text"), (truncated, "failed reading zip archive")]:
        with pytest.raises(CheckpointError, match=expected) as caught:
            read_checkpoint(path)
        message = str(caught.value)
        assert "weights_only" not in message and "\n" not in message and len(message) < 400
    onnx = write_fake_export(ckpt, tmp_path / "model.onnx")
    with pytest.raises(CheckpointError, match="is already an exported model; export takes"):
        export_model(onnx, tmp_path / "again.onnx")
    assert not (tmp_path / "again.onnx").exists()


def test_an_unknown_precision_never_runs_as_fp32(tmp_path: Path) -> None:
    """``evaluate --precision half`` ran the model in fp32 on ONNX Runtime: the engine
    read an unknown precision as auto."""
    from sarslide.errors import ConfigError
    from sarslide.models.engines import load_inference_model

    ckpt = write_fake_checkpoint(tmp_path / "m.ckpt")
    for model in (ckpt, write_fake_export(ckpt, tmp_path / "m.onnx")):
        with pytest.raises(ConfigError, match="Invalid precision 'half'"):
            load_inference_model(model, precision="half")


def test_an_empty_model_file_is_called_empty(tmp_path: Path) -> None:
    """An empty .onnx said it 'has no sarslide model card' (protobuf reads no bytes as
    an empty model); an empty .ckpt quoted torch's advice about mmap and zip files."""
    for name in ("model.onnx", "best.ckpt"):
        (tmp_path / name).write_bytes(b"")
        with pytest.raises(CheckpointError, match=r"empty \(0 bytes\)"):
            read_model_file_bundle(tmp_path / name)


def test_a_checkpoint_this_user_may_not_read_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading the file's head to say what it is raised PermissionError past the
    CheckpointError (the reviewer's case: mode 000 as a user other than root)."""
    from sarslide.models import checkpoints

    ckpt = write_fake_checkpoint(tmp_path / "best.ckpt")

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(ckpt))

    monkeypatch.setattr(checkpoints.torch, "load", refused)
    monkeypatch.setattr(Path, "open", refused)
    with pytest.raises(CheckpointError, match="permission denied"):
        checkpoints.read_checkpoint(ckpt)
