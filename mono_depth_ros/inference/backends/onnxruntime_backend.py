"""ONNX Runtime backend: CPU execution provider (thread count) or CUDA EP where present.

onnxruntime-gpu lists CUDAExecutionProvider whenever it is installed, even when the CUDA or cuDNN
libraries cannot load; the session then silently runs on the CPU. So after creating a CUDA session
the providers it actually got (``session.get_providers()``) are checked, and a session without the
CUDA EP is refused (BackendUnavailable) instead of running on the CPU under a CUDA label.
An fp16 ONNX (onnx_fp16.py: fp16 inside, float32 inputs/outputs) runs as any other file, and so
does an int8 one (Q/DQ nodes: calibration.cached_qdq_onnx); ``effective_precision`` says what
runs: "fp32", "fp16", or for a quantised file "int8+fp32" / "int8+fp16" (its float layers), as
OpenVINO reports it (an fp16 file on the CPU provider: below).

CPU sessions do not spin-wait: ONNX Runtime's intra-op threads by default busy-wait for the next
run after each one, which suits back-to-back batches but not a node that runs once per camera
frame. In a 640x480 depth_node (benchmarks/bench_node.py, 2-core machine, alternating runs) the
spinning thread alone took 12-19 ms of CPU a frame; without it the node's whole process took
9.5-13.7 ms a frame instead of 16.8-29.6 ms (eigen2014, li2020) and 18-21 ms instead of 28-33 ms
(xian2018), with inference as fast within the machine's noise. ``spin_wait=True`` restores ONNX Runtime's default.

fp16 on the CPU provider: ONNX Runtime 1.32's CPU provider on x86 has fp16 kernels only for data
movement (Cast, Concat, Gather, Reshape, ...), none for Conv, Gemm, Relu, Add, MaxPool, Resize and
the like. Its InsertCastTransformer (part of every session, whatever the optimisation level) puts a
Cast to fp32 before each such node and drops the fp32 -> fp16 -> fp32 round trips between them,
the file's own input Cast included, so the whole network computes in fp32 on weights rounded to
fp16 (li2020_motion keeps a few Concat/Gather/Split in fp16, which only round what they move).
Measured on the bundled networks and 8 real frames: xian2018 bit for bit the fp32 ONNX with its
weights rounded through fp16, max 9.6e-4 (mean 1.3e-4) of the output range from fp32; eigen2014
and li2020_depth, whose weights are stored in fp16, equal to fp32 (<= 6e-8); as fast as fp32
(2.0 / 7.5 / 12.5 ms, 1 thread). What runs is read from
the graph ONNX Runtime optimised (``cpu_kernel_precisions``: a throwaway session writes it), so
``effective_precision`` is "fp16" only where fp16 kernels really run (an ARM CPU with fp16
arithmetic); ``precision="fp16"`` on a CPU session that would run fp32 is refused
(``precision_refused``: the node names ``precision`` and 'fp32').

Log: a session logs ONNX Runtime's warnings to stderr, except for a model that declares a fixed
output size while its input size is dynamic (a user's export run at the size its card gives an
image): ONNX Runtime warns "VerifyOutputSizes: Expected shape from model of ..." on every run at
another size, the start-up probe of the card's size rule (loading._check_other_sizes) and then
every frame. Such a session logs errors only, and one line of ours says why; other sessions, and
ONNX Runtime's default logger, are untouched.
"""

from __future__ import annotations

import logging
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from mono_depth_ros.core.errors import one_line
from mono_depth_ros.inference.backends.base import BackendUnavailable, InferenceBackend, as_float32, \
    import_or_explain, is_quantized_onnx, precision_refused

