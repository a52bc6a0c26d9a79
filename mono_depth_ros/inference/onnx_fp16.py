"""FP16 copy of an ONNX file with float32 inputs and outputs, written with onnx's own helpers.

Why: TensorRT 11 builds strongly typed networks only (``BuilderFlag.FP16`` is gone), so an fp16
engine needs an fp16 ONNX; ONNX Runtime CUDA runs the same file. NVIDIA's documented route is
ModelOpt AutoCast; this is the same idea kept small: every node runs in fp16 except the
numerically sensitive ones in ``KEEP_FP32_OPS`` (reductions, powers, normalisations), and Cast
nodes are inserted wherever a tensor crosses between the two. Graph inputs and outputs stay
float32 (a Cast after each input and before each output), so callers feed and read float32 as
before. Resize's ``roi``/``scales`` inputs stay float32 (the operator requires it). Initializers
and Constants used only by fp16 nodes are stored in fp16 (values beyond fp16's range are clipped).

    to_fp16_onnx(src, dst) -> dst; cached_fp16_onnx(src, cache_dir) -> the cached copy

The cached copy's name holds the source's sha256 and ``conversion_id()`` (this package's version
and a hash of KEEP_FP32_OPS / FP32_ONLY_INPUTS), so changed conversion rules convert again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

KEEP_FP32_OPS = frozenset({"ReduceMean", "ReduceSum", "ReduceSumSquare", "ReduceL2", "ReduceLogSumExp", "Pow",
                           "Sqrt", "Exp", "Log", "InstanceNormalization", "LayerNormalization", "Softmax",
                           "LogSoftmax", "RandomNormal", "RandomUniform", "Greater", "Less",
                           "GreaterOrEqual", "LessOrEqual", "Equal"})
# (op_type, input index) that must stay float32 whatever the node's precision
FP32_ONLY_INPUTS = frozenset({("Resize", 1), ("Resize", 2)})
_FP16_MAX = float(np.finfo(np.float16).max)


def _to_fp16_array(values: np.ndarray) -> np.ndarray:
    return np.clip(values, -_FP16_MAX, _FP16_MAX).astype(np.float16)


def to_fp16_onnx(src: str | Path, dst: str | Path, keep_fp32_ops: frozenset[str] = KEEP_FP32_OPS) -> Path:
    """Write an fp16 copy of ``src`` (float32 I/O kept) to ``dst``, checked by onnx.checker."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper, shape_inference

    model = shape_inference.infer_shapes(onnx.load(str(src)), strict_mode=True)
    graph = model.graph
    float_type: dict[str, bool] = {}
    for vi in list(graph.input) + list(graph.output) + list(graph.value_info):
        float_type[vi.name] = vi.type.tensor_type.elem_type == TensorProto.FLOAT
    for init in graph.initializer:
        float_type[init.name] = init.data_type == TensorProto.FLOAT
    fp16_node = [n.op_type not in keep_fp32_ops for n in graph.node]

    def wanted(node_i: int, input_i: int) -> str | None:
        """'fp16' | 'fp32' for a float data input; None where the input's type is free (Cast, Shape)."""
        node = graph.node[node_i]
        if node.op_type in ("Cast", "Shape", "Size", "CastLike"):
            return None
        if (node.op_type, input_i) in FP32_ONLY_INPUTS:
            return "fp32"
        return "fp16" if fp16_node[node_i] else "fp32"

    consumers: dict[str, list[str | None]] = {}
    for i, node in enumerate(graph.node):
        for j, name in enumerate(node.input):
            if name and float_type.get(name):
                consumers.setdefault(name, []).append(wanted(i, j))

    def only_fp16(name: str) -> bool:
        uses = [w for w in consumers.get(name, []) if w is not None]
        return bool(uses) and all(w == "fp16" for w in uses)

    precision: dict[str, str] = {vi.name: "fp32" for vi in graph.input}
    for init in graph.initializer:
        if init.data_type == TensorProto.FLOAT and only_fp16(init.name):
            init.CopyFrom(numpy_helper.from_array(_to_fp16_array(numpy_helper.to_array(init)), init.name))
            precision[init.name] = "fp16"
        elif init.data_type == TensorProto.FLOAT:
            precision[init.name] = "fp32"

    new_nodes: list[Any] = []
    casts: dict[tuple[str, str], str] = {}

    def cast_to(name: str, target: str) -> str:
        if (name, target) not in casts:
            out = f"{name}__as_{target}"
            to = TensorProto.FLOAT16 if target == "fp16" else TensorProto.FLOAT
            new_nodes.append(helper.make_node("Cast", [name], [out], name=f"{out}__cast", to=to))
            casts[(name, target)] = out
        return casts[(name, target)]

    for i, node in enumerate(graph.node):
        mode = "fp16" if fp16_node[i] else "fp32"
        for j, name in enumerate(node.input):
            want = wanted(i, j) if name and float_type.get(name) else None
            if want and precision.get(name, "fp32") != want:
                node.input[j] = cast_to(name, want)
        if node.op_type == "Constant" and mode == "fp16":
            _constant_to_fp16(node, only_fp16(node.output[0]) if float_type.get(node.output[0]) else False)
            mode = "fp16" if float_type.get(node.output[0]) and only_fp16(node.output[0]) else "fp32"
        elif node.op_type in ("Cast", "ConstantOfShape", "EyeLike", "RandomNormalLike") and mode == "fp16":
            _retarget_fp32_attributes(node)
        for name in node.output:
            if float_type.get(name):
                precision[name] = mode
        new_nodes.append(node)

    for out in graph.output:
        if precision.get(out.name) == "fp16":
            inner = f"{out.name}__fp16"
            for node in new_nodes:
                node.output[:] = [inner if o == out.name else o for o in node.output]
                node.input[:] = [inner if o == out.name else o for o in node.input]
            new_nodes.append(helper.make_node("Cast", [inner], [out.name], name=f"{out.name}__to_fp32",
                                              to=TensorProto.FLOAT))
    del graph.node[:]
    graph.node.extend(new_nodes)
    del graph.value_info[:]
    model = shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model, full_check=True)
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + f".{os.getpid()}.tmp")
    onnx.save(model, str(tmp))
    tmp.replace(dst)
    return dst


