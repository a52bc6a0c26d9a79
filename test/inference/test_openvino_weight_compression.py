"""bf16_w8 / bf16_w4 (OpenVINO bf16 activations, int8 / int4 fully connected weights via NNCF weight
compression): parity with fp32 on the light eigen2014 (two fully connected layers, 1280 -> 512 ->
1280), the low-bit weights really in the compiled model, refusals in one line, and auto's fallback.
The compression alone (fp32 activations, so it runs on CPUs without bf16) is checked against fp32
too: int8 per output channel, int4 in groups of 128 with one scale per group and no zero point.
Errors are max |diff| over the fp32 output's range. No timing here: speed is in
benchmarks/bench_inference.py."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from mono_depth_ros.core.errors import InputError
from mono_depth_ros.inference.backends.base import BackendUnavailable
from mono_depth_ros.inference.backends.registry import Candidate, auto_candidates, create_backend
from mono_depth_ros.inference.spec import get_spec

WEIGHT_PRECISIONS = ("bf16_w8", "bf16_w4")


def _why_no_compression() -> str | None:
    """Why OpenVINO weight compression cannot run here, or None."""
    if importlib.util.find_spec("openvino") is None:
        return "openvino not installed (pip install openvino)"
    from mono_depth_ros.inference.backends.openvino_backend import openvino_available

    ok, why = openvino_available()
    if not ok:
        return why
    if importlib.util.find_spec("nncf") is None:
        return "nncf not installed (pip install nncf)"
    return None


def _why_no_bf16_w8() -> str | None:
    """Why bf16_w8 / bf16_w4 cannot run here, or None."""
    why = _why_no_compression()
    if why is not None:
        return why
    import openvino as ov

    if "BF16" not in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"):
        return "this CPU has no bf16 (OpenVINO capability BF16)"
    return None


NO_COMPRESSION, NO_BF16_W8 = _why_no_compression(), _why_no_bf16_w8()
NEEDS_COMPRESSION = pytest.mark.skipif(NO_COMPRESSION is not None, reason=str(NO_COMPRESSION))
NEEDS_BF16_W8 = pytest.mark.skipif(NO_BF16_W8 is not None, reason=str(NO_BF16_W8))
#: bf16 activations alone reach ~1e-2 of the range on these networks (test_precision.py allows 3e-2);
#: per-channel int8 weights add a rounding of 1/255 of each output channel's weight range, int4 groups
#: of 1/15 of each group's (fp32 activations below: 3e-5 and 8e-4 measured on this input)
BF16_W_TOLERANCE = 3e-2
#: fp32 activations, compressed weights only: the rounding of the weights alone
FP32_W_TOLERANCE = {8: 2e-4, 4: 5e-3}
#: light eigen2014's fully connected weights (out, in): coarse.fc.0 and coarse.fc.3
FC_SHAPES = [(512, 1280), (1280, 512)]
LOW_BIT = {8: {"u8", "i8"}, 4: {"u4", "i4"}}


def _relative_error(got: np.ndarray, ref: np.ndarray) -> float:
    return float(np.abs(got - ref).max() / (float(np.ptp(ref)) or 1.0))


def _runtime_layers(compiled, kind: str) -> list[list[tuple[str, tuple]]]:
    """(element type, shape) of every input of every layer of type ``kind`` in the compiled model."""
    return [[(port.get_element_type().get_type_name(),
              tuple(port.get_shape()) if port.get_partial_shape().is_static else None) for port in op.inputs()]
            for op in compiled.get_runtime_model().get_ordered_ops()
            if op.get_rt_info()["layerType"].astype(str) == kind]


def _bits(precision: str) -> int:
    return int(precision.rsplit("_w", 1)[1])


@pytest.fixture(scope="module")
def eigen_compressed(onnx_files):
    from mono_depth_ros.inference.backends.openvino_backend import OpenVinoBackend

    return {p: OpenVinoBackend(onnx_files["eigen2014"], p, threads=1).load() for p in WEIGHT_PRECISIONS}


@pytest.fixture(scope="module")
def eigen_reference(onnx_files):
    from mono_depth_ros.inference.backends.onnxruntime_backend import OnnxRuntimeBackend

    reference = OnnxRuntimeBackend(onnx_files["eigen2014"], threads=1).load()
    x = {n: np.random.default_rng(3).random(s, dtype=np.float32) for n, s in reference.input_shapes.items()}
    return x, reference.infer(x)


@NEEDS_COMPRESSION
@pytest.mark.parametrize("bits", [8, 4])
def test_fc_weight_compression_alone_matches_fp32(bits, onnx_files, eigen_reference):
    """fp32 activations: only the weights are rounded; the runtime keeps them low-bit in the
    FullyConnected layers, int4 with one scale per group of 128 inputs and no zero point."""
    import openvino as ov

    from mono_depth_ros.inference.backends.openvino_backend import (INT4_GROUP_SIZE, compressed_fc_weights,
                                                                   runtime_precision)

    core = ov.Core()
    model = compressed_fc_weights(core.read_model(str(onnx_files["eigen2014"])), bits)
    compiled = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": 1})
    assert runtime_precision(compiled) == f"fp32_w{bits}"
    x, ref = eigen_reference
    got = list(compiled.create_infer_request().infer(list(x.values())).values())
    for (name, value), out in zip(ref.items(), got):
        assert 0 < _relative_error(np.asarray(out), value) <= FP32_W_TOLERANCE[bits], name  # > 0: rounded
    layers = _runtime_layers(compiled, "FullyConnected")
    assert [layer[1][1] for layer in layers] == FC_SHAPES  # the weights, (out, in), whole
    assert all(layer[1][0] in LOW_BIT[bits] for layer in layers), layers
    if bits == 4:  # the scales: (out, in / 128); no zero point (symmetric)
        assert [layer[3][1] for layer in layers] == [(o, i // INT4_GROUP_SIZE) for o, i in FC_SHAPES]
        assert all(layer[4][1] in ((0,), None) for layer in layers), layers
    else:  # one scale and one zero point per output channel (asymmetric)
        assert [(layer[3][1], layer[4][1]) for layer in layers] == [((o, 1), (o, 1)) for o, _ in FC_SHAPES]


@NEEDS_BF16_W8
@pytest.mark.parametrize("precision", WEIGHT_PRECISIONS)
def test_bf16_weight_precisions_match_fp32_and_report_themselves(precision, eigen_compressed, eigen_reference):
    backend = eigen_compressed[precision]
    x, ref = eigen_reference
    got = backend.infer(x)
    assert backend.effective_precision == precision and precision in backend.describe()
    for name in ref:
        assert got[name].dtype == np.float32 and got[name].shape == ref[name].shape
        assert 0 < _relative_error(got[name], ref[name]) <= BF16_W_TOLERANCE, name  # > 0: not fp32


@NEEDS_BF16_W8
@pytest.mark.parametrize("precision", WEIGHT_PRECISIONS)
def test_bf16_weight_precisions_hold_low_bit_weights_only_in_fully_connected_layers(precision, eigen_compressed):
    compiled, bits = eigen_compressed[precision].compiled, _bits(precision)
    fc = [layer[1] for layer in _runtime_layers(compiled, "FullyConnected")]
    conv = [layer[1] for layer in _runtime_layers(compiled, "Convolution") if len(layer) > 1]
    assert [shape for _, shape in fc] == FC_SHAPES and {t for t, _ in fc} <= LOW_BIT[bits], fc
    assert conv and not {t for t, _ in conv} & (LOW_BIT[8] | LOW_BIT[4]), conv
    constants = [op for op in compiled.get_runtime_model().get_ordered_ops()
                 if op.get_rt_info()["layerType"].astype(str) == "Const"]
    low_bit_constants = sorted(tuple(op.get_output_shape(0)) for op in constants
                               if op.get_output_element_type(0).get_type_name() in LOW_BIT[bits])
    # int8: coarse.fc.0 (512 x 1280) and coarse.fc.3 (1280 x 512) whole, one zero point per output channel;
    # int4: the same weights, symmetric (no zero point)
    assert low_bit_constants == ([(512, 1), (512, 1280), (1280, 1), (1280, 512)] if bits == 8 else
                                 [(512, 1280), (1280, 512)])


@NEEDS_BF16_W8
@pytest.mark.parametrize("precision", WEIGHT_PRECISIONS)
def test_bf16_weight_precisions_refuse_a_network_without_fully_connected_layers(precision, onnx_files):
    from mono_depth_ros.inference.backends.openvino_backend import OpenVinoBackend

    bits = _bits(precision)
    with pytest.raises(BackendUnavailable, match=rf"{precision}: no int{bits} fully connected weights.*use bf16") \
            as info:
        OpenVinoBackend(onnx_files["xian2018"], precision, threads=1).load()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("precision", WEIGHT_PRECISIONS)
@pytest.mark.parametrize("backend", ["onnxruntime", "torch"])
def test_backends_without_weight_compression_refuse_it_in_one_line(backend, precision, checkpoints, onnx_files):
    path = checkpoints["eigen2014"] if backend == "torch" else onnx_files["eigen2014"]
    with pytest.raises(InputError, match=rf"precision='{precision}': backend '{backend}' offers") as info:
        create_backend(backend, path, get_spec("eigen2014"), precision, device="cpu")
    assert "\n" not in str(info.value)


def test_auto_order_for_weight_precisions():
    for precision in WEIGHT_PRECISIONS:
        cpu = [(c.kind, c.precision) for c in auto_candidates(precision, "cpu")]
        assert cpu[0] == ("openvino", precision)
        assert cpu.index(("openvino", "bf16")) < cpu.index(("openvino", "fp32"))  # same activations first
        assert Candidate("tensorrt", "cuda", "fp16") in auto_candidates(precision, "cuda")  # GPUs: half precision
    w4 = [c.precision for c in auto_candidates("bf16_w4", "cpu") if c.kind == "openvino"]
    assert w4 == ["bf16_w4", "bf16_w8", "bf16", "fp32"]  # one weight step at a time
    assert "bf16_w4" not in [c.precision for c in auto_candidates("bf16_w8", "cpu")]  # never fewer bits than asked


@NEEDS_BF16_W8
def test_auto_runs_bf16_when_bf16_w8_is_refused(onnx_files, input_hw):
    backend, reason = create_backend("auto", onnx_files["xian2018"], get_spec("xian2018"), "bf16_w8", device="cpu",
                                     input_hw=input_hw["xian2018"], threads=1)
    assert backend.name == "openvino" and backend.effective_precision == "bf16"
    assert "(precision bf16_w8 -> bf16)" in reason and "openvino CPU bf16_w8: BackendUnavailable" in reason


@NEEDS_BF16_W8
def test_auto_runs_bf16_when_bf16_w4_and_bf16_w8_are_refused(onnx_files, input_hw):
    backend, reason = create_backend("auto", onnx_files["xian2018"], get_spec("xian2018"), "bf16_w4", device="cpu",
                                     input_hw=input_hw["xian2018"], threads=1)
    assert backend.name == "openvino" and backend.effective_precision == "bf16"
    assert "(precision bf16_w4 -> bf16)" in reason
    assert "openvino CPU bf16_w4: BackendUnavailable" in reason and "openvino CPU bf16_w8: BackendUnavailable" in reason


@pytest.mark.skipif(NO_COMPRESSION is not None or NO_BF16_W8 is None,
                    reason="needs OpenVINO on a CPU without bf16 (with bf16: the tests above)")
@pytest.mark.parametrize("precision", WEIGHT_PRECISIONS)
def test_auto_runs_fp32_on_a_cpu_without_bf16(precision, onnx_files, input_hw):
    backend, reason = create_backend("auto", onnx_files["eigen2014"], get_spec("eigen2014"), precision, device="cpu",
                                     input_hw=input_hw["eigen2014"], threads=1)
    assert backend.name == "openvino" and backend.effective_precision == "fp32"
    assert f"(precision {precision} -> fp32)" in reason and "has no BF16 support" in reason


class _Estimator:
    def __init__(self, effective_precision: str) -> None:
        self.backend = type("Backend", (), {"effective_precision": effective_precision})()
        self.backend_description = f"test runtime {effective_precision}"


@pytest.mark.parametrize("precision", WEIGHT_PRECISIONS)
def test_node_precision_check_for_weight_precisions_and_int8(precision):
    from mono_depth_ros.nodes.depth_config import DEPTH_PARAMS
    from mono_depth_ros.nodes.ego_motion_config import EGO_PARAMS
    from mono_depth_ros.nodes.model_loading import checked_precision
    from mono_depth_ros.nodes.params import ConfigError

    for params in (DEPTH_PARAMS, EGO_PARAMS):
        assert precision in next(p for p in params if p.name == "precision").choices
    warnings: list[str] = []
    assert checked_precision(_Estimator(precision), "openvino", precision, warnings.append) == precision
    with pytest.raises(ConfigError, match=rf"precision='{precision}'.*backend 'openvino'.*runs bf16"):
        checked_precision(_Estimator("bf16"), "openvino", precision, warnings.append)
    assert checked_precision(_Estimator("bf16"), "auto", precision, warnings.append) == "bf16"
    assert len(warnings) == 1 and precision in warnings[0]
    # fewer weight bits than asked is not what was asked either
    with pytest.raises(ConfigError, match=rf"precision='{precision}'.*runs bf16_w"):
        other = "bf16_w8" if precision == "bf16_w4" else "bf16_w4"
        checked_precision(_Estimator(other), "openvino", precision, warnings.append)
    # a quantised OpenVINO model reports its float layers too: still int8
    assert checked_precision(_Estimator("int8+bf16"), "openvino", "int8", warnings.append) == "int8+bf16"
    assert len(warnings) == 1
