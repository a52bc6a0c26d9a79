"""Shared loading for the estimators: which model card (spec) describes a model file, a loaded
backend for it, and the network input size per image.

The card of a file: an explicit ``card`` YAML, else ``<model stem>.card.yaml`` beside the file (a
user's ONNX), else the spec named in a checkpoint's payload or our exported ONNX's metadata, else
``spec_name``. An ONNX is checked against its card before any backend loads it (card.check_onnx).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mono_depth_ros.core.errors import InputError, one_line
from mono_depth_ros.core.fit import DEFAULT_RESIZE_MODE, RESIZE_MODES
from mono_depth_ros.inference.backends.base import InferenceBackend
from mono_depth_ros.inference.backends.registry import create_backend, warmup_shapes
from mono_depth_ros.inference.card import CARD_SUFFIX, CardError, check_onnx, load_card, sibling_card
from mono_depth_ros.inference.spec import ModelSpec, get_spec


def spec_name_of(path: Path, spec_name: str | None) -> str:
    """The file's spec: from a checkpoint's payload or an exported ONNX's metadata, else ``spec_name``."""
    found = None
    if path.suffix == ".pt":
        from mono_depth_ros.inference.checkpoint import read_checkpoint_payload

        found = read_checkpoint_payload(path)["spec_name"]
    elif path.suffix == ".onnx":
        from mono_depth_ros.inference.onnx_export import read_onnx_metadata

        found = read_onnx_metadata(path).get("spec_name")
    if found and spec_name and found != spec_name:
        raise InputError("spec_name", spec_name, f"{path.name} holds a {found!r} model")
    name = found or spec_name
    if not name:
        raise InputError("spec_name", spec_name, f"{path.name} does not say which model it is; pass spec_name "
                         f"or a model card ({path.stem}{CARD_SUFFIX} beside it)")
    return name


def resolve_spec(path: Path, spec_name: str | None, card: str | Path | None = None) -> tuple[ModelSpec, bool]:
    """(the model card describing ``path``, whether it came from a YAML card); see the module docstring.

    A ``.pt`` checkpoint is one of our networks: its payload names the spec, a card is refused."""
    card_path = Path(card) if card else (sibling_card(path) if path.suffix != ".pt" else None)
    if card_path is not None:
        if path.suffix == ".pt":
            raise InputError("card", str(card_path), "a .pt checkpoint carries its own spec; cards describe ONNX "
                             "or engine files")
        return load_card(card_path), True
    return get_spec(spec_name_of(path, spec_name)), False


def load_backend(path: str | Path, backend: str, precision: str, spec_name: str | None,
                 expect_motion: bool, warmup: bool = True, card: str | Path | None = None,
                 **options: Any) -> tuple[ModelSpec, InferenceBackend, str]:
    """(spec, loaded and warmed-up backend, reason) for a .pt/.onnx/.engine file; ``card``: a model
    card YAML (default: ``<stem>.card.yaml`` beside the file when present)."""
    path = Path(path)
    if path.is_dir():
        raise FileNotFoundError(f"model_path={str(path)!r}: is a folder; give the model file (.pt, .onnx or .engine)")
    if not path.is_file():
        raise FileNotFoundError(f"model_path={str(path)!r}: file not found")
    spec, from_card = resolve_spec(path, spec_name, card)
    if (spec.output_kind == "motion") != expect_motion:
        want = "a motion model (li2020_motion)" if expect_motion else "a depth model"
        raise InputError("spec_name", spec.name, f"expected {want}")
    if path.suffix == ".onnx":
        try:
            check_onnx(spec, path)
        except CardError as exc:
            if from_card:
                raise
            raise CardError(exc.label, f"{exc.problem}; no model card found (expected {path.stem}{CARD_SUFFIX} "
                                       "beside the model, or pass one)") from None
    runner, reason = create_backend(backend, path, spec, precision, **options)
    if warmup:
        runner.warmup(shapes=warmup_shapes(runner, spec, options.get("input_hw")))
        if from_card:
            _check_other_sizes(runner, spec)
    return spec, runner, reason


def _check_other_sizes(runner: InferenceBackend, spec: ModelSpec) -> None:
    """A card whose size follows each image (``multiple_of``) on a model with dynamic H/W: run it once
    at a 4:3 camera's size as well. An export traced at one size (a ViT whose reshapes baked in its
    patch grid) loads and warms up at the card's square size, then fails on every frame."""
    name = spec.input_names[0]
    hw = spec.spatial_hw(runner.input_shapes[name])
    if min(hw) > 0 or spec.size.is_fixed:
        return
    other = spec.size.net_hw((480, 640))
    try:
        runner.warmup(1, {name: spec.concrete_input_shape(runner.input_shapes[name], other)})
    except Exception as exc:  # noqa: BLE001 - whatever the runtime raises -> one line naming the card
        cause = one_line(exc)
        raise CardError(spec.label, f"the model declares a dynamic input size but fails at {other[0]}x{other[1]} "
                                    f"(a 640x480 image by the card's size rule): it was probably traced at one "
                                    f"size; export at the size you run and set input.size: {{fixed: [H, W]}} "
                                    f"({cause})") from None


class BackendModel:
    """A network behind a backend: ``spec``, ``backend``, ``backend_description``,
    ``backend_reason`` (why ``auto`` chose it), ``input_hw`` (the network's input size; for a
    dynamic-size model with a ``multiple_of`` card, its default: ``net_hw_for`` gives the size per
    image), ``resize_mode`` (crop | pad | stretch: how camera images are fitted to it, core.fit) and
    ``effective_precision`` (what the backend reports actually runs: "fp32", "bf16", "fp16",
    "int8+bf16", "tf32"; for the log and /diagnostics).
    Base of DepthEstimator and EgoMotionEstimator."""

    def __init__(self, spec: ModelSpec, backend: InferenceBackend, reason: str = "",
                 resize_mode: str = DEFAULT_RESIZE_MODE) -> None:
        if resize_mode not in RESIZE_MODES:
            raise InputError("resize_mode", resize_mode, f"must be one of {', '.join(RESIZE_MODES)}")
        self.spec, self.backend, self.backend_reason = spec, backend, reason
        self.resize_mode = resize_mode  # how camera images are fitted to the network input (core.fit)
        hw = spec.spatial_hw(backend.input_shapes[spec.input_names[0]])
        #: the size follows each image (a dynamic-size model with a multiple_of card)
        self.size_per_image = min(hw) < 0 and not spec.size.is_fixed
        if min(hw) > 0 and spec.size.static_problem(hw):  # an .engine (an ONNX was checked at load)
            raise CardError(spec.label, f"the model's input is fixed at {hw[0]}x{hw[1]}: "
                                        f"{spec.size.static_problem(hw)}")
        self.input_hw = hw if min(hw) > 0 else (spec.size.static_hw() or spec.input_hw)
        self.backend_description = backend.describe()
        self.effective_precision = backend.effective_precision

    def net_hw_for(self, image_hw: tuple[int, int]) -> tuple[int, int]:
        """(h, w) network input for an image of ``image_hw`` = (H, W): the card's size rule where
        the model takes any size, else ``input_hw``."""
        return self.spec.size.net_hw(image_hw) if self.size_per_image else self.input_hw
