"""A node's input subscriptions and its watch on the image topic.

:class:`InputSubscription` owns an input subscription (the image, its camera_info, a metric depth
image or cloud). With ``input_reliability: auto`` its reliability
follows the topic's publishers (:func:`choose_reliability`): most camera drivers publish reliable,
and a best-effort reader of a reliable writer lost most 640x480 frames between processes without
a matching transport, while a reliable reader lost none; a reliable reader never matches a
best-effort writer, so that is only chosen when every publisher is reliable.

:class:`NoImageWatch`: one WARN when no image has arrived a few seconds after start, then one every
half minute while none comes, saying what the ROS graph shows (no publisher, a publisher of another
message type, a ``/compressed`` sibling, a publisher whose QoS does not match, or a matched one that
sends nothing)."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Sequence

#: a node whose image topic has delivered nothing warns this long after start, then at most this often
NO_IMAGE_WARN_AFTER_S, NO_IMAGE_REPEAT_S = 5.0, 30.0
COMPRESSED_SUFFIX = "/compressed"
IMAGE_TYPE, COMPRESSED_TYPE = "sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage"


def type_name(msg_type: Any) -> str:
    """``sensor_msgs/msg/Image`` of the message class ``sensor_msgs.msg.Image``, as the graph names it."""
    return f"{msg_type.__module__.split('.')[0]}/msg/{msg_type.__name__}"


def choose_reliability(publishers: Sequence[Any], topic_type: str) -> tuple[str, str]:
    """(``reliable`` | ``best_effort``, why) for a subscription of ``topic_type`` given the topic's
    publishers (``Node.get_publishers_info_by_topic``; those of another type are ignored): reliable
    when there is at least one and every one is reliable, else best effort (it matches both kinds;
    before any publisher exists too)."""
    from rclpy.qos import ReliabilityPolicy

    ours = [p for p in publishers if p.topic_type == topic_type]
    if not ours:
        return "best_effort", "no publisher yet"
    reliable = sum(p.qos_profile.reliability == ReliabilityPolicy.RELIABLE for p in ours)
    plural = "" if len(ours) == 1 else "s"
    if reliable == len(ours):
        return "reliable", f"{'its' if len(ours) == 1 else f'all {len(ours)}'} publisher{plural} reliable"
    return "best_effort", (f"{len(ours) - reliable} of {len(ours)} publisher{plural} best effort (a reliable "
                           "subscription would not match it)")


def compressed_name_problem(image_topic: str, use_compressed: bool) -> str | None:
    """A warning when ``image_topic`` (resolved base name) names the compressed topic itself with
    ``use_compressed`` true: the transport's ``/compressed`` is added to the base name."""
    if use_compressed and image_topic.endswith(COMPRESSED_SUFFIX):
        base = image_topic[: -len(COMPRESSED_SUFFIX)] or "/"
        return (f"image_topic {image_topic} ends in {COMPRESSED_SUFFIX} with use_compressed true: image_topic is "
                f"the base name ({base}); this subscribes {image_topic}{COMPRESSED_SUFFIX}")
    return None


