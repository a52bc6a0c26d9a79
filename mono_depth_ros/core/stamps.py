"""Time stamps and headers: builtin_interfaces/Time <-> integer nanoseconds."""

from __future__ import annotations

from typing import Any

from mono_depth_ros.core._msgs import default_cls, nested_cls
from mono_depth_ros.core.errors import InputError

NS_PER_S = 1_000_000_000


def stamp_to_ns(stamp: Any) -> int:
    """Integer nanoseconds of a ``builtin_interfaces/Time``-like object (``sec``, ``nanosec``)."""
    sec = int(getattr(stamp, "sec"))
    nanosec = int(getattr(stamp, "nanosec"))
    if not 0 <= nanosec < NS_PER_S:
        raise InputError("stamp.nanosec", nanosec, f"must be in [0, {NS_PER_S})")
    return sec * NS_PER_S + nanosec


def ns_to_stamp(stamp_ns: int, stamp_cls: type | None = None) -> Any:
    """``builtin_interfaces/Time`` (or ``stamp_cls``) for integer nanoseconds ``stamp_ns`` >= 0."""
    if isinstance(stamp_ns, bool) or int(stamp_ns) != stamp_ns:
        raise InputError("stamp_ns", stamp_ns, "must be an integer number of nanoseconds")
    stamp_ns = int(stamp_ns)
    if stamp_ns < 0:
        raise InputError("stamp_ns", stamp_ns, "must be >= 0 (ROS time starts at the epoch)")
    cls = stamp_cls or default_cls("builtin_interfaces", "Time")
    sec, nanosec = divmod(stamp_ns, NS_PER_S)
    return cls(sec=sec, nanosec=nanosec)


def make_header(stamp_ns: int, frame_id: str, header_cls: type | None = None,
                stamp_cls: type | None = None) -> Any:
    """``std_msgs/Header`` with the given stamp and frame id.

    ``stamp_cls`` defaults to the class of ``header_cls``'s ``stamp`` field, so passing a rosbags
    Header class is enough.
    """
    cls = header_cls or default_cls("std_msgs", "Header")
    if stamp_cls is None:
        stamp_cls = nested_cls(cls, "stamp")
    return cls(stamp=ns_to_stamp(stamp_ns, stamp_cls), frame_id=str(frame_id))
