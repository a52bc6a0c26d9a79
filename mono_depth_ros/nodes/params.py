"""Declarative ROS parameters: one table per node -> declared once -> a frozen, validated config.

Each node lists its parameters as :class:`ParamSpec` rows (name, default, description, range or
choices, read-only). :func:`declare_parameters` declares them all with a
``rcl_interfaces/ParameterDescriptor`` (description, ``IntegerRange``/``FloatingPointRange``,
read-only flag, the allowed choices in ``additional_constraints``); :func:`build_config` turns the
current values into the node's frozen dataclass and raises :class:`ConfigError` naming the
parameter when a value is out of range or not one of the choices. Nodes call it at start (an
invalid value stops the node) and from their set-parameters callback (the change is rejected).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence


class ConfigError(ValueError):
    """An invalid node parameter: names the parameter, its value and what is allowed."""

    def __init__(self, name: str, value: Any, reason: str) -> None:
        self.name = name
        self.value = value
        self.reason = reason
        super().__init__(f"invalid parameter {name}={value!r}: {reason}")


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: default (its type fixes the ROS type), description and constraints.

    ``low``/``high``: inclusive numeric range (ints -> IntegerRange, floats -> FloatingPointRange;
    ``high=math.inf`` means unbounded above and is only checked here). ``choices``: allowed string
    values. ``read_only``: can only be set at start (``--ros-args -p`` / params file / overrides).
    """

    name: str
    default: Any
    description: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    read_only: bool = False

    def check(self, value: Any) -> Any:
        """``value`` converted to this parameter's type; ConfigError when it is not allowed."""
        value = _coerce(self, value)
        if self.choices and value not in self.choices:
            raise ConfigError(self.name, value, f"must be one of {list(self.choices)}")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if isinstance(value, float) and math.isnan(value):
                raise ConfigError(self.name, value, "must not be NaN")
            if self.low is not None and value < self.low:
                raise ConfigError(self.name, value, f"must be >= {self.low}")
            if self.high is not None and value > self.high:
                raise ConfigError(self.name, value, f"must be <= {self.high}")
        return value


def to_parameters(overrides: Mapping[str, Any] | None) -> list[Any]:
    """rclpy Parameters of a ``{name: value}`` dict (tuples become lists): a node's ``parameter_overrides``."""
    from rclpy.parameter import Parameter

    return [Parameter(k, value=list(v) if isinstance(v, tuple) else v) for k, v in (overrides or {}).items()]


def _coerce(spec: ParamSpec, value: Any) -> Any:
    default = spec.default
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(spec.name, value, "must be a bool")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(spec.name, value, "must be an integer")
        return int(value)
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(spec.name, value, "must be a number")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(spec.name, value, "must be a string")
        return value
    if isinstance(default, (list, tuple)):
        try:
            values = tuple(float(v) for v in value)
        except (TypeError, ValueError):
            raise ConfigError(spec.name, value, "must be a list of numbers") from None
        if len(values) != len(default):
            raise ConfigError(spec.name, value, f"must have {len(default)} numbers")
        if not all(math.isfinite(v) for v in values):
            raise ConfigError(spec.name, value, "must be finite")
        return values
    raise TypeError(f"unsupported default type for {spec.name}: {type(default).__name__}")


def _descriptor(spec: ParamSpec) -> Any:
    from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor

    desc = ParameterDescriptor(description=spec.description, read_only=spec.read_only)
    if spec.choices:
        desc.additional_constraints = "one of: " + ", ".join(spec.choices)
    is_number = isinstance(spec.default, (int, float)) and not isinstance(spec.default, bool)
    bounded = spec.low is not None and spec.high is not None and math.isfinite(spec.high)
    if is_number and bounded:
        if isinstance(spec.default, int):
            desc.integer_range = [IntegerRange(from_value=int(spec.low), to_value=int(spec.high), step=1)]
        else:
            desc.floating_point_range = [FloatingPointRange(from_value=float(spec.low),
                                                            to_value=float(spec.high), step=0.0)]
    elif is_number and spec.low is not None:
        desc.additional_constraints = f">= {spec.low}"
    return desc


def declare_parameters(node: Any, specs: Sequence[ParamSpec]) -> dict[str, Any]:
    """Declare every spec on ``node`` (once) and return ``{name: current value}``.

    A value given at start (``-p``, params file, overrides) is checked here first, so that an
    invalid one raises ConfigError naming it instead of rclpy's exception; an integer given for a
    double (``max_range_m:=5``) is declared as that double.
    """
    from rclpy.parameter import Parameter

    overrides = getattr(node, "_parameter_overrides", {})  # rclpy keeps start-up values here
    values: dict[str, Any] = {}
    for spec in specs:
        default = list(spec.default) if isinstance(spec.default, tuple) else spec.default
        given = overrides.get(spec.name)
        if given is not None and given.type_ != Parameter.Type.NOT_SET:
            checked = spec.check(given.value)
            if isinstance(default, float) or isinstance(default, list):
                overrides[spec.name] = Parameter(spec.name, value=list(checked) if isinstance(checked, tuple)
                                                 else checked)
        try:
            param = node.declare_parameter(spec.name, default, _descriptor(spec))
        except Exception as exc:  # noqa: BLE001 - rclpy's parameter exceptions -> one named error
            error = config_error_from_rclpy(exc, spec.name)
            if error is None:
                raise
            raise error from None
        values[spec.name] = param.value
    return values


