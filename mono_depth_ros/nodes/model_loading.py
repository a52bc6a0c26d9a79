"""Load estimators for the nodes: resolve the model path (bundled demo weights when empty) and
turn every load failure into a ConfigError naming the parameter to change, before the node spins:
``precision`` or ``backend`` when the backend refuses (a precision this device or model cannot run,
a runtime that is missing here), ``calibration_dir`` when int8 has no frames, ``method`` when the
file holds another network, ``model_card`` when the card is at fault, else the model path."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from mono_depth_ros.core.errors import one_line, one_line_text
from mono_depth_ros.core.fit import DEFAULT_RESIZE_MODE
from mono_depth_ros.inference.backends.base import is_quantized_onnx
from mono_depth_ros.inference.backends.registry import BACKEND_PRECISIONS, PRECISIONS
from mono_depth_ros.nodes.params import ConfigError

#: what a node says instead of a runtime's install advice where TensorRT cannot run at all
_NO_NVIDIA_GPU = "TensorRT runs on NVIDIA GPUs and none is visible here (no /dev/nvidia0)"


def resolve_model_path(param_name: str, model_path: str, spec_name: str) -> Path:
    """``model_path`` or the bundled demo weights of ``spec_name``; ConfigError if missing."""
    if model_path:
        path = Path(model_path)
    else:
        from mono_depth_ros.inference.weights import default_weights_path

        path = Path(default_weights_path(spec_name))
    if not path.is_file():
        what = "file not found" if model_path else (
            f"empty: bundled demo weights of {spec_name!r} expected at {path}, which does not exist"
            " (train them, or pass a checkpoint/ONNX/engine path)")
        raise ConfigError(param_name, model_path or str(path), what)
    return path


def runtime_options(precision: str, calibration_dir: str, threads: int, warn: Callable[[str], Any]) -> dict:
    """The estimators' ``calibration_dir`` and ``threads`` options from the node parameters (None:
    not given, the runtime's default). ``warn(text)``: one line each for ``threads`` above this
    machine's CPU count and a ``calibration_dir`` that ``precision`` does not use."""
    if threads < 0:
        raise ConfigError("threads", threads, "must be >= 0 (0: the runtime's default)")
    cpus = os.cpu_count() or 0
    if cpus and threads > cpus:
        warn(f"threads {threads} is more than the {cpus} CPUs of this machine: the runtime's threads will "
             "compete for them and each frame slows down (0: the runtime's default)")
    if calibration_dir and precision != "int8":
        warn(f"calibration_dir is used only with precision int8 (precision is {precision}): ignored")
    return {"calibration_dir": calibration_dir or None, "threads": threads or None}


def _check_runs_here(backend: str, precision: str) -> None:
    """ConfigError naming ``backend`` or ``precision`` for what cannot run on this machine at all,
    checked before any file is read: TensorRT missing (or no NVIDIA GPU), torch fp16 without CUDA."""
    if backend == "tensorrt":
        from mono_depth_ros.inference.backends.tensorrt_backend import tensorrt_available

        ok, why = tensorrt_available()
        if not ok:
            gpu = any(Path(p).exists() for p in ("/dev/nvidia0", "/proc/driver/nvidia/version"))
            raise ConfigError("backend", backend, f"{why if gpu else _NO_NVIDIA_GPU}; choose backend 'auto' "
                              "(or openvino, onnxruntime, torch)")
    if backend == "torch" and precision == "fp16":
        import torch

        if not torch.cuda.is_available():
            raise ConfigError("precision", precision, "backend 'torch' runs fp16 on CUDA only and torch sees no CUDA "
                              "device here; choose fp32 or bf16, or backend 'auto' (fp16 runs as bf16 on a CPU "
                              "that has it)")


def _needs_frames(backend: str, path: Path) -> ConfigError:
    """The error of int8 on an explicit ``backend`` that has no frames to quantise ``path`` on."""
    return ConfigError("precision", "int8", f"backend {backend!r} quantises the model to int8 on frames from this "
                       "camera: set calibration_dir to a folder of them (e.g. an extracted dataset folder), or choose "
                       f"another precision (backend 'auto' runs fp32) (model {path.name})")


def _check_calibration(options: dict, backend: str, precision: str, path: Path, per_sample: int) -> None:
    """ConfigError for int8 that cannot be: on an explicit backend that quantises (OpenVINO,
    TensorRT) a float model without ``calibration_dir`` names ``precision``; a folder of no usable
    frames names ``calibration_dir``. An engine or an already quantised ONNX needs no frames."""
    folder = options.get("calibration_dir")
    if precision != "int8":
        return
    if not folder:
        quantised = path.suffix == ".engine" or (path.suffix == ".onnx" and is_quantized_onnx(path))
        if backend in ("openvino", "tensorrt") and not quantised:
            raise _needs_frames(backend, path)
        return
    from mono_depth_ros.inference.backends.base import BackendUnavailable
    from mono_depth_ros.inference.calibration import calibration_frames

    try:
        calibration_frames(folder, 1, per_sample)
    except BackendUnavailable as exc:
        raise ConfigError("calibration_dir", folder, str(exc).split(": ", 1)[-1]) from None


