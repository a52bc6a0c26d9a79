"""Explicit backend registry: ``create_backend(name, model_path, spec, ...) -> (backend, reason)``.

An explicit backend is strict: it loads with the requested precision or raises. ``auto`` never
raises for a backend that fails: it tries every candidate in order, catches any exception (a
library missing, an ONNX TensorRT cannot parse, an engine build that returns nothing, CUDA that
fails to initialise, an unwritable cache folder, a precision a backend refuses, a first inference
that fails), logs why each was skipped and returns the first that loads and runs one frame:

    CUDA:  tensorrt > onnxruntime (CUDA EP) > torch            at the requested precision
                                                               (bf16_w8, bf16_w4 -> fp16 on GPUs)
    CPU:   openvino > onnxruntime > torch                      at the requested precision
                                                               (fp16 -> bf16 on CPUs)
           openvino > onnxruntime > torch on the CPU in bf16_w8, then in bf16
                                                               (after bf16_w4; after bf16_w8: bf16)
    then:  openvino > onnxruntime > torch on the CPU in fp32   (noted in the reason)

It raises only when nothing at all can run the file. When it skips a candidate for a reason of the
machine's set-up rather than the runtime's (today: a cache folder it cannot write, so a ``.pt``
cannot be exported to ONNX and it lands on torch, the slowest CPU runtime), it says so once at
WARNING; ordinary skips ("not installed", "does not offer bf16") stay at INFO. Model files: ``.pt``
(checkpoint; exported once to a cached ONNX for the ONNX-based runtimes), ``.onnx``, ``.engine``
(TensorRT only).
"""

from __future__ import annotations

import logging
import numbers
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from mono_depth_ros.core.errors import InputError, one_line
from mono_depth_ros.inference.backends.base import BackendUnavailable, InferenceBackend
from mono_depth_ros.inference.engine_cache import CacheNotWritable
from mono_depth_ros.inference.spec import ModelSpec

LOG = logging.getLogger(__name__)
BACKENDS = ("auto", "torch", "onnxruntime", "openvino", "tensorrt")
#: bf16_w8, bf16_w4: bf16 activations, int8 / int4 weights in the fully connected layers (OpenVINO; see
#: openvino_backend)
PRECISIONS = ("fp32", "fp16", "bf16", "bf16_w8", "bf16_w4", "int8")
#: what each backend offers (int8: only with calibration; see openvino_backend / tensorrt_backend)
BACKEND_PRECISIONS = {"torch": ("fp32", "fp16", "bf16"), "onnxruntime": ("fp32", "fp16"),
                      "openvino": ("fp32", "bf16", "bf16_w8", "bf16_w4", "fp16", "int8"),
                      "tensorrt": ("fp32", "fp16", "int8")}
#: auto's stand-in for a requested precision on a device where it means nothing (the nearest one)
AUTO_DEVICE_PRECISION = {"cuda": {"bf16_w8": "fp16", "bf16_w4": "fp16"}, "cpu": {"fp16": "bf16"}}
#: auto's CPU steps between the requested precision and fp32, followed in turn (fewer weight bits first)
AUTO_CPU_FALLBACK = {"bf16_w4": "bf16_w8", "bf16_w8": "bf16"}
SUFFIXES = (".pt", ".onnx", ".engine")
#: failures of the machine's set-up, not of a runtime: auto warns when it skips a candidate for one
ENVIRONMENTAL_FAILURES = (CacheNotWritable,)
#: (backend, precision) whose load runs NNCF (weight compression, int8 quantisation): its stdout
#: tables and progress bars are kept quiet (calibration.quiet_nncf)
_NNCF_LOADS = frozenset(("openvino", p) for p in ("bf16_w8", "bf16_w4", "int8"))


def _torch_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def _onnx_file(model_path: Path, opts: dict) -> Path:
    """The fp32 ONNX for ``model_path`` (a .pt is exported once into the cache)."""
    if model_path.suffix == ".onnx":
        return model_path
    if model_path.suffix == ".pt":
        from mono_depth_ros.inference.onnx_export import cached_onnx_for_checkpoint

        return cached_onnx_for_checkpoint(model_path, opts.get("cache_dir"), opts.get("input_hw"))
    raise BackendUnavailable(f"{model_path.name}: a TensorRT engine runs only on the tensorrt backend")