# parameters rclpy itself reads, which no table of ours declares
ROS_PARAMETERS = ("use_sim_time", "start_type_description_service")


def unknown_parameters(node: Any, *tables: Sequence[ParamSpec]) -> list[str]:
    """Names given to ``node`` at start (``-p``, params file, launch) that no table in ``tables``
    declares and rclpy does not read: most likely misspelled (``max_range:=20``), so ignored."""
    known = {spec.name for table in tables for spec in table} | set(ROS_PARAMETERS)
    overrides = getattr(node, "_parameter_overrides", {})  # rclpy keeps start-up values here
    return sorted(name for name in overrides if name not in known and not name.startswith("qos_overrides."))


def warn_unknown_parameters(node: Any, *tables: Sequence[ParamSpec]) -> list[str]:
    """Log one warning naming every :func:`unknown_parameters` (the two nodes' tables are passed, since
    launch gives both nodes of one process every argument); returns them."""
    unknown = unknown_parameters(node, *tables)
    if unknown:
        node.get_logger().warning(f"ignored parameter(s) {', '.join(unknown)}: no parameter of depth_node or "
                                  "ego_motion_node (misspelled? see --help)")
    return unknown


def config_error_from_rclpy(exc: BaseException, name: str | None = None) -> ConfigError | None:
    """ConfigError for rclpy's invalid-parameter / invalid-name exceptions, else None."""
    from rclpy.exceptions import InvalidNamespaceException, InvalidNodeNameException, \
        InvalidParameterTypeException, InvalidParameterValueException, InvalidTopicNameException, \
        ParameterException

    if isinstance(exc, (InvalidTopicNameException, InvalidNodeNameException, InvalidNamespaceException)):
        text = " ".join(str(exc).split())
        return ConfigError(name or "name", getattr(exc, "name", "?"), text)
    if isinstance(exc, (InvalidParameterValueException, InvalidParameterTypeException, ParameterException)):
        text = " ".join(str(exc).split())
        return ConfigError(name or "parameter", "?", text)
    return None


def check_topic_name(name: str, topic: str) -> None:
    """ConfigError when ``topic`` is not a valid ROS topic name (relative names allowed)."""
    from rclpy.exceptions import InvalidTopicNameException
    from rclpy.validate_topic_name import validate_topic_name

    if not topic.strip():
        raise ConfigError(name, topic, "must not be empty")
    try:
        validate_topic_name(topic)
    except InvalidTopicNameException as exc:
        reason = (str(exc).splitlines() or ["invalid topic name"])[0].replace("Invalid topic name: ", "").rstrip(":")
        raise ConfigError(name, topic, f"not a valid ROS topic name ({reason})") from None


def check_frame_id(name: str, frame_id: str) -> None:
    """ConfigError for an empty tf2 frame id or one with a leading slash or whitespace."""
    if not frame_id.strip():
        raise ConfigError(name, frame_id, "must not be empty")
    if frame_id.startswith("/") or any(ch.isspace() for ch in frame_id):
        raise ConfigError(name, frame_id, "tf2 frame ids have no leading '/' and no whitespace")


def build_config(config_cls: type, specs: Sequence[ParamSpec], values: Mapping[str, Any]) -> Any:
    """Frozen ``config_cls(**checked values)``; runs ``config_cls.validate()`` for cross-field rules.

    Raises ConfigError naming the first invalid parameter.
    """
    checked = {spec.name: spec.check(values.get(spec.name, spec.default)) for spec in specs}
    config = config_cls(**checked)
    validate = getattr(config, "validate", None)
    if validate is not None:
        validate()
    return config


def updated_config(config: Any, specs: Sequence[ParamSpec], changes: Mapping[str, Any]) -> Any:
    """A new frozen config with ``changes`` applied and re-validated (ConfigError if invalid)."""
    values = dataclasses.asdict(config)
    values.update(changes)
    return build_config(type(config), specs, values)


def specs_by_name(specs: Sequence[ParamSpec]) -> dict[str, ParamSpec]:
    """``{name: spec}``; used by tests and the launch-file checker."""
    return {spec.name: spec for spec in specs}


