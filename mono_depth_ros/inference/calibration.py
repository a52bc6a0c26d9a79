"""int8 calibration: real frames from the user's extracted dataset, and a Q/DQ ONNX for TensorRT.

Frames: ``calibration_dir`` is an extracted dataset folder (``rgb/*.png``, written by ``training
extract``) or any folder of .png/.jpg images; up to ``count`` frames spread evenly over it, fed
through the spec's own preprocessing, so calibration sees what the network sees at run time.
A motion network (li2020_motion, 8 input channels) gets up to ``count`` pairs of consecutive
frames instead, each with its depth from the bundled li2020 depth network (fp32, the one the
nodes pair with it by default), assembled by ``processing.motion_input`` as EgoMotionEstimator
does at run time.

``cached_qdq_onnx`` quantises an fp32 ONNX with NNCF's post-training quantisation
(``nncf.quantize``, preset PERFORMANCE = symmetric) into explicit QuantizeLinear/DequantizeLinear
pairs, the only int8 route TensorRT 11 has (10 takes it too). TensorRT's Q/DQ is signed int8 with
zero point 0; NNCF quantises non-negative activations (after ReLU) to uint8 with zero point 0, so
those are rewritten to int8 with the scale multiplied by 255/127 (same range, one bit less).
The result is cached in ``<cache>/onnx/`` (key: ONNX sha256, frame list, NNCF version).
Runs in ONNX Runtime CPU (tested); on TensorRT it is UNVERIFIED (no GPU here).

``quiet_nncf`` keeps NNCF's INFO tables and progress bars, which it prints to stdout, out of the
nodes' output while a model is quantised or compressed (its warnings still show).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from mono_depth_ros.core.fit import DEFAULT_RESIZE_MODE
from mono_depth_ros.inference.backends.base import BackendUnavailable, import_or_explain

LOG = logging.getLogger(__name__)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
DEFAULT_CALIBRATION_FRAMES = 64
#: the depth network whose output goes into a motion network's calibration samples
MOTION_CALIBRATION_DEPTH = "li2020_depth"


_QUIET_LOCK = threading.Lock()
_QUIET_STATE: dict[str, Any] = {"depth": 0, "saved": None}


@contextlib.contextmanager
def quiet_nncf() -> Iterator[None]:
    """Within: NNCF logs warnings only (not its INFO statistics tables) and rich, which draws its
    progress bars, prints nothing; both restored on exit. Nested and concurrent uses (two models
    loading in two threads) restore the settings once the last one exits. Does nothing without NNCF."""
    try:
        import rich
        from nncf.common.logging.logger import nncf_logger
    except ImportError:
        rich = nncf_logger = None
    if rich is None or nncf_logger is None:
        yield
        return
    with _QUIET_LOCK:
        if _QUIET_STATE["depth"] == 0:
            console = rich.get_console()
            _QUIET_STATE["saved"] = (nncf_logger.level, console.quiet)
            nncf_logger.setLevel(logging.WARNING)
            console.quiet = True
        _QUIET_STATE["depth"] += 1
    try:
        yield
    finally:
        with _QUIET_LOCK:
            _QUIET_STATE["depth"] -= 1
            if _QUIET_STATE["depth"] == 0:
                level, quiet = _QUIET_STATE["saved"]
                nncf_logger.setLevel(level)
                rich.get_console().quiet = quiet


def frames_per_sample(spec: Any) -> int:
    """Consecutive frames in one calibration sample: 2 for a motion network (a pair), else 1."""
    return 2 if spec.output_kind == "motion" else 1


def calibration_frames(folder: str | Path, count: int = DEFAULT_CALIBRATION_FRAMES, per_sample: int = 1) -> list[Path]:
    """Up to ``count`` samples of ``per_sample`` consecutive image files each, evenly spread over
    ``folder/rgb`` (an extracted dataset) or ``folder``, flattened (a pair: ``[a0, b0, a1, b1, ...]``)."""
    folder = Path(folder)
    root = folder / "rgb" if (folder / "rgb").is_dir() else folder
    files = sorted(p for p in root.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES) if root.is_dir() else []
    if not files:
        raise BackendUnavailable(f"calibration_dir={str(folder)!r}: no .png/.jpg frames (expected an extracted "
                                 "dataset folder with rgb/*.png); int8 needs real calibration frames")
    starts = len(files) - per_sample + 1
    if starts < 1:
        raise BackendUnavailable(f"calibration_dir={str(folder)!r}: {len(files)} .png/.jpg frames, {per_sample} "
                                 "consecutive needed for one calibration sample")
    step = max(starts / float(count), 1.0)
    return [f for i in range(min(count, starts)) for f in files[int(i * step):int(i * step) + per_sample]]


def _read_rgb(path: Path) -> np.ndarray:
    import cv2

    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise BackendUnavailable(f"calibration frame {str(path)!r} could not be read")
    return np.ascontiguousarray(bgr[..., ::-1])


def calibration_inputs(frames: list[Path], spec: Any, input_hw: tuple[int, int],
                       resize_mode: str = DEFAULT_RESIZE_MODE,
                       depth_of: Callable[[np.ndarray], Any] | None = None) -> list[np.ndarray]:
    """(1, C, h, w) float32 network inputs of ``frames`` (from ``calibration_frames`` with
    ``frames_per_sample(spec)``) through the spec's preprocessing, fitted with ``resize_mode`` (the
    nodes' default, crop): one per frame, or for a motion network one per consecutive pair, whose
    depths come from ``depth_of`` (see motion_calibration_inputs)."""
    from mono_depth_ros.inference.processing import plan_input, preprocess

    if spec.output_kind == "motion":
        return motion_calibration_inputs(frames, spec, input_hw, resize_mode, depth_of)
    if spec.input_channels != 3:
        raise BackendUnavailable(f"int8 calibration is implemented for image-input and motion networks only, not "
                                 f"{spec.name} ({spec.input_channels} input channels)")
    out = []
    for path in frames:
        rgb = _read_rgb(path)
        out.append(preprocess(rgb, spec, plan_input(rgb.shape[:2], tuple(input_hw), resize_mode)))
    return out


def motion_calibration_inputs(frames: list[Path], spec: Any, input_hw: tuple[int, int],
                              resize_mode: str = DEFAULT_RESIZE_MODE,
                              depth_of: Callable[[np.ndarray], Any] | None = None) -> list[np.ndarray]:
    """(1, 8, h, w) ``[rgb_a, depth_a, rgb_b, depth_b]`` of each pair in ``frames`` ([a0, b0, a1, ...]),
    assembled as at run time. ``depth_of``: (H, W, 3) uint8 -> DepthResult or (H, W) depth; the
    estimators pass the bundled MOTION_CALIBRATION_DEPTH network in fp32
    (``ego_motion_estimator.bundled_calibration_depth``). Running a network is the estimators'
    business, a layer above the backends that calibrate, so it comes in as an argument."""
    from mono_depth_ros.inference.processing import motion_input, plan_input

    if len(frames) % 2:
        raise ValueError(f"{len(frames)} frames: a motion network calibrates on pairs (calibration_frames(..., 2))")
    if depth_of is None:
        raise BackendUnavailable(f"int8 calibration of {spec.name} needs depths of its frames: load it through "
                                 "EgoMotionEstimator, or pass calibration_depth")
    out = []
    for path_a, path_b in zip(frames[::2], frames[1::2]):
        rgb_a, rgb_b = _read_rgb(path_a), _read_rgb(path_b)
        fit = plan_input(rgb_a.shape[:2], tuple(input_hw), resize_mode)
        out.append(motion_input(rgb_a, depth_of(rgb_a), rgb_b, depth_of(rgb_b), spec, fit))
    return out


def float_scope(nncf: Any, spec: Any) -> Any:
    """NNCF's IgnoredScope for the spec's ``int8_float_nodes`` (None: quantise everything NNCF would)."""
    patterns = list(getattr(spec, "int8_float_nodes", ()))
    return nncf.IgnoredScope(patterns=patterns, validate=False) if patterns else None


def sample_recipe(spec: Any, depth_of: Callable[[np.ndarray], Any] | None = None) -> str:
    """What besides the frames and the preset decides the quantised model, for the cache key: the
    nodes kept float, and for a motion network where its depths come from: ``depth_of.cache_id``
    (the bundled depth network's weights hash for ``bundled_calibration_depth``). A ``depth_of``
    without a ``cache_id`` gets a key of its own each time: its model is quantised again rather
    than taken from a cache made with other depths."""
    recipe = "+float:" + ",".join(spec.int8_float_nodes) if getattr(spec, "int8_float_nodes", ()) else ""
    if spec.output_kind != "motion" or depth_of is None:
        return recipe
    cache_id = getattr(depth_of, "cache_id", None)
    return recipe + f"+depth-{cache_id if cache_id else 'uncached-' + uuid.uuid4().hex}"


def calibration_key(model_path: Path, frames: list[Path], nncf_version: str, recipe: str) -> str:
    """Cache key of a quantised model: ONNX bytes, frames, NNCF version and the recipe (preset, target)."""
    from mono_depth_ros.inference.engine_cache import file_sha256

    return hashlib.sha256(json.dumps({"onnx": file_sha256(model_path), "nncf": nncf_version, "recipe": recipe,
                                      "frames": [str(p.resolve()) for p in frames]}).encode()).hexdigest()[:24]


def signed_int8_qdq(model: Any) -> Any:
    """Rewrite uint8 zero-point-0 Q/DQ parameters to int8 (scale x 255/127); refuse asymmetric ones."""
    from onnx import TensorProto, numpy_helper

    inits = {i.name: i for i in model.graph.initializer}
    done: set[str] = set()
    for node in model.graph.node:
        if node.op_type not in ("QuantizeLinear", "DequantizeLinear") or len(node.input) < 3:
            continue
        zp_name, scale_name = node.input[2], node.input[1]
        zp = inits.get(zp_name)
        if zp is None or zp_name in done:
            continue
        values = numpy_helper.to_array(zp)
        if np.any(values != 0):
            raise BackendUnavailable(f"Q/DQ {node.name!r} has a non-zero zero point; TensorRT needs symmetric int8")
        if zp.data_type == TensorProto.UINT8:
            zp.CopyFrom(numpy_helper.from_array(values.astype(np.int8), zp_name))
            scale = inits[scale_name]
            scale.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(scale) * np.float32(255.0 / 127.0),
                                                   scale_name))
        done.add(zp_name)
    if done:
        del model.graph.value_info[:]  # recorded uint8 types of Q outputs; shape inference redoes them
    return model


def calibration_hw(model: Any, spec: Any) -> tuple[int, int]:
    """(h, w) the calibration frames are fitted to: the ONNX input's static H and W, else (dynamic
    H/W, e.g. a Depth Anything export) the one size a static-shape backend builds for, from the
    card's size rule (``SizeRule.static_hw``: the TensorRT profile)."""
    from mono_depth_ros.inference.spec import SizeRule

    dims = model.graph.input[0].type.tensor_type.shape.dim
    spatial = list(dims)[1:3] if getattr(spec, "layout", "NCHW") == "NHWC" else list(dims)[2:4]
    hw = tuple(int(d.dim_value) if d.HasField("dim_value") else 0 for d in spatial)
    if len(hw) == 2 and min(hw) > 0:
        return hw
    rule = getattr(spec, "size", None)
    static = rule.static_hw() if isinstance(rule, SizeRule) else None
    if static is None:
        raise ValueError(f"input {model.graph.input[0].name!r} has dynamic H/W and the model card gives no "
                         "size to calibrate at (size: {multiple_of: N, long_side: S} or profile_hw)")
    return int(static[0]), int(static[1])