def _constant_to_fp16(node: Any, convert: bool) -> None:
    """Store a float Constant's value in fp16 when all its consumers are fp16 nodes."""
    from onnx import TensorProto, numpy_helper

    for attr in node.attribute:
        if convert and attr.name == "value" and attr.t.data_type == TensorProto.FLOAT:
            attr.t.CopyFrom(numpy_helper.from_array(_to_fp16_array(numpy_helper.to_array(attr.t)), attr.t.name))


def _retarget_fp32_attributes(node: Any) -> None:
    """Cast(to=FLOAT) / ConstantOfShape(value float) / *Like(dtype=FLOAT) inside the fp16 region -> fp16."""
    from onnx import TensorProto, numpy_helper

    for attr in node.attribute:
        if attr.name in ("to", "dtype") and attr.i == TensorProto.FLOAT:
            attr.i = TensorProto.FLOAT16
        elif attr.name == "value" and attr.t.data_type == TensorProto.FLOAT:
            attr.t.CopyFrom(numpy_helper.from_array(_to_fp16_array(numpy_helper.to_array(attr.t)), attr.t.name))


def is_fp16_onnx(path: str | Path) -> bool:
    """True when the file holds fp16 weights (written by ``to_fp16_onnx`` or elsewhere)."""
    import onnx
    from onnx import TensorProto

    proto = onnx.load(str(path), load_external_data=False)
    return any(t.data_type == TensorProto.FLOAT16 for t in proto.graph.initializer)


def conversion_id() -> str:
    """Version of the conversion for cache names: this package's version and a hash of the rules
    (KEEP_FP32_OPS, FP32_ONLY_INPUTS), e.g. ``v0.1.0-rules3f9a01c2``."""
    import mono_depth_ros

    rules = json.dumps([sorted(KEEP_FP32_OPS), sorted(FP32_ONLY_INPUTS)]).encode()
    return f"v{mono_depth_ros.__version__}-rules{hashlib.sha256(rules).hexdigest()[:8]}"


def cached_fp16_onnx(src: str | Path, cache_dir: str | Path | None = None) -> Path:
    """The fp16 copy of ``src`` in ``<cache>/onnx/`` (key: src's sha256 and ``conversion_id()``),
    converted once (again when the cached copy is damaged); ``src`` itself when it already holds
    fp16 weights."""
    from mono_depth_ros.inference.engine_cache import cache_subfolder, file_sha256
    from mono_depth_ros.inference.onnx_export import cached_onnx_file

    src = Path(src)
    if is_fp16_onnx(src):
        return src
    dst = cache_subfolder(cache_dir, "onnx") / f"{src.stem}-{file_sha256(src)[:20]}.fp16-{conversion_id()}.onnx"
    return cached_onnx_file(dst, lambda path: to_fp16_onnx(src, path, KEEP_FP32_OPS), cache_dir)
