"""Explicit backend registry: ``create_backend(name, model_path, spec, ...) -> (backend, reason)``.

``auto`` tries, in order: TensorRT (tensorrt importable + CUDA), ONNX Runtime CUDA EP, torch CUDA,
ONNX Runtime CPU, and returns (and logs) the first that loads, with the reason the earlier ones
were skipped. Model files: ``.pt`` (checkpoint; exported once to a cached ONNX for ONNX Runtime /
TensorRT), ``.onnx``, ``.engine`` (TensorRT only).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable

from mono_depth_ros.core.errors import InputError
from mono_depth_ros.inference.backends.base import BackendUnavailable, InferenceBackend
from mono_depth_ros.inference.spec import ModelSpec

LOG = logging.getLogger(__name__)
BACKENDS = ("auto", "torch", "onnxruntime", "tensorrt")
SUFFIXES = (".pt", ".onnx", ".engine")


def _torch_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def _onnx_file(model_path: Path, input_hw: tuple[int, int] | None, cache_dir: Any) -> Path:
    if model_path.suffix == ".onnx":
        return model_path
    if model_path.suffix == ".pt":
        from mono_depth_ros.inference.onnx_export import cached_onnx_for_checkpoint

        return cached_onnx_for_checkpoint(model_path, cache_dir, input_hw)
    raise BackendUnavailable(f"{model_path.name}: a TensorRT engine runs only on the tensorrt backend")


def _make(kind: str, device: str, model_path: Path, spec: ModelSpec, precision: str, opts: dict) -> InferenceBackend:
    """Construct and load one backend; BackendUnavailable when it cannot run here."""
    hw = opts.get("input_hw")
    if kind == "torch":
        if model_path.suffix != ".pt":
            raise BackendUnavailable(f"{model_path.name}: the torch backend needs a .pt checkpoint")
        from mono_depth_ros.inference.backends.torch_backend import TorchBackend

        if hw is None:
            from mono_depth_ros.models.checkpoint import read_checkpoint_payload

            payload = read_checkpoint_payload(model_path)
            hw = spec.input_hw_for(payload["model_kwargs"], payload.get("config"))
        backend = TorchBackend(model_path, spec, hw, precision, device, opts.get("channels_last", False),
                               opts.get("compile", False), opts.get("threads"))
    elif kind == "onnxruntime":
        from mono_depth_ros.inference.backends.onnxruntime_backend import OnnxRuntimeBackend

        backend = OnnxRuntimeBackend(_onnx_file(model_path, hw, opts.get("cache_dir")), device, opts.get("threads"))
    elif kind == "tensorrt":
        from mono_depth_ros.inference.backends.tensorrt_backend import TensorRTBackend, tensorrt_available

        ok, why = tensorrt_available()
        if not ok:
            raise BackendUnavailable(why)
        path = model_path if model_path.suffix == ".engine" else _onnx_file(model_path, hw, opts.get("cache_dir"))
        backend = TensorRTBackend(path, precision, opts.get("cache_dir"), opts.get("force_engine_rebuild", False),
                                  device=device)
    else:
        raise InputError("backend", kind, f"must be one of {BACKENDS}")
    return backend.load()


def _auto_candidates(model_path: Path, precision: str) -> list[tuple[str, str, str, Callable[[], str | None]]]:
    """(kind, device, precision, precheck) in preference order; precheck returns a skip reason."""
    from mono_depth_ros.inference.backends.onnxruntime_backend import ort_has_cuda

    def trt_check() -> str | None:
        from mono_depth_ros.inference.backends.tensorrt_backend import tensorrt_available

        ok, why = tensorrt_available()
        return None if ok else why

    cpu_precision = "fp32"  # no fp16 on CPU: ONNX Runtime CPU/torch CPU always run fp32
    return [
        ("tensorrt", "cuda", precision, trt_check),
        ("onnxruntime", "cuda", "fp32", lambda: None if ort_has_cuda() else "onnxruntime has no CUDAExecutionProvider"),
        ("torch", "cuda", precision, lambda: None if _torch_cuda() else "torch CUDA not available"),
        ("onnxruntime", "cpu", cpu_precision, lambda: None),
    ]


def create_backend(name: str, model_path: str | Path, spec: ModelSpec, precision: str = "fp32",
                   device: str = "auto", input_hw: tuple[int, int] | None = None, threads: int | None = None,
                   cache_dir: str | Path | None = None, force_engine_rebuild: bool = False,
                   channels_last: bool = False, compile: bool = False) -> tuple[InferenceBackend, str]:
    """A loaded backend and a one-line reason for the choice.

    ``device``: "auto" (CUDA where the backend needs it, else CPU), "cpu", "cuda". ``threads``: CPU
    threads (ONNX Runtime intra-op / torch). ``cache_dir``: ONNX/engine cache (default
    ``~/.cache/mono_depth_ros``).
    """
    if name not in BACKENDS:
        raise InputError("backend", name, f"must be one of {BACKENDS}")
    if precision not in ("fp32", "fp16", "int8"):
        raise InputError("precision", precision, "must be 'fp32', 'fp16' or 'int8'")
    model_path = Path(model_path)
    if model_path.suffix not in SUFFIXES:
        raise InputError("model_path", str(model_path), f"expected one of {SUFFIXES}")
    if not model_path.is_file():
        raise FileNotFoundError(f"model_path={str(model_path)!r}: file not found")
    opts = dict(input_hw=input_hw, threads=threads, cache_dir=cache_dir, force_engine_rebuild=force_engine_rebuild,
                channels_last=channels_last, compile=compile)
    if name != "auto":
        dev = device if device != "auto" else ("cuda" if name == "tensorrt" or (name == "torch" and _torch_cuda())
                                               else "cpu")
        backend = _make(name, dev, model_path, spec, precision, opts)
        reason = f"backend {name!r} requested"
        LOG.info("%s: %s", reason, backend.describe())
        return backend, reason
    return _create_auto(model_path, spec, precision, device, opts)


def _create_auto(model_path: Path, spec: ModelSpec, precision: str, device: str,
                 opts: dict) -> tuple[InferenceBackend, str]:
    skipped = []
    for kind, dev, prec, precheck in _auto_candidates(model_path, precision):
        label = f"{kind} {dev.upper()}"
        if device not in ("auto", dev):
            skipped.append(f"{label}: device={device!r}")
            continue
        why = precheck()
        if why is None and model_path.suffix == ".engine" and kind != "tensorrt":
            why = "a .engine file runs only on TensorRT"
        if why is None and kind == "torch" and model_path.suffix != ".pt":
            why = "torch needs a .pt checkpoint"
        if why is not None:
            skipped.append(f"{label}: {why}")
            continue
        try:
            backend = _make(kind, dev, model_path, spec, prec, opts)
        except BackendUnavailable as exc:
            skipped.append(f"{label}: {exc}")
            continue
        note = f" (precision {precision} -> {prec})" if prec != precision else ""
        reason = f"auto chose {label}{note}; skipped: " + ("; ".join(skipped) if skipped else "nothing")
        LOG.info("%s -> %s", reason, backend.describe())
        return backend, reason
    raise BackendUnavailable("no backend can run " + str(model_path) + ": " + "; ".join(skipped))
