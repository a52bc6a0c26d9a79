"""Message-class plumbing shared by the builders: default classes, nested classes, byte fields.

Works for rclpy message classes (``get_fields_and_field_types``) and rosbags message classes
(dataclasses with ``__msgtype__``). Imports of ROS packages happen lazily, inside functions.
"""

from __future__ import annotations

import array
import functools
import importlib
import sys
from typing import Any

import numpy as np

from mono_depth_ros.core.errors import InputError


def is_rosbags_cls(msg_cls: type) -> bool:
    """True for rosbags message classes (dataclasses carrying ``__msgtype__``)."""
    return hasattr(msg_cls, "__msgtype__")


@functools.lru_cache(maxsize=64)  # per message: an import lookup is 3 us
def default_cls(package: str, name: str) -> type:
    """Import ``package.msg.name`` lazily (e.g. ``default_cls("sensor_msgs", "Image")``)."""
    module = importlib.import_module(f"{package}.msg")
    return getattr(module, name)


@functools.lru_cache(maxsize=64)
def nested_cls(msg_cls: type, field: str) -> type:
    """The class of a nested (or sequence-of) message field of ``msg_cls``.

    rclpy: ``'std_msgs/Header'`` or ``'sequence<geometry_msgs/TransformStamped>'`` in
    ``get_fields_and_field_types()``. rosbags: the dataclass field type names a class
    (``std_msgs__msg__Header``) living in the module of ``msg_cls``.
    """
    if is_rosbags_cls(msg_cls):
        type_name = str(msg_cls.__dataclass_fields__[field].type)
        if type_name.startswith("list[") and type_name.endswith("]"):
            type_name = type_name[5:-1]
        module = sys.modules[msg_cls.__module__]
        return getattr(module, type_name)
    type_name = msg_cls.get_fields_and_field_types()[field]
    if type_name.startswith("sequence<"):
        type_name = type_name[len("sequence<"):].rstrip(">").split(",")[0]
    package, name = type_name.split("/")
    return default_cls(package, name)


def as_uint8(data: Any, field: str = "data") -> np.ndarray:
    """1-D uint8 view (no copy where possible) of a message byte field.

    Accepts ``bytes``, ``bytearray``, ``array.array('B')`` (rclpy), numpy uint8 (rosbags) and
    plain lists of ints.
    """
    if isinstance(data, np.ndarray):
        if data.dtype != np.uint8:
            raise InputError(f"{field}.dtype", str(data.dtype), "byte fields must be uint8")
        return data.reshape(-1)
    if isinstance(data, (bytes, bytearray, memoryview, array.array)):
        return np.frombuffer(data, dtype=np.uint8)
    return np.asarray(data, dtype=np.uint8).reshape(-1)


def bytes_field(buf: np.ndarray, msg_cls: type) -> Any:
    """Value for a ``uint8[]`` field: numpy uint8 for rosbags, ``array.array('B')`` for rclpy.

    ``buf`` is any C-contiguous numpy array; it is copied exactly once (rclpy keeps
    ``array.array`` values as they are, so no second copy happens in the setter).
    """
    buf = np.ascontiguousarray(buf)
    if is_rosbags_cls(msg_cls):
        return buf.reshape(-1).view(np.uint8).copy()
    out = array.array("B")
    out.frombytes(buf.reshape(-1).view(np.uint8))
    return out


def _supports_check_fields(msg_cls: type) -> bool:
    """rclpy classes from Iron on accept ``check_fields`` (slot ``_check_fields``)."""
    return "_check_fields" in getattr(msg_cls, "__slots__", ())


def alloc_bytes(n_bytes: int, msg_cls: type) -> tuple[Any, np.ndarray]:
    """Allocate the ``data`` of a message: (field value, writable 1-D uint8 numpy view of it).

    Write the payload into the view, then pass the value to ``construct_with_data``: no copy is
    made afterwards for rosbags classes nor for rclpy classes that support ``check_fields``.
    """
    if is_rosbags_cls(msg_cls):
        value = np.empty(n_bytes, dtype=np.uint8)
        return value, value
    if _supports_check_fields(msg_cls):
        value = array.array("B", b"\0") * n_bytes  # one zeroed allocation
        return value, np.frombuffer(value, dtype=np.uint8)
    value = np.empty(n_bytes, dtype=np.uint8)
    return value, value


def construct_with_data(msg_cls: type, data: Any, **fields: Any) -> Any:
    """``msg_cls(**fields, data=data)`` for a ``data`` made by ``alloc_bytes``, without copying it.

    rclpy's generated constructor copies ``data`` twice (``array.array('B', ...)`` in
    ``__init__`` and again in the setter unless field checks are on); building the message with
    ``check_fields=True`` and then assigning the ``array.array`` keeps the one buffer we wrote.
    """
    if is_rosbags_cls(msg_cls):
        return msg_cls(data=data, **fields)
    if isinstance(data, array.array) and _supports_check_fields(msg_cls):
        try:
            msg = msg_cls(check_fields=True, **fields)
        except AssertionError as exc:  # rclpy's field checks: a field of the wrong type
            raise InputError(msg_cls.__name__, sorted(fields), f"field type mismatch: {exc}") from None
        msg.data = data  # array.array('B') is stored as is when field checks are on
        return msg
    return msg_cls(data=np.ascontiguousarray(data).tobytes(), **fields)


def float_array_field(values: Any, msg_cls: type) -> Any:
    """Value for a ``float64[]`` / ``float64[N]`` field: numpy float64 (works for both kinds)."""
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    if is_rosbags_cls(msg_cls):
        return arr.copy()
    return arr
