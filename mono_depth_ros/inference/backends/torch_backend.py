"""PyTorch backend: CPU or CUDA, fp16 on CUDA, bf16 autocast, channels_last, optional torch.compile.

torch.compile uses its default mode, not "reduce-overhead": that mode records CUDA graphs whose
state is per thread, and the nodes warm the model up in the loading thread but run it in a worker
thread, where the recorded graphs would be re-recorded or fail.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mono_depth_ros.inference.backends.base import BackendUnavailable, InferenceBackend, import_or_explain
from mono_depth_ros.inference.spec import ModelSpec


def outputs_as_tuple(out: Any) -> tuple:
    """A module's output (tensor, NamedTuple or tuple) as a tuple in output-name order."""
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


class TorchBackend(InferenceBackend):
    """Runs a checkpoint (models/checkpoint.py) or an nn.Module with torch.

    Args:
        model_path: a ``.pt`` model checkpoint (ignored when ``model`` is given).
        spec: the ModelSpec (input/output names).
        input_hw: network input size (height, width).
        precision: "fp32", "fp16" (CUDA only; weights in half) or "bf16" (autocast, CPU or CUDA).
        device: "cpu", "cuda" or "cuda:N".
        channels_last, compile: memory format and torch.compile (default mode, no CUDA graphs).
        threads: torch intra-op threads on CPU (None or 0 leave torch's default; the registry
            refuses negative counts and warns above os.cpu_count()). torch's count is per process.
    """

    name = "torch"

    def __init__(self, model_path: str | Path | None, spec: ModelSpec, input_hw: tuple[int, int],
                 precision: str = "fp32", device: str = "cpu", channels_last: bool = False,
                 compile: bool = False, threads: int | None = None, model: Any = None) -> None:
        super().__init__()
        if precision not in ("fp32", "fp16", "bf16"):
            raise ValueError(f"precision={precision!r}: torch backend supports 'fp32', 'fp16' or 'bf16'")
        if precision == "fp16" and not str(device).startswith("cuda"):
            raise ValueError(f"precision='fp16' with device={device!r}: fp16 needs CUDA; use fp32 on CPU")
        self.model_path, self.spec, self.input_hw = model_path, spec, tuple(input_hw)
        self.precision, self.device, self.channels_last = precision, str(device), channels_last
        self.compile, self.threads, self.model = compile, threads, model

    def load(self) -> "TorchBackend":
        torch = import_or_explain("torch")
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            if torch.version.cuda is None:
                raise BackendUnavailable(f"torch {torch.__version__} is a CPU-only build: install a CUDA build of torch")
            raise BackendUnavailable(f"torch {torch.__version__} (CUDA {torch.version.cuda}) sees no CUDA device "
                                     "(driver missing or CUDA_VISIBLE_DEVICES empty?)")
        if self.threads:
            torch.set_num_threads(int(self.threads))
        if self.model is None:
            from mono_depth_ros.inference.checkpoint import load_model_checkpoint

            self.model, _, _ = load_model_checkpoint(self.model_path)
        model = self.model.eval().to(self.device)
        if self.precision == "fp16":
            model = model.half()
        if self.channels_last:
            model = model.to(memory_format=torch.channels_last)
        self._module = torch.compile(model) if self.compile else model
        self.effective_precision = self.precision
        self._torch = torch
        self.input_shapes = {self.spec.input_names[0]: self.spec.input_shape(self.input_hw)}
        self.output_names = self.spec.output_names
        self.loaded = True
        return self

    def _run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        torch = self._torch
        x = torch.from_numpy(np.ascontiguousarray(inputs[self.spec.input_names[0]], dtype=np.float32))
        x = x.to(self.device, non_blocking=True)
        if self.precision == "fp16":
            x = x.half()
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        autocast = torch.autocast(self.device.split(":")[0], dtype=torch.bfloat16, enabled=self.precision == "bf16")
        with torch.inference_mode(), autocast:
            outs = outputs_as_tuple(self._module(x))
        return {n: o.float().cpu().numpy() for n, o in zip(self.output_names, outs)}

    def describe(self) -> str:
        torch = self._torch if self.loaded else None
        version = torch.__version__ if torch else "?"
        extras = "".join([", channels_last" if self.channels_last else "", ", compiled" if self.compile else ""])
        threads = f", {torch.get_num_threads()} threads" if torch and self.device == "cpu" else ""
        src = Path(self.model_path).name if self.model_path else "in-memory module"
        return f"torch {version} {self.device} {self.precision}{threads}{extras} ({src})"
