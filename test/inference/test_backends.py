"""Backend registry: auto's order, fallbacks and reasons, strict explicit backends, ORT CUDA check.

The fallback-chain tests put stand-in backends into the registry, one per failure kind: they test
the chain's logic (every exception caught, each reason logged, the next candidate tried) and are
no evidence about TensorRT or CUDA themselves; ``make gpu-check`` is (scripts/gpu_check.sh).
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from mono_depth_ros.core.errors import InputError
from mono_depth_ros.inference.backends import registry
from mono_depth_ros.inference.backends.base import BackendUnavailable, InferenceBackend
from mono_depth_ros.inference.backends.onnxruntime_backend import OnnxRuntimeBackend, ort_has_cuda
from mono_depth_ros.inference.backends.openvino_backend import OpenVinoBackend, openvino_available
from mono_depth_ros.inference.backends.registry import Candidate, auto_candidates, create_backend
from mono_depth_ros.inference.backends.tensorrt_backend import tensorrt_available
from mono_depth_ros.inference.backends.torch_backend import TorchBackend
from mono_depth_ros.inference.spec import get_spec

NO_GPU = pytest.mark.skipif(bool(ort_has_cuda() or tensorrt_available()[0]), reason="a GPU backend is usable here")
NEEDS_OPENVINO = pytest.mark.skipif(not openvino_available()[0], reason=openvino_available()[1])


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def test_auto_order_puts_gpus_first_then_cpu_runtimes_then_fp32():
    labels = [c.label for c in auto_candidates("fp16")]
    assert labels == ["tensorrt CUDA fp16", "onnxruntime CUDA fp16", "torch CUDA fp16", "openvino CPU bf16",
                      "onnxruntime CPU bf16", "torch CPU bf16", "openvino CPU fp32", "onnxruntime CPU fp32",
                      "torch CPU fp32"]
    assert [c.label for c in auto_candidates("fp32", "cpu")] == ["openvino CPU fp32", "onnxruntime CPU fp32",
                                                                 "torch CPU fp32"]


@NO_GPU
@NEEDS_OPENVINO
def test_auto_on_a_cpu_picks_openvino_and_says_why(onnx_files, caplog):
    caplog.set_level(logging.DEBUG, logger=registry.__name__)
    backend, reason = create_backend("auto", onnx_files["xian2018"], get_spec("xian2018"), threads=1)
    assert isinstance(backend, OpenVinoBackend) and backend.effective_precision == "fp32"
    assert reason.startswith("auto chose openvino CPU; skipped: tensorrt CUDA fp32: ")
    assert "CUDAExecutionProvider" in reason and "torch needs a .pt checkpoint" in reason
    skips = [r for r in caplog.records if "auto: skipped" in r.message]  # one debug line per skipped candidate
    assert len(skips) == 3 and {r.levelno for r in skips} == {logging.DEBUG}


@NO_GPU
@NEEDS_OPENVINO
def test_auto_fp16_on_a_cpu_runs_bf16_and_int8_without_frames_falls_back(onnx_files):
    spec = get_spec("li2020_depth")
    backend, reason = create_backend("auto", onnx_files["li2020_depth"], spec, precision="fp16", threads=1)
    if "BF16" in __import__("openvino").Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"):
        assert "precision fp16 -> bf16" in reason and backend.effective_precision == "bf16"
    backend, reason = create_backend("auto", onnx_files["li2020_depth"], spec, precision="int8", threads=1)
    assert "openvino CPU int8: BackendUnavailable: int8 on OpenVINO needs calibration frames" in reason
    assert "precision int8 -> fp32" in reason and backend.effective_precision == "fp32"


class StandIn(InferenceBackend):
    """A backend whose load (or first frame) fails the way ``failure`` says; "ok" works."""

    name = "stand-in"

    def __init__(self, kind: str, failure: str) -> None:
        super().__init__()
        self.kind, self.failure = kind, failure

    def load(self) -> "StandIn":
        failures = {
            "parse": RuntimeError("TensorRT could not parse model.onnx: Unsupported operator GridSample"),
            "build_none": RuntimeError("TensorRT failed to build an engine: out of memory"),
            "cuda_init": RuntimeError("CUDA error: initialization error"),
            "cache_unwritable": PermissionError(13, "Permission denied", "/opt/cache/engines"),
            "precision": ValueError("precision='int8': torch backend supports 'fp32', 'fp16' or 'bf16'"),
            "import": BackendUnavailable("python module 'openvino' is not installed"),
        }
        if self.failure in failures:
            raise failures[self.failure]
        self.input_shapes, self.output_names, self.loaded = {"rgb": (1, 3, 4, 4)}, ("depth",), True
        self.effective_precision = "fp32"
        return self

    def _run(self, inputs):
        if self.failure == "first_frame":
            raise RuntimeError("CUDA error: no kernel image is available for execution on the device")
        return {"depth": np.ones((1, 1, 4, 4), np.float32)}

    def describe(self) -> str:
        return f"stand-in {self.kind}"


def test_auto_survives_every_failure_kind_and_logs_each(monkeypatch, onnx_files, caplog):
    plan = [Candidate("tensorrt", "cuda", "fp32"), Candidate("onnxruntime", "cuda", "fp32"),
            Candidate("torch", "cuda", "fp32"), Candidate("openvino", "cpu", "fp32"),
            Candidate("onnxruntime", "cpu", "fp32"), Candidate("torch", "cpu", "fp32")]
    failures = iter(["parse", "build_none", "cuda_init", "cache_unwritable", "first_frame", "ok"])
    by_label = {c.label: next(failures) for c in plan}
    monkeypatch.setattr(registry, "auto_candidates", lambda precision, device="auto": plan)
    monkeypatch.setattr(registry, "_precheck", lambda c, path: None)
    for kind in registry.FACTORIES:
        monkeypatch.setitem(registry.FACTORIES, kind, lambda path, spec, prec, dev, opts, kind=kind:
                            StandIn(kind, by_label[f"{kind} {dev.upper()} {prec}"]))
    caplog.set_level(logging.DEBUG, logger=registry.__name__)
    backend, reason = create_backend("auto", onnx_files["li2020_depth"], get_spec("li2020_depth"))
    assert isinstance(backend, StandIn) and backend.kind == "torch"
    for text in ("Unsupported operator GridSample", "out of memory", "initialization error", "Permission denied",
                 "no kernel image"):
        assert text in reason
        assert any(text in r.message for r in caplog.records if "auto: skipped" in r.message)


def test_auto_raises_only_when_nothing_runs(monkeypatch, onnx_files):
    monkeypatch.setattr(registry, "_precheck", lambda c, path: None)
    for kind in registry.FACTORIES:
        monkeypatch.setitem(registry.FACTORIES, kind, lambda *a, kind=kind: StandIn(kind, "precision"))
    with pytest.raises(BackendUnavailable, match="no backend can run .*torch CPU fp32: ValueError"):
        create_backend("auto", onnx_files["li2020_depth"], get_spec("li2020_depth"))


def test_explicit_backends_are_strict(checkpoints, onnx_files, monkeypatch):
    spec = get_spec("li2020_depth")
    with pytest.raises(InputError, match="backend 'onnxruntime' offers"):
        create_backend("onnxruntime", onnx_files["li2020_depth"], spec, precision="int8")
    with pytest.raises(InputError, match="precision='fp8'"):
        create_backend("auto", onnx_files["li2020_depth"], spec, precision="fp8")
    if openvino_available()[0]:
        with pytest.raises(BackendUnavailable, match="needs calibration frames"):
            create_backend("openvino", onnx_files["li2020_depth"], spec, precision="int8")
    monkeypatch.setitem(registry.FACTORIES, "onnxruntime", lambda *a: StandIn("onnxruntime", "first_frame"))
    backend, _ = create_backend("onnxruntime", onnx_files["li2020_depth"], spec)  # explicit: no trial frame
    with pytest.raises(RuntimeError, match="no kernel image"):
        backend.infer({"rgb": np.zeros((1, 3, 4, 4), np.float32)})


def test_onnxruntime_cuda_session_that_runs_on_cpu_is_refused(onnx_files, monkeypatch):
    """A real session asked for the CUDA EP on a CPU-only onnxruntime gets CPUExecutionProvider."""
    if ort_has_cuda():
        pytest.skip("onnxruntime-gpu installed: this checks the CPU-only case")
    import mono_depth_ros.inference.backends.onnxruntime_backend as ort_backend

    monkeypatch.setattr(ort_backend, "ort_has_cuda", lambda: True)  # what onnxruntime-gpu reports without CUDA libs
    with pytest.raises(BackendUnavailable, match=r"CUDAExecutionProvider did not load.*\['CPUExecutionProvider'\]"):
        OnnxRuntimeBackend(onnx_files["li2020_depth"], device="cuda").load()


def test_onnxruntime_cpu_threads_do_not_spin_unless_asked(onnx_files):
    """A node runs once per camera frame: idle intra-op threads must sleep, not busy-wait."""
    quiet = OnnxRuntimeBackend(onnx_files["li2020_depth"], threads=2).load()
    spinning = OnnxRuntimeBackend(onnx_files["li2020_depth"], threads=2, spin_wait=True).load()
    x = {name: np.random.default_rng(0).random(shape, dtype=np.float32) for name, shape in quiet.input_shapes.items()}
    for backend, expected in ((quiet, "0"), (spinning, "1")):
        for key in ("session.intra_op.allow_spinning", "session.inter_op.allow_spinning"):
            assert backend.session_options.get_session_config_entry(key) == expected
    a, b = quiet.infer(x), spinning.infer(x)
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-5, atol=1e-6)


def test_checkpoint_on_onnxruntime_is_exported_once_to_the_cache(checkpoints, tmp_path):
    spec = get_spec("li2020_depth")
    first, _ = create_backend("onnxruntime", checkpoints["li2020_depth"], spec, cache_dir=tmp_path, threads=1)
    files = list((tmp_path / "onnx").glob("*.onnx"))
    assert len(files) == 1 and first.model_path == files[0]
    stamp = files[0].stat().st_mtime_ns
    second, _ = create_backend("onnxruntime", checkpoints["li2020_depth"], spec, cache_dir=tmp_path, threads=1)
    assert second.model_path == files[0] and files[0].stat().st_mtime_ns == stamp  # reused, not re-exported


def test_explicit_torch_backend_and_bf16(checkpoints):
    backend, reason = create_backend("torch", checkpoints["eigen2014"], get_spec("eigen2014"), device="cpu", threads=1)
    assert isinstance(backend, TorchBackend) and reason == "backend 'torch' requested"
    x = {"rgb": np.random.default_rng(0).random((1, 3, 128, 160), dtype=np.float32)}
    out = backend.infer(x)["log_depth"]
    assert out.shape == (1, 1, 32, 40) and out.dtype == np.float32
    bf16, _ = create_backend("torch", checkpoints["eigen2014"], get_spec("eigen2014"), precision="bf16",
                             device="cpu", threads=1)
    got = bf16.infer(x)["log_depth"]
    assert bf16.effective_precision == "bf16" and 0 < np.abs(got - out).max() <= 3e-2 * np.ptp(out)


def test_errors_name_the_problem(checkpoints, onnx_files, tmp_path):
    spec = get_spec("eigen2014")
    with pytest.raises(InputError, match="backend='tflite'"):
        create_backend("tflite", checkpoints["eigen2014"], spec)
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
