"""The lines commands print, as the library words them (export's card and precision
check, train's files): the same text the CLI printed before it read them from there."""

from __future__ import annotations

from pathlib import Path

from sarslide.models.export import ExportOutputs
from sarslide.training.run import RunPaths


def test_export_lines_name_the_card_and_each_precision_verdict() -> None:
    check = {
        "fp32_auprc": 0.5,
        "tolerance_auprc": 0.005,
        "results": {
            "int8": {"auprc": 0.4985, "auprc_change": -0.0015, "passed": True},
            "bf16": {"auprc": 0.49, "auprc_change": -0.01, "passed": False},
        },
    }
    paths = [Path("m.onnx"), Path("d/m.card.json"), Path("d/m.card.md")]
    plain = ExportOutputs(*paths, max_abs_difference=1e-7)
    assert plain.describe() == ["  m.card.json, m.card.md: the model card"]
    checked = ExportOutputs(*paths, 1e-7, int8=Path("d/m.int8.onnx"), precision_check=check)
    assert checked.describe()[1:] == [
        "  int8: validation AUPRC 0.4985 (-0.0015 against fp32 0.5000; passed, allowed < 0.005)",
        "  bf16: validation AUPRC 0.4900 (-0.0100 against fp32 0.5000; failed, allowed < 0.005)",
        "  m.int8.onnx: the int8 graph (--precision auto runs it where int8 passed)",
    ]


def test_train_lists_its_files_in_order() -> None:
    paths = RunPaths(*(Path(n) for n in ("r", "b.ckpt", "l.ckpt", "m.csv", "c.png")))
    names = [name for name, _ in paths.listing()]
    assert names == [
        "best checkpoint",
        "last checkpoint",
        "metrics",
        "training curve",
        "resolved config",
        "split plan",
    ]
    assert [p for _, p in paths.listing()][:2] == [Path("b.ckpt"), Path("l.ckpt")]