def _wrong_network(param_name: str, path: Path, spec_name: str, method: str, exc: Exception) -> ConfigError:
    """The error for a file that holds another network than ``spec_name``: ``method`` (when the node
    has one) names the network, so the parameter to change is one of the two; a depth model given
    for a motion one (or the reverse) is the file's fault."""
    from mono_depth_ros.inference.loading import spec_name_of
    from mono_depth_ros.inference.spec import get_spec
    from mono_depth_ros.nodes.depth_config import METHOD_SPECS

    try:
        found = spec_name_of(path, None)
        motion = get_spec(found).output_kind == "motion"
    except Exception:  # noqa: BLE001 - the file does not say: report the loader's own words
        return ConfigError(param_name, str(path), f"could not load ({one_line(exc, 400)})")
    if motion != (get_spec(spec_name).output_kind == "motion"):
        want = "a motion model (li2020_motion)" if not motion else "a depth model"
        return ConfigError(param_name, str(path), f"holds a {found!r} model; {want} is expected here")
    methods = [m for m, s in METHOD_SPECS.items() if s == found]
    if method and methods:
        return ConfigError("method", method, f"{param_name} {path.name} holds a {found!r} model: set method "
                           f"{methods[0]}, or give {param_name} a model of method {method}")
    return ConfigError(param_name, str(path), f"holds a {found!r} model; a {spec_name!r} model is expected here")


def _load_error(param_name: str, path: Path, exc: Exception, backend: str, precision: str, spec_name: str,
                card_param: str = "model_card", card: str = "", method: str = "") -> ConfigError:
    """The start-up error of a failed load, naming the parameter to change: ``precision`` or
    ``backend`` when the backend refused (a refusal says which: ``field``; any other
    BackendUnavailable of an explicit CPU runtime is the backend's; TensorRT's, which say nothing,
    stay the file's), ``method`` (or the model path) when the file holds another network,
    ``precision`` for a float precision of an already quantised ONNX, ``model_card`` (the card file,
    given or found beside the model) when the card is at fault, else the model path."""
    from mono_depth_ros.inference.backends.base import BackendUnavailable
    from mono_depth_ros.inference.card import CardError, sibling_card

    if isinstance(exc, CardError):
        found = card or sibling_card(path)
        return ConfigError(card_param if found else param_name, str(found or path), str(exc))
    field = getattr(exc, "field", None)
    if field == "spec_name":
        return _wrong_network(param_name, path, spec_name, method, exc)
    if field in ("precision", "backend"):
        reason = str(getattr(exc, "reason", exc))
        if getattr(exc, "needs", "") == "calibration_dir":
            return _needs_frames(backend, path)
        if isinstance(exc, BackendUnavailable):
            reason = f"backend {backend!r} cannot run it here: {reason}; choose another precision or backend 'auto'"
        return ConfigError(field, getattr(exc, "value", "?"), f"{one_line_text(reason)} (model {path.name})")
    # a float precision of a quantised file: ONNX Runtime's fp16 conversion fails on it, TensorRT refuses it
    float_asked = precision not in ("fp32", "int8") or (precision == "fp32" and backend == "tensorrt")
    if float_asked and path.suffix == ".onnx" and is_quantized_onnx(path):
        value = precision_value("int8+fp32", backend) or "fp32"
        return ConfigError("precision", precision, f"{path.name} is already quantised (int8 Q/DQ nodes): choose "
                           f"precision {value!r} ({one_line(exc, 200)})")
    if isinstance(exc, BackendUnavailable) and backend not in ("auto", "tensorrt"):
        return ConfigError("backend", backend, f"{one_line_text(str(exc))}; choose another backend or 'auto' "
                           f"(model {path.name})")
    return ConfigError(param_name, str(path), f"could not load ({one_line(exc, 400)})")


def load_depth_estimator(param_name: str, model_path: str, spec_name: str, backend: str,
                         precision: str, resize_mode: str = DEFAULT_RESIZE_MODE, model_card: str = "",
                         flip_average: str = "never", *, method: str = "", options: dict | None = None) -> Any:
    """A ready ``DepthEstimator`` (warmed up by its backend) or ConfigError. ``model_card``: the
    card YAML (empty: ``<stem>.card.yaml`` beside the model when present; a card replaces
    ``spec_name``). ``method``: the node's ``method`` (named when the file holds another network).
    ``options``: ``runtime_options`` (calibration_dir, threads)."""
    from mono_depth_ros.inference.depth_estimator import DepthEstimator

    options = {key: value for key, value in (options or {}).items() if value is not None}
    _check_runs_here(backend, precision)
    path = resolve_model_path(param_name, model_path, spec_name)
    _check_calibration(options, backend, precision, path, per_sample=1)
    try:
        return DepthEstimator.from_path(path, backend=backend, precision=precision, spec_name=spec_name,
                                        resize_mode=resize_mode, card=model_card or None,
                                        flip_average=flip_average, **options)
    except ConfigError:
        raise
    except Exception as exc:  # any loader/back-end failure becomes one clear start-up error
        raise _load_error(param_name, path, exc, backend, precision, spec_name, card=model_card,
                          method=method) from exc


