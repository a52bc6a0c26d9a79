"""TensorRT backend for TensorRT 10.x and 11.x (Python API), engines cached on disk under a key.

UNVERIFIED: TensorRT cannot be installed on the machines this project is developed on (its PyPI
wheels fetch their payload from NVIDIA's index at install time), so this file is written against
the documented Python API of TensorRT 10 and 11 and has not run; ``make gpu-check`` runs it on a
machine with an NVIDIA GPU.

One build path for both versions: a strongly typed network, so the ONNX file decides the precision.
- TensorRT 11 removed ``BuilderFlag.FP16/INT8/BF16`` and ``int8_calibrator``; every network is
  strongly typed (``NetworkDefinitionCreationFlag.STRONGLY_TYPED`` is deprecated and ignored).
- TensorRT 10 builds strongly typed networks when ``create_network`` gets
  ``1 << int(NetworkDefinitionCreationFlag.STRONGLY_TYPED)`` (also Jetson's JetPack, which stays on 10).
- fp32: the exported ONNX. fp16: the fp16 ONNX of onnx_fp16.py (fp16 inside, float32 inputs and
  outputs; NVIDIA's own route is ModelOpt AutoCast). int8: only an ONNX with Q/DQ nodes (explicit
  quantisation: a user's ModelOpt/NNCF export, or one calibrated here with NNCF on frames from
  ``calibration_dir``); without calibration int8 is not offered.
- TF32: "fp32" engines clear ``BuilderFlag.TF32`` (which TensorRT enables by default), so fp32
  means fp32; ``allow_tf32=True`` sets it (about 2x faster convolutions on Ampere and newer, inner
  products with 10-bit mantissas) and the engine reports effective precision "tf32".
- Dynamic inputs (a user's own export): one optimisation profile with min = opt = max = the
  input shape the node uses (``input_hw``, else the model card's static size: ``fixed``, or
  ``profile_hw``, default long_side x long_side, of a ``multiple_of`` rule), set on the context;
  camera images are then fitted (``resize_mode``) to that one size.
- Logging: TensorRT's messages go to the Python logger ``mono_depth_ros...tensorrt_backend``
  (``base.ForwardToRosLog.install(node.get_logger())`` sends them on to the ROS log); the last
  errors are appended to every exception.
- Cache: ``EngineCache.get_or_build`` under ``engine_cache_key(onnx sha256, TensorRT version, GPU,
  compute capability, precision, shape, TF32, OS and architecture)``: cross-process lock, re-check,
  and one rebuild when a cached engine fails to deserialise. A pre-built ``.engine`` file is used as
  is, with the precision it was built with. Deserialising an engine runs native code from the file
  (NVIDIA: accept only first-party engines): give only ``.engine`` files you built or trust.
- A quantised (Q/DQ) ONNX runs only as int8 and a bf16 one is refused: strongly typed, the file's
  types decide, so a Q/DQ file asked for as fp32 would silently build int8.
Run: I/O are CUDA torch tensors bound with ``context.set_tensor_address``; ``execute_async_v3``
on a torch CUDA stream.
"""

from __future__ import annotations

import collections
import logging
import platform
from pathlib import Path
from typing import Any

import numpy as np

from mono_depth_ros.inference.backends.base import BackendUnavailable, InferenceBackend, import_or_explain, \
    is_quantized_onnx
from mono_depth_ros.inference.engine_cache import EngineCache, engine_cache_key

LOG = logging.getLogger(__name__)
DEFAULT_WORKSPACE_BYTES = 2 << 30
MIN_TRT_MAJOR = 10


def tensorrt_available() -> tuple[bool, str]:
    """(usable, reason): tensorrt >= 10 importable and a CUDA device visible to torch."""
    try:
        import tensorrt
    except ImportError:
        return False, "tensorrt not installed (pip install tensorrt-cu12)"
    except Exception as exc:  # noqa: BLE001 - a broken install (missing libnvinfer) raises OSError etc.
        return False, f"tensorrt failed to import ({type(exc).__name__}: {exc})"
    if int(tensorrt.__version__.split(".")[0]) < MIN_TRT_MAJOR:
        return False, f"tensorrt {tensorrt.__version__} is older than {MIN_TRT_MAJOR}.0"
    try:
        import torch
    except ImportError:
        return False, "torch (CUDA) needed for TensorRT I/O is not installed"
    if not torch.cuda.is_available():
        if torch.version.cuda is None:
            return False, f"torch {torch.__version__} is a CPU-only build (TensorRT I/O needs CUDA torch)"
        return False, "no CUDA device for TensorRT"
    return True, f"tensorrt {tensorrt.__version__} on {torch.cuda.get_device_name()}"


