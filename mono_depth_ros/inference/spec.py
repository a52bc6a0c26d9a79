"""ModelSpec registry: one place that says how to build, feed and read each network.

Every network is fed ``rgb / 255`` (mean 0, std 1): that is what the training datasets produce
(training/data/datasets.py), so the spec repeats it instead of each script guessing.
``input_hw`` is the default (paper variant) input size; ``variant_input_hw`` gives the other
variants' defaults; a checkpoint's resolved config (``data.input_hw``) overrides both.
Torch is imported only when a model is built, so ONNX/TensorRT deployments need no torch.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

OUTPUT_KINDS = ("metric_depth", "log_depth", "relative_depth", "depth_up_to_scale", "motion")
MOTION_OUTPUT_NAMES = ("rotation", "translation", "residual_translation", "intrinsics")


def _lazy_builder(module: str, cls: str) -> Callable[..., Any]:
    def build(**kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), cls)(**kwargs)

    build.__qualname__ = f"build_{cls}"
    return build


@dataclass(frozen=True)
class ModelSpec:
    """How to build one network and how to feed and read it.

    ``build(**model_kwargs) -> nn.Module``; ``input_hw`` (height, width) in pixels; ``mean``/``std``
    per RGB channel on the [0, 1] scale; ``output_kind`` one of OUTPUT_KINDS; ``input_names`` /
    ``output_names`` are the ONNX tensor names (in the module's output order).
    """

    name: str
    method: str
    build: Callable[..., Any]
    input_hw: tuple[int, int]
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    output_kind: str
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    input_channels: int = 3
    variant_input_hw: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.output_kind not in OUTPUT_KINDS:
            raise ValueError(f"output_kind={self.output_kind!r}: must be one of {OUTPUT_KINDS}")

    @property
    def is_metric(self) -> bool:
        """True where the output is depth in metres (up to the training data's scale)."""
        return self.output_kind in ("metric_depth", "log_depth")

    def input_hw_for(self, model_kwargs: Mapping[str, Any] | None = None,
                     config: Mapping[str, Any] | None = None) -> tuple[int, int]:
        """Input size of a trained model: config ``data.input_hw``, else the variant's default."""
        data = (config or {}).get("data") if isinstance(config, Mapping) else None
        if isinstance(data, Mapping) and data.get("input_hw") is not None:
            h, w = data["input_hw"]
            return int(h), int(w)
        variant = (model_kwargs or {}).get("variant", "paper")
        return tuple(self.variant_input_hw.get(variant, self.input_hw))  # type: ignore[return-value]

    def input_shape(self, input_hw: tuple[int, int] | None = None, batch: int = 1) -> tuple[int, int, int, int]:
        h, w = input_hw or self.input_hw
        return batch, self.input_channels, int(h), int(w)


_RGB01 = dict(mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0))

MODEL_SPECS: dict[str, ModelSpec] = {s.name: s for s in (
    ModelSpec("eigen2014", "eigen2014", _lazy_builder("mono_depth_ros.models.eigen2014", "Eigen2014"),
              (228, 304), output_kind="log_depth", input_names=("rgb",), output_names=("log_depth",),
              variant_input_hw={"paper": (228, 304), "light": (128, 160)}, **_RGB01),
    ModelSpec("xian2018", "xian2018", _lazy_builder("mono_depth_ros.models.xian2018", "Xian2018"),
              (384, 384), output_kind="relative_depth", input_names=("rgb",), output_names=("relative_depth",),
              variant_input_hw={"paper": (384, 384), "light": (192, 256)}, **_RGB01),
    ModelSpec("li2020_depth", "li2020", _lazy_builder("mono_depth_ros.models.li2020", "Li2020DepthNet"),
              (128, 416), output_kind="depth_up_to_scale", input_names=("rgb",), output_names=("depth",),
              variant_input_hw={"paper": (128, 416), "light": (128, 416)}, **_RGB01),
    ModelSpec("li2020_motion", "li2020", _lazy_builder("mono_depth_ros.models.li2020", "Li2020MotionNet"),
              (128, 416), output_kind="motion", input_names=("frames",), output_names=MOTION_OUTPUT_NAMES,
              input_channels=8, variant_input_hw={"paper": (128, 416), "light": (128, 416)}, **_RGB01),
)}


def get_spec(name: str) -> ModelSpec:
    """The spec called ``name``; KeyError listing the known names otherwise."""
    try:
        return MODEL_SPECS[name]
    except KeyError:
        raise KeyError(f"spec_name={name!r}: unknown model; known: {sorted(MODEL_SPECS)}") from None
