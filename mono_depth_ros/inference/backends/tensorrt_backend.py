"""TensorRT backend (TensorRT 10+ Python API), engines cached on disk under a key.

Build: ``trt.Builder`` -> network (explicit batch) -> ``trt.OnnxParser.parse`` -> builder config
(``set_memory_pool_limit(WORKSPACE, ...)``, FP16/INT8 flags) -> ``build_serialized_network``; the
serialized engine is stored in the EngineCache under ``engine_cache_key(onnx sha256, TensorRT
version, GPU name, compute capability, precision, input shape)`` and reused until any of them
changes (or ``force_engine_rebuild``). Run: I/O are CUDA torch tensors bound by
``context.set_tensor_address`` and executed with ``execute_async_v3`` on a torch CUDA stream.
A pre-built ``.engine`` file can be given instead of an ONNX file (used as is, not cached).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from mono_depth_ros.inference.backends.base import BackendUnavailable, InferenceBackend, import_or_explain
from mono_depth_ros.inference.engine_cache import EngineCache, engine_cache_key

LOG = logging.getLogger(__name__)
DEFAULT_WORKSPACE_BYTES = 2 << 30


def tensorrt_available() -> tuple[bool, str]:
    """(usable, reason): tensorrt importable and a CUDA device visible to torch."""
    try:
        import tensorrt  # noqa: F401
    except ImportError:
        return False, "tensorrt not installed (pip install tensorrt-cu12)"
    try:
        import torch
    except ImportError:
        return False, "torch (CUDA) needed for TensorRT I/O is not installed"
    if not torch.cuda.is_available():
        return False, "no CUDA device for TensorRT"
    return True, f"tensorrt {tensorrt.__version__} on {torch.cuda.get_device_name()}"


def onnx_input_shape(onnx_path: str | Path) -> tuple[int, ...]:
    """Static shape of the ONNX model's first input (the engine-cache key needs it)."""
    import onnx

    proto = onnx.load(str(onnx_path), load_external_data=False)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    return tuple(int(d.dim_value) for d in dims)


def build_serialized_engine(trt: Any, onnx_path: Path, precision: str, workspace_bytes: int) -> bytes:
    """Parse the ONNX file and build a serialized engine (bytes)."""
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(0)  # explicit batch is the only mode in TensorRT 10
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(onnx_path.read_bytes()):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise RuntimeError(f"TensorRT could not parse {onnx_path}: {errors}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(workspace_bytes))
    if precision in ("fp16", "int8"):
        if not hasattr(trt.BuilderFlag, "FP16"):
            raise BackendUnavailable(f"tensorrt {trt.__version__} has no FP16 builder flag (strongly typed only); "
                                     "use precision fp32")
        config.set_flag(trt.BuilderFlag.FP16)
    if precision == "int8":
        # INT8 without a calibrator uses the ONNX's Q/DQ scales (or falls back to FP16 kernels).
        config.set_flag(trt.BuilderFlag.INT8)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise RuntimeError(f"TensorRT failed to build an engine from {onnx_path} ({precision})")
    return bytes(serialized)


class TensorRTBackend(InferenceBackend):
    """Runs an ONNX file (engine built once and cached) or a serialized ``.engine`` on CUDA."""

    name = "tensorrt"

    def __init__(self, model_path: str | Path, precision: str = "fp16", cache_dir: str | Path | None = None,
                 force_engine_rebuild: bool = False, workspace_bytes: int = DEFAULT_WORKSPACE_BYTES,
                 device: str = "cuda") -> None:
        super().__init__()
        if precision not in ("fp32", "fp16", "int8"):
            raise ValueError(f"precision={precision!r}: must be 'fp32', 'fp16' or 'int8'")
        self.model_path, self.precision = Path(model_path), precision
        self.cache = EngineCache(Path(cache_dir) / "engines" if cache_dir else None)
        self.force_engine_rebuild, self.workspace_bytes, self.device = force_engine_rebuild, workspace_bytes, device
        self.engine_path: Path | None = None
        self.built = False

    def _engine_bytes(self, trt: Any, torch: Any) -> bytes:
        if self.model_path.suffix == ".engine":
            self.engine_path = self.model_path
            return self.model_path.read_bytes()
        key = engine_cache_key(self.model_path, trt.__version__, torch.cuda.get_device_name(),
                               torch.cuda.get_device_capability(), self.precision, onnx_input_shape(self.model_path))
        info = {"onnx": str(self.model_path), "tensorrt": trt.__version__, "gpu": torch.cuda.get_device_name(),
                "precision": self.precision}
        engine, self.built = self.cache.get_or_build(
            key, lambda: build_serialized_engine(trt, self.model_path, self.precision, self.workspace_bytes),
            self.force_engine_rebuild, info)
        self.engine_path = self.cache.path_for(key)
        LOG.info("TensorRT engine %s %s", "built and cached at" if self.built else "reused from", self.engine_path)
        return engine

    def load(self) -> "TensorRTBackend":
        trt = import_or_explain("tensorrt")
        torch = import_or_explain("torch")
        if not torch.cuda.is_available():
            raise BackendUnavailable("TensorRT needs a CUDA device; torch.cuda.is_available() is False")
        if not self.model_path.is_file():
            raise FileNotFoundError(f"model_path={str(self.model_path)!r}: file not found")
        self._trt, self._torch = trt, torch
        self.runtime = trt.Runtime(trt.Logger(trt.Logger.WARNING))
        self.engine = self.runtime.deserialize_cuda_engine(self._engine_bytes(trt, torch))
        if self.engine is None:
            raise RuntimeError(f"TensorRT could not deserialize the engine for {self.model_path} (version mismatch?)")
        self.context = self.engine.create_execution_context()
        self.stream = torch.cuda.Stream()
        self.tensors: dict[str, Any] = {}
        inputs, outputs = {}, []
        for i in range(self.engine.num_io_tensors):
            name = self.engine.get_tensor_name(i)
            shape = tuple(self.engine.get_tensor_shape(name))
            dtype = torch.from_numpy(np.empty(0, dtype=trt.nptype(self.engine.get_tensor_dtype(name)))).dtype
            self.tensors[name] = torch.empty(shape, dtype=dtype, device="cuda")
            self.context.set_tensor_address(name, int(self.tensors[name].data_ptr()))
            if self.engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT:
                inputs[name] = shape
            else:
                outputs.append(name)
        self.input_shapes, self.output_names = inputs, tuple(outputs)
        self.loaded = True
        return self

    def _run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        torch = self._torch
        with torch.cuda.stream(self.stream):
            for name in self.input_shapes:
                host = torch.from_numpy(np.ascontiguousarray(inputs[name]))
                self.tensors[name].copy_(host.to(self.tensors[name].dtype), non_blocking=False)
            if not self.context.execute_async_v3(self.stream.cuda_stream):
                raise RuntimeError("TensorRT execute_async_v3 failed")
            outs = {n: self.tensors[n].float().cpu() for n in self.output_names}
        self.stream.synchronize()
        return {n: t.numpy() for n, t in outs.items()}

    def describe(self) -> str:
        if not self.loaded:
            return f"tensorrt ({self.model_path.name}, not loaded)"
        how = "built" if self.built else "cached"
        return (f"tensorrt {self._trt.__version__} {self._torch.cuda.get_device_name()} {self.precision} "
                f"({self.model_path.name}, engine {how}: {self.engine_path})")