#: ``input_reliability: auto`` (nodes/image_watch.py choose_reliability): the reliability of each input
#: subscription follows its topic's publishers
AUTO_RELIABILITY = "auto"
AUTO_RELIABILITY_TEXT = ("Input QoS reliability: auto (per input topic, from its publishers: reliable when every "
                         "publisher is reliable, else best effort; best effort before any exists; re-chosen when "
                         "they change, with one log line), best_effort (sensor data; matches every publisher) or "
                         "reliable (never matches a best-effort publisher).")


def io_param_specs(output_depth: int, input_auto: bool = False) -> tuple["ParamSpec", ...]:
    """QoS and diagnostics parameters every node declares. ``input_auto``: input_reliability also takes
    ``auto``, its default (depth_node); without it (ego_motion_node) best_effort (sensor data) is the
    default and the only other choice is reliable, as before."""
    from mono_depth_ros.nodes.qos import RELIABILITIES

    input_reliability = (
        ParamSpec("input_reliability", AUTO_RELIABILITY, AUTO_RELIABILITY_TEXT,
                  choices=(AUTO_RELIABILITY,) + RELIABILITIES, read_only=True) if input_auto else
        ParamSpec("input_reliability", "best_effort", "Input QoS reliability (sensor data: best_effort).",
                  choices=RELIABILITIES, read_only=True))
    return (
        input_reliability,
        ParamSpec("input_depth", 1, "Input QoS history depth (keep last).", low=1, high=100, read_only=True),
        ParamSpec("output_reliability", "reliable", "Output QoS reliability.", choices=RELIABILITIES,
                  read_only=True),
        ParamSpec("output_depth", output_depth, "Output QoS history depth (keep last).", low=1, high=100,
                  read_only=True),
        ParamSpec("diagnostics_period_s", 1.0, "Period of /diagnostics messages.", low=0.1, high=60.0,
                  read_only=True),
    )


def camera_info_sibling(image_topic: str) -> str:
    """``<namespace of image_topic>/camera_info`` (image_transport's rule: /cam/image_raw -> /cam/camera_info)."""
    namespace = image_topic.rsplit("/", 1)[0] if "/" in image_topic else ""
    return f"{namespace}/camera_info" if namespace or image_topic.startswith("/") else "camera_info"


def _default_text(spec: ParamSpec) -> str:
    """The default as a user writes it on the command line (lists as ROS writes them:
    -p camera_xyz_m:=[0.0, 0.0, 0.0]; booleans lower case; strings quoted)."""
    if isinstance(spec.default, bool):
        return str(spec.default).lower()
    if isinstance(spec.default, str):
        return repr(spec.default)
    if isinstance(spec.default, (list, tuple)):
        return f"[{', '.join(map(str, spec.default))}]"
    return str(spec.default)


def _limits(spec: ParamSpec) -> list[str]:
    """The choices, the range and whether the value is fixed at start, in words."""
    limits = []
    if spec.choices:
        limits.append("one of " + ", ".join(spec.choices))
    if spec.low is not None or spec.high is not None:
        limits.append(f"range [{spec.low if spec.low is not None else '-inf'}, "
                      f"{spec.high if spec.high is not None else 'inf'}]")
    if spec.read_only:
        limits.append("start-up only")
    return limits


def parameters_help(node_name: str, specs: Sequence[ParamSpec], width: int = 100) -> str:
    """Text for a console script's ``--help``: each parameter of ``node_name`` with its default,
    its range or choices, whether it is read-only, and its description (wrapped to ``width``)."""
    import textwrap

    lines = [f"{node_name} parameters (set with --ros-args -p NAME:=VALUE or --params-file FILE):"]
    for spec in specs:
        limits = _limits(spec)
        lines.append(f"  {spec.name} (default {_default_text(spec)}{'; ' + '; '.join(limits) if limits else ''})")
        lines.extend(textwrap.wrap(spec.description, width=width, initial_indent="      ",
                                   subsequent_indent="      "))
    return "\n".join(lines)


def parameters_markdown(node_name: str, specs: Sequence[ParamSpec]) -> str:
    """A markdown section for ``node_name``: one table row per parameter (name, default, choices or
    range and start-up only, description), the same words as ``parameters_help``."""
    rows = [f"## {node_name}", "", "| parameter | default | allowed | description |", "|---|---|---|---|"]
    for spec in specs:
        cells = [f"`{spec.name}`", f"`{_default_text(spec)}`", "; ".join(_limits(spec)),
                 spec.description.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def console_help(program: str, summary: str, tables: Sequence[tuple[str, Sequence[ParamSpec]]],
                 ros_args: str = "-p NAME:=VALUE") -> str:
    """A console script's ``--help``: the usage line, ``summary`` (what it runs and publishes),
    then ``parameters_help`` of each (node name, parameters) in ``tables``."""
    usage = f"usage: {program} [-h] [--ros-args {ros_args} ... --params-file FILE]"
    return "\n\n".join([usage, summary.strip()] + [parameters_help(name, specs) for name, specs in tables])
