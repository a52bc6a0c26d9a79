"""ModelSpec: the model card, the one description of every network (ours and a user's ONNX).

A card says how to feed a network and how to read it: input tensor name, layout (NCHW | NHWC),
channel order (RGB | BGR), value range ([0, 1] or [0, 255]) and per-channel mean/std on that
range, the input size rule (``SizeRule``), the output tensor, its shape convention (1x1xHxW |
1xHxW | HxW), its kind (OUTPUT_KINDS) and, for metric outputs, the valid depth range. The three papers'
networks are the cards in ``MODEL_SPECS`` (built here, with the torch builder of their nn.Module);
a user's ONNX gets its card from YAML beside it (``card.py``), parsed into this same dataclass.

Our networks are fed ``rgb / 255`` (mean 0, std 1): that is what the training datasets produce
(training/data/datasets.py), so the spec repeats it instead of each script guessing.
``input_hw`` is the default (paper variant) input size; ``variant_input_hw`` gives the other
variants' defaults; a checkpoint's resolved config (``data.input_hw``) overrides both.
Torch is imported only when a model is built, so ONNX/TensorRT deployments need no torch.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

OUTPUT_KINDS = ("metric_depth", "log_depth", "relative_depth", "relative_inverse_depth", "depth_up_to_scale",
                "motion")
METRIC_KINDS = ("metric_depth", "log_depth")
MOTION_OUTPUT_NAMES = ("rotation", "translation", "residual_translation", "intrinsics")
LAYOUTS = ("NCHW", "NHWC")
CHANNEL_ORDERS = ("RGB", "BGR")
VALUE_RANGES = ((0.0, 1.0), (0.0, 255.0))
OUTPUT_SHAPES = ("1x1xHxW", "1xHxW", "HxW")


def _lazy_builder(module: str, cls: str) -> Callable[..., Any]:
    def build(**kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), cls)(**kwargs)

    build.__qualname__ = f"build_{cls}"
    return build


def _round_to_multiple(value: float, multiple: int) -> int:
    return max(multiple, int(round(value / multiple)) * multiple)


@dataclass(frozen=True)
class SizeRule:
    """How the network input size (h, w) in pixels follows from the image size.

    - fixed: ``fixed_hw`` (h, w); ``None`` = the model file's own static size (our checkpoints:
      their config's ``data.input_hw``).
    - multiple_of N (> 0): the image's aspect ratio kept, ``long_side`` (or ``short_side``) pixels
      on that side, each side rounded to a multiple of N (Depth Anything: 14 and 518). A backend
      that needs one static shape (TensorRT) builds for ``profile_hw``, default side x side.
    """

    fixed_hw: tuple[int, int] | None = None
    multiple_of: int = 0
    long_side: int = 0
    short_side: int = 0
    profile_hw: tuple[int, int] | None = None

    @property
    def is_fixed(self) -> bool:
        return self.multiple_of == 0

    def describe(self) -> str:
        if self.is_fixed:
            return f"fixed {self.fixed_hw[0]}x{self.fixed_hw[1]}" if self.fixed_hw else "fixed (the model file's size)"
        side = f"long side {self.long_side}" if self.long_side else f"short side {self.short_side}"
        return f"multiple of {self.multiple_of}, {side}"

    def static_hw(self) -> tuple[int, int] | None:
        """The one size for a backend that needs a static shape (None: the model file's own)."""
        if self.is_fixed:
            return self.fixed_hw
        side = self.long_side or self.short_side
        return self.profile_hw or (side, side)

    def net_hw(self, image_hw: tuple[int, int]) -> tuple[int, int]:
        """(h, w) network input for an image of ``image_hw`` = (H, W) (fixed rules ignore it)."""
        if self.is_fixed:
            if self.fixed_hw is None:
                raise ValueError("a fixed size rule without fixed_hw takes the model file's size")
            return self.fixed_hw
        h, w = (int(v) for v in image_hw)
        scale = self.long_side / max(h, w) if self.long_side else self.short_side / min(h, w)
        return _round_to_multiple(h * scale, self.multiple_of), _round_to_multiple(w * scale, self.multiple_of)

    def static_problem(self, hw: tuple[int, int]) -> str | None:
        """Why a model whose input is fixed at ``hw`` cannot follow this rule, or None."""
        h, w = (int(v) for v in hw)
        if self.is_fixed:
            if self.fixed_hw is None or self.fixed_hw == (h, w):
                return None
            return f"the card says fixed {self.fixed_hw[0]}x{self.fixed_hw[1]}"
        side_ok = max(h, w) == self.long_side if self.long_side else min(h, w) == self.short_side
        if h % self.multiple_of == 0 and w % self.multiple_of == 0 and side_ok:
            return None  # images are fitted (resize_mode) to the one size the rule allows here
        return f"the size rule ({self.describe()}) cannot produce {h}x{w}; use size: {{fixed: [{h}, {w}]}}"


@dataclass(frozen=True)
class ModelSpec:
    """A model card: how to build (ours), feed and read one network.

    ``build(**model_kwargs) -> nn.Module`` (None for a user's ONNX); ``input_hw`` (height, width)
    the default input size in pixels; ``mean``/``std`` per tensor channel (in ``channel_order``)
    on the ``value_range`` scale; ``output_kind`` one of OUTPUT_KINDS; ``input_names`` /
    ``output_names`` the ONNX tensor names (in the module's output order); ``layout`` of the
    input tensor; ``output_shape`` the depth output's convention (1x1xHxW, 1xHxW or HxW);
    ``depth_range_m`` (min, max) metres kept of a metric output (None: all positive);
    ``source``: where the card came from (a YAML file, or "built-in"), named in errors;
    ``masked_outputs``: outputs zeroed below a data-dependent threshold (parity allows ties);
    ``int8_float_nodes``: node-name patterns int8 calibration leaves float (see the field).
    """

    name: str
    method: str
    build: Callable[..., Any] | None
    input_hw: tuple[int, int]
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    output_kind: str
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    input_channels: int = 3
    variant_input_hw: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    size: SizeRule = SizeRule()
    layout: str = "NCHW"
    channel_order: str = "RGB"
    value_range: tuple[float, float] = (0.0, 1.0)
    output_shape: str = "1x1xHxW"
    depth_range_m: tuple[float, float] | None = None
    source: str = "built-in"
    #: outputs zeroed where a threshold computed from the data is not exceeded (li2020's auto_mask):
    #: two runtimes may put a value on either side of it, see onnx_export.output_difference
    masked_outputs: tuple[str, ...] = ()
    #: regular expressions (``re.match``) of exported node names that int8 post-training quantisation
    #: keeps float (NNCF ``IgnoredScope(patterns=...)``); li2020_motion: everything but the motion-field
    #: refiners, i.e. its 6-DoF and intrinsics head (motions of a few milliradians, clipped to the
    #: calibration video's range when quantised) and the whole encoder feeding it (its input carries
    #: depth planes in the depth net's metres, whose range is the calibration camera's: EuRoC's reach
    #: 6.7 m, KITTI's 9.0 with stage 38's depth net; quantised, the encoder moved KITTI directions by
    #: up to 9.5 deg; benchmarks/motion_int8_scope.py)
    int8_float_nodes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for key, value, allowed in (("output_kind", self.output_kind, OUTPUT_KINDS), ("layout", self.layout, LAYOUTS),
                                    ("channel_order", self.channel_order, CHANNEL_ORDERS),
                                    ("value_range", tuple(self.value_range), VALUE_RANGES),
                                    ("output_shape", self.output_shape, OUTPUT_SHAPES)):
            if value not in allowed:
                raise ValueError(f"{key}={value!r}: must be one of {allowed}")

    @property
    def label(self) -> str:
        """How errors name this card: ``card <file>`` or ``spec <name>``."""
        return f"card {self.source}" if self.source != "built-in" else f"spec {self.name}"

    @property
    def is_metric(self) -> bool:
        """True where the output is depth in metres (up to the training data's scale)."""
        return self.output_kind in METRIC_KINDS

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
        """(batch, C, h, w) for NCHW, (batch, h, w, C) for NHWC."""
        h, w = input_hw or self.input_hw
        if self.layout == "NHWC":
            return batch, int(h), int(w), self.input_channels
        return batch, self.input_channels, int(h), int(w)

    def spatial_hw(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """(h, w) of an input tensor shape in this layout (-1 where dynamic)."""
        return (int(shape[1]), int(shape[2])) if self.layout == "NHWC" else (int(shape[2]), int(shape[3]))

    def concrete_input_shape(self, shape: tuple[int, ...], input_hw: tuple[int, int] | None = None) -> tuple[int, ...]:
        """``shape`` with its dynamic (-1) dims filled: batch 1, the card's channels, ``input_hw``
        (default: the card's static size) for height and width."""
        full = self.input_shape(input_hw or self.size.static_hw() or self.input_hw)
        return tuple(f if int(d) < 0 else int(d) for d, f in zip(shape, full))


_RGB01 = dict(mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0))

MODEL_SPECS: dict[str, ModelSpec] = {s.name: s for s in (
    ModelSpec("eigen2014", "eigen2014", _lazy_builder("mono_depth_ros.models.eigen2014", "Eigen2014"),
              (228, 304), output_kind="log_depth", input_names=("rgb",), output_names=("log_depth",),
              variant_input_hw={"paper": (228, 304), "light": (128, 160), "lite0": (120, 160)}, **_RGB01),
    ModelSpec("xian2018", "xian2018", _lazy_builder("mono_depth_ros.models.xian2018", "Xian2018"),
              (384, 384), output_kind="relative_depth", input_names=("rgb",), output_names=("relative_depth",),
              variant_input_hw={"paper": (384, 384), "light": (192, 256)}, **_RGB01),
    ModelSpec("li2020_depth", "li2020", _lazy_builder("mono_depth_ros.models.li2020", "Li2020DepthNet"),
              (128, 416), output_kind="depth_up_to_scale", input_names=("rgb",), output_names=("depth",),
              variant_input_hw={"paper": (128, 416), "light": (128, 416), "lite0": (128, 416)}, **_RGB01),
    ModelSpec("li2020_motion", "li2020", _lazy_builder("mono_depth_ros.models.li2020", "Li2020MotionNet"),
              (128, 416), output_kind="motion", input_names=("frames",), output_names=MOTION_OUTPUT_NAMES,
              input_channels=8, variant_input_hw={"paper": (128, 416), "light": (128, 416), "lite0": (128, 416)},
              masked_outputs=("residual_translation",),
              int8_float_nodes=(r"/inner/(?!refiners)",), **_RGB01),
)}


def get_spec(name: str) -> ModelSpec:
    """The spec called ``name``; KeyError listing the known names otherwise."""
    try:
        return MODEL_SPECS[name]
    except KeyError:
        raise KeyError(f"spec_name={name!r}: unknown model; known: {sorted(MODEL_SPECS)}") from None
