"""The TensorRT build path's own logic, driven through a stand-in ``tensorrt`` module that records
the calls (which flags, which profile, which error text). This checks our code, not TensorRT: the
stand-in follows the documented Python API and says nothing about how real TensorRT behaves;
test_gpu_parity.py (``make gpu-check``) is the evidence about TensorRT itself."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import numpy as np
import onnx
import pytest

from mono_depth_ros.inference.backends.base import BackendUnavailable, is_quantized_onnx
from mono_depth_ros.inference.backends.tensorrt_backend import (TensorRTBackend, build_serialized_engine, make_logger,
                                                                onnx_inputs, profile_shapes)
from mono_depth_ros.inference.onnx_fp16 import to_fp16_onnx


class Severity(int):
    pass


def stand_in_trt(version: str, dynamic_input: bool = False, build_ok: bool = True, parse_ok: bool = True):
    calls: dict = {"flags_set": [], "flags_cleared": [], "profiles": []}

    class ILogger:
        INTERNAL_ERROR, ERROR, WARNING, INFO, VERBOSE = (Severity(i) for i in range(5))

        def __init__(self) -> None:
            pass

    class Tensor:
        name, shape = "rgb", ((-1, 3, -1, -1) if dynamic_input else (1, 3, 64, 96))

    class Network:
        num_inputs = 1

        def get_input(self, i):
            return Tensor()

    class Parser:
        num_errors = 1

        def __init__(self, network, logger) -> None:
            self.logger = logger

        def parse_from_file(self, path):
            calls["parsed"] = path
            return parse_ok

        def get_error(self, i):
            return "In node 3 (Conv): unsupported data type"

    class Profile:
        def set_shape(self, name, lo, opt, hi):
            calls["profiles"].append((name, tuple(lo), tuple(opt), tuple(hi)))

    class Config:
        def set_memory_pool_limit(self, pool, size):
            calls["workspace"] = size

        def set_flag(self, flag):
            calls["flags_set"].append(flag)

        def clear_flag(self, flag):
            calls["flags_cleared"].append(flag)

        def add_optimization_profile(self, profile):
            calls["profile_added"] = True
            return 0  # the profile's index (-1: invalid)

    class Builder:
        def __init__(self, logger) -> None:
            self.logger = logger

        def create_network(self, flags):
            calls["network_flags"] = flags
            return Network()

        def create_builder_config(self):
            return Config()

        def create_optimization_profile(self):
            return Profile()

        def build_serialized_network(self, network, config):
            if build_ok:
                return b"serialized"
            self.logger.log(ILogger.ERROR, "Out of memory: requested 2 GiB")
            return None

    major = int(version.split(".")[0])
    flag_names = ["TF32"] + (["FP16", "INT8"] if major == 10 else [])
    trt = SimpleNamespace(
        __version__=version, ILogger=ILogger, Builder=Builder, OnnxParser=Parser,
        NetworkDefinitionCreationFlag=SimpleNamespace(STRONGLY_TYPED=1),  # NvInfer.h: kSTRONGLY_TYPED = 1
        MemoryPoolType=SimpleNamespace(WORKSPACE="workspace"),
        BuilderFlag=SimpleNamespace(**{n: n for n in flag_names}))
    return trt, calls


@pytest.mark.parametrize("version, network_flags", [("10.16.1", 1 << 1), ("11.4.0", 0)])
def test_strongly_typed_network_and_tf32_off_for_fp32(version, network_flags, onnx_files):
    trt, calls = stand_in_trt(version)
    logger = make_logger(trt)
    data = build_serialized_engine(trt, logger, onnx_files["li2020_depth"], {"rgb": (1, 3, 64, 96)}, 1 << 20,
                                   allow_tf32=False)
    assert data == b"serialized" and calls["network_flags"] == network_flags  # 10: STRONGLY_TYPED bit; 11: always on
    assert calls["flags_cleared"] == ["TF32"] and calls["flags_set"] == []  # never FP16/INT8 flags
    assert calls["profiles"] == [] and calls["workspace"] == 1 << 20
    trt, calls = stand_in_trt(version)
    build_serialized_engine(trt, make_logger(trt), onnx_files["li2020_depth"], {"rgb": (1, 3, 64, 96)}, 1, True)
    assert calls["flags_set"] == ["TF32"]


def test_dynamic_input_gets_one_profile_at_the_node_size(onnx_files):
    trt, calls = stand_in_trt("11.4.0", dynamic_input=True)
    shapes = profile_shapes({"rgb": (-1, 3, -1, -1)}, (192, 640))
    build_serialized_engine(trt, make_logger(trt), onnx_files["li2020_depth"], shapes, 1, False)
    assert shapes == {"rgb": (1, 3, 192, 640)} and calls["profile_added"]
    assert calls["profiles"] == [("rgb", (1, 3, 192, 640), (1, 3, 192, 640), (1, 3, 192, 640))]
    with pytest.raises(BackendUnavailable, match="pass input_hw"):
        profile_shapes({"rgb": (1, 3, -1, -1)}, None)


def test_failures_carry_tensorrt_errors_and_reach_the_log(onnx_files, caplog):
    caplog.set_level(logging.ERROR)
    trt, _ = stand_in_trt("11.4.0", build_ok=False)
    with pytest.raises(RuntimeError, match="failed to build an engine.*Out of memory: requested 2 GiB"):
        build_serialized_engine(trt, make_logger(trt), onnx_files["eigen2014"], {"rgb": (1, 3, 128, 160)}, 1, False)
    assert any("TensorRT: Out of memory" in r.message for r in caplog.records)
    trt, _ = stand_in_trt("10.16.1", parse_ok=False)
    with pytest.raises(RuntimeError, match="could not parse .*unsupported data type"):
        build_serialized_engine(trt, make_logger(trt), onnx_files["eigen2014"], {"rgb": (1, 3, 128, 160)}, 1, False)


def test_the_onnx_file_decides_the_precision(onnx_files, tmp_path):
    fp16 = to_fp16_onnx(onnx_files["li2020_depth"], tmp_path / "fp16.onnx")
    assert onnx_inputs(fp16) == {"rgb": (1, 3, 64, 96)} and not is_quantized_onnx(fp16)
    assert TensorRTBackend(fp16, "fp16")._onnx_for_precision() == fp16
    with pytest.raises(BackendUnavailable, match="holds fp32 weights but precision is fp16"):
        TensorRTBackend(onnx_files["li2020_depth"], "fp16")._onnx_for_precision()
    with pytest.raises(BackendUnavailable, match="int8 on TensorRT needs a Q/DQ ONNX or calibration frames"):
        TensorRTBackend(onnx_files["li2020_depth"], "int8")._onnx_for_precision()
    proto = onnx.load(str(onnx_files["li2020_depth"]))
    assert not is_quantized_onnx(onnx_files["li2020_depth"]) and len(proto.graph.node) > 0


def test_a_quantised_or_bf16_onnx_runs_only_as_what_its_types_say(onnx_files, tmp_path):
    """Strongly typed, the file's types decide: a Q/DQ ONNX asked for as fp32 would build int8 and a
    bf16 one bf16, both cached and reported as fp32. Both are refused in one line naming the fix."""
    from onnx import TensorProto, helper, numpy_helper

    proto = onnx.load(str(onnx_files["li2020_depth"]))
    first = proto.graph.node[0]
    scale, zero = numpy_helper.from_array(np.float32(0.02), "q_scale"), numpy_helper.from_array(np.int8(0), "q_zero")
    proto.graph.initializer.extend([scale, zero])
    quant = helper.make_node("QuantizeLinear", [first.input[0], "q_scale", "q_zero"], ["q_out"])
    dequant = helper.make_node("DequantizeLinear", ["q_out", "q_scale", "q_zero"], ["dq_out"])
    first.input[0] = "dq_out"
    proto.graph.node.insert(0, dequant)
    proto.graph.node.insert(0, quant)
    qdq = tmp_path / "qdq.onnx"
    onnx.save(proto, str(qdq))
    assert is_quantized_onnx(qdq)
    with pytest.raises(BackendUnavailable, match="quantised \\(Q/DQ nodes\\).*set precision int8 \\(asked: fp32\\)"):
        TensorRTBackend(qdq, "fp32")._onnx_for_precision()
    assert TensorRTBackend(qdq, "int8")._onnx_for_precision() == qdq
    proto = onnx.load(str(onnx_files["li2020_depth"]))
    proto.graph.initializer.append(helper.make_tensor("bf16_weight", TensorProto.BFLOAT16, [1], [1.0]))
    bf16 = tmp_path / "bf16.onnx"
    onnx.save(proto, str(bf16))
    with pytest.raises(BackendUnavailable, match="holds bf16 weights"):
        TensorRTBackend(bf16, "fp32")._onnx_for_precision()


def test_io_types_map_to_torch_including_bf16():
    """trt.nptype raises for bf16 (numpy has none): I/O dtypes go straight to torch's."""
    import torch

    from mono_depth_ros.inference.backends.tensorrt_backend import torch_dtype

    kinds = SimpleNamespace(**{n: SimpleNamespace(name=n) for n in ("FLOAT", "HALF", "BF16", "INT64", "FP8")})
    assert [torch_dtype(torch, getattr(kinds, n), "x") for n in ("FLOAT", "HALF", "BF16", "INT64")] == \
        [torch.float32, torch.float16, torch.bfloat16, torch.int64]
    with pytest.raises(RuntimeError, match="tensor 'depth' has type FP8, which this backend cannot"):
        torch_dtype(torch, kinds.FP8, "depth")
