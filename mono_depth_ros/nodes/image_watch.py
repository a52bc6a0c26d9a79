"""A node's watch on its image subscription: one WARN when no image has arrived a few seconds after
start, then one every half minute while none comes, saying what the ROS graph shows (no publisher,
a publisher whose QoS does not match, or a matched one that sends nothing)."""

from __future__ import annotations

import time
from typing import Any

#: a node whose image topic has delivered nothing warns this long after start, then at most this often
NO_IMAGE_WARN_AFTER_S, NO_IMAGE_REPEAT_S = 5.0, 30.0


class NoImageWatch:
    """One WARN when ``subscription`` has delivered no image for NO_IMAGE_WARN_AFTER_S (after start,
    or after the last image: a camera that stopped), then one every NO_IMAGE_REPEAT_S while none
    comes: the topic, its publishers (graph) and how many matched (a publisher that does not match
    has an incompatible QoS). A steady-clock timer (also with use_sim_time and no /clock) compares
    ``received()`` (the count of images so far) between its ticks."""

    def __init__(self, node: Any, subscription: Any, received: Any, first_s: float | None = None,
                 repeat_s: float | None = None) -> None:
        from rclpy.clock import Clock, ClockType

        self.node, self.subscription, self.received = node, subscription, received
        self.first_s = NO_IMAGE_WARN_AFTER_S if first_s is None else first_s
        self.repeat_s = NO_IMAGE_REPEAT_S if repeat_s is None else repeat_s
        self.warnings, self.last_count, self.last_change = 0, 0, time.monotonic()
        self.timer = node.create_timer(self.first_s, self._check, clock=Clock(clock_type=ClockType.STEADY_TIME))

    def _period(self, seconds: float) -> None:
        self.timer.timer_period_ns = int(seconds * 1e9)
        self.timer.reset()

    def _check(self) -> None:
        count, now = self.received(), time.monotonic()
        if count != self.last_count:  # images came since the last tick
            self.last_count, self.last_change = count, now
            if self.warnings:  # they came back: watch at the first period again
                self.warnings = 0
                self._period(self.first_s)
            return
        topic = self.subscription.topic_name
        publishers, matched = self.node.count_publishers(topic), self.subscription.get_publisher_count()
        plural = f"{publishers} publisher{'' if publishers == 1 else 's'}"
        if not publishers:
            advice = f"({plural}): check image_topic / remapping"
        elif matched < publishers:
            advice = (f"({plural}, {matched} matched): incompatible QoS? (a best-effort publisher never matches "
                      "input_reliability reliable)")
        else:
            advice = (f"({plural}, matched): is it publishing? Large images between processes need the same Fast DDS "
                      "profile on both sides (README, Transport)")
        since = "yet" if count == 0 else f"for {now - self.last_change:.0f} s ({count} received before)"
        self.node.get_logger().warning(f"no image on {topic} {since} {advice}")
        self.warnings += 1
        if self.warnings == 1:  # from now on every repeat_s, counted from this warning
            self._period(self.repeat_s)
