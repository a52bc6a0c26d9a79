"""Export a network to ONNX (static shapes) and check it numerically against PyTorch.

Used by ``training export`` (training/export.py) and by the estimators, which turn a ``.pt``
checkpoint into a cached ``.onnx`` for ONNX Runtime / OpenVINO / TensorRT (key, all in the file
name: the checkpoint's sha256, the input size, the opset, this package's version and torch's
version, so an upgrade exports again instead of reusing a file the old code wrote). A cached
file that does not parse as ONNX (damaged disk, a manual copy cut short) is exported again,
once, with a warning. The ONNX file carries metadata (``spec_name``, ``model_kwargs``,
``input_hw``, ``source_sha256``) so it can be loaded without naming the spec again.
"""

from __future__ import annotations

import json
import logging
import os
import re
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np

from mono_depth_ros.core.errors import one_line
from mono_depth_ros.inference.engine_cache import cache_subfolder, file_sha256, writable_cache_folder
from mono_depth_ros.inference.spec import ModelSpec, get_spec

LOG = logging.getLogger(__name__)
DEFAULT_OPSET = 17
PARITY_TOLERANCE = 1e-4  # of the PyTorch output's range
#: a masked output (ModelSpec.masked_outputs) may differ in this fraction of its values by the mask
#: alone: one runtime keeps a vector whose norm ties with the threshold, the other zeroes it
MAX_MASK_FLIP_FRACTION = 1e-3


class ExportParityError(RuntimeError):
    """ONNX Runtime's outputs differ from PyTorch's by more than the tolerance."""


def _tuple_module(model: Any) -> Any:
    """Wrap a module so tracing sees a plain tuple (NamedTuple outputs, e.g. MotionOutput)."""
    import torch

    class TupleOutput(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, x: torch.Tensor) -> tuple:
            out = self.inner(x)
            return tuple(out) if isinstance(out, (tuple, list)) else (out,)

    return TupleOutput(model).eval()


def example_input(spec: ModelSpec, input_hw: tuple[int, int], seed: int = 0) -> np.ndarray:
    """(1, C, h, w) float32 in [0, 1), deterministic (export tracing and the parity check)."""
    rng = np.random.default_rng(seed)
    return rng.random(spec.input_shape(input_hw), dtype=np.float32)


