"""GPU backends against ONNX Runtime CPU fp32 (the reference): fp32 within 1e-3 of the output
range, fp16 within 1e-2; TensorRT's engine cache and dynamic-shape profile. Skipped (with the
reason) where the library or the GPU is missing; ``make gpu-check`` runs them on an NVIDIA machine.
UNVERIFIED until then: written against the documented TensorRT 10/11 and onnxruntime-gpu APIs."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.inference.backends.onnxruntime_backend import ort_has_cuda
from mono_depth_ros.inference.backends.registry import create_backend
from mono_depth_ros.inference.backends.tensorrt_backend import tensorrt_available
from mono_depth_ros.inference.spec import get_spec

TOLERANCE = {"fp32": 1e-3, "tf32": 1e-2, "fp16": 1e-2, "int8": 1e-1}
NAMES = ("eigen2014", "xian2018", "li2020_depth", "li2020_motion")


def _torch_cuda() -> tuple[bool, str]:
    import torch

    if torch.cuda.is_available():
        return True, ""
    return False, "torch CPU-only build" if torch.version.cuda is None else "no CUDA device"


def _check(backend, onnx_path, spec, tolerance: float) -> None:
    ref, _ = create_backend("onnxruntime", onnx_path, spec, device="cpu")
    x = {n: np.random.default_rng(2).random(s, dtype=np.float32) for n, s in ref.input_shapes.items()}
    got, want = backend.infer(x), ref.infer(x)
    for out in spec.output_names:
        span = float(np.ptp(want[out])) or float(np.abs(want[out]).max()) or 1.0
        err = np.abs(got[out] - want[out]) / span
        if out == "residual_translation":  # thresholded by auto_mask: a few pixels may flip
            assert np.mean(err > tolerance) < 2e-2, out
        else:
            assert float(err.max()) <= tolerance, f"{out}: {float(err.max()):.3g} > {tolerance:g}"


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
@pytest.mark.parametrize("name", NAMES)
def test_tensorrt_matches_onnxruntime_cpu(name, precision, onnx_files, tmp_path):
    ok, why = tensorrt_available()
    if not ok:
        pytest.skip(f"TensorRT parity needs tensorrt + CUDA: {why}")
    spec = get_spec(name)
    backend, _ = create_backend("tensorrt", onnx_files[name], spec, precision=precision, cache_dir=tmp_path)
    assert backend.effective_precision == precision and backend.built
    _check(backend, onnx_files[name], spec, TOLERANCE[precision])
    again, _ = create_backend("tensorrt", onnx_files[name], spec, precision=precision, cache_dir=tmp_path)
    assert again.built is False  # second load reuses the cached engine


def test_tensorrt_dynamic_onnx_gets_a_profile_and_tf32_is_a_choice(onnx_files, tmp_path):
    ok, why = tensorrt_available()
    if not ok:
        pytest.skip(f"TensorRT needs tensorrt + CUDA: {why}")
    import onnx

    proto = onnx.load(str(onnx_files["li2020_depth"]))
    for i, dim in enumerate(proto.graph.input[0].type.tensor_type.shape.dim):
        if i in (0, 2, 3):
            dim.dim_param = "NHW"[(0, 2, 3).index(i)]
    for dim in proto.graph.output[0].type.tensor_type.shape.dim:
        dim.dim_param = "d"
    dynamic = tmp_path / "dynamic.onnx"
    onnx.save(proto, str(dynamic))
    spec = get_spec("li2020_depth")
    backend, _ = create_backend("tensorrt", dynamic, spec, input_hw=(64, 96), cache_dir=tmp_path)
    assert backend.input_shapes == {"rgb": (1, 3, 64, 96)}
    _check(backend, onnx_files["li2020_depth"], spec, TOLERANCE["fp32"])
    tf32, _ = create_backend("tensorrt", onnx_files["li2020_depth"], spec, allow_tf32=True, cache_dir=tmp_path)
    assert tf32.effective_precision == "tf32" and tf32.engine_path != backend.engine_path
    _check(tf32, onnx_files["li2020_depth"], spec, TOLERANCE["tf32"])


def test_tensorrt_rebuilds_a_corrupt_cached_engine(onnx_files, tmp_path):
    ok, why = tensorrt_available()
    if not ok:
        pytest.skip(f"TensorRT needs tensorrt + CUDA: {why}")
    spec = get_spec("eigen2014")
    first, _ = create_backend("tensorrt", onnx_files["eigen2014"], spec, cache_dir=tmp_path)
    first.engine_path.write_bytes(b"not an engine")
    second, _ = create_backend("tensorrt", onnx_files["eigen2014"], spec, cache_dir=tmp_path)
    assert second.built and second.engine_path.read_bytes() != b"not an engine"


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
@pytest.mark.parametrize("name", NAMES)
def test_onnxruntime_cuda_matches_cpu(name, precision, onnx_files, tmp_path):
    if not ort_has_cuda():
        pytest.skip("onnxruntime-gpu not installed")
    spec = get_spec(name)
    backend, _ = create_backend("onnxruntime", onnx_files[name], spec, precision=precision, device="cuda",
                                cache_dir=tmp_path)
    assert "CUDAExecutionProvider" in backend.describe()
    _check(backend, onnx_files[name], spec, TOLERANCE[precision])


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
@pytest.mark.parametrize("name", NAMES)
def test_torch_cuda_matches_onnxruntime_cpu(name, precision, checkpoints, onnx_files):
    ok, why = _torch_cuda()
    if not ok:
        pytest.skip(f"torch CUDA: {why}")
    spec = get_spec(name)
    backend, _ = create_backend("torch", checkpoints[name], spec, precision=precision, device="cuda")
    _check(backend, onnx_files[name], spec, TOLERANCE[precision])
