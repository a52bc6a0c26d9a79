"""The one backend interface: load, warm up, infer, describe.

A backend runs a network on named float32 numpy arrays and returns named float32 numpy arrays
(names are the spec's ONNX input/output names), whatever runs underneath.
"""

from __future__ import annotations

import functools
import importlib
from abc import ABC, abstractmethod
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from mono_depth_ros.core.errors import InputError

PIP_NAMES = {"onnxruntime": "onnxruntime (or onnxruntime-gpu)", "tensorrt": "tensorrt-cu12 (TensorRT 10+)",
             "torch": "torch", "onnx": "onnx", "openvino": "openvino", "nncf": "nncf"}


class BackendUnavailable(RuntimeError):
    """A backend cannot run here (library missing, no GPU, ...); the message says what to install."""


def precision_refused(precision: str, reason: str, needs: str = "") -> BackendUnavailable:
    """BackendUnavailable for a precision this device or model cannot run: ``field``/``value``/
    ``reason`` name the precision (the parameter to change); ``needs``: what would make it run
    (``"calibration_dir"`` for int8 without frames)."""
    exc = BackendUnavailable(reason)
    exc.field, exc.value, exc.reason, exc.needs = "precision", precision, reason, needs
    return exc


#: ONNX ops of a quantised (int8) model
QUANTIZED_OPS = frozenset({"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv",
                           "QLinearMatMul", "ConvInteger", "MatMulInteger"})


def is_quantized_onnx(path: str | Path) -> bool:
    """True when the ONNX file holds quantisation ops (QUANTIZED_OPS, in the graph or a subgraph
    function): an int8 model, whatever precision a runtime is asked for (read without external
    data). False for a file ONNX cannot read: loading it fails with the runtime's own error. Read
    once per file version (start-up asks it from auto, the runtime and the node)."""
    try:
        stat = Path(path).stat()
    except OSError:
        return False
    return _quantized_ops_in(str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _quantized_ops_in(path: str, mtime_ns: int, size: int) -> bool:
    import onnx

    try:
        model = onnx.load(path, load_external_data=False)
    except Exception:  # noqa: BLE001 - not an ONNX file: not a quantised one either
        return False
    ops = {n.op_type for n in model.graph.node} | {n.op_type for f in model.functions for n in f.node}
    return bool(ops & QUANTIZED_OPS)


def import_or_explain(module: str) -> ModuleType:
    """Import a heavy library lazily; BackendUnavailable naming the pip package when it is missing."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        root = module.split(".")[0]
        raise BackendUnavailable(f"python module {module!r} is not installed: pip install "
                                 f"{PIP_NAMES.get(root, root)} ({exc})") from exc


class InferenceBackend(ABC):
    """Runs one network. Subclasses set ``input_shapes``/``output_names`` and
    ``effective_precision`` (what actually runs: "fp32", "fp16", "bf16", "int8+bf16", "tf32", ...;
    shown in the log and on /diagnostics) in ``load()``. A dimension the model leaves dynamic (a
    user's ONNX with symbolic height/width) is -1 in ``input_shapes`` and takes any size."""

    name = "base"

    def __init__(self) -> None:
        self.input_shapes: dict[str, tuple[int, ...]] = {}
        self.output_names: tuple[str, ...] = ()
        self.effective_precision = "unknown"
        self.loaded = False

    @abstractmethod
    def load(self) -> "InferenceBackend":
        """Build/load the runtime objects; returns self."""

    @abstractmethod
    def _run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Run on validated inputs."""

    @abstractmethod
    def describe(self) -> str:
        """One line: runtime, version, device, precision, model file."""

    def infer(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Named (B, C, H, W) float32 arrays in the loaded shapes -> named float32 outputs."""
        if not self.loaded:
            self.load()
        for name, shape in self.input_shapes.items():
            if name not in inputs:
                raise InputError(f"inputs[{name!r}]", sorted(inputs), "missing input")
            got = tuple(inputs[name].shape)
            if len(got) != len(shape) or any(d >= 0 and g != d for g, d in zip(got, shape)):
                raise InputError(f"inputs[{name!r}].shape", got, f"expected {tuple(shape)} (-1: any)")
        return self._run(inputs)

    def warmup(self, iterations: int = 2, shapes: dict[str, tuple[int, ...]] | None = None) -> None:
        """Run zeros through the network so allocations/autotuning happen before real frames.

        ``shapes``: concrete shapes for inputs with dynamic (-1) dims (the model card's size)."""
        if not self.loaded:
            self.load()
        shapes = {**self.input_shapes, **(shapes or {})}
        dynamic = [n for n, s in shapes.items() if any(d < 0 for d in s)]
        if dynamic:
            raise InputError("warmup shapes", {n: shapes[n] for n in dynamic}, "dynamic inputs need concrete shapes")
        zeros = {n: np.zeros(s, dtype=np.float32) for n, s in shapes.items()}
        for _ in range(max(iterations, 0)):
            self._run(zeros)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe() if self.loaded else '(not loaded)'}>"


def as_float32(value: Any) -> np.ndarray:
    return np.ascontiguousarray(value, dtype=np.float32)


class ForwardToRosLog:
    """A ``logging.Handler`` factory: records of the ``mono_depth_ros`` Python loggers (backend
    choice and skips, TensorRT's own log, OpenVINO's effective precision) go to a ROS logger.

    ``ros_logger`` is anything with ``debug/info/warning/error/fatal(str)`` (rclpy's
    ``node.get_logger()``), so this module needs no rclpy. Returns the installed handler.
    """

    @staticmethod
    def install(ros_logger: Any, logger_name: str = "mono_depth_ros", level: int = 20) -> Any:
        import logging

        methods = ((logging.CRITICAL, "fatal"), (logging.ERROR, "error"), (logging.WARNING, "warning"),
                   (logging.INFO, "info"), (logging.NOTSET, "debug"))

        class Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                name = next(m for lvl, m in methods if record.levelno >= lvl)
                try:
                    getattr(ros_logger, name)(f"[{record.name}] {record.getMessage()}")
                except Exception:  # noqa: BLE001 - logging must never raise into the caller
                    self.handleError(record)

        target = logging.getLogger(logger_name)
        handler = Handler(level)
        target.addHandler(handler)
        target.setLevel(min(target.level or level, level))
        return handler
