"""A node's watch on its image subscription: one WARN when no image has arrived a few seconds after
start, then one every half minute while none comes, saying what the ROS graph shows (no publisher,
a publisher whose QoS does not match, or a matched one that sends nothing)."""

from __future__ import annotations

from typing import Any

#: a node whose image topic has delivered nothing warns this long after start, then at most this often
NO_IMAGE_WARN_AFTER_S, NO_IMAGE_REPEAT_S = 5.0, 30.0


class NoImageWatch:
    """One WARN when ``subscription`` has delivered no image NO_IMAGE_WARN_AFTER_S after start, then
    one every NO_IMAGE_REPEAT_S while none comes: the topic, its publishers (graph) and how many
    matched (a publisher that does not match has an incompatible QoS). A steady-clock timer (also
    with use_sim_time and no /clock), cancelled by its first tick after ``received()`` > 0."""

    def __init__(self, node: Any, subscription: Any, received: Any, first_s: float | None = None,
                 repeat_s: float | None = None) -> None:
        from rclpy.clock import Clock, ClockType

        self.node, self.subscription, self.received = node, subscription, received
        self.repeat_s = NO_IMAGE_REPEAT_S if repeat_s is None else repeat_s
        self.warnings = 0
        self.timer = node.create_timer(NO_IMAGE_WARN_AFTER_S if first_s is None else first_s, self._check,
                                       clock=Clock(clock_type=ClockType.STEADY_TIME))

    def _check(self) -> None:
        if self.received():
            self.timer.cancel()
            return
        topic = self.subscription.topic_name
        publishers, matched = self.node.count_publishers(topic), self.subscription.get_publisher_count()
        count = f"{publishers} publisher{'' if publishers == 1 else 's'}"
        if not publishers:
            advice = f"({count}): check image_topic / remapping"
        elif matched < publishers:
            advice = (f"({count}, {matched} matched): incompatible QoS? (a best-effort publisher never matches "
                      "input_reliability reliable)")
        else:
            advice = (f"({count}, matched): is it publishing? Large images between processes need the same Fast DDS "
                      "profile on both sides (README, Transport)")
        self.node.get_logger().warning(f"no image on {topic} yet {advice}")
        self.warnings += 1
        if self.warnings == 1:  # from now on every repeat_s, counted from this warning
            self.timer.timer_period_ns = int(self.repeat_s * 1e9)
            self.timer.reset()
