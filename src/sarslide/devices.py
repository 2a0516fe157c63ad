"""Where a model runs: the torch device and the numeric precision of a command.

``resolve_device("auto")`` gives the GPU when one is usable (CUDA, else Apple MPS),
else the CPU, and logs which. A device that is not there raises ``DeviceError``
naming the devices that are, before any expensive work. ``resolve_precision`` turns
the ``precision`` setting into what autocast and Lightning need: ``auto`` is bf16 on
GPUs that support it, fp16 (with a gradient scaler when training) on older GPUs, and
fp32 on the CPU and MPS (bf16 on a CPU without AVX512_BF16 or AMX is many times slower).

Importing this module does not import torch (the ``ml`` extra): precision names are
parsed and checked without it, and each function that needs torch imports it.
"""

from __future__ import annotations

import contextlib
import logging
import platform
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sarslide.errors import ConfigError, DeviceError

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

DEVICE_CHOICES = "auto, cpu, cuda, cuda:N or mps"
PRECISION_CHOICES = ("auto", "fp32", "bf16", "fp16")
INFERENCE_PRECISION_CHOICES = (*PRECISION_CHOICES, "int8")
"""int8 runs only for inference, on ONNX Runtime (an exported model's int8 graph)."""
PrecisionName = Literal["fp32", "bf16", "fp16", "int8"]
PRECISION_ALIASES: dict[str, str] = {
    "auto": "auto",
    "fp32": "fp32",
    "32": "fp32",
    "32-true": "fp32",
    "float32": "fp32",
    "bf16": "bf16",
    "bf16-mixed": "bf16",
    "bfloat16": "bf16",
    "fp16": "fp16",
    "16": "fp16",
    "16-mixed": "fp16",
    "float16": "fp16",
    "int8": "int8",
}
_LIGHTNING_PRECISION = {"fp32": "32-true", "bf16": "bf16-mixed", "fp16": "16-mixed"}
_ACCELERATORS = {"auto": "auto", "cpu": "cpu", "gpu": "cuda", "cuda": "cuda", "mps": "mps"}


def _cuda_count() -> int:
    import torch  # [ml] extra: imported on use (see the module docstring)

    try:
        return int(torch.cuda.device_count()) if torch.cuda.is_available() else 0
    except (RuntimeError, AssertionError):  # a broken driver counts as no GPU
        return 0


def _mps_usable() -> bool:
    import torch  # [ml] extra: imported on use (see the module docstring)

    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def list_available_devices() -> list[str]:
    """The devices a model can run on here: ``cpu``, then ``cuda:N`` and ``mps``."""
    names = ["cpu", *(f"cuda:{i}" for i in range(_cuda_count()))]
    return [*names, "mps"] if _mps_usable() else names


def _parse_device(spec: str) -> tuple[str, int | None]:
    text = spec.strip().lower()
    kind, _, index = text.partition(":")
    kind = "cuda" if kind == "gpu" else kind
    if kind in ("auto", "cpu", "mps") and not index:
        return kind, None
    if kind == "cuda" and (not index or index.isdigit()):
        return kind, int(index) if index else None
    raise ConfigError(f"Invalid device {spec!r}; use one of {DEVICE_CHOICES}.")


def resolve_device(spec: str | None = "auto", *, log: bool = True) -> torch.device:
    """The torch device for ``spec`` (auto, cpu, cuda, cuda:N, mps).

    ``auto`` is the first CUDA GPU, else MPS, else the CPU.

    Raises:
        ConfigError: ``spec`` is not a device name.
        DeviceError: the device is not on this machine (the message lists those that are).
    """
    import torch  # [ml] extra: imported on use (see the module docstring)

    kind, index = _parse_device(spec or "auto")
    n_cuda = _cuda_count()
    if kind == "auto":
        kind, index = ("cuda", 0) if n_cuda else ("mps", None) if _mps_usable() else ("cpu", None)
    elif kind == "cuda" and (index or 0) >= n_cuda:
        raise DeviceError(
            f"Device {spec!r} is not available on this machine"
            f"{' (no usable CUDA GPU)' if n_cuda == 0 else ''}; available: "
            f"{', '.join(list_available_devices())}. Use --device auto or one of those."
        )
    elif kind == "mps" and not _mps_usable():
        raise DeviceError(
            f"Device {spec!r} (Apple MPS) is not available on this machine; available: "
            f"{', '.join(list_available_devices())}. Use --device auto or one of those."
        )
    device = torch.device(kind, index or 0) if kind == "cuda" else torch.device(kind)
    if log:
        logger.info("Running on %s (--device %s)", describe_device(device), spec or "auto")
    return device


