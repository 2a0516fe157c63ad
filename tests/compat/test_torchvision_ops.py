"""ensure_torchvision_importable: torchvision imports and runs its Python models."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from sarslide.compat import torchvision_ops

SUBPROCESS_SCRIPT = textwrap.dedent(
    """
    import torch
    torch.set_num_threads(1)
    from sarslide.compat import ensure_torchvision_importable
    first = ensure_torchvision_importable()
    second = ensure_torchvision_importable()
    import torchvision
    model = torchvision.models.segmentation.fcn_resnet50(
        weights=None, weights_backbone=None, num_classes=1
    ).eval()
    with torch.no_grad():
        out = model(torch.zeros(1, 3, 32, 32))["out"]
    assert tuple(out.shape) == (1, 1, 32, 32), out.shape
    print("OK", first, second)
    """
)


def test_import_torchvision_and_run_fcn_after_ensure() -> None:
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", SUBPROCESS_SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    status, first, second = result.stdout.split()
    assert status == "OK"
    # Second call reports the same state as the first and does not fail.
    assert first == second


def test_does_nothing_when_ops_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torchvision_ops, "_STUB_LIBRARY", None)
    monkeypatch.setattr(torchvision_ops, "has_torchvision_op", lambda name: True)

    def fail_if_called(*args: object, **kwargs: object) -> None:
        raise AssertionError("must not touch torch.library when the ops exist")

    monkeypatch.setattr("torch.library.Library", fail_if_called)
    assert torchvision_ops.ensure_torchvision_importable() is False
    assert torchvision_ops._STUB_LIBRARY is None


def test_ensure_is_idempotent_in_process() -> None:
    first = torchvision_ops.ensure_torchvision_importable()
    second = torchvision_ops.ensure_torchvision_importable()
    assert first == second
    assert all(
        torchvision_ops.has_torchvision_op(name)
        for name in torchvision_ops.TORCHVISION_IMPORT_OP_SCHEMAS
    )