def make_logger(trt: Any, keep: int = 20) -> Any:
    """A ``trt.ILogger`` that forwards to Python logging and keeps the last errors/warnings."""
    levels = {trt.ILogger.INTERNAL_ERROR: logging.CRITICAL, trt.ILogger.ERROR: logging.ERROR,
              trt.ILogger.WARNING: logging.WARNING, trt.ILogger.INFO: logging.DEBUG,
              trt.ILogger.VERBOSE: logging.DEBUG}

    class ForwardingLogger(trt.ILogger):
        def __init__(self) -> None:
            trt.ILogger.__init__(self)  # the documented way to subclass ILogger
            self.recent: collections.deque[str] = collections.deque(maxlen=keep)

        def log(self, severity: Any, msg: str) -> None:
            level = levels.get(severity, logging.INFO)
            LOG.log(level, "TensorRT: %s", msg)
            if level >= logging.ERROR:
                self.recent.append(str(msg))

        def last_errors(self) -> str:
            return " | ".join(self.recent) if self.recent else "no TensorRT error logged"

    return ForwardingLogger()


def onnx_inputs(onnx_path: str | Path) -> dict[str, tuple[int, ...]]:
    """Input name -> shape of an ONNX file (-1 for a dynamic dimension)."""
    import onnx

    proto = onnx.load(str(onnx_path), load_external_data=False)
    inits = {i.name for i in proto.graph.initializer}
    return {i.name: tuple(int(d.dim_value) if d.HasField("dim_value") else -1 for d in i.type.tensor_type.shape.dim)
            for i in proto.graph.input if i.name not in inits}


def weight_types(onnx_path: str | Path) -> set[str]:
    """Names of the ONNX data types of the file's initializers ("FLOAT", "FLOAT16", "BFLOAT16", ...)."""
    import onnx

    proto = onnx.load(str(onnx_path), load_external_data=False)
    return {onnx.TensorProto.DataType.Name(i.data_type) for i in proto.graph.initializer}


#: TensorRT I/O data type name -> torch dtype name (trt.nptype has no numpy type for bf16 / fp8)
TORCH_DTYPES = {"FLOAT": "float32", "HALF": "float16", "BF16": "bfloat16", "INT32": "int32", "INT64": "int64",
                "INT8": "int8", "UINT8": "uint8", "BOOL": "bool"}


def torch_dtype(torch: Any, trt_dtype: Any, tensor: str) -> Any:
    """The torch dtype of a TensorRT I/O tensor; RuntimeError naming the tensor for any other type."""
    name = getattr(trt_dtype, "name", str(trt_dtype).rsplit(".", 1)[-1])
    if name not in TORCH_DTYPES:
        raise RuntimeError(f"TensorRT tensor {tensor!r} has type {name}, which this backend cannot feed or read "
                           f"(supported: {', '.join(TORCH_DTYPES)})")
    return getattr(torch, TORCH_DTYPES[name])


def profile_shapes(inputs: dict[str, tuple[int, ...]], input_hw: tuple[int, int] | None) -> dict[str, tuple[int, ...]]:
    """Concrete shape per input: static dims kept, dynamic batch -> 1, dynamic H/W -> ``input_hw``."""
    out = {}
    for name, dims in inputs.items():
        shape = list(dims)
        if len(shape) == 4 and shape[0] < 0:
            shape[0] = 1
        if any(d < 0 for d in shape[2:]):
            if input_hw is None:
                raise BackendUnavailable(f"input {name!r} has dynamic shape {dims}; pass input_hw for the "
                                         "optimisation profile")
            shape[2], shape[3] = (int(v) for v in input_hw)
        if any(d < 0 for d in shape):
            raise BackendUnavailable(f"input {name!r}: cannot choose a profile shape for {dims}")
        out[name] = tuple(shape)
    return out


