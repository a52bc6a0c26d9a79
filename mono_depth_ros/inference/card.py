"""Model cards in YAML (a user's ONNX: "bring your own depth network") and their check against
the ONNX graph.

A card is a small YAML file beside the model, ``<model stem>.card.yaml`` (found automatically), or
named explicitly (node parameter ``model_card``, ``--card``). It parses into the same ``ModelSpec``
that describes the three papers' networks (spec.py). Parsing is strict: an unknown key, a missing
key or a bad value is a ``CardError`` naming the key and the file. Example (Depth Anything V2)::

    name: depth_anything_v2_vits
    input:
      name: image                 # ONNX input tensor
      layout: NCHW                # NCHW | NHWC                   (default NCHW)
      channel_order: RGB          # RGB | BGR                     (default RGB)
      value_range: [0, 1]         # [0, 1] | [0, 255]: pixel scale before mean/std (default [0, 1])
      mean: [0.485, 0.456, 0.406] # per tensor channel, on value_range's scale
      std: [0.229, 0.224, 0.225]
      size: {multiple_of: 14, long_side: 518}   # or {fixed: [H, W]}; optional short_side, profile_hw
    output:
      name: depth                 # ONNX output tensor
      kind: relative_inverse_depth   # metric_depth | log_depth | relative_depth |
                                     # relative_inverse_depth | depth_up_to_scale
      shape: 1xHxW                # 1xHxW | 1x1xHxW | HxW
      depth_range_m: [0.1, 80.0]  # metric kinds only (optional): depth outside -> NaN

``check_onnx(spec, onnx_path)`` compares a card with the graph (input/output names, rank, channel
count, batch, fixed H/W against the size rule, output rank) and raises one ``CardError`` line
naming the mismatch, e.g. ``card da.card.yaml: input 'pixel_values' not in the ONNX model
(inputs: image[1,3,height,width])``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from mono_depth_ros.inference.spec import (CHANNEL_ORDERS, LAYOUTS, METRIC_KINDS, OUTPUT_KINDS, OUTPUT_SHAPES,
                                           VALUE_RANGES, ModelSpec, SizeRule)

CARD_SUFFIX = ".card.yaml"
CARD_KINDS = tuple(k for k in OUTPUT_KINDS if k != "motion")
_TOP_KEYS = {"name": False, "description": False, "input": True, "output": True}  # key -> required
_INPUT_KEYS = {"name": True, "layout": False, "channel_order": False, "value_range": False, "mean": True,
               "std": True, "size": True}
_OUTPUT_KEYS = {"name": True, "kind": True, "shape": True, "depth_range_m": False}
_SIZE_KEYS = {"fixed": False, "multiple_of": False, "long_side": False, "short_side": False, "profile_hw": False}


class CardError(ValueError):
    """A model card that is malformed or does not match its model: one line naming the card file
    (or built-in spec) and the key or tensor at fault."""

    def __init__(self, label: str, problem: str) -> None:
        self.label, self.problem = label, problem
        super().__init__(f"{label}: {problem}")


def sibling_card(model_path: str | Path) -> Path | None:
    """``<model stem>.card.yaml`` beside ``model_path`` when it exists, else None."""
    path = Path(model_path)
    card = path.with_name(path.stem + CARD_SUFFIX)
    return card if card.is_file() else None


def _keys(label: str, where: str, value: Any, allowed: dict[str, bool]) -> dict:
    """``value`` as a mapping with only ``allowed`` keys and every required one present."""
    if not isinstance(value, dict):
        raise CardError(label, f"{where or 'the card'} must be a mapping, got {type(value).__name__}")
    prefix = f"{where}." if where else ""
    for key in value:
        if key not in allowed:
            raise CardError(label, f"unknown key '{prefix}{key}' (allowed: {', '.join(allowed)})")
    for key, required in allowed.items():
        if required and key not in value:
            raise CardError(label, f"missing key '{prefix}{key}'")
    return value


def _numbers(label: str, key: str, value: Any, count: int, positive: bool = False) -> tuple[float, ...]:
    ok = isinstance(value, (list, tuple)) and len(value) == count and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v) for v in value)
    if not ok or (positive and any(v <= 0 for v in value)):
        raise CardError(label, f"{key}={value!r}: expected {count} {'positive ' if positive else ''}numbers")
    return tuple(float(v) for v in value)


def _hw(label: str, key: str, value: Any) -> tuple[int, int]:
    ok = isinstance(value, (list, tuple)) and len(value) == 2 and all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    if not ok:
        raise CardError(label, f"{key}={value!r}: expected [height, width], two positive integers")
    return int(value[0]), int(value[1])


def _choice(label: str, key: str, value: Any, choices: tuple) -> Any:
    if value not in choices:
        raise CardError(label, f"{key}={value!r}: must be one of {', '.join(map(str, choices))}")
    return value


def _positive_int(label: str, key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise CardError(label, f"{key}={value!r}: expected a positive integer")
    return int(value)


def parse_size(label: str, value: Any) -> SizeRule:
    """``input.size`` -> SizeRule: ``{fixed: [H, W]}`` or ``{multiple_of: N, long_side: L}``
    (or ``short_side: S``), optional ``profile_hw: [H, W]`` (TensorRT's static size)."""
    size = _keys(label, "input.size", value, _SIZE_KEYS)
    if "fixed" in size:
        if set(size) != {"fixed"}:
            raise CardError(label, "input.size: 'fixed' takes no other key (or use multiple_of with long_side)")
        return SizeRule(fixed_hw=_hw(label, "input.size.fixed", size["fixed"]))
    if "multiple_of" not in size or ("long_side" in size) == ("short_side" in size):
        raise CardError(label, "input.size: give {fixed: [H, W]} or {multiple_of: N} with exactly one of "
                               "long_side, short_side")
    multiple = _positive_int(label, "input.size.multiple_of", size["multiple_of"])
    side_key = "long_side" if "long_side" in size else "short_side"
    side = _positive_int(label, f"input.size.{side_key}", size[side_key])
    if side % multiple:
        raise CardError(label, f"input.size.{side_key}={side}: must be a multiple of multiple_of={multiple}")
    profile = _hw(label, "input.size.profile_hw", size["profile_hw"]) if "profile_hw" in size else None
    rule = SizeRule(multiple_of=multiple, profile_hw=profile, **{side_key: side})
    if profile is not None and rule.static_problem(profile):
        raise CardError(label, f"input.size.profile_hw={list(profile)}: {rule.static_problem(profile)}")
    return rule


def spec_from_card(data: Any, source: str) -> ModelSpec:
    """A ModelSpec from a parsed card mapping; ``source`` (the file name) labels the errors."""
    label = f"card {source}"
    top = _keys(label, "", data, _TOP_KEYS)
    inp = _keys(label, "input", top["input"], _INPUT_KEYS)
    out = _keys(label, "output", top["output"], _OUTPUT_KEYS)
    for key, value in (("input.name", inp["name"]), ("output.name", out["name"]), ("name", top.get("name", "x"))):
        if not isinstance(value, str) or not value:
            raise CardError(label, f"{key}={value!r}: expected a non-empty string")
    if not isinstance(top.get("description", ""), str):
        raise CardError(label, f"description={top['description']!r}: expected a string")
    kind = _choice(label, "output.kind", out["kind"], CARD_KINDS)
    value_range = _numbers(label, "input.value_range", inp.get("value_range", [0, 1]), 2)
    if value_range not in VALUE_RANGES:
        raise CardError(label, f"input.value_range={inp['value_range']!r}: must be [0, 1] or [0, 255]")
    mean, std = _numbers(label, "input.mean", inp["mean"], 3), _numbers(label, "input.std", inp["std"], 3, positive=True)
    if value_range == (0.0, 1.0) and max(mean + std) > 1.0:  # ImageNet's 123.675 / 58.395 are on the 0-255 scale
        raise CardError(label, f"input.mean={inp['mean']!r} / input.std={inp['std']!r} are on the 0-255 scale but "
                               "input.value_range is [0, 1]: set input.value_range: [0, 255], or divide them by 255")
    if value_range == (0.0, 255.0) and max(mean + std) <= 1.0 and max(mean) > 0:
        raise CardError(label, f"input.mean={inp['mean']!r} / input.std={inp['std']!r} are on the 0-1 scale but "
                               "input.value_range is [0, 255]: set input.value_range: [0, 1], or multiply them by 255")
    depth_range = None
    if "depth_range_m" in out:
        if kind not in METRIC_KINDS:
            raise CardError(label, f"output.depth_range_m applies to metric outputs ({', '.join(METRIC_KINDS)}) "
                                   f"only; output.kind is {kind}")
        depth_range = _numbers(label, "output.depth_range_m", out["depth_range_m"], 2)
        if not 0 <= depth_range[0] < depth_range[1]:
            raise CardError(label, f"output.depth_range_m={out['depth_range_m']!r}: need 0 <= min < max")
    size = parse_size(label, inp["size"])
    name = top.get("name") or Path(source).name.removesuffix(CARD_SUFFIX).removesuffix(".yaml").removesuffix(".yml")
    layout = _choice(label, "input.layout", inp.get("layout", "NCHW"), LAYOUTS)
    channel_order = _choice(label, "input.channel_order", inp.get("channel_order", "RGB"), CHANNEL_ORDERS)
    output_shape = _choice(label, "output.shape", out["shape"], OUTPUT_SHAPES)
    return ModelSpec(name, "card", None, size.static_hw(), mean, std, kind, (inp["name"],),
                     (out["name"],), size=size, layout=layout, channel_order=channel_order, value_range=value_range,
                     output_shape=output_shape, depth_range_m=depth_range, source=source)


def load_card(path: str | Path) -> ModelSpec:
    """Read and validate a card YAML file -> ModelSpec (CardError naming the file on any problem)."""
    import yaml

    path = Path(path)
    if path.is_dir():
        raise CardError(f"card {path}", "is a folder; give the card's .yaml file")
    if not path.is_file():
        raise CardError(f"card {path}", "file not found")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise CardError(f"card {path.name}", f"not valid YAML ({' '.join(str(exc).split())})") from None
    return spec_from_card(data, path.name)


def _graph_tensors(onnx_path: Path) -> tuple[dict[str, tuple], dict[str, tuple | None]]:
    """({input name: dims}, {output name: dims or None when the rank is unknown}); a dim is an int,
    or its symbolic name (str) where dynamic."""
    import onnx

    if onnx_path.is_file() and onnx_path.stat().st_size == 0:
        raise CardError(f"model {onnx_path.name}", "empty file, not an ONNX model")
    try:
        graph = onnx.load(str(onnx_path), load_external_data=False).graph
    except Exception as exc:  # noqa: BLE001 - protobuf's DecodeError and friends -> one line
        raise CardError(f"model {onnx_path.name}", f"not an ONNX model ({type(exc).__name__})") from None
    if not graph.input or not graph.node:
        raise CardError(f"model {onnx_path.name}", "no inputs or no nodes: not an ONNX model, or an empty one")
    inits = {i.name for i in graph.initializer}

    def dims(value: Any) -> tuple | None:
        if not value.type.tensor_type.HasField("shape"):
            return None
        return tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
                     for d in value.type.tensor_type.shape.dim)

    return ({i.name: dims(i) or () for i in graph.input if i.name not in inits},
            {o.name: dims(o) for o in graph.output})


