"""ONNX Runtime backend: CPU execution provider (thread count) or CUDA EP where present.

onnxruntime-gpu lists CUDAExecutionProvider whenever it is installed, even when the CUDA or cuDNN
libraries cannot load; the session then silently runs on the CPU. So after creating a CUDA session
the providers it actually got (``session.get_providers()``) are checked, and a session without the
CUDA EP is refused (BackendUnavailable) instead of running on the CPU under a CUDA label.
An fp16 ONNX (onnx_fp16.py: fp16 inside, float32 inputs/outputs) runs as any other file, and so
does an int8 one (Q/DQ nodes: calibration.cached_qdq_onnx); ``effective_precision`` says what the
file holds: "fp32", "fp16", or for a quantised file "int8+fp32" / "int8+fp16" (its float layers),
as OpenVINO reports it.

CPU sessions do not spin-wait: ONNX Runtime's intra-op threads by default busy-wait for the next
run after each one, which suits back-to-back batches but not a node that runs once per camera
frame. In a 640x480 depth_node (benchmarks/bench_node.py, 2-core machine, alternating runs) the
spinning thread alone took 12-19 ms of CPU a frame; without it the node's whole process took
9.5-13.7 ms a frame instead of 16.8-29.6 ms (eigen2014, li2020) and 18-21 ms instead of 28-33 ms
(xian2018), with inference as fast within the machine's noise. ``spin_wait=True`` restores ONNX Runtime's default.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mono_depth_ros.inference.backends.base import BackendUnavailable, InferenceBackend, as_float32, \
    import_or_explain, is_quantized_onnx


def ort_has_cuda() -> bool:
    """True when the installed onnxruntime offers CUDAExecutionProvider."""
    try:
        import onnxruntime as ort
    except ImportError:
        return False
    return "CUDAExecutionProvider" in ort.get_available_providers()


class OnnxRuntimeBackend(InferenceBackend):
    """Runs an .onnx file.

    Args:
        model_path: the ONNX file (static input shapes, as written by export, or dynamic ones: -1).
        device: "cpu" or "cuda".
        threads: intra-op threads for the CPU EP (None: onnxruntime's default, all cores).
        spin_wait: let idle intra-/inter-op threads busy-wait for the next run (onnxruntime's
            default; off here, see the module docstring).
    """

    name = "onnxruntime"

    def __init__(self, model_path: str | Path, device: str = "cpu", threads: int | None = None,
                 spin_wait: bool = False) -> None:
        super().__init__()
        self.model_path, self.device, self.threads = Path(model_path), str(device), threads
        self.spin_wait = bool(spin_wait)
        if not self.device.startswith(("cpu", "cuda")):
            raise ValueError(f"device={device!r}: onnxruntime backend supports 'cpu' or 'cuda'")

    def load(self) -> "OnnxRuntimeBackend":
        ort = import_or_explain("onnxruntime")
        if not self.model_path.is_file():
            raise FileNotFoundError(f"model_path={str(self.model_path)!r}: ONNX file not found")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        spin = "1" if self.spin_wait else "0"
        options.add_session_config_entry("session.intra_op.allow_spinning", spin)
        options.add_session_config_entry("session.inter_op.allow_spinning", spin)
        self.session_options = options
        if self.threads:
            options.intra_op_num_threads = int(self.threads)
            options.inter_op_num_threads = 1
        if self.device.startswith("cuda"):
            if not ort_has_cuda():
                raise BackendUnavailable("onnxruntime has no CUDAExecutionProvider: pip install onnxruntime-gpu")
            device_id = int(self.device.split(":")[1]) if ":" in self.device else 0
            providers = [("CUDAExecutionProvider", {"device_id": device_id}), "CPUExecutionProvider"]
        else:
            providers = ["CPUExecutionProvider"]
        self.session = ort.InferenceSession(str(self.model_path), options, providers=providers)
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
        from mono_depth_ros.inference.onnx_fp16 import is_fp16_onnx

        floating = "fp16" if is_fp16_onnx(self.model_path) else "fp32"
        self.effective_precision = f"int8+{floating}" if is_quantized_onnx(self.model_path) else floating
        self.loaded = True
        return self

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
        return f"onnxruntime {self._version} {ep} {self.effective_precision}{threads} ({self.model_path.name})"