class InputSubscription:
    """An input subscription of ``node``: ``msg_type`` on ``topic`` (resolved), keep-last ``depth``,
    calling ``callback``. ``reliability``: best_effort | reliable (fixed), or auto: chosen by
    :func:`choose_reliability` from the publishers at start, again when a publisher matches, leaves
    or offers an incompatible QoS (subscription events, through a guard condition so that the
    subscription is never replaced inside its own callback), and on every :meth:`check` (the no-image
    watch's timer calls it: a slow fallback). When the choice changes, one line says the new choice
    and why, and a new subscription replaces the old one make-before-break: the old one keeps
    delivering until the new one has matched every publisher (or RETIRE_AFTER_S passed), and while
    both deliver, a message is passed on only when its stamp is newer than the last one passed (each
    frame once, in order). Quacks like the subscription for NoImageWatch (``topic_name``,
    ``msg_type``, ``get_publisher_count``)."""

    RETIRE_AFTER_S = 2.0

    def __init__(self, node: Any, msg_type: Any, topic: str, callback: Callable[[Any], None], reliability: str,
                 depth: int, info: Callable[[str], None] | None = None) -> None:
        self.node, self.msg_type, self.callback, self.depth = node, msg_type, callback, int(depth)
        self.mode = reliability
        self.topic_type = type_name(msg_type)
        self._info = info or (lambda text: None)
        self._lock = threading.Lock()  # check() runs on the guard condition and the watch's timer
        self._order_lock = threading.Lock()  # callbacks of two subscriptions during a change
        self.changes = 0
        self._generation = 0
        self._retiring: tuple[Any, int, float] | None = None  # (subscription, generation, since) while replaced
        self._newest_stamp: tuple[int, int] | None = None
        self._guard = node.create_guard_condition(self.check) if reliability == "auto" else None
        self.topic_name = node.resolve_topic_name(topic)
        if reliability == "auto":
            self.reliability, self.why = choose_reliability(node.get_publishers_info_by_topic(self.topic_name),
                                                            self.topic_type)
        else:
            self.reliability, self.why = reliability, "input_reliability"
        self.subscription = self._create(self.reliability)

    def describe(self) -> str:
        """``best_effort (auto: no publisher yet)`` or ``reliable`` (set by the parameter)."""
        return f"{self.reliability} (auto: {self.why})" if self.mode == "auto" else self.reliability

    def _create(self, reliability: str) -> Any:
        from rclpy.event_handler import SubscriptionEventCallbacks, UnsupportedEventTypeError

        from mono_depth_ros.nodes.qos import make_qos

        qos = make_qos(reliability, self.depth)
        if self.mode != "auto":
            return self.node.create_subscription(self.msg_type, self.topic_name, self.callback, qos)
        generation = self._generation

        def deliver(msg: Any) -> None:
            self._deliver(generation, msg)
        try:  # any of these events may change the choice
            return self.node.create_subscription(
                self.msg_type, self.topic_name, deliver, qos,
                event_callbacks=SubscriptionEventCallbacks(matched=self._on_event, incompatible_qos=self._on_event))
        except UnsupportedEventTypeError:  # an RMW without matched events: the watch's timer only
            return self.node.create_subscription(
                self.msg_type, self.topic_name, deliver, qos,
                event_callbacks=SubscriptionEventCallbacks(incompatible_qos=self._on_event))

    def _deliver(self, generation: int, msg: Any) -> None:
        retiring = self._retiring
        if retiring is None:
            if generation == self._generation:
                self.callback(msg)
            return  # a message of a subscription already replaced
        if generation not in (self._generation, retiring[1]):
            return
        stamp = getattr(getattr(msg, "header", None), "stamp", None)
        key = (stamp.sec, stamp.nanosec) if stamp is not None else None
        with self._order_lock:  # two subscriptions deliver: each stamp once, never an older one
            if key is not None and self._newest_stamp is not None and key <= self._newest_stamp:
                return
            self._newest_stamp = key
        self.callback(msg)

    def _on_event(self, _info: Any) -> None:
        if self._guard is not None:
            self._guard.trigger()

    def _retire(self, publishers: int, force: bool = False) -> None:
        """Destroy the replaced subscription once the new one matched every publisher (under _lock)."""
        if self._retiring is None:
            return
        old, _, since_s = self._retiring
        if force or self.subscription.get_publisher_count() >= publishers or \
                time.monotonic() - since_s > self.RETIRE_AFTER_S:
            self._retiring = None
            self.node.destroy_subscription(old)

    def check(self) -> bool:
        """Re-choose (auto only); replaces the subscription when the choice changed. True if it did."""
        if self.mode != "auto":
            return False
        with self._lock:
            infos = self.node.get_publishers_info_by_topic(self.topic_name)
            publishers = sum(i.topic_type == self.topic_type for i in infos)
            choice, why = choose_reliability(infos, self.topic_type)
            if choice == self.reliability:
                self.why = why
                self._retire(publishers)
                return False
            self._retire(publishers, force=True)  # a change during a change: the oldest goes now
            with self._order_lock:
                self._newest_stamp = None
            self._retiring = (self.subscription, self._generation, time.monotonic())
            self._generation += 1
            self.reliability, self.why = choice, why
            self.subscription = self._create(choice)
            self.changes += 1
        self._info(f"input_reliability auto: {choice} subscription on {self.topic_name} ({why})")
        return True

    def publishers(self) -> int:
        """Publishers of this subscription's message type on its topic (the graph's view)."""
        return sum(i.topic_type == self.topic_type for i in self.node.get_publishers_info_by_topic(self.topic_name))

    def get_publisher_count(self) -> int:
        return self.subscription.get_publisher_count()