def _listing(tensors: dict[str, tuple | None]) -> str:
    return ", ".join(f"{n}[{','.join(map(str, d))}]" if d is not None else f"{n}[?]" for n, d in tensors.items())


def check_onnx(spec: ModelSpec, onnx_path: str | Path) -> None:
    """CardError (one line) when ``spec`` does not describe the ONNX model's inputs/outputs."""
    inputs, outputs = _graph_tensors(Path(onnx_path))
    name = spec.input_names[0]
    if name not in inputs:
        raise CardError(spec.label, f"input '{name}' not in the ONNX model (inputs: {_listing(inputs)})")
    unfed = {n: d for n, d in inputs.items() if n not in spec.input_names}
    if unfed:
        raise CardError(spec.label, f"the ONNX model has input(s) {_listing(unfed)} besides '{name}', and the node "
                                    "feeds only the image: export the model with the image as its only input")
    dims = inputs[name]
    shown = f"input '{name}' is {name}[{','.join(map(str, dims))}] in the ONNX model"
    if len(dims) != 4:
        raise CardError(spec.label, f"{shown}: layout {spec.layout} needs rank 4")
    channel = dims[3] if spec.layout == "NHWC" else dims[1]
    if isinstance(channel, int) and channel != spec.input_channels:
        raise CardError(spec.label, f"{shown}: {channel} channel(s) at dim {3 if spec.layout == 'NHWC' else 1} "
                                    f"(layout {spec.layout}), the card feeds {spec.input_channels}")
    if isinstance(dims[0], int) and dims[0] != 1:
        raise CardError(spec.label, f"{shown}: batch {dims[0]}, the node feeds batch 1")
    hw = spec.spatial_hw(tuple(d if isinstance(d, int) else -1 for d in dims))
    if min(hw) > 0 and spec.size.static_problem(hw):
        raise CardError(spec.label, f"{shown}: fixed at {hw[0]}x{hw[1]}, but {spec.size.static_problem(hw)}")
    for out_name in spec.output_names:
        if out_name not in outputs:
            raise CardError(spec.label, f"output '{out_name}' not in the ONNX model (outputs: {_listing(outputs)})")
    out_dims = outputs[spec.output_names[0]]
    if spec.output_kind == "motion" or out_dims is None:
        return
    rank = spec.output_shape.count("x") + 1
    shown = f"output '{spec.output_names[0]}' is {spec.output_names[0]}[{','.join(map(str, out_dims))}]"
    if len(out_dims) != rank or any(isinstance(d, int) and d != 1 for d in out_dims[:rank - 2]):
        raise CardError(spec.label, f"{shown} in the ONNX model; output.shape {spec.output_shape} needs "
                                    f"({', '.join(['1'] * (rank - 2) + ['h', 'w'])})")
