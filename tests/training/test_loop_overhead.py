"""What keeps the training loop lean: checkpoints in time, chips on the device, devices."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from sarslide.errors import DeviceError
from sarslide.models.checkpoints import read_checkpoint
from sarslide.training import load_train_config, train
from sarslide.training.datamodule import ChipBatchLoader, chips_fit_on_device


def test_checkpoints_are_written_at_the_end_not_every_epoch(
    tiny_cube: Any, tiny_config_values: dict[str, Any]
) -> None:
    cfg = load_train_config(tiny_config_values, ["trainer.max_epochs=3"])
    paths = train(cfg, progress=False, cube=tiny_cube)
    last = read_checkpoint(paths.last_checkpoint)
    assert last["epoch"] == 2 and last["global_step"] == paths.fit_steps
    best = read_checkpoint(paths.best_checkpoint)
    state = last["callbacks"][next(k for k in last["callbacks"] if "Checkpoint" in k)]
    assert best["epoch"] <= 2
    assert float(state["best_model_score"]) <= float(state["current_score"]) + 1e-12
    assert (paths.device, paths.precision) == ("cpu", "fp32")
    assert paths.fit_s > 0


def test_interval_zero_writes_every_epoch(
    tiny_cube: Any, tiny_config_values: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sarslide.training.interval_checkpoint import IntervalCheckpoint

    writes: list[int] = []
    original = IntervalCheckpoint.on_train_end

    def record(self: IntervalCheckpoint, trainer: Any, module: Any) -> None:
        original(self, trainer, module)
        writes.append(self.writes)

    monkeypatch.setattr(IntervalCheckpoint, "on_train_end", record)
    for interval, most in (("0", None), ("1e6", 2)):
        cfg = load_train_config(
            tiny_config_values,
            ["trainer.max_epochs=3", f"trainer.checkpoint_interval_s={interval}"],
        )
        cfg = cfg.model_copy(update={"output_dir": f"{cfg.output_dir}-{interval}"})
        train(cfg, progress=False, cube=tiny_cube)
        if most is None:
            assert writes[-1] >= 3  # last.ckpt after each of the 3 epochs
        else:
            assert writes[-1] <= most  # best and last once, at the end


def test_best_and_last_of_one_epoch_share_one_copy(
    tiny_cube: Any, tiny_config_values: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sarslide.training.interval_checkpoint import IntervalCheckpoint

    held: list[dict[str, dict[str, Any]]] = []
    original = IntervalCheckpoint._write_pending

    def record(self: IntervalCheckpoint, trainer: Any) -> None:
        held.append(dict(self._pending))
        original(self, trainer)

    monkeypatch.setattr(IntervalCheckpoint, "_write_pending", record)
    # one epoch: it is the best and the last, both held until the end of fit
    cfg = load_train_config(tiny_config_values, ["trainer.max_epochs=1"])
    paths = train(cfg, progress=False, cube=tiny_cube)
    pending = held[-1]
    assert set(pending) == {str(paths.best_checkpoint), str(paths.last_checkpoint)}
    best, last = pending[str(paths.best_checkpoint)], pending[str(paths.last_checkpoint)]
    assert best["state_dict"] is last["state_dict"]  # one copy of the tensors
    assert best["optimizer_states"] is last["optimizer_states"]
    assert best["callbacks"] is not last["callbacks"]  # each its own callback state
    on_disk = read_checkpoint(paths.best_checkpoint), read_checkpoint(paths.last_checkpoint)
    for name, tensor in on_disk[0]["state_dict"].items():
        assert torch.equal(tensor, on_disk[1]["state_dict"][name]), name
    state = on_disk[1]["callbacks"][next(k for k in on_disk[1]["callbacks"] if "Check" in k)]
    assert state["last_model_path"] == str(paths.last_checkpoint)


def test_interrupted_fit_keeps_the_last_finished_epoch(
    tiny_cube: Any, tiny_config_values: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sarslide.training.task import SegmentationTask

    def interrupt_in_epoch_2(self: SegmentationTask, batch: Any, batch_idx: int) -> None:
        if self.current_epoch == 2:
            raise KeyboardInterrupt
        return None

    monkeypatch.setattr(SegmentationTask, "on_train_batch_start", interrupt_in_epoch_2)
    cfg = load_train_config(tiny_config_values, ["trainer.max_epochs=4"])
    with pytest.raises((KeyboardInterrupt, SystemExit)):
        train(cfg, progress=False, cube=tiny_cube)
    last = read_checkpoint(f"{cfg.output_dir}/checkpoints/last.ckpt")
    assert last["epoch"] == 1  # epochs 0 and 1 finished; resuming redoes epoch 2 only
    assert read_checkpoint(f"{cfg.output_dir}/checkpoints/best.ckpt")["epoch"] <= 1


def test_chip_batch_loader_covers_every_chip_once_per_epoch() -> None:
    inputs = torch.arange(10, dtype=torch.float32).reshape(10, 1, 1, 1).expand(10, 2, 4, 4)
    labels = torch.arange(10).reshape(10, 1, 1).expand(10, 4, 4)
    ordered = ChipBatchLoader(inputs, labels, batch_size=4, shuffle=False)
    assert len(ordered) == 3
    batches = list(ordered)
    assert [len(x) for x, _ in batches] == [4, 4, 2]
    assert torch.equal(torch.cat([x for x, _ in batches]), inputs)
    torch.manual_seed(0)
    shuffled = ChipBatchLoader(inputs, labels, batch_size=4, shuffle=True)
    epochs = [torch.cat([y[:, 0, 0] for _, y in shuffled]) for _ in range(2)]
    for order in epochs:
        assert sorted(order.tolist()) == list(range(10))
        x_first = torch.cat([x[:, 0, 0, 0] for x, _ in shuffled])
        assert sorted(x_first.long().tolist()) == list(range(10))
    assert not torch.equal(epochs[0], epochs[1])  # a new order each epoch


def test_chips_stay_on_the_cpu_device_without_a_dataloader(
    tiny_cube: Any, tiny_config_values: dict[str, Any]
) -> None:
    from sarslide.training import run

    seen: dict[str, Any] = {}
    original = run.fit_task

    def spy(task: Any, datamodule: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(task, datamodule, *args, **kwargs)
        seen["device"] = datamodule.chip_device
        seen["loader"] = type(datamodule.train_dataloader()).__name__
        return result

    cfg = load_train_config(tiny_config_values)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(run, "fit_task", spy)
        train(cfg, progress=False, cube=tiny_cube)
    assert seen == {"device": torch.device("cpu"), "loader": "ChipBatchLoader"}


def test_chips_fit_on_cuda_only_under_half_the_free_memory(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (1000, 4000))
    assert chips_fit_on_device(500, torch.device("cuda", 0))
    assert not chips_fit_on_device(501, torch.device("cuda", 0))
    assert chips_fit_on_device(10**15, torch.device("cpu"))


def test_training_on_a_missing_gpu_fails_before_reading_chips(
    tiny_config_values: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    cfg = load_train_config(tiny_config_values, ["trainer.device=cuda"])
    with pytest.raises(DeviceError, match="available: cpu"):
        train(cfg, progress=False, cube="no-such-cube.zarr")


def test_clone_checkpoint_copies_tensors_and_keeps_containers() -> None:
    from collections import OrderedDict, defaultdict

    from sarslide.training.interval_checkpoint import clone_checkpoint

    weights = torch.arange(4.0)
    state = {
        "state_dict": OrderedDict(w=weights),
        "optimizer_states": [{"state": {0: {"step": torch.tensor(3.0)}}, "lr": 0.1}],
        "loops": defaultdict(list, a=[1, (2, 3)]),
        "epoch": 2,
    }
    copied = clone_checkpoint(state)
    weights += 1  # training goes on: the held copy must not move
    assert torch.equal(copied["state_dict"]["w"], torch.arange(4.0))
    assert type(copied["state_dict"]) is OrderedDict
    assert (
        copied["optimizer_states"][0]["state"][0]["step"]
        is not state["optimizer_states"][0]["state"][0]["step"]
    )
    assert type(copied["loops"]) is defaultdict and copied["loops"]["a"] == [1, (2, 3)]
    assert copied["loops"] is not state["loops"] and copied["epoch"] == 2
