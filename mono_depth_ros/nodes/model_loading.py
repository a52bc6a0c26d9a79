"""Load estimators for the nodes: resolve the model path (bundled demo weights when empty) and
turn every load failure into a ConfigError naming the parameter, before the node spins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mono_depth_ros.core.errors import one_line
from mono_depth_ros.core.fit import DEFAULT_RESIZE_MODE
from mono_depth_ros.nodes.params import ConfigError


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


def _load_error(param_name: str, path: Path, exc: Exception, card_param: str = "model_card",
                card: str = "") -> ConfigError:
    """The start-up error of a failed load, naming ``precision``/``backend`` when the backend said so
    and ``model_card`` (the card file, given or found beside the model) when the card is at fault."""
    from mono_depth_ros.inference.card import CardError, sibling_card

    if isinstance(exc, CardError):
        found = card or sibling_card(path)
        return ConfigError(card_param if found else param_name, str(found or path), str(exc))
    field = getattr(exc, "field", None)
    if field in ("precision", "backend"):
        return ConfigError(field, getattr(exc, "value", "?"), f"{getattr(exc, 'reason', exc)} (model {path.name})")
    return ConfigError(param_name, str(path), f"could not load ({one_line(exc, 400)})")


def load_depth_estimator(param_name: str, model_path: str, spec_name: str, backend: str,
                         precision: str, resize_mode: str = DEFAULT_RESIZE_MODE, model_card: str = "",
                         flip_average: str = "never") -> Any:
    """A ready ``DepthEstimator`` (warmed up by its backend) or ConfigError. ``model_card``: the
    card YAML (empty: ``<stem>.card.yaml`` beside the model when present; a card replaces
    ``spec_name``)."""
    from mono_depth_ros.inference.depth_estimator import DepthEstimator

    path = resolve_model_path(param_name, model_path, spec_name)
    try:
        return DepthEstimator.from_path(path, backend=backend, precision=precision, spec_name=spec_name,
                                        resize_mode=resize_mode, card=model_card or None,
                                        flip_average=flip_average)
    except ConfigError:
        raise
    except Exception as exc:  # any loader/back-end failure becomes one clear start-up error
        raise _load_error(param_name, path, exc, card=model_card) from exc


def load_motion_estimator(param_name: str, model_path: str, backend: str, precision: str,
                          resize_mode: str = DEFAULT_RESIZE_MODE) -> Any:
    """A ready ``EgoMotionEstimator`` (li2020_motion, frames fitted with ``resize_mode``) or ConfigError."""
    from mono_depth_ros.inference.ego_motion_estimator import EgoMotionEstimator

    path = resolve_model_path(param_name, model_path, "li2020_motion")
    try:
        return EgoMotionEstimator.from_path(path, backend=backend, precision=precision, resize_mode=resize_mode)
    except ConfigError:
        raise
    except Exception as exc:  # any loader/back-end failure becomes one clear start-up error
        raise _load_error(param_name, path, exc) from exc


# fp16 requests are honoured by either half-precision float format (OpenVINO on CPUs with AMX
# runs bf16 for an fp16 hint); int8 by a quantised model whatever its float layers run in
# (OpenVINO reports "int8+bf16"); everything else (bf16_w8, bf16_w4 included) must match exactly
_SAME_PRECISION = {"fp16": ("fp16", "bf16"), "int8": ("int8", "int8+fp32", "int8+bf16", "int8+fp16")}


def effective_precision_of(estimator: Any) -> str:
    """The precision the estimator's backend really runs: its ``effective_precision`` when it
    reports one, else the precision it was built with; a backend with neither (ONNX Runtime CPU)
    runs the ONNX file as it is, fp32."""
    backend = getattr(estimator, "backend", None)
    for attr in ("effective_precision", "precision"):
        value = getattr(backend, attr, None)
        if isinstance(value, str) and value and value != "unknown":
            return value
    return "fp32"


def checked_precision(estimator: Any, backend: str, precision: str, warn: Any,
                      param_name: str = "precision") -> str:
    """The effective precision; ConfigError when an explicit ``backend`` cannot honour ``precision``,
    a logged downgrade (``warn(text)``) with ``backend: auto``; fp16 honoured as bf16 (OpenVINO on
    an AMX CPU) is logged too (int8 with float layers in bf16 is still int8: not logged)."""
    effective = effective_precision_of(estimator)
    described = getattr(estimator, "backend_description", backend)
    if effective in _SAME_PRECISION.get(precision, (precision,)):
        if precision == "fp16" and effective != "fp16":  # another half float: 8 bits of mantissa, not 11
            warn(f"precision {precision} runs as {effective} on {described} (the backend's format for it)")
        return effective
    if backend != "auto":
        raise ConfigError(param_name, precision, f"backend {backend!r} cannot run it here ({described} "
                          f"runs {effective}); choose precision {effective!r} or backend 'auto'")
    warn(f"precision {precision} is not available on the backend auto chose ({described}): running {effective}")
    return effective