def describe_device(device: torch.device) -> str:
    """``cuda:0 (NVIDIA H100, 79.1 GiB)``, ``cpu (2 threads)``, ``mps``."""
    import torch  # [ml] extra: imported on use (see the module docstring)

    if device.type == "cuda":
        index = device.index or 0
        props = torch.cuda.get_device_properties(index)
        return f"cuda:{index} ({props.name}, {props.total_memory / 2**30:.1f} GiB)"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return str(device)


@dataclass(frozen=True)
class PrecisionPlan:
    """The numeric precision a model runs in on one device."""

    name: PrecisionName

    @property
    def autocast_dtype(self) -> torch.dtype | None:
        """The autocast dtype (None: plain fp32)."""
        import torch  # [ml] extra: imported on use (see the module docstring)

        dtypes = {"fp32": None, "int8": None, "bf16": torch.bfloat16, "fp16": torch.float16}
        return dtypes[self.name]  # int8: the graph itself is quantised, no autocast

    @property
    def lightning(self) -> str:
        """Lightning's ``precision`` string (``16-mixed`` brings its gradient scaler)."""
        return _LIGHTNING_PRECISION[self.name]

    @property
    def needs_grad_scaler(self) -> bool:
        """fp16 training needs loss scaling; bf16 has fp32's range and does not."""
        return self.name == "fp16"

    def autocast(self, device: torch.device) -> contextlib.AbstractContextManager[Any]:
        """``torch.autocast`` for this precision on ``device`` (a no-op for fp32)."""
        import torch  # [ml] extra: imported on use (see the module docstring)

        dtype = self.autocast_dtype
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=device.type, dtype=dtype)


def _bf16_supported(device: torch.device) -> bool:
    import torch  # [ml] extra: imported on use (see the module docstring)

    if device.type != "cuda":
        return device.type == "cpu"  # works (slowly without AVX512_BF16 or AMX) on every CPU
    try:
        return bool(torch.cuda.is_bf16_supported())
    except (RuntimeError, AssertionError):
        return False


def cpu_has_bf16_units() -> bool:
    """AVX512_BF16 or AMX: bf16 autocast then runs ~2x faster than fp32 (measured on
    an AVX512_BF16 Zen4, docs/predict.md); without them it is much slower."""
    import torch  # [ml] extra: imported on use (see the module docstring)

    cpu = torch.cpu
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(cpu, name, lambda: False)()) for name in checks)


def precision_name(setting: str | None, *, inference: bool = True) -> str:
    """The canonical name of a precision setting (``auto``, ``fp32``, ``bf16``, ``fp16``;
    ``int8`` with ``inference``), from any of its aliases.

    Raises:
        ConfigError: an unknown setting (``half``: it ran as fp32 where only the engine
            read it), or int8 for training.
    """
    name = PRECISION_ALIASES.get(str(setting or "auto").strip().lower())
    choices = INFERENCE_PRECISION_CHOICES if inference else PRECISION_CHOICES
    if name is None or name not in choices:
        raise ConfigError(
            f"Invalid precision {setting!r}; use one of {', '.join(choices)} "
            "(or Lightning's 32-true, bf16-mixed, 16-mixed)."
            + ("" if inference else " int8 is for inference only (predict, evaluate, respond).")
        )
    return name


