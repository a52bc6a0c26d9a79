"""QoS profiles from node parameters.

Camera input defaults to the sensor-data profile (best effort, keep last 1): a perception node
wants the newest frame, never a backlog. A best-effort subscription also matches reliable
publishers (rosbag players, most drivers); a *reliable* subscription does not match a
best-effort publisher, so choose ``reliable`` input only when you know the publisher is reliable.
Outputs default to reliable (keep last ``depth``) so that rviz, recorders and tests get every
result that was computed.
"""

from __future__ import annotations

from typing import Any

RELIABILITIES = ("best_effort", "reliable")


def make_qos(reliability: str, depth: int) -> Any:
    """``rclpy.qos.QoSProfile`` keep-last ``depth``, volatile, with the named reliability."""
    from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

    if reliability not in RELIABILITIES:
        raise ValueError(f"reliability={reliability!r}: expected one of {RELIABILITIES}")
    if int(depth) < 1:
        raise ValueError(f"depth={depth}: must be >= 1")
    policy = ReliabilityPolicy.BEST_EFFORT if reliability == "best_effort" else ReliabilityPolicy.RELIABLE
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=int(depth), reliability=policy,
                      durability=DurabilityPolicy.VOLATILE)


def tf_static_qos(depth: int = 1) -> Any:
    """/tf_static: reliable, transient local, keep last ``depth``. A broadcaster keeps 1 (its one
    message of every static transform, as tf2_ros's StaticTransformBroadcaster); a listener must
    keep more (:func:`tf_static_listener_qos`)."""
    from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=int(depth), reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.TRANSIENT_LOCAL)


def tf_static_listener_qos() -> Any:
    """/tf_static for a listener: keep last 100, as tf2_ros's StaticListenerQoS. Every static
    broadcaster (robot_state_publisher, each static_transform_publisher) hands a late joiner its own
    message at once; a keep-last-1 reader keeps only one of them and loses the others' transforms."""
    return tf_static_qos(100)


def tf_qos() -> Any:
    """/tf: reliable, volatile, keep last 100 (as tf2_ros's TransformBroadcaster)."""
    return make_qos("reliable", 100)
