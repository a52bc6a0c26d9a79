"""OpenVINO backend: Intel CPUs (AVX-512 / AMX), iGPUs and NPUs, fp32 | bf16 | bf16_w8 | bf16_w4 | fp16 | int8.

Precision is what the runtime is told, and ``effective_precision`` is what it reports back:
- ``fp32``: ``INFERENCE_PRECISION_HINT=f32``. This is set explicitly because the CPU plugin's
  default on AMX/AVX-512-BF16 CPUs is bf16, so "fp32" would silently not be fp32.
- ``bf16``: ``INFERENCE_PRECISION_HINT=bf16`` (native on AMX; refused where the device does not
  list BF16 in OPTIMIZATION_CAPABILITIES).
- ``bf16_w8``: bf16 activations, int8 weights in the fully connected (MatMul/Gemm) layers: NNCF
  weight compression (``nncf.compress_weights``, INT8_ASYM: per output channel, asymmetric), no
  calibration data, done at load (about a second for eigen2014's 67M FC weights; nothing cached).
  At batch 1 a fully connected layer is a matrix-vector product bound by memory bandwidth, so
  halving its weight bytes again halves its time; the CPU plugin runs it as FullyConnected with
  int8 weights, decompressed on the fly. Convolution weights stay float (the plugin would
  decompress them at compile time: no gain, only rounding). Refused where nothing is left
  compressed after compiling (a network without fully connected layers, a plugin that
  decompresses them): that is plain bf16.
- ``bf16_w4``: the same with int4 weights (INT4_SYM: symmetric, one scale per group of 128 input
  weights, every fully connected layer including the last: NNCF would keep that one int8), a
  quarter of the bf16 weight bytes; same refusal.
- ``fp16``: ``INFERENCE_PRECISION_HINT=f16`` where the device lists FP16 (iGPU, NPU, CPUs with
  AVX-512-FP16), else refused.
- ``int8``: post-training quantisation with NNCF (``nncf.quantize``) on frames from
  ``calibration_dir`` (an extracted dataset folder: its ``rgb/*.png``; or any folder of images),
  fed through the spec's own preprocessing. Without calibration frames int8 is not offered. The
  quantised model is saved under ``<cache>/openvino/<key>.xml`` (key: ONNX sha256, frame list,
  NNCF version) and reused; layers NNCF leaves unquantised run in the device's default float.
  An ONNX that is already quantised (Q/DQ nodes: ``calibration.cached_qdq_onnx``, or a user's)
  runs as it is: it needs no frames (``calibration_dir`` is not used).

Refusals of a precision (the device lacks it, bf16_w8/bf16_w4 leave nothing compressed, int8
without frames) are ``BackendUnavailable`` with ``field = "precision"`` (and ``needs =
"calibration_dir"`` for int8 without frames), so that a node names the parameter to change.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from mono_depth_ros.inference.backends.base import BackendUnavailable, InferenceBackend, import_or_explain, \
    is_quantized_onnx, precision_refused
from mono_depth_ros.inference.calibration import (DEFAULT_CALIBRATION_FRAMES, calibration_frames, calibration_inputs,
                                                  calibration_key, float_scope, frames_per_sample, sample_recipe)
from mono_depth_ros.inference.engine_cache import default_cache_dir

LOG = logging.getLogger(__name__)
PRECISIONS = ("fp32", "bf16", "bf16_w8", "bf16_w4", "fp16", "int8")
INT8_PRESET = "performance"  # NNCF preset (symmetric); "mixed", and keeping MatMul float, were not better
#                             on the real sets (bench_inference)
_HINTS = {"fp32": "f32", "bf16": "bf16", "bf16_w8": "bf16", "bf16_w4": "bf16", "fp16": "f16"}
_CAPABILITY = {"bf16": "BF16", "bf16_w8": "BF16", "bf16_w4": "BF16", "fp16": "FP16", "int8": "INT8"}
_TYPE_NAMES = {"f32": "fp32", "bf16": "bf16", "f16": "fp16", "i8": "int8", "u8": "int8"}
#: bits of the fully connected weights each weight-compressed precision asks for
WEIGHT_BITS = {"bf16_w8": 8, "bf16_w4": 4}
#: runtime element type of compressed weights -> bits
_LOW_BIT_TYPES = {"i8": 8, "u8": 8, "i4": 4, "u4": 4}
INT4_GROUP_SIZE = 128  # input weights per int4 scale (NNCF's default for INT4_SYM)
#: ops whose weights bf16_w8/bf16_w4 leave float (NNCF would compress them too; see the module docstring)
_FLOAT_WEIGHT_OPS = ("Convolution", "GroupConvolution", "ConvolutionBackpropData", "GroupConvolutionBackpropData")


def openvino_available(device: str = "CPU") -> tuple[bool, str]:
    """(usable, reason): openvino importable and ``device`` listed by ``Core.available_devices``."""
    try:
        import openvino as ov
    except ImportError:
        return False, "openvino not installed (pip install openvino)"
    devices = ov.Core().available_devices
    if not any(d == device or d.startswith(device + ".") for d in devices):
        return False, f"OpenVINO device {device!r} not present (available: {devices})"
    return True, f"openvino {ov.__version__} on {device}"


def compressed_fc_weights(model: Any, bits: int) -> Any:
    """The ov.Model ``model`` with low-bit weights in its MatMul layers (NNCF weight compression, no
    data): ``bits`` 8 = int8 per output channel, asymmetric; 4 = int4 symmetric, one scale per group
    of INT4_GROUP_SIZE input weights, every layer. Convolution weights stay float (module docstring)."""
    nncf = import_or_explain("nncf")
    if bits not in (4, 8):
        raise ValueError(f"bits={bits!r}: must be 8 or 4")
    mode = (dict(mode=nncf.CompressWeightsMode.INT8_ASYM) if bits == 8 else
            dict(mode=nncf.CompressWeightsMode.INT4_SYM, group_size=INT4_GROUP_SIZE, ratio=1.0, all_layers=True))
    return nncf.compress_weights(model, ignored_scope=nncf.IgnoredScope(types=list(_FLOAT_WEIGHT_OPS), validate=False),
                                 **mode)


def runtime_precision(compiled: Any) -> str:
    """What a compiled model runs: its float precision, prefixed "int8+" when quantised layers run,
    suffixed "_w8" / "_w4" when only weights are low-bit (fully connected layers with float inputs
    and int8 / int4 weights; "_w4" as soon as one layer keeps int4 weights); read from the runtime
    graph's layers (``runtimePrecision``, input element types)."""
    hint = compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()
    floating = _TYPE_NAMES.get(hint, hint)
    int8_activations, weight_bits = False, set()
    for op in compiled.get_runtime_model().get_ordered_ops():
        info = op.get_rt_info()
        if "runtimePrecision" not in info or info["runtimePrecision"].astype(str) not in _LOW_BIT_TYPES:
            continue
        inputs = [port.get_element_type().get_type_name() for port in op.inputs()]
        if not inputs:  # a constant (low-bit weights, zero points) is not a layer that runs
            continue
        weight_only = (info["layerType"].astype(str) == "FullyConnected" and len(inputs) > 1
                       and inputs[0] not in _LOW_BIT_TYPES and inputs[1] in _LOW_BIT_TYPES)
        if weight_only:
            weight_bits.add(_LOW_BIT_TYPES[inputs[1]])
        int8_activations |= not weight_only
    if int8_activations:
        return f"int8+{floating}"
    return f"{floating}_w{min(weight_bits)}" if weight_bits else floating