LOG = logging.getLogger(__name__)
#: ONNX Runtime's log severity (0 verbose .. 4 fatal): ERROR for a session whose every run at another
#: size would warn (module docstring)
ORT_ERRORS_ONLY = 3
#: ops (ONNX and ONNX Runtime's own) that move, reshape or select data without arithmetic: an fp16
#: kernel of one of these computes nothing in fp16
DATA_MOVEMENT_OPS = frozenset({"Cast", "CastLike", "Shape", "Size", "Reshape", "Flatten", "Squeeze", "Unsqueeze",
                               "Concat", "Split", "Slice", "Gather", "GatherElements", "GatherND", "Transpose",
                               "Identity", "Expand", "Tile", "Pad", "Where", "Constant", "ConstantOfShape",
                               "DepthToSpace", "SpaceToDepth", "ReorderInput", "ReorderOutput"})
_INT64_OPS = frozenset({"Shape", "Size", "NonZero", "ArgMax", "ArgMin"})
_BOOL_OPS = frozenset({"Greater", "Less", "Equal", "GreaterOrEqual", "LessOrEqual", "Not", "And", "Or", "Xor",
                       "IsNaN", "IsInf"})


def ort_has_cuda() -> bool:
    """True when the installed onnxruntime offers CUDAExecutionProvider."""
    try:
        import onnxruntime as ort
    except ImportError:
        return False
    return "CUDAExecutionProvider" in ort.get_available_providers()


def _elem_types(graph: Any) -> dict[str, int]:
    """Element type (onnx.TensorProto code) of every tensor of ``graph``, propagated from its inputs
    and initializers through its nodes in order (the value_info ONNX Runtime writes into an
    optimised model can be stale; a node's output is typed as its first typed input unless the op
    says otherwise: Cast, Shape, comparisons, Constant, Where, Q/DQ)."""
    from onnx import TensorProto

    types = {v.name: v.type.tensor_type.elem_type for v in graph.input}
    types.update({t.name: t.data_type for t in graph.initializer})
    for node in graph.node:
        attrs = {a.name: a for a in node.attribute}
        if node.op_type == "Cast":
            out = attrs["to"].i
        elif node.op_type in _INT64_OPS:
            out = TensorProto.INT64
        elif node.op_type in _BOOL_OPS:
            out = TensorProto.BOOL
        elif node.op_type in ("Constant", "ConstantOfShape"):
            value = attrs.get("value")
            out = value.t.data_type if value is not None else (
                TensorProto.INT64 if {"value_int", "value_ints"} & set(attrs) else TensorProto.FLOAT)
        elif node.op_type == "Where" and len(node.input) > 1:
            out = types.get(node.input[1], 0)
        elif node.op_type in ("QuantizeLinear", "DequantizeLinear") and len(node.input) > 1:
            source = node.input[2] if node.op_type == "QuantizeLinear" and len(node.input) > 2 else node.input[1]
            out = types.get(source, TensorProto.UINT8 if node.op_type == "QuantizeLinear" else 0)
        else:
            out = next((types[i] for i in node.input if i in types), 0)
        types.update((name, out) for name in node.output)
    return types


def arithmetic_nodes(graph: Any) -> dict[str, Counter]:
    """{"fp16": Counter(op type -> nodes), "fp32": ...}: the arithmetic nodes (not
    DATA_MOVEMENT_OPS) of an ONNX graph by the float type of their first input."""
    from onnx import TensorProto

    types = _elem_types(graph)
    found: dict[str, Counter] = {"fp16": Counter(), "fp32": Counter()}
    names = {TensorProto.FLOAT16: "fp16", TensorProto.FLOAT: "fp32"}
    for node in graph.node:
        kind = names.get(types.get(node.input[0], 0)) if node.input and node.input[0] else None
        if kind and node.op_type not in DATA_MOVEMENT_OPS:
            found[kind][node.op_type] += 1
    return found