def cached_qdq_onnx(model_path: str | Path, spec: Any, calibration_dir: str | Path,
                    cache_dir: str | Path | None = None, count: int = DEFAULT_CALIBRATION_FRAMES,
                    depth_of: Callable[[np.ndarray], Any] | None = None) -> Path:
    """The int8 Q/DQ copy of an fp32 ONNX, calibrated on ``calibration_dir`` (see module docstring)."""
    import onnx

    from mono_depth_ros.inference.engine_cache import default_cache_dir

    nncf = import_or_explain("nncf")
    model_path = Path(model_path)
    frames = calibration_frames(calibration_dir, count, frames_per_sample(spec))
    folder = (Path(cache_dir) if cache_dir else default_cache_dir()) / "onnx"
    key = calibration_key(model_path, frames, nncf.__version__,
                          "onnx-qdq-performance-signed" + sample_recipe(spec, depth_of))
    out = folder / f"{model_path.stem}-{key}.qdq.onnx"
    if out.is_file():
        return out
    model = onnx.load(str(model_path))
    name = model.graph.input[0].name
    hw = calibration_hw(model, spec)
    samples = [{name: x} for x in calibration_inputs(frames, spec, hw, depth_of=depth_of)]
    LOG.info("int8: NNCF Q/DQ calibration of %s on %d frames from %s", model_path.name, len(samples), calibration_dir)
    with quiet_nncf():
        quantized = signed_int8_qdq(nncf.quantize(model, nncf.Dataset(samples), subset_size=len(samples),
                                                  preset=nncf.QuantizationPreset.PERFORMANCE,
                                                  ignored_scope=float_scope(nncf, spec)))
    onnx.checker.check_model(quantized)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    onnx.save(quantized, str(tmp))
    tmp.replace(out)
    return out