def _fp16_file(model_path: Path, opts: dict) -> Path:
    from mono_depth_ros.inference.onnx_fp16 import cached_fp16_onnx

    return cached_fp16_onnx(_onnx_file(model_path, opts), opts.get("cache_dir"))


def _make_torch(model_path: Path, spec: ModelSpec, precision: str, device: str, opts: dict) -> InferenceBackend:
    if model_path.suffix != ".pt":
        raise BackendUnavailable(f"{model_path.name}: the torch backend needs a .pt checkpoint")
    from mono_depth_ros.inference.backends.torch_backend import TorchBackend

    hw = opts.get("input_hw")
    if hw is None:
        from mono_depth_ros.inference.checkpoint import read_checkpoint_payload

        payload = read_checkpoint_payload(model_path)
        hw = spec.input_hw_for(payload["model_kwargs"], payload.get("config"))
    return TorchBackend(model_path, spec, hw, precision, device, opts.get("channels_last", False),
                        opts.get("compile", False), opts.get("threads"))


def _make_onnxruntime(model_path: Path, spec: ModelSpec, precision: str, device: str,
                      opts: dict) -> InferenceBackend:
    from mono_depth_ros.inference.backends.onnxruntime_backend import OnnxRuntimeBackend

    path = _fp16_file(model_path, opts) if precision == "fp16" else _onnx_file(model_path, opts)
    return OnnxRuntimeBackend(path, device, opts.get("threads"), precision=precision)


def _make_openvino(model_path: Path, spec: ModelSpec, precision: str, device: str, opts: dict) -> InferenceBackend:
    from mono_depth_ros.inference.backends.openvino_backend import OpenVinoBackend

    ov_device = {"cpu": "CPU", "cuda": ""}.get(device, device.upper())
    if not ov_device:
        raise BackendUnavailable("OpenVINO does not run on CUDA devices")
    return OpenVinoBackend(_onnx_file(model_path, opts), precision, ov_device, opts.get("threads"), spec,
                           opts.get("calibration_dir"), opts.get("cache_dir"),
                           calibration_depth=opts.get("calibration_depth"))


def _make_tensorrt(model_path: Path, spec: ModelSpec, precision: str, device: str, opts: dict) -> InferenceBackend:
    from mono_depth_ros.inference.backends.tensorrt_backend import TensorRTBackend, tensorrt_available

    ok, why = tensorrt_available()
    if not ok:
        raise BackendUnavailable(why)
    if model_path.suffix == ".engine":
        path = model_path
    elif precision == "fp16":
        path = _fp16_file(model_path, opts)
    else:
        path = _onnx_file(model_path, opts)
    return TensorRTBackend(path, precision, opts.get("cache_dir"), opts.get("force_engine_rebuild", False),
                           device=device, allow_tf32=opts.get("allow_tf32", False), spec=spec,
                           calibration_dir=opts.get("calibration_dir"), input_hw=opts.get("input_hw"),
                           calibration_depth=opts.get("calibration_depth"))


#: the explicit registry: backend name -> factory(model_path, spec, precision, device, opts) (not loaded)
FACTORIES: dict[str, Callable[[Path, ModelSpec, str, str, dict], InferenceBackend]] = {
    "torch": _make_torch, "onnxruntime": _make_onnxruntime, "openvino": _make_openvino, "tensorrt": _make_tensorrt}


@dataclass(frozen=True)
class Candidate:
    """One thing ``auto`` tries: a backend on a device at a precision."""

    kind: str
    device: str
    precision: str

    @property
    def label(self) -> str:
        return f"{self.kind} {self.device.upper()} {self.precision}"


def auto_candidates(precision: str, device: str = "auto") -> list[Candidate]:
    """``auto``'s order (see module docstring), restricted to ``device`` ("auto" | "cpu" | "cuda")."""
    cuda_precision = AUTO_DEVICE_PRECISION["cuda"].get(precision, precision)
    cpu_precisions = [AUTO_DEVICE_PRECISION["cpu"].get(precision, precision)]
    while cpu_precisions[-1] in AUTO_CPU_FALLBACK:
        cpu_precisions.append(AUTO_CPU_FALLBACK[cpu_precisions[-1]])
    cpu_precisions.append("fp32")
    order = [Candidate(k, "cuda", cuda_precision) for k in ("tensorrt", "onnxruntime", "torch")]
    order += [Candidate(k, "cpu", p) for p in cpu_precisions if p for k in ("openvino", "onnxruntime", "torch")]
    seen, out = set(), []
    for c in order:
        if c not in seen and device in ("auto", c.device):
            seen.add(c)
            out.append(c)
    return out