def cpu_kernel_precisions(model_path: str | Path, options: Any) -> dict[str, Counter]:
    """``arithmetic_nodes`` of the graph ONNX Runtime's CPU provider runs for ``model_path`` with
    ``options``: it is optimised and written by a throwaway session into a temporary folder (that
    session logs errors only), so fp16 nodes lacking an fp16 kernel show up behind their Cast to fp32."""
    ort = import_or_explain("onnxruntime")
    import onnx

    with tempfile.TemporaryDirectory(prefix="mono_depth_ros-ort-") as folder:
        optimised = Path(folder) / "optimised.onnx"
        options.optimized_model_filepath = str(optimised)
        options.log_severity_level = ORT_ERRORS_ONLY  # "Serializing optimized model ...": not the user's business
        ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        return arithmetic_nodes(onnx.load(str(optimised), load_external_data=False).graph)


def fixed_outputs_of_dynamic_input(proto: Any) -> list[str]:
    """``["depth[1,518,518]", ...]``: the outputs an ONNX model declares with a fixed shape although
    one of its inputs has a dynamic dimension (ONNX Runtime warns on every run whose output differs
    from the declared shape); [] otherwise."""
    initializers = {t.name for t in proto.graph.initializer}

    def dims(value: Any) -> list[int | None]:
        return [d.dim_value if d.HasField("dim_value") else None for d in value.type.tensor_type.shape.dim]

    if not any(None in dims(v) for v in proto.graph.input if v.name not in initializers):
        return []
    return [f"{v.name}[{','.join(str(d) for d in dims(v))}]" for v in proto.graph.output
            if v.type.tensor_type.HasField("shape") and None not in dims(v)]