def resolve_precision(
    setting: str | None, device: torch.device, *, inference: bool = False
) -> PrecisionPlan:
    """The precision of ``setting`` (auto, fp32, bf16, fp16; Lightning names too) on ``device``.

    ``auto``: bf16 on CUDA GPUs that support it, else fp16; fp32 on the CPU and MPS (on
    the CPU an exported model may then run int8, and a checkpoint bf16, where their
    recorded precision check passed: ``sarslide.models.engines``). ``int8`` only with
    ``inference`` (predict, evaluate, respond), on the CPU.

    Raises:
        ConfigError: an unknown setting, fp16 on the CPU, int8 for training or off the CPU.
        DeviceError: bf16 on a GPU without it.
    """
    name = precision_name(setting, inference=inference)
    if name == "int8" and device.type != "cpu":
        raise ConfigError(
            f"precision 'int8' runs on ONNX Runtime on the CPU; got device {device}. Use "
            "--device cpu, or --precision auto on the GPU."
        )
    if name == "auto":
        if device.type != "cuda":
            return PrecisionPlan("fp32")
        return PrecisionPlan("bf16" if _bf16_supported(device) else "fp16")
    if name == "bf16" and not _bf16_supported(device):
        raise DeviceError(
            f"{describe_device(device)} does not support bf16; use --precision fp16 "
            "(mixed, with loss scaling) or auto."
        )
    if name == "fp16" and device.type == "cpu":
        raise ConfigError(
            "precision 'fp16' is for GPUs; on the CPU use fp32 (default) or bf16 "
            "(fast only on CPUs with bf16 matrix units)."
        )
    if name == "bf16" and device.type == "cpu" and not cpu_has_bf16_units():
        logger.warning("bf16 on this CPU is slower than fp32 (no AVX512_BF16 or AMX)")
    return PrecisionPlan(name)  # type: ignore[arg-type]


def resolve_lightning_device(
    device: str | None, accelerator: str = "auto", devices: Any = "auto", *, log: bool = True
) -> tuple[torch.device, str, Any]:
    """The device and Lightning ``(accelerator, devices)`` of a training run.

    ``device`` (other than auto) decides; else an explicit ``accelerator`` (cpu, gpu,
    mps); else auto. ``cuda:N`` trains on GPU N; otherwise ``devices`` is passed on
    (several GPUs with DDP), one device when it is 'auto'.

    Raises:
        ConfigError / DeviceError: as :func:`resolve_device`; an unknown accelerator.
    """
    kind = _ACCELERATORS.get(str(accelerator or "auto").strip().lower())
    if kind is None:
        raise ConfigError(
            f"Invalid accelerator {accelerator!r}; use auto, cpu, gpu or mps "
            f"(or --device {DEVICE_CHOICES})."
        )
    spec = str(device or "auto")
    resolved = resolve_device(spec if spec.strip().lower() != "auto" else kind, log=log)
    lightning_name = {"cuda": "gpu", "cpu": "cpu", "mps": "mps"}[resolved.type]
    if resolved.type == "cuda" and ":" in spec:
        return resolved, lightning_name, [resolved.index]
    return resolved, lightning_name, 1 if devices in (None, "auto") else devices


# Threads a training runs its CPU arithmetic on unless told otherwise. On the CPU,
# torch splits convolutions' weight gradients, channels-last batch norm and long sums
# between its threads, so the float32 results (and after a few steps the weights)
# depend on the thread count: 1, 2 and 3 threads give three different models from
# one seed. A training therefore runs on a count from its config, not on what the
# machine, OMP_NUM_THREADS, the load or a worker pool happened to give.
DEFAULT_TRAIN_THREADS = 2


def torch_thread_count(setting: int) -> int:
    """The intra-op thread count for ``setting`` (0: torch's default in this process)."""
    import torch  # [ml] extra: imported on use (see the module docstring)

    return setting if setting > 0 else int(torch.get_num_threads())


@contextlib.contextmanager
def pinned_torch_threads(setting: int) -> Iterator[int]:
    """Run the block on ``setting`` torch CPU threads (0: as they are); restore after.

    Yields the count used, for the record that a rerun needs.
    """
    import torch  # [ml] extra: imported on use (see the module docstring)

    before = int(torch.get_num_threads())
    threads = torch_thread_count(setting)
    if threads != before:
        torch.set_num_threads(threads)
        logger.info("torch CPU threads: %d (was %d)", threads, before)
    try:
        yield threads
    finally:
        if int(torch.get_num_threads()) != before:
            torch.set_num_threads(before)


def describe_numerics(device: torch.device, threads: int) -> dict[str, Any]:
    """What the floats of a run depend on besides its config: versions, CPU, threads."""
    import numpy as np
    import torch  # [ml] extra: imported on use (see the module docstring)

    record: dict[str, Any] = {
        "torch": str(torch.__version__),
        "numpy": str(np.__version__),
        "torch_threads": threads,
        "device": describe_device(device),
        "cpu": _cpu_name(),
        "cpu_capability": str(torch.backends.cpu.get_cpu_capability()),
        "python": platform.python_version(),
    }
    if device.type == "cuda":
        record["cudnn"] = str(torch.backends.cudnn.version())
    return record


def _cpu_name() -> str:
    """The CPU model (``/proc/cpuinfo``'s model name where there is one)."""
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