def _precheck(c: Candidate, model_path: Path) -> str | None:
    """A reason to skip ``c`` without trying it, or None."""
    if c.precision not in BACKEND_PRECISIONS[c.kind]:
        return f"{c.kind} does not offer {c.precision}"
    if model_path.suffix == ".engine" and c.kind != "tensorrt":
        return "a .engine file runs only on TensorRT"
    if c.kind == "torch" and model_path.suffix != ".pt":
        return "torch needs a .pt checkpoint"
    if c.device == "cuda" and c.kind == "torch" and not _torch_cuda():
        return "torch CUDA not available"
    if c.device == "cuda" and c.kind == "onnxruntime":
        from mono_depth_ros.inference.backends.onnxruntime_backend import ort_has_cuda

        if not ort_has_cuda():
            return "onnxruntime has no CUDAExecutionProvider"
    if c.kind == "torch" and c.device == "cpu" and c.precision == "fp16":
        return "torch fp16 needs CUDA"
    return None


def _load(kind: str, backend: InferenceBackend, precision: str) -> InferenceBackend:
    """``backend.load()``, with NNCF's console output off where the load runs NNCF."""
    if (kind, precision) not in _NNCF_LOADS:
        return backend.load()
    from mono_depth_ros.inference.calibration import quiet_nncf

    with quiet_nncf():
        return backend.load()


def checked_threads(threads: int | None) -> int | None:
    """``threads`` as given (None or 0: the runtime's default) or InputError; a count above
    ``os.cpu_count()`` is allowed with one warning (threads that outnumber the cores made ONNX
    Runtime 6x and torch 10x slower on 2 cores)."""
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral):
        raise InputError("threads", threads, "must be a whole number >= 0 (0 or None: the runtime's default)")
    if threads < 0:
        raise InputError("threads", threads, "must be >= 0 (0 or None: the runtime's default)")
    cpus = os.cpu_count()
    if cpus and threads > cpus:
        LOG.warning("threads=%d is more than the %d CPUs here (os.cpu_count()): inference slows down when "
                    "threads outnumber cores; use at most %d", threads, cpus, cpus)
    return int(threads)


def create_backend(name: str, model_path: str | Path, spec: ModelSpec, precision: str = "fp32",
                   device: str = "auto", input_hw: tuple[int, int] | None = None, threads: int | None = None,
                   cache_dir: str | Path | None = None, force_engine_rebuild: bool = False,
                   channels_last: bool = False, compile: bool = False, calibration_dir: str | Path | None = None,
                   allow_tf32: bool = False, calibration_depth: Callable | None = None) -> tuple[InferenceBackend, str]:
    """A loaded backend and a one-line reason for the choice.

    ``device``: "auto" (CUDA where the backend needs it, else CPU), "cpu", "cuda" (OpenVINO also
    takes "gpu", "npu"). ``threads``: CPU threads (None or 0: the runtime's default; negative:
    InputError; more than ``os.cpu_count()``: one warning). ``cache_dir``: ONNX/engine cache
    (default ``$MONO_DEPTH_ROS_CACHE`` or ``~/.cache/mono_depth_ros``). ``calibration_dir``:
    frames for int8 (an extracted dataset folder); ``calibration_depth``: depths of those frames for a motion network's int8 (the
    estimators pass it). ``allow_tf32``: let TensorRT "fp32" engines use TF32 tensor cores (off: fp32 is fp32).
    """
    if name not in BACKENDS:
        raise InputError("backend", name, f"must be one of {BACKENDS}")
    if precision not in PRECISIONS:
        raise InputError("precision", precision, f"must be one of {PRECISIONS}")
    model_path = Path(model_path)
    if model_path.suffix not in SUFFIXES:
        raise InputError("model_path", str(model_path), f"expected one of {SUFFIXES}")
    if not model_path.is_file():
        raise FileNotFoundError(f"model_path={str(model_path)!r}: file not found")
    threads = checked_threads(threads)
    opts = dict(input_hw=input_hw, threads=threads, cache_dir=cache_dir, force_engine_rebuild=force_engine_rebuild,
                channels_last=channels_last, compile=compile, calibration_dir=calibration_dir, allow_tf32=allow_tf32,
                calibration_depth=calibration_depth)
    if name != "auto":
        if precision not in BACKEND_PRECISIONS[name]:
            raise InputError("precision", precision, f"backend {name!r} offers {BACKEND_PRECISIONS[name]}")
        dev = device if device != "auto" else ("cuda" if name == "tensorrt" or (name == "torch" and _torch_cuda())
                                               else "cpu")
        backend = _load(name, FACTORIES[name](model_path, spec, precision, dev, opts), precision)
        reason = f"backend {name!r} requested"
        LOG.info("%s: %s", reason, backend.describe())
        return backend, reason
    return _create_auto(model_path, spec, precision, device, opts)