class OpenVinoBackend(InferenceBackend):
    """Runs an ONNX file with OpenVINO.

    Args:
        model_path: the ONNX file (static shapes, or dynamic ones: -1 in ``input_shapes``).
        precision: one of PRECISIONS.
        device: OpenVINO device name ("CPU", "GPU", "NPU", "GPU.1", ...).
        threads: CPU inference threads (None: OpenVINO's default).
        spec: the ModelSpec (needed for int8: the calibration frames use its preprocessing).
        calibration_dir: frames for int8 (see module docstring).
        cache_dir: where quantised models are kept (default ``~/.cache/mono_depth_ros``).
        perf_count: collect per-layer times (OpenVINO ``PERF_COUNT``; read them with
            ``backend.request.get_profiling_info()``; benchmarks/bench_inference.py --profile).

    After ``load()``: ``effective_precision`` is the precision the compiled model reports
    (e.g. "bf16"; "int8+bf16" for a quantised model whose float layers run in bf16; "bf16_w8"
    or "bf16_w4" for bf16 with int8 or int4 fully connected weights).
    """

    name = "openvino"

    def __init__(self, model_path: str | Path, precision: str = "fp32", device: str = "CPU",
                 threads: int | None = None, spec: Any = None, calibration_dir: str | Path | None = None,
                 cache_dir: str | Path | None = None, calibration_count: int = DEFAULT_CALIBRATION_FRAMES,
                 perf_count: bool = False, calibration_depth: Any = None) -> None:
        super().__init__()
        if precision not in PRECISIONS:
            raise ValueError(f"precision={precision!r}: openvino backend supports {PRECISIONS}")
        self.model_path, self.precision, self.device = Path(model_path), precision, str(device).upper()
        self.threads, self.spec, self.calibration_dir = threads, spec, calibration_dir
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.calibration_count = int(calibration_count)
        self.calibration_depth = calibration_depth  # a motion network's calibration depths (calibration.py)
        self.perf_count = bool(perf_count)
        self.effective_precision = "unknown"
        self.quantized_path: Path | None = None

    def load(self) -> "OpenVinoBackend":
        ov = import_or_explain("openvino")
        if not self.model_path.is_file():
            raise FileNotFoundError(f"model_path={str(self.model_path)!r}: ONNX file not found")
        ok, why = openvino_available(self.device.split(".")[0])
        if not ok:
            raise BackendUnavailable(why)
        core = ov.Core()
        caps = core.get_property(self.device, "OPTIMIZATION_CAPABILITIES")
        need = _CAPABILITY.get(self.precision)
        if need and need not in caps:
            raise precision_refused(self.precision, f"OpenVINO {self.device} has no {need} support "
                                    f"(capabilities: {', '.join(caps)})")
        model = self._quantized(ov, core) if self.precision == "int8" else core.read_model(str(self.model_path))
        bits = WEIGHT_BITS.get(self.precision)
        if bits:
            LOG.info("OpenVINO %s: compressing the fully connected weights of %s to int%d", self.precision,
                     self.model_path.name, bits)
            model = compressed_fc_weights(model, bits)
        config: dict[str, Any] = {"PERFORMANCE_HINT": "LATENCY"}
        if self.precision in _HINTS:
            config["INFERENCE_PRECISION_HINT"] = _HINTS[self.precision]
        if self.threads and self.device == "CPU":
            config["INFERENCE_NUM_THREADS"] = int(self.threads)
        if self.perf_count:
            config["PERF_COUNT"] = True
        self.compiled = core.compile_model(model, self.device, config)
        self.request = self.compiled.create_infer_request()
        import onnx

        graph = onnx.load(str(self.model_path), load_external_data=False).graph
        onnx_names = [v.name for v in list(graph.input) + list(graph.output)]

        def name_of(port: Any) -> str:  # a tensor may carry several names; the ONNX one is the contract
            return next((n for n in onnx_names if n in port.get_names()), port.get_any_name())

        self._port_names = [(port, name_of(port)) for port in self.compiled.outputs]
        # a dynamic dim (a user's export with symbolic height/width) is -1; the CPU plugin runs the
        # dynamic model as compiled, any size per request
        self.input_shapes = {name_of(port): tuple(d.get_length() if d.is_static else -1
                                                  for d in port.get_partial_shape())
                             for port in self.compiled.inputs}
        self.output_names = tuple(name for _, name in self._port_names)
        self._version = ov.__version__.split("-")[0]
        self.effective_precision = runtime_precision(self.compiled)
        if bits and self.effective_precision != self.precision:
            raise precision_refused(self.precision, f"{self.precision}: no int{bits} fully connected weights left "
                                    f"in {self.model_path.name} compiled for OpenVINO {self.device} (it runs "
                                    f"{self.effective_precision}: a network without fully connected layers?); "
                                    "use bf16")
        self.loaded = True
        LOG.info("OpenVINO %s on %s: requested %s, effective %s", self._version, self.device, self.precision,
                 self.effective_precision)
        return self

    def _quantized(self, ov: Any, core: Any) -> Any:
        """The NNCF int8 model for this ONNX and these frames, from the cache or quantised now; an
        ONNX that is already quantised (Q/DQ) as it is."""
        if is_quantized_onnx(self.model_path):
            LOG.info("OpenVINO int8: %s is already quantised; run as it is%s", self.model_path.name,
                     " (calibration_dir not used)" if self.calibration_dir else "")
            return core.read_model(str(self.model_path))
        if self.spec is None or not self.calibration_dir:
            raise precision_refused("int8", "int8 on OpenVINO needs calibration frames (calibration_dir: a folder of "
                                    "frames from this camera, e.g. an extracted dataset folder) or an already "
                                    "quantised (Q/DQ) ONNX; without them int8 is not offered",
                                    needs="calibration_dir")
        nncf = import_or_explain("nncf")
        frames = calibration_frames(self.calibration_dir, self.calibration_count, frames_per_sample(self.spec))
        key = calibration_key(self.model_path, frames, nncf.__version__,
                              f"openvino-{INT8_PRESET}" + sample_recipe(self.spec, self.calibration_depth))
        folder = self.cache_dir / "openvino"
        self.quantized_path = folder / f"{self.model_path.stem}-int8-{key}.xml"
        if self.quantized_path.is_file():
            LOG.info("OpenVINO int8 model reused from %s", self.quantized_path)
            return core.read_model(str(self.quantized_path))
        model = core.read_model(str(self.model_path))
        shape = model.inputs[0].get_partial_shape()
        hw = (self.spec.spatial_hw(tuple(d.get_length() if d.is_static else -1 for d in shape))
              if not shape.is_dynamic else self.spec.size.static_hw() or self.spec.input_hw)
        samples = calibration_inputs(frames, self.spec, hw, depth_of=self.calibration_depth)
        LOG.info("OpenVINO int8: quantising %s with NNCF on %d samples from %s", self.model_path.name, len(samples),
                 self.calibration_dir)
        quantized = nncf.quantize(model, nncf.Dataset(samples), subset_size=len(samples),
                                  preset=getattr(nncf.QuantizationPreset, INT8_PRESET.upper()),
                                  ignored_scope=float_scope(nncf, self.spec))
        tmp = folder / f".tmp-{os.getpid()}-{key}"
        tmp.mkdir(parents=True, exist_ok=True)
        try:  # write beside, then move: a reader never sees half an IR (the .bin is moved before the .xml)
            ov.save_model(quantized, str(tmp / "model.xml"), compress_to_fp16=False)
            os.replace(tmp / "model.bin", self.quantized_path.with_suffix(".bin"))
            os.replace(tmp / "model.xml", self.quantized_path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return quantized

    def _run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        feed = {n: np.ascontiguousarray(inputs[n], dtype=np.float32) for n in self.input_shapes}
        result = self.request.infer(feed)
        return {name: np.asarray(result[port], dtype=np.float32) for port, name in self._port_names}

    def describe(self) -> str:
        if not self.loaded:
            return f"openvino ({self.model_path.name}, not loaded)"
        threads = f", {self.threads} threads" if self.threads and self.device == "CPU" else ""
        return (f"openvino {self._version} {self.device} {self.effective_precision}{threads} "
                f"({self.quantized_path.name if self.quantized_path else self.model_path.name})")