def export_module(model: Any, spec: ModelSpec, input_hw: tuple[int, int], out_path: str | Path,
                  opset: int = DEFAULT_OPSET, metadata: dict[str, Any] | None = None) -> Path:
    """Trace ``model`` (eval mode) at (1, C, *input_hw) and write ``out_path`` with metadata."""
    import onnx
    import torch

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    dummy = torch.from_numpy(example_input(spec, input_hw))
    tmp = out_path.with_name(out_path.name + f".{os.getpid()}.tmp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings on shape checks that are constant at export
        torch.onnx.export(_tuple_module(model), (dummy,), str(tmp), input_names=list(spec.input_names),
                          output_names=list(spec.output_names), opset_version=opset, dynamo=False,
                          do_constant_folding=True)
    proto = onnx.load(str(tmp))
    meta = {"spec_name": spec.name, "input_hw": json.dumps(list(input_hw)), **{k: (v if isinstance(v, str) else
            json.dumps(v)) for k, v in (metadata or {}).items()}}
    for key, value in meta.items():
        prop = proto.metadata_props.add()
        prop.key, prop.value = key, value
    onnx.checker.check_model(proto)
    onnx.save(proto, str(tmp))
    tmp.replace(out_path)
    return out_path


def output_difference(ref: np.ndarray, got: np.ndarray, masked: bool = False) -> tuple[float, float]:
    """(max |got - ref| over the range of ``ref``, fraction of values where the mask flipped).

    ``masked``: the output is zeroed where a threshold computed from the data is not exceeded, so
    rounding can put a value on the other side of it in one runtime. Values that are exactly 0 in
    one output and not in the other are mask flips: they are counted and left out of the maximum.
    Both arrays have the same shape.
    """
    span = float(ref.max() - ref.min())
    scale = span if span > 1e-12 else max(float(np.abs(ref).max()), 1.0)
    diff = np.abs(ref.astype(np.float64) - got.astype(np.float64))
    flips = 0.0
    if masked:
        flipped = (ref == 0) != (got == 0)
        flips = float(flipped.mean())
        diff = np.where(flipped, 0.0, diff)
    return float(diff.max()) / scale, flips


def check_parity(model: Any, spec: ModelSpec, onnx_path: str | Path, input_hw: tuple[int, int],
                 tolerance: float = PARITY_TOLERANCE, seed: int = 1) -> dict[str, float]:
    """Run PyTorch and ONNX Runtime (CPU) on the same input; returns per output the max abs
    difference divided by the PyTorch output's range; raises ExportParityError above ``tolerance``."""
    import onnxruntime as ort
    import torch

    x = example_input(spec, input_hw, seed)
    with torch.inference_mode():
        out = model.eval()(torch.from_numpy(x))
    expected = [t.float().numpy() for t in (tuple(out) if isinstance(out, (tuple, list)) else (out,))]
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run(list(spec.output_names), {spec.input_names[0]: x})
    errors = {}
    for name, ref, val in zip(spec.output_names, expected, got):
        if ref.shape != val.shape:
            raise ExportParityError(f"output {name!r}: shape {val.shape} from ONNX Runtime, {ref.shape} from PyTorch")
        errors[name], flips = output_difference(ref, val, masked=name in spec.masked_outputs)
        if not errors[name] <= tolerance:
            raise ExportParityError(f"output {name!r}: max |onnx - torch| = {errors[name]:.3g} of the output range "
                                    f"> tolerance {tolerance:g} ({onnx_path})")
        if flips > MAX_MASK_FLIP_FRACTION:
            raise ExportParityError(f"output {name!r}: the mask differs in {flips:.3%} of its values "
                                    f"> {MAX_MASK_FLIP_FRACTION:.1%} ({onnx_path})")
    return errors


def export_checkpoint(checkpoint_path: str | Path, out_path: str | Path, opset: int = DEFAULT_OPSET,
                      input_hw: tuple[int, int] | None = None, tolerance: float = PARITY_TOLERANCE
                      ) -> tuple[Path, dict[str, float]]:
    """Checkpoint -> ONNX file, parity-checked. Returns (path, relative errors per output)."""
    from mono_depth_ros.inference.checkpoint import load_model_checkpoint

    model, spec, payload = load_model_checkpoint(checkpoint_path)
    hw = tuple(int(v) for v in (input_hw or spec.input_hw_for(payload["model_kwargs"], payload.get("config"))))
    meta = {"model_kwargs": payload["model_kwargs"], "source_sha256": file_sha256(checkpoint_path),
            "git_rev": str(payload.get("git_rev", "unknown"))}
    path = export_module(model, spec, hw, out_path, opset, meta)
    try:
        errors = check_parity(model, spec, path, hw, tolerance)
    except ExportParityError:
        Path(path).unlink(missing_ok=True)
        raise
    return path, errors


def onnx_file_problem(path: str | Path) -> str | None:
    """None when ``path`` parses as ONNX and passes ``onnx.checker`` (the C++ checker reads the
    file: milliseconds for the bundled networks), else why not, in one line."""
    import onnx

    try:
        onnx.checker.check_model(str(path))
    except Exception as exc:  # noqa: BLE001 - any parse or check failure means "write it again"
        return one_line(exc)
    return None


def cached_onnx_file(path: Path, write: Callable[[Path], Any], cache_dir: str | Path | None = None) -> Path:
    """``path`` when it holds a valid ONNX file; otherwise ``write(path)`` (which writes it
    atomically) after checking the folder is writable (CacheNotWritable names it). A file that is
    there but does not parse is written again once, with one warning. ``cache_dir``: the caller's
    argument (None: the default folder), for the advice when the folder is not writable."""
    if path.is_file():
        problem = onnx_file_problem(path)
        if problem is None:
            return path
        LOG.warning("cached ONNX %s is damaged (%s): writing it again", path, problem)
    writable_cache_folder(path.parent, explicit=bool(cache_dir))
    write(path)
    return path


def code_versions() -> str:
    """This package's and torch's versions, for cache file names, e.g. ``v0.1.0-torch2.13.0+cpu``."""
    import torch

    import mono_depth_ros

    return re.sub(r"[^A-Za-z0-9.+_-]", "_", f"v{mono_depth_ros.__version__}-torch{torch.__version__}")


def cached_onnx_for_checkpoint(checkpoint_path: str | Path, cache_dir: str | Path | None = None,
                               input_hw: tuple[int, int] | None = None) -> Path:
    """The ONNX export of a ``.pt`` checkpoint in ``<cache>/onnx/``, exported once per (checkpoint
    sha256, input size, opset, package and torch versions) and reused afterwards; exported again
    when the cached file is damaged."""
    from mono_depth_ros.inference.checkpoint import read_checkpoint_payload

    payload = read_checkpoint_payload(checkpoint_path)
    spec = get_spec(payload["spec_name"])
    hw = tuple(int(v) for v in (input_hw or spec.input_hw_for(payload["model_kwargs"], payload.get("config"))))
    digest = file_sha256(checkpoint_path)[:20]
    name = f"{spec.name}-{digest}-{hw[0]}x{hw[1]}-op{DEFAULT_OPSET}-{code_versions()}.onnx"
    return cached_onnx_file(cache_subfolder(cache_dir, "onnx") / name,
                            lambda path: export_checkpoint(checkpoint_path, path, DEFAULT_OPSET, hw), cache_dir)


def read_onnx_metadata(onnx_path: str | Path) -> dict[str, str]:
    """metadata_props of an ONNX file (empty for files exported elsewhere)."""
    import onnx

    proto = onnx.load(str(onnx_path), load_external_data=False)
    return {p.key: p.value for p in proto.metadata_props}