def build_serialized_engine(trt: Any, logger: Any, onnx_path: Path, shapes: dict[str, tuple[int, ...]],
                            workspace_bytes: int, allow_tf32: bool) -> bytes:
    """Parse the ONNX into a strongly typed network and build a serialized engine (bytes)."""
    if hasattr(logger, "recent"):
        logger.recent.clear()  # the errors an exception quotes are this build's
    builder = trt.Builder(logger)
    major = int(trt.__version__.split(".")[0])
    flags = 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED) if major == 10 else 0  # always on in 11
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise RuntimeError(f"TensorRT could not parse {onnx_path}: {errors}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(workspace_bytes))
    if hasattr(trt.BuilderFlag, "TF32"):
        (config.set_flag if allow_tf32 else config.clear_flag)(trt.BuilderFlag.TF32)
    dynamic = [network.get_input(i) for i in range(network.num_inputs) if -1 in tuple(network.get_input(i).shape)]
    if dynamic:
        profile = builder.create_optimization_profile()
        for tensor in dynamic:
            shape = shapes[tensor.name]
            profile.set_shape(tensor.name, shape, shape, shape)
        if config.add_optimization_profile(profile) < 0:  # documented: -1 for an invalid profile
            raise RuntimeError(f"TensorRT refused the optimisation profile {shapes} of {onnx_path}: "
                               f"{logger.last_errors()}")
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise RuntimeError(f"TensorRT failed to build an engine from {onnx_path}: {logger.last_errors()}")
    return bytes(serialized)


class TensorRTBackend(InferenceBackend):
    """Runs an ONNX file (engine built once and cached) or a serialized ``.engine`` on CUDA.

    ``precision`` must match the file (see module docstring); ``spec``/``calibration_dir`` serve
    int8 calibration of a float ONNX; ``input_hw`` sizes the profile of a dynamic-shape ONNX.
    """

    name = "tensorrt"

    def __init__(self, model_path: str | Path, precision: str = "fp32", cache_dir: str | Path | None = None,
                 force_engine_rebuild: bool = False, workspace_bytes: int = DEFAULT_WORKSPACE_BYTES,
                 device: str = "cuda", allow_tf32: bool = False, spec: Any = None,
                 calibration_dir: str | Path | None = None, input_hw: tuple[int, int] | None = None,
                 calibration_depth: Any = None) -> None:
        super().__init__()
        if precision not in ("fp32", "fp16", "int8"):
            raise ValueError(f"precision={precision!r}: must be 'fp32', 'fp16' or 'int8'")
        self.model_path, self.precision, self.allow_tf32 = Path(model_path), precision, bool(allow_tf32)
        self.cache_dir = cache_dir
        self.cache = EngineCache(Path(cache_dir) / "engines" if cache_dir else None)
        self.force_engine_rebuild, self.workspace_bytes, self.device = force_engine_rebuild, workspace_bytes, device
        self.spec, self.calibration_dir, self.calibration_depth = spec, calibration_dir, calibration_depth
        self.input_hw = tuple(input_hw) if input_hw else (tuple(spec.input_hw) if spec is not None else None)
        self.engine_path: Path | None = None
        self.built = False

    def _onnx_for_precision(self) -> Path:
        """The ONNX whose types give the requested precision (strongly typed networks)."""
        from mono_depth_ros.inference.onnx_fp16 import is_fp16_onnx

        if self.precision == "int8":
            if is_quantized_onnx(self.model_path):
                return self.model_path
            if self.calibration_dir is None or self.spec is None:
                raise BackendUnavailable("int8 on TensorRT needs a Q/DQ ONNX or calibration frames (calibration_dir);"
                                         " without calibration int8 is not offered")
            from mono_depth_ros.inference.calibration import cached_qdq_onnx

            return cached_qdq_onnx(self.model_path, self.spec, self.calibration_dir, self.cache_dir,
                                   depth_of=self.calibration_depth)
        if is_quantized_onnx(self.model_path):  # strongly typed: the Q/DQ nodes would build an int8 engine
            raise BackendUnavailable(f"{self.model_path.name} is quantised (Q/DQ nodes): strongly typed TensorRT "
                                     f"runs it int8; set precision int8 (asked: {self.precision})")
        if "BFLOAT16" in weight_types(self.model_path):
            raise BackendUnavailable(f"{self.model_path.name} holds bf16 weights: strongly typed TensorRT would run "
                                     "bf16, which this backend does not offer; export it as fp32 (or fp16)")
        fp16 = is_fp16_onnx(self.model_path)
        if (self.precision == "fp16") != fp16:
            raise BackendUnavailable(f"{self.model_path.name} holds {'fp16' if fp16 else 'fp32'} weights but "
                                     f"precision is {self.precision}; strongly typed TensorRT runs the file's types")
        return self.model_path

    def _engine(self, trt: Any, torch: Any) -> Any:
        def deserialize(data: bytes) -> Any:
            return self.runtime.deserialize_cuda_engine(data)

        if self.model_path.suffix == ".engine":
            self.engine_path = self.model_path
            engine = deserialize(self.model_path.read_bytes())
            if engine is None:
                raise RuntimeError(f"TensorRT could not deserialize {self.model_path} (built by another TensorRT "
                                   f"version or GPU?): {self.logger.last_errors()}")
            LOG.info("TensorRT engine %s runs with the precision it was built with (precision %s is not checked)",
                     self.model_path.name, self.precision)
            return engine
        onnx_path = self._onnx_for_precision()
        inputs = onnx_inputs(onnx_path)
        # the model card fills dynamic dims in its own layout (NCHW or NHWC), at its static size
        self._shapes = ({n: self.spec.concrete_input_shape(d, self.input_hw) for n, d in inputs.items()}
                        if self.spec is not None and all(len(d) == 4 for d in inputs.values())
                        else profile_shapes(inputs, self.input_hw))
        gpu, cc = torch.cuda.get_device_name(), torch.cuda.get_device_capability()
        # serialized engines are not portable across platforms: a cache shared by an x86 and an aarch64 host
        key = engine_cache_key(onnx_path, trt.__version__, gpu, cc, self.precision,
                               [d for s in self._shapes.values() for d in s],
                               extra={"tf32": self.allow_tf32, "platform": f"{platform.system()}-{platform.machine()}"})
        info = {"onnx": str(onnx_path), "tensorrt": trt.__version__, "gpu": gpu, "precision": self.precision,
                "tf32": self.allow_tf32, "shapes": {k: list(v) for k, v in self._shapes.items()}}
        engine, self.built = self.cache.get_or_build(
            key, lambda: build_serialized_engine(trt, self.logger, onnx_path, self._shapes, self.workspace_bytes,
                                                 self.allow_tf32),
            self.force_engine_rebuild, info, load=deserialize)
        self.engine_path = self.cache.path_for(key)
        LOG.info("TensorRT engine %s %s", "built and cached at" if self.built else "reused from", self.engine_path)
        return engine

    def load(self) -> "TensorRTBackend":
        trt = import_or_explain("tensorrt")
        torch = import_or_explain("torch")
        ok, why = tensorrt_available()
        if not ok:
            raise BackendUnavailable(why)
        if not self.model_path.is_file():
            raise FileNotFoundError(f"model_path={str(self.model_path)!r}: file not found")
        if self.device.startswith("cuda:"):
            torch.cuda.set_device(int(self.device.split(":")[1]))
        self._device_index = torch.cuda.current_device()  # _run may be called from another thread
        self._trt, self._torch = trt, torch
        self.logger = make_logger(trt)  # must outlive every object created from the runtime/builder
        self.runtime = trt.Runtime(self.logger)
        self._shapes: dict[str, tuple[int, ...]] = {}
        self.engine = self._engine(trt, torch)
        self.context = self.engine.create_execution_context()
        if self.context is None:
            raise RuntimeError(f"TensorRT could not create an execution context: {self.logger.last_errors()}")
        self.stream = torch.cuda.Stream()
        self.tensors: dict[str, Any] = {}
        inputs, outputs = {}, []
        io_names = [self.engine.get_tensor_name(i) for i in range(self.engine.num_io_tensors)]
        for name in io_names:  # inputs first: dynamic input shapes fix the output shapes
            if self.engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT:
                shape = tuple(self.engine.get_tensor_shape(name))
                if -1 in shape:
                    shape = self._shapes.get(name) or profile_shapes({name: shape}, self.input_hw)[name]
                    if not self.context.set_input_shape(name, shape):
                        raise RuntimeError(f"TensorRT rejected input shape {shape} for {name!r}: "
                                           f"{self.logger.last_errors()}")
                inputs[name] = tuple(int(d) for d in shape)
        for name in io_names:
            shape = tuple(int(d) for d in self.context.get_tensor_shape(name))
            dtype = torch_dtype(torch, self.engine.get_tensor_dtype(name), name)
            self.tensors[name] = torch.empty(shape, dtype=dtype, device="cuda")
            self.context.set_tensor_address(name, int(self.tensors[name].data_ptr()))
            if name not in inputs:
                outputs.append(name)
        self.input_shapes, self.output_names = inputs, tuple(outputs)
        # int8: strong typing keeps every layer outside the Q/DQ pairs in fp32 (as OpenVINO's "int8+bf16")
        self.effective_precision = ("tf32" if self.precision == "fp32" and self.allow_tf32 else
                                    "int8+fp32" if self.precision == "int8" else self.precision)
        self.loaded = True
        return self

    def _run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        torch = self._torch
        with torch.cuda.device(self._device_index), torch.cuda.stream(self.stream):
            for name in self.input_shapes:
                host = torch.from_numpy(np.ascontiguousarray(inputs[name]))
                self.tensors[name].copy_(host.to(self.tensors[name].dtype), non_blocking=False)
            if not self.context.execute_async_v3(self.stream.cuda_stream):
                raise RuntimeError(f"TensorRT execute_async_v3 failed: {self.logger.last_errors()}")
            outs = {n: self.tensors[n].float().cpu() for n in self.output_names}
        self.stream.synchronize()
        return {n: t.numpy() for n, t in outs.items()}

    def describe(self) -> str:
        if not self.loaded:
            return f"tensorrt ({self.model_path.name}, not loaded)"
        how = "built" if self.built else "cached"
        return (f"tensorrt {self._trt.__version__} {self._torch.cuda.get_device_name()} {self.effective_precision} "
                f"({self.model_path.name}, engine {how}: {self.engine_path})")