def load_motion_estimator(param_name: str, model_path: str, backend: str, precision: str,
                          resize_mode: str = DEFAULT_RESIZE_MODE, *, options: dict | None = None) -> Any:
    """A ready ``EgoMotionEstimator`` (li2020_motion, frames fitted with ``resize_mode``) or ConfigError;
    ``options``: ``runtime_options`` (int8 calibrates the motion network on pairs of frames)."""
    from mono_depth_ros.inference.ego_motion_estimator import EgoMotionEstimator

    options = {key: value for key, value in (options or {}).items() if value is not None}
    _check_runs_here(backend, precision)
    path = resolve_model_path(param_name, model_path, "li2020_motion")
    _check_calibration(options, backend, precision, path, per_sample=2)
    try:
        return EgoMotionEstimator.from_path(path, backend=backend, precision=precision, resize_mode=resize_mode,
                                            **options)
    except ConfigError:
        raise
    except Exception as exc:  # any loader/back-end failure becomes one clear start-up error
        raise _load_error(param_name, path, exc, backend, precision, "li2020_motion") from exc


# fp16 requests are honoured by either half-precision float format (OpenVINO on CPUs with AMX
# runs bf16 for an fp16 hint); int8 by a quantised model whatever its float layers run in
# (OpenVINO reports "int8+bf16"); everything else (bf16_w8, bf16_w4 included) must match exactly
_SAME_PRECISION = {"fp16": ("fp16", "bf16"), "int8": ("int8", "int8+fp32", "int8+bf16", "int8+fp16")}


def effective_precision_of(estimator: Any) -> str:
    """The precision the estimator's backend really runs: its ``effective_precision`` when it
    reports one, else the precision it was built with; a backend with neither runs fp32."""
    backend = getattr(estimator, "backend", None)
    for attr in ("effective_precision", "precision"):
        value = getattr(backend, attr, None)
        if isinstance(value, str) and value and value != "unknown":
            return value
    return "fp32"


def precision_value(effective: str, backend: str) -> str | None:
    """The ``precision`` parameter value that asks ``backend`` for what runs as ``effective``
    ("int8+bf16" -> "int8", "tf32" -> "fp32"), or None when ``backend`` offers none."""
    value = "int8" if effective.startswith("int8+") else "fp32" if effective == "tf32" else effective
    return value if value in BACKEND_PRECISIONS.get(backend, PRECISIONS) else None


def checked_precision(estimator: Any, backend: str, precision: str, warn: Any,
                      param_name: str = "precision", calibration_dir: str | None = None) -> str:
    """The effective precision; ConfigError when an explicit ``backend`` cannot honour ``precision``
    (suggesting only a value that backend offers), a logged downgrade (``warn(text)``) with
    ``backend: auto`` (int8 without ``calibration_dir`` says it needs one); fp16 honoured as bf16
    (OpenVINO on an AMX CPU) is logged too (int8 with float layers in bf16 is still int8: not
    logged). A model that is already quantised (Q/DQ) runs int8 whatever is asked: one warning."""
    effective = effective_precision_of(estimator)
    described = getattr(estimator, "backend_description", backend)
    if effective in _SAME_PRECISION.get(precision, (precision,)):
        if precision == "fp16" and effective != "fp16":  # another half float: 8 bits of mantissa, not 11
            warn(f"precision {precision} runs as {effective} on {described} (the backend's format for it)")
        return effective
    if effective.startswith("int8+"):  # only a quantised file runs int8 when int8 was not asked for
        say = " (precision int8 says so)" if precision_value(effective, backend) == "int8" else ""
        warn(f"precision {precision}: the model is already quantised (int8 Q/DQ nodes), so it runs {effective}{say}")
        return effective
    if backend != "auto":
        value = precision_value(effective, backend)
        choice = f"precision {value!r} or backend 'auto'" if value else "backend 'auto'"
        raise ConfigError(param_name, precision, f"backend {backend!r} cannot run it here ({described} "
                          f"runs {effective}); choose {choice}")
    hint = ("; int8 needs calibration_dir (a folder of frames from this camera) or an already quantised model"
            if precision == "int8" and not calibration_dir else "")
    warn(f"precision {precision} is not available on the backend auto chose ({described}): running {effective}{hint}")
    return effective