class NoImageWatch:
    """One WARN when ``subscription`` has delivered no image for NO_IMAGE_WARN_AFTER_S (after start,
    or after the last image: a camera that stopped), then one every NO_IMAGE_REPEAT_S while none
    comes: the topic, its publishers (graph) and how many matched (a publisher that does not match
    has an incompatible QoS), publishers of another message type (a CompressedImage topic read as
    Image, or the reverse: which parameter to set), and a ``/compressed`` sibling with publishers
    when the topic has none (``use_compressed``). A steady-clock timer (also with use_sim_time and
    no /clock) compares ``received()`` (the count of images so far) between its ticks; each tick
    also runs ``on_tick`` (InputSubscription.check) when given."""

    def __init__(self, node: Any, subscription: Any, received: Any, first_s: float | None = None,
                 repeat_s: float | None = None, on_tick: Callable[[], Any] | None = None) -> None:
        from rclpy.clock import Clock, ClockType

        self.node, self.subscription, self.received, self.on_tick = node, subscription, received, on_tick
        self.first_s = NO_IMAGE_WARN_AFTER_S if first_s is None else first_s
        self.repeat_s = NO_IMAGE_REPEAT_S if repeat_s is None else repeat_s
        self.warnings, self.last_count, self.last_change = 0, 0, time.monotonic()
        self.timer = node.create_timer(self.first_s, self._check, clock=Clock(clock_type=ClockType.STEADY_TIME))

    def _period(self, seconds: float) -> None:
        self.timer.timer_period_ns = int(seconds * 1e9)
        self.timer.reset()

    def _check(self) -> None:
        if self.on_tick is not None:
            self.on_tick()
        count, now = self.received(), time.monotonic()
        if count != self.last_count:  # images came since the last tick
            self.last_count, self.last_change = count, now
            if self.warnings:  # they came back: watch at the first period again
                self.warnings = 0
                self._period(self.first_s)
            return
        topic = self.subscription.topic_name
        since = "yet" if count == 0 else f"for {now - self.last_change:.0f} s ({count} received before)"
        self.node.get_logger().warning(f"no image on {topic} {since} {self.advice()}")
        self.warnings += 1
        if self.warnings == 1:  # from now on every repeat_s, counted from this warning
            self._period(self.repeat_s)

    def _publishers(self, topic: str) -> tuple[int, list[str]]:
        """(publishers of our type, the other types published) on ``topic``."""
        ours = type_name(self.subscription.msg_type)
        infos = self.node.get_publishers_info_by_topic(topic)
        return sum(i.topic_type == ours for i in infos), sorted({i.topic_type for i in infos} - {ours})

    def advice(self) -> str:
        """What the graph says about the silent topic, in parentheses, then what to check."""
        topic, ours = self.subscription.topic_name, type_name(self.subscription.msg_type)
        publishers, others = self._publishers(topic)
        plural = f"{publishers} publisher{'' if publishers == 1 else 's'}"
        if not publishers and others:
            return f"(0 publishers of {ours}; it carries {', '.join(others)}): {_type_advice(topic, ours, others)}"
        if not publishers:
            return f"({plural}): check image_topic / remapping{self._sibling_advice(topic, ours)}"
        matched = self.subscription.get_publisher_count()
        if matched < publishers:
            return (f"({plural}, {matched} matched): incompatible QoS? (a best-effort publisher never matches "
                    "input_reliability reliable; auto chooses best effort for it)")
        return (f"({plural}, matched): is it publishing? Large images between processes need the same Fast DDS "
                "profile on both sides (README, Transport)")

    def _sibling_advice(self, topic: str, ours: str) -> str:
        """A hint from the topic's compressed (or raw) sibling when the topic has no publisher."""
        if ours == IMAGE_TYPE:
            count, _ = _count_of(self.node, topic + COMPRESSED_SUFFIX, COMPRESSED_TYPE)
            if count:
                return (f"; {topic}{COMPRESSED_SUFFIX} has {count} {COMPRESSED_TYPE} publisher"
                        f"{'' if count == 1 else 's'}: set use_compressed true (image_topic stays {topic})")
        elif ours == COMPRESSED_TYPE and topic.endswith(COMPRESSED_SUFFIX):
            base = topic[: -len(COMPRESSED_SUFFIX)]
            if base.endswith(COMPRESSED_SUFFIX):
                return f"; {compressed_name_problem(base, True)}"
            count, _ = _count_of(self.node, base, IMAGE_TYPE)
            if count:
                return (f"; {base} has {count} {IMAGE_TYPE} publisher{'' if count == 1 else 's'}: set use_compressed "
                        "false to read it")
        return ""


def _count_of(node: Any, topic: str, topic_type: str) -> tuple[int, int]:
    """(publishers of ``topic_type``, all publishers) on ``topic``."""
    infos = node.get_publishers_info_by_topic(topic)
    return sum(i.topic_type == topic_type for i in infos), len(infos)


def _type_advice(topic: str, ours: str, others: list[str]) -> str:
    """Which parameter to set when the topic carries another message type than the subscription's."""
    if ours == IMAGE_TYPE and COMPRESSED_TYPE in others:
        base = topic[: -len(COMPRESSED_SUFFIX)] if topic.endswith(COMPRESSED_SUFFIX) else topic
        return (f"a compressed image topic: set use_compressed true and image_topic to its base name {base} "
                f"(the node adds {COMPRESSED_SUFFIX})" if base != topic else
                "a compressed image topic: use_compressed reads <image_topic>/compressed; remap a base name to it")
    if ours == COMPRESSED_TYPE and IMAGE_TYPE in others:
        return "a raw image topic: set use_compressed false (and image_topic to it)"
    return f"the node reads {ours}: check image_topic / remapping"
