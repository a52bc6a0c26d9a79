"""Backend registry: auto selection with its reason, explicit choices, errors; TensorRT parity."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.core.errors import InputError
from mono_depth_ros.inference.backends.base import BackendUnavailable
from mono_depth_ros.inference.backends.onnxruntime_backend import OnnxRuntimeBackend, ort_has_cuda
from mono_depth_ros.inference.backends.registry import create_backend
from mono_depth_ros.inference.backends.tensorrt_backend import tensorrt_available
from mono_depth_ros.inference.backends.torch_backend import TorchBackend
from mono_depth_ros.inference.spec import get_spec


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.mark.skipif(_cuda() or ort_has_cuda(), reason="auto picks a GPU backend on this machine")
def test_auto_picks_onnxruntime_cpu_and_says_why(onnx_files):
    backend, reason = create_backend("auto", onnx_files["xian2018"], get_spec("xian2018"), threads=1)
    assert isinstance(backend, OnnxRuntimeBackend)
    assert reason.startswith("auto chose onnxruntime CPU")
    assert "tensorrt" in reason and "CUDAExecutionProvider" in reason and "torch CUDA not available" in reason
    assert "CPUExecutionProvider" in backend.describe()


def test_auto_fp16_on_cpu_falls_back_to_fp32(onnx_files):
    if _cuda() or ort_has_cuda():
        pytest.skip("GPU present: fp16 stays fp16")
    _, reason = create_backend("auto", onnx_files["li2020_depth"], get_spec("li2020_depth"), precision="fp16")
    assert "precision fp16 -> fp32" in reason


def test_checkpoint_on_onnxruntime_is_exported_once_to_the_cache(checkpoints, tmp_path):
    spec = get_spec("li2020_depth")
    first, _ = create_backend("onnxruntime", checkpoints["li2020_depth"], spec, cache_dir=tmp_path, threads=1)
    files = list((tmp_path / "onnx").glob("*.onnx"))
    assert len(files) == 1 and first.model_path == files[0]
    stamp = files[0].stat().st_mtime_ns
    second, _ = create_backend("onnxruntime", checkpoints["li2020_depth"], spec, cache_dir=tmp_path, threads=1)
    assert second.model_path == files[0] and files[0].stat().st_mtime_ns == stamp  # reused, not re-exported


def test_explicit_torch_backend(checkpoints):
    backend, reason = create_backend("torch", checkpoints["eigen2014"], get_spec("eigen2014"), device="cpu", threads=1)
    assert isinstance(backend, TorchBackend) and reason == "backend 'torch' requested"
    out = backend.infer({"rgb": np.zeros((1, 3, 128, 160), np.float32)})
    assert out["log_depth"].shape == (1, 1, 32, 40) and out["log_depth"].dtype == np.float32


def test_errors_name_the_problem(checkpoints, onnx_files, tmp_path):
    spec = get_spec("eigen2014")
    with pytest.raises(InputError, match="backend='openvino'"):
        create_backend("openvino", checkpoints["eigen2014"], spec)
    with pytest.raises(BackendUnavailable, match="needs a .pt checkpoint"):
        create_backend("torch", onnx_files["eigen2014"], spec)
    with pytest.raises(ValueError, match="fp16 needs CUDA"):
        TorchBackend(checkpoints["eigen2014"], spec, (128, 160), precision="fp16", device="cpu")
    with pytest.raises(FileNotFoundError, match="missing.onnx"):
        create_backend("onnxruntime", tmp_path / "missing.onnx", spec)
    backend, _ = create_backend("onnxruntime", onnx_files["eigen2014"], spec)
    with pytest.raises(InputError, match="shape"):
        backend.infer({"rgb": np.zeros((1, 3, 64, 64), np.float32)})


@pytest.mark.skipif(tensorrt_available()[0], reason="tensorrt is usable here")
def test_tensorrt_unavailable_names_the_pip_package(onnx_files):
    with pytest.raises(BackendUnavailable, match="pip install tensorrt|CUDA"):
        create_backend("tensorrt", onnx_files["li2020_depth"], get_spec("li2020_depth"))


@pytest.mark.parametrize("name", ["li2020_depth", "li2020_motion"])
def test_tensorrt_fp16_matches_onnxruntime(name, onnx_files, tmp_path):
    ok, why = tensorrt_available()
    if not ok:
        pytest.skip(f"TensorRT parity needs tensorrt + CUDA: {why}")
    spec = get_spec(name)
    trt_backend, _ = create_backend("tensorrt", onnx_files[name], spec, precision="fp16", cache_dir=tmp_path)
    ort_backend, _ = create_backend("onnxruntime", onnx_files[name], spec, device="cpu")
    x = {spec.input_names[0]: np.random.default_rng(2).random(ort_backend.input_shapes[spec.input_names[0]],
                                                               dtype=np.float32)}
    got, ref = trt_backend.infer(x), ort_backend.infer(x)
    for out in spec.output_names:
        span = float(ref[out].max() - ref[out].min()) or float(np.abs(ref[out]).max()) or 1.0
        assert float(np.abs(got[out] - ref[out]).max()) <= 1e-2 * span, out
    again, _ = create_backend("tensorrt", onnx_files[name], spec, precision="fp16", cache_dir=tmp_path)
    assert again.built is False  # second load reuses the cached engine
