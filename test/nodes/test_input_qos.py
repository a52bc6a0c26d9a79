"""``input_reliability: auto`` (audit finding 1), depth_node's default: the image subscription's
reliability follows the topic's publishers (reliable when every one is, else best effort; best
effort before any exists), re-chosen with one log line when they change. A reliable 640x480 30 Hz
driver started without the project's Fast DDS profile lost 25-97 % of its frames into the old
best-effort default, none into a reliable subscription."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from rcl_interfaces.msg import Log
from rclpy.qos import ReliabilityPolicy
from sensor_msgs.msg import Image

from mono_depth_ros.nodes.qos import make_qos

from .conftest import Collector, _domain_id, make_image, require_inference, rgb_frame, wait_until

HERE = Path(__file__).resolve().parent
T0_NS = 1_700_000_000_000_000_000
PERIOD_NS = 33_333_333


def _endpoint(reliability: ReliabilityPolicy, topic_type: str = "sensor_msgs/msg/Image") -> SimpleNamespace:
    return SimpleNamespace(topic_type=topic_type, qos_profile=SimpleNamespace(reliability=reliability))


def test_choose_reliability_from_the_publishers():
    from mono_depth_ros.nodes.image_watch import choose_reliability

    reliable, best_effort = ReliabilityPolicy.RELIABLE, ReliabilityPolicy.BEST_EFFORT
    image = "sensor_msgs/msg/Image"
    assert choose_reliability([], image) == ("best_effort", "no publisher yet")
    assert choose_reliability([_endpoint(reliable)], image) == ("reliable", "its publisher reliable")
    assert choose_reliability([_endpoint(reliable)] * 2, image) == ("reliable", "all 2 publishers reliable")
    choice, why = choose_reliability([_endpoint(reliable), _endpoint(best_effort)], image)
    assert (choice, why.split(" (")[0]) == ("best_effort", "1 of 2 publishers best effort")
    # a publisher of another type does not count (it never matches either way)
    assert choose_reliability([_endpoint(best_effort, "sensor_msgs/msg/CompressedImage")], image)[0] == "best_effort"
    assert choose_reliability([_endpoint(reliable), _endpoint(best_effort, "sensor_msgs/msg/CompressedImage")],
                              image) == ("reliable", "its publisher reliable")


def _node(graph, checkpoints, **params):
    """A DepthNode with the node's own input QoS defaults (no input_reliability given)."""
    require_inference()
    from mono_depth_ros.nodes.depth_node import DepthNode

    overrides = {"image_topic": f"{graph.namespace}/cam/image_raw", "method": "eigen2014", "backend": "torch",
                 "model_path": str(checkpoints["eigen2014"]), "diagnostics_period_s": 0.2}
    overrides.update(params)
    return graph.add(DepthNode("depth_qos", namespace=graph.namespace, context=graph.context,
                               parameter_overrides=overrides))


def _graph_reliability(helper, node, topic: str) -> str | None:
    """The reliability of ``node``'s subscription on ``topic`` as the ROS graph shows it to ``helper``."""
    for info in helper.get_subscriptions_info_by_topic(topic):
        if info.node_name == node.get_name():
            return info.qos_profile.reliability.name
    return None


def test_auto_follows_the_publishers_and_logs_each_change(graph, light_checkpoints):
    node = _node(graph, light_checkpoints, input_depth=10)  # keep the frames published back to back
    helper = graph.helper()
    log = Collector(helper, Log, "/rosout", make_qos("reliable", 100))
    topic = f"{graph.namespace}/cam/image_raw"
    name = node.get_logger().name
    assert node.config.input_reliability == "auto"  # the default
    assert node.image_input.describe() == "best_effort (auto: no publisher yet)"
    wait_until(lambda: _graph_reliability(helper, node, topic) == "BEST_EFFORT", what="best effort at start")

    def switched(text):
        return lambda m: m.name == name and m.msg == f"input_reliability auto: {text}"

    reliable = helper.create_publisher(Image, topic, make_qos("reliable", 10))
    log.wait_for(1, where=switched(f"reliable subscription on {topic} (its publisher reliable)"))
    wait_until(lambda: _graph_reliability(helper, node, topic) == "RELIABLE", what="reliable in the graph")
    wait_until(lambda: reliable.get_subscription_count() == 1, what="the reliable subscription matched")
    for i in range(3):
        reliable.publish(make_image(rgb_frame(seed=i), T0_NS + i * PERIOD_NS))
    wait_until(lambda: node.slot.received == 3, what="3 frames on the reliable subscription")
    # a best-effort publisher joins: a reliable subscription would never match it
    best_effort = helper.create_publisher(Image, topic, make_qos("best_effort", 10))
    log.wait_for(1, where=switched(f"best_effort subscription on {topic} (1 of 2 publishers best effort "
                                   "(a reliable subscription would not match it))"))
    wait_until(lambda: reliable.get_subscription_count() == 1 and best_effort.get_subscription_count() == 1,
               what="both publishers matched by the best-effort subscription")
    reliable.publish(make_image(rgb_frame(seed=3), T0_NS + 3 * PERIOD_NS))
    wait_until(lambda: node.slot.received == 4, what="the reliable publisher's frame")
    best_effort.publish(make_image(rgb_frame(seed=4), T0_NS + 4 * PERIOD_NS))
    wait_until(lambda: node.slot.received == 5, what="the best-effort publisher's frame")
    # it leaves: every publisher is reliable again
    helper.destroy_publisher(best_effort)
    log.wait_for(2, where=switched(f"reliable subscription on {topic} (its publisher reliable)"))
    wait_until(lambda: _graph_reliability(helper, node, topic) == "RELIABLE", what="reliable again")
    assert node.image_input.changes == 3
    reliable.publish(make_image(rgb_frame(seed=5), T0_NS + 5 * PERIOD_NS))
    wait_until(lambda: node.slot.received == 6, what="a frame after the last change")
    assert node.upstream.received == 6  # while two subscriptions delivered, each frame came once
    assert node.stats()["input_reliability"] == "reliable"


