"""Outputs that exist only while the configuration can publish them.

A topic that is advertised but can never carry a message (a point cloud of a non-metric network
with no scale, ``publish_motion_field: false``) shows in ``ros2 topic list`` and keeps a user
waiting on it. :class:`OptionalPublisher` is created when its output is possible and destroyed
when a parameter change makes it impossible; its callers need not care which.
"""

from __future__ import annotations

import threading
from typing import Any, Mapping


class OptionalPublisher:
    """A publisher of ``topic`` that exists only while ``sync(True)``.

    ``publish`` and ``get_subscription_count`` may be called from a worker thread at any time:
    without the publisher they do nothing and return 0. A lock orders a ``sync(False)`` from a
    parameter callback after a publish in progress, so the worker never uses a destroyed handle.
    """

    def __init__(self, node: Any, msg_type: type, topic: str, qos: Any, enabled: bool) -> None:
        self._node, self._msg_type, self.topic, self._qos = node, msg_type, topic, qos
        self._lock = threading.Lock()
        self._publisher: Any = None
        self.sync(enabled)

    @property
    def advertised(self) -> bool:
        return self._publisher is not None

    def sync(self, enabled: bool) -> bool:
        """Create or destroy the publisher to match ``enabled``; True when that changed it."""
        with self._lock:
            if enabled == (self._publisher is not None):
                return False
            if enabled:
                from rclpy.event_handler import PublisherEventCallbacks

                # no QoS event handlers: they sit in the executor's wait set, and a publisher destroyed
                # from a callback (a /tf conflict) made the executor fail on them ("cannot use
                # Destroyable because destruction was requested") and stop serving every node it spins
                self._publisher = self._node.create_publisher(
                    self._msg_type, self.topic, self._qos,
                    event_callbacks=PublisherEventCallbacks(use_default_callbacks=False))
            else:
                publisher, self._publisher = self._publisher, None
                self._node.destroy_publisher(publisher)
            return True

    def get_subscription_count(self) -> int:
        publisher = self._publisher
        return publisher.get_subscription_count() if publisher is not None else 0

    def publish(self, msg: Any) -> bool:
        """Publish ``msg``; False (nothing sent) while the output is off."""
        with self._lock:
            if self._publisher is None:
                return False
            self._publisher.publish(msg)
            return True


def outputs_off_line(off: Mapping[str, str]) -> str:
    """One start-up log line naming each output that is not advertised and why ('' when none is off)."""
    if not off:
        return ""
    return "not advertised (this configuration never publishes them): " + "; ".join(
        f"{topic} ({why})" for topic, why in off.items())


def sync_outputs(outputs: Mapping[str, OptionalPublisher], off: Mapping[str, str], log: Any) -> None:
    """After a parameter change: advertise the ``outputs`` that became possible and withdraw those
    now in ``off`` (``{topic: why}``), logging each change with ``log``."""
    for name, output in outputs.items():
        if output.sync(name not in off):
            log(f"{name} now advertised" if name not in off else f"{name} withdrawn: {off[name]}")