def warmup_shapes(backend: InferenceBackend, spec: ModelSpec,
                  input_hw: tuple[int, int] | None = None) -> dict[str, tuple[int, ...]]:
    """Concrete shapes for the backend's dynamic (-1) inputs: the card's size (or ``input_hw``)."""
    return {n: spec.concrete_input_shape(s, input_hw) for n, s in backend.input_shapes.items() if min(s) < 0}


def _quantized_first_on_onnxruntime(candidates: list[Candidate], model_path: Path) -> list[Candidate]:
    """For an ONNX that is already quantised (Q/DQ nodes): ONNX Runtime before OpenVINO on the CPU.
    On the bundled networks quantised by calibration.cached_qdq_onnx (signed symmetric int8, for
    TensorRT) and calibrated on the EuRoC video, the mean relative depth difference to fp32 on the
    5 Kinect frames was eigen2014 0.053 on ONNX Runtime against 0.85 on OpenVINO 2026.4 (xian2018
    0.028 / 0.027, li2020_depth 0.028 / 0.068)."""
    if model_path.suffix != ".onnx":
        return candidates
    from mono_depth_ros.inference.backends.base import is_quantized_onnx

    if not is_quantized_onnx(model_path):
        return candidates
    rank = {"onnxruntime": 0, "openvino": 1}
    cpu = sorted((c for c in candidates if c.device == "cpu" and c.kind in rank), key=lambda c: rank[c.kind])
    slots = iter(cpu)
    return [next(slots) if c.device == "cpu" and c.kind in rank else c for c in candidates]


def _create_auto(model_path: Path, spec: ModelSpec, precision: str, device: str,
                 opts: dict) -> tuple[InferenceBackend, str]:
    skipped: list[str] = []
    environmental: dict[str, list[str]] = {}  # why -> the runtimes ("openvino CPU") it stopped
    for c in _quantized_first_on_onnxruntime(auto_candidates(precision, device), model_path):
        why = _precheck(c, model_path)
        if why is None:
            try:
                backend = _load(c.kind, FACTORIES[c.kind](model_path, spec, c.precision, c.device, opts), c.precision)
                # a backend that loads but cannot run a frame is a failure too
                backend.warmup(1, warmup_shapes(backend, spec, opts.get("input_hw")))
            except Exception as exc:  # noqa: BLE001 - auto must never take the node down
                why = one_line(exc)
                runtime = f"{c.kind} {c.device.upper()}"
                if isinstance(exc, ENVIRONMENTAL_FAILURES) and runtime not in environmental.get(why, []):
                    environmental.setdefault(why, []).append(runtime)
        if why is not None:
            skipped.append(f"{c.label}: {why}")
            LOG.debug("auto: skipped %s: %s", c.label, why)  # the choice line below names every skip
            continue
        note = f" (precision {precision} -> {c.precision})" if c.precision != precision else ""
        reason = f"auto chose {c.kind} {c.device.upper()}{note}; skipped: " + ("; ".join(skipped) or "nothing")
        for why, labels in environmental.items():
            LOG.warning("auto: running %s, not the faster %s: %s", c.label, " or ".join(labels), why)
        LOG.info("%s -> %s", reason, backend.describe())
        return backend, reason
    raise BackendUnavailable(f"no backend can run {model_path}: " + "; ".join(skipped))
