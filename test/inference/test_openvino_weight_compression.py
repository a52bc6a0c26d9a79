"""bf16_w8 (OpenVINO bf16 activations, int8 fully connected weights via NNCF weight compression):
parity with fp32 on the light eigen2014 (two fully connected layers, 1280 -> 512 -> 1280), the
int8 weights really in the compiled model, refusals in one line, and auto's fallback. Errors are
max |diff| over the fp32 output's range. No timing here: speed is in benchmarks/bench_inference.py."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from mono_depth_ros.core.errors import InputError
from mono_depth_ros.inference.backends.base import BackendUnavailable
from mono_depth_ros.inference.backends.registry import Candidate, auto_candidates, create_backend
from mono_depth_ros.inference.spec import get_spec


def _why_no_bf16_w8() -> str | None:
    """Why bf16_w8 cannot run here, or None."""
    if importlib.util.find_spec("openvino") is None:
        return "openvino not installed (pip install openvino)"
    from mono_depth_ros.inference.backends.openvino_backend import openvino_available

    ok, why = openvino_available()
    if not ok:
        return why
    if importlib.util.find_spec("nncf") is None:
        return "nncf not installed (pip install nncf)"
    import openvino as ov

    if "BF16" not in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"):
        return "this CPU has no bf16 (OpenVINO capability BF16)"
    return None


NO_BF16_W8 = _why_no_bf16_w8()
NEEDS_BF16_W8 = pytest.mark.skipif(NO_BF16_W8 is not None, reason=str(NO_BF16_W8))
#: bf16 activations alone reach ~1e-2 of the range on these networks (test_precision.py allows 3e-2);
#: per-channel int8 weights add a rounding of 1/255 of each output channel's weight range
BF16_W8_TOLERANCE = 3e-2


def _relative_error(got: np.ndarray, ref: np.ndarray) -> float:
    return float(np.abs(got - ref).max() / (float(np.ptp(ref)) or 1.0))


def _fc_weight_types(backend) -> dict[str, list[str]]:
    """Layer type -> element types of the weight input (port 1) of every layer of that type that
    runs in the compiled (runtime) model."""
    found: dict[str, list[str]] = {}
    for op in backend.compiled.get_runtime_model().get_ordered_ops():
        kind = op.get_rt_info()["layerType"].astype(str)
        if kind in ("FullyConnected", "Convolution") and op.get_input_size() > 1:
            found.setdefault(kind, []).append(op.input(1).get_element_type().get_type_name())
    return found


@pytest.fixture(scope="module")
def eigen_w8(onnx_files):
    from mono_depth_ros.inference.backends.openvino_backend import OpenVinoBackend

    return OpenVinoBackend(onnx_files["eigen2014"], "bf16_w8", threads=1).load()


@NEEDS_BF16_W8
def test_bf16_w8_matches_fp32_and_reports_itself(eigen_w8, onnx_files):
    from mono_depth_ros.inference.backends.onnxruntime_backend import OnnxRuntimeBackend

    reference = OnnxRuntimeBackend(onnx_files["eigen2014"], threads=1).load()
    x = {n: np.random.default_rng(3).random(s, dtype=np.float32) for n, s in reference.input_shapes.items()}
    ref, got = reference.infer(x), eigen_w8.infer(x)
    assert eigen_w8.effective_precision == "bf16_w8" and "bf16_w8" in eigen_w8.describe()
    for name in ref:
        assert got[name].dtype == np.float32 and got[name].shape == ref[name].shape
        assert 0 < _relative_error(got[name], ref[name]) <= BF16_W8_TOLERANCE, name  # > 0: not fp32


@NEEDS_BF16_W8
def test_bf16_w8_holds_int8_weights_only_in_fully_connected_layers(eigen_w8):
    weights = _fc_weight_types(eigen_w8)
    assert weights["FullyConnected"] and set(weights["FullyConnected"]) <= {"u8", "i8"}, weights
    assert weights["Convolution"] and not set(weights["Convolution"]) & {"u8", "i8"}, weights
    constants = [op for op in eigen_w8.compiled.get_runtime_model().get_ordered_ops()
                 if op.get_rt_info()["layerType"].astype(str) == "Const"]
    int8_constants = sorted(tuple(op.get_output_shape(0)) for op in constants
                            if op.get_output_element_type(0).get_type_name() in ("u8", "i8"))
    # light eigen2014: coarse.fc.0 (512 x 1280) and coarse.fc.3 (1280 x 512) whole, one zero point per output channel
    assert int8_constants == [(512, 1), (512, 1280), (1280, 1), (1280, 512)]


@NEEDS_BF16_W8
def test_bf16_w8_refuses_a_network_without_fully_connected_layers(onnx_files):
    from mono_depth_ros.inference.backends.openvino_backend import OpenVinoBackend

    with pytest.raises(BackendUnavailable, match=r"bf16_w8: no int8 fully connected weights.*use bf16") as info:
        OpenVinoBackend(onnx_files["xian2018"], "bf16_w8", threads=1).load()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("backend", ["onnxruntime", "torch"])
def test_backends_without_weight_compression_refuse_bf16_w8_in_one_line(backend, checkpoints, onnx_files):
    path = checkpoints["eigen2014"] if backend == "torch" else onnx_files["eigen2014"]
    with pytest.raises(InputError, match=rf"precision='bf16_w8': backend '{backend}' offers") as info:
        create_backend(backend, path, get_spec("eigen2014"), "bf16_w8", device="cpu")
    assert "\n" not in str(info.value)


def test_auto_order_for_bf16_w8():
    cpu = [(c.kind, c.precision) for c in auto_candidates("bf16_w8", "cpu")]
    assert cpu[0] == ("openvino", "bf16_w8")
    assert cpu.index(("openvino", "bf16")) < cpu.index(("openvino", "fp32"))  # same activations first
    assert Candidate("tensorrt", "cuda", "fp16") in auto_candidates("bf16_w8", "cuda")  # GPUs: half precision


@NEEDS_BF16_W8
def test_auto_runs_bf16_when_bf16_w8_is_refused(onnx_files, input_hw):
    backend, reason = create_backend("auto", onnx_files["xian2018"], get_spec("xian2018"), "bf16_w8", device="cpu",
                                     input_hw=input_hw["xian2018"], threads=1)
    assert backend.name == "openvino" and backend.effective_precision == "bf16"
    assert "(precision bf16_w8 -> bf16)" in reason and "openvino CPU bf16_w8: BackendUnavailable" in reason


class _Estimator:
    def __init__(self, effective_precision: str) -> None:
        self.backend = type("Backend", (), {"effective_precision": effective_precision})()
        self.backend_description = f"test runtime {effective_precision}"


def test_node_precision_check_for_bf16_w8_and_int8():
    from mono_depth_ros.nodes.depth_config import DEPTH_PARAMS
    from mono_depth_ros.nodes.model_loading import checked_precision
    from mono_depth_ros.nodes.params import ConfigError

    assert "bf16_w8" in next(p for p in DEPTH_PARAMS if p.name == "precision").choices
    warnings: list[str] = []
    assert checked_precision(_Estimator("bf16_w8"), "openvino", "bf16_w8", warnings.append) == "bf16_w8"
    with pytest.raises(ConfigError, match=r"precision='bf16_w8'.*backend 'openvino'.*runs bf16"):
        checked_precision(_Estimator("bf16"), "openvino", "bf16_w8", warnings.append)
    assert checked_precision(_Estimator("bf16"), "auto", "bf16_w8", warnings.append) == "bf16"
    assert len(warnings) == 1 and "bf16_w8" in warnings[0]
    # a quantised OpenVINO model reports its float layers too: still int8
    assert checked_precision(_Estimator("int8+bf16"), "openvino", "int8", warnings.append) == "int8+bf16"
    assert len(warnings) == 1