class OnnxRuntimeBackend(InferenceBackend):
    """Runs an .onnx file.

    Args:
        model_path: the ONNX file (static input shapes, as written by export, or dynamic ones: -1).
        device: "cpu" or "cuda".
        threads: intra-op threads for the CPU EP (None: onnxruntime's default, all cores).
        spin_wait: let idle intra-/inter-op threads busy-wait for the next run (onnxruntime's
            default; off here, see the module docstring).
        precision: what the caller asked for ("fp32" | "fp16"; None: whatever the file holds).
            "fp16" on a session that would compute in fp32 (the CPU provider without fp16 kernels,
            module docstring) is refused at ``load()``.
    """

    name = "onnxruntime"

    def __init__(self, model_path: str | Path, device: str = "cpu", threads: int | None = None,
                 spin_wait: bool = False, precision: str | None = None) -> None:
        super().__init__()
        self.model_path, self.device, self.threads = Path(model_path), str(device), threads
        self.spin_wait = bool(spin_wait)
        self.precision = precision
        #: why ``effective_precision`` is not what the file holds (an fp16 file computed in fp32), or ""
        self.precision_note = ""
        if not self.device.startswith(("cpu", "cuda")):
            raise ValueError(f"device={device!r}: onnxruntime backend supports 'cpu' or 'cuda'")

    def load(self) -> "OnnxRuntimeBackend":
        ort = import_or_explain("onnxruntime")
        if not self.model_path.is_file():
            raise FileNotFoundError(f"model_path={str(self.model_path)!r}: ONNX file not found")
        import onnx

        proto = onnx.load(str(self.model_path), load_external_data=False)
        file_fp16 = arithmetic_nodes(proto.graph)["fp16"]
        options = self._options(ort)
        fixed = fixed_outputs_of_dynamic_input(proto)
        del proto
        if fixed:  # every run at another size would warn (module docstring)
            options.log_severity_level = ORT_ERRORS_ONLY
            LOG.info("%s declares output %s at a fixed size but takes any input size: ONNX Runtime would warn "
                     "on every frame of another size that the output differs, so this session logs only its "
                     "errors (the output's real size is used)", self.model_path.name, ", ".join(fixed))
        if self.device.startswith("cuda"):
            if not ort_has_cuda():
                raise BackendUnavailable("onnxruntime has no CUDAExecutionProvider: pip install onnxruntime-gpu")
            device_id = int(self.device.split(":")[1]) if ":" in self.device else 0
            providers = [("CUDAExecutionProvider", {"device_id": device_id}), "CPUExecutionProvider"]
            floating = "fp16" if file_fp16 else "fp32"  # the file's precision (unverified here: no GPU)
        else:
            providers = ["CPUExecutionProvider"]
            floating = self._cpu_floating(ort, file_fp16) if file_fp16 else "fp32"
        self.session = ort.InferenceSession(str(self.model_path), options, providers=providers)
        self.session_options = options
        got = self.session.get_providers()
        if self.device.startswith("cuda") and (not got or got[0] != "CUDAExecutionProvider"):
            raise BackendUnavailable(f"onnxruntime CUDAExecutionProvider did not load (CUDA/cuDNN libraries "
                                     f"missing or incompatible?); the session got {got}")
        self._version = ort.__version__
        # symbolic dims (a user's export with dynamic height/width) are -1: any size is fed
        self.input_shapes = {i.name: tuple(d if isinstance(d, int) and d >= 0 else -1 for d in i.shape)
                             for i in self.session.get_inputs()}
        self.output_names = tuple(o.name for o in self.session.get_outputs())
        # a user's export with float16 inputs (model.half() before export) takes float16, not float32
        self.input_dtypes = {i.name: np.float16 if i.type == "tensor(float16)" else np.float32
                             for i in self.session.get_inputs()}
        self.effective_precision = f"int8+{floating}" if is_quantized_onnx(self.model_path) else floating
        self.loaded = True
        return self

    def _options(self, ort: Any) -> Any:
        """Session options: full graph optimisation, spinning as ``spin_wait``, ``threads``."""
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        spin = "1" if self.spin_wait else "0"
        options.add_session_config_entry("session.intra_op.allow_spinning", spin)
        options.add_session_config_entry("session.inter_op.allow_spinning", spin)
        if self.threads:
            options.intra_op_num_threads = int(self.threads)
            options.inter_op_num_threads = 1
        return options

    def _cpu_floating(self, ort: Any, file_fp16: Counter) -> str:
        """What the CPU provider computes a file with fp16 arithmetic nodes (``file_fp16``) in:
        "fp16" when at least as many arithmetic nodes keep fp16 kernels as run in fp32
        (``cpu_kernel_precisions``), else "fp32" with ``precision_note`` naming the op types cast
        to fp32; "fp32" for a caller that asked for fp16 is refused (``precision_refused``)."""
        try:
            ran = cpu_kernel_precisions(self.model_path, self._options(ort))
        except Exception as exc:  # noqa: BLE001 - e.g. a model too large to write back: say so, keep the file's
            self.precision_note = f"fp16 file; which kernels run could not be read ({one_line(exc, 160)})"
            return "fp16"
        if ran["fp16"] and sum(ran["fp16"].values()) >= sum(ran["fp32"].values()):
            return "fp16"
        cast = ", ".join(sorted(set(file_fp16) - set(ran["fp16"])))
        self.precision_note = (f"fp16 file computed in fp32: ONNX Runtime {ort.__version__}'s CPU provider has no "
                               f"fp16 kernel here for {cast}")
        if self.precision == "fp16":
            raise precision_refused("fp16", f"ONNX Runtime {ort.__version__}'s CPU provider has no fp16 kernel here "
                                    f"for {cast}: it would compute in fp32 on weights "
                                    "rounded to fp16, no faster: use precision 'fp32'")
        return "fp32"

    def _run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        feed = {n: np.ascontiguousarray(inputs[n], dtype=self.input_dtypes[n]) for n in self.input_shapes}
        outs = self.session.run(list(self.output_names), feed)
        return {n: (as_float32(o) if isinstance(o, np.ndarray) and o.dtype == np.float16 else o)
                for n, o in zip(self.output_names, outs)}

    def describe(self) -> str:
        if not self.loaded:
            return f"onnxruntime ({self.model_path.name}, not loaded)"
        ep = self.session.get_providers()[0]
        threads = f", {self.threads} threads" if self.threads and ep == "CPUExecutionProvider" else ""
        note = f"; {self.precision_note}" if self.precision_note else ""
        return f"onnxruntime {self._version} {ep} {self.effective_precision}{threads} ({self.model_path.name}{note})"