@pytest.mark.parametrize("reliability", ["best_effort", "reliable"])
def test_explicit_reliability_is_kept(graph, light_checkpoints, reliability):
    node = _node(graph, light_checkpoints, input_reliability=reliability)
    helper = graph.helper()
    topic = f"{graph.namespace}/cam/image_raw"
    other = "best_effort" if reliability == "reliable" else "reliable"
    pub = helper.create_publisher(Image, topic, make_qos(other, 10))
    wait_until(lambda: node.image_input.publishers() == 1, what="the publisher in the node's graph")
    node.image_input.check()  # what the watch's timer runs: nothing for a fixed reliability
    assert _graph_reliability(helper, node, topic) == reliability.upper()
    assert node.image_input.changes == 0 and node.image_input.describe() == reliability
    if reliability == "best_effort":  # it matches a reliable publisher
        wait_until(lambda: pub.get_subscription_count() == 1, what="matched")


def test_reliable_driver_without_the_profile_loses_nothing_into_the_default(graph, light_checkpoints):
    """The audit's scenario, shortened: a reliable 640x480 rgb8 30 Hz camera in its own process WITHOUT
    the shipped Fast DDS profile (a driver's own launch file), 90 frames, into depth_node with its
    defaults: auto must switch to reliable and frames must flow through it. Measured before auto
    (best effort): 5-112 of 150 received (here 61 of 90 in 10 s); a reliable subscription usually
    receives almost all, but not always (the bound below). A reader history of 30 keeps executor
    hiccups of a loaded machine out of it."""
    node = _node(graph, light_checkpoints, input_depth=30)
    topic = f"{graph.namespace}/cam/image_raw"
    env = dict(os.environ, ROS_DOMAIN_ID=str(_domain_id(__name__)), PYTHONUNBUFFERED="1",
               FASTDDS_BUILTIN_TRANSPORTS="DEFAULT")  # Fast DDS's defaults: a 512 KiB shared-memory segment
    env.pop("FASTDDS_DEFAULT_PROFILES_FILE", None)
    frames = 90
    # the camera starts once the node's subscription is reliable (auto's switch): frames sent before
    # that go over the best-effort subscription of the start, and how many depends on how soon a loaded
    # machine runs the switch (two full runs here: 0-3 of 150 lost; one with 11 lost and 59 dropped
    # unseen), which is not what this test is about
    camera = subprocess.Popen([sys.executable, str(HERE / "camera_process.py"), "--topic", topic, "--frames",
                               str(frames), "--reliability", "reliable", "--wait_reliable"], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(camera.stdout.readline, "")), daemon=True).start()
    try:
        wait_until(lambda: any(l.startswith("published") for l in lines) or camera.poll() is not None,
                   timeout_s=90, what="the camera's frames")
        assert any(l.startswith("published") for l in lines), "".join(lines)
        assert node.image_input.changes >= 1  # auto switched to reliable before the first frame
        # how many arrive is timing, not the node's choice: 10 runs of this test on an idle machine
        # (2026-12-05) delivered at least 75 of 90 in 8 and 27 / 31 in 2 (19 / 28 lost upstream: the
        # driver's reliable keep-last-10 writer without the profile overwrote frames; docs/nodes.md),
        # and a machine running a second suite beside it lost 27. The bound is that frames flow
        # through the reliable subscription at all; the delivery figures belong to docs/nodes.md
        need = 20
        # reliable delivery may trail the publisher on a loaded 2-core machine (one full run here: 66 of
        # 90 after 10 s, none lost): the wait is for the frames, not for a rate
        wait_until(lambda: node.slot.received >= need, timeout_s=30,
                   what=f"{need} frames received (received {node.slot.received}, lost {node.upstream.lost})")
        assert node.image_input.reliability == "reliable"  # while the camera's publisher is there
    finally:
        camera.stdin.close()
        camera.wait(timeout=20)
    assert node.slot.received >= need and node.upstream.lost <= frames - need, (node.slot.received, node.upstream.lost)
