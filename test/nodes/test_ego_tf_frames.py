"""ego_motion_node on a robot's TF tree: one parent per frame (REP 105), on a real rclpy graph.

A helper node plays robot_state_publisher (/tf_static base -> camera_link -> camera optical frame,
the camera pitched 0.2 rad down, 0.3 m forward and 1.2 m up) and wheel odometry (/tf odom -> base).
The motion network is replaced by one that reports the camera 0.1 (its unit) forward along its
optical axis per frame, so every expected pose follows by hand: level camera (the parameters'
default pose) -> base moves (0.1, 0, 0); the URDF's pitched camera -> 0.1 (cos 0.2, 0, -sin 0.2).
Frames come through the in-process depth cache (no depth network).
"""

from __future__ import annotations

import itertools
import math
from types import SimpleNamespace

import numpy as np
import pytest
from nav_msgs.msg import Odometry
from tf2_msgs.msg import TFMessage

from mono_depth_ros.core.stamps import make_header
from mono_depth_ros.core.transforms import euler_to_matrix, make_tf_message, make_transform_stamped, se3
from mono_depth_ros.nodes.qos import make_qos, tf_qos, tf_static_listener_qos, tf_static_qos

from .conftest import Collector, advertised_topics, wait_until
from .test_depth_node_scale import _Motion

T0_NS = 1_700_000_000_000_000_000
PERIOD_NS = 100_000_000
STEP = 0.1  # the fake network's translation per frame (its unit), along the optical z axis
PITCH_RAD = 0.2  # the URDF camera's pitch (down)
_IDS = itertools.count()


# the camera STEP forward (optical z) a frame, no rotation: test_depth_node_scale's fake motion estimator
ForwardMotion = _Motion


def frame_names() -> SimpleNamespace:
    """Frame names of one test (unique: /tf and /tf_static are shared by every test of the module)."""
    n = next(_IDS)
    return SimpleNamespace(odom=f"odom_{n}", base=f"base_{n}", camera_link=f"camera_link_{n}",
                           optical=f"camera_optical_{n}")


def ego_node(graph, frames, name="ego_tf", **params):
    """An EgoMotionNode fed through a DepthCache with ForwardMotion; (node, cache, helper, odometry Collector)."""
    from mono_depth_ros.nodes.depth_cache import DepthCache
    from mono_depth_ros.nodes.ego_motion_node import EgoMotionNode

    cache = DepthCache()
    ego = graph.add(EgoMotionNode(name, namespace=graph.namespace, context=graph.context, depth_cache=cache,
                                  motion_estimator=ForwardMotion(), parameter_overrides={
                                      "odom_frame": frames.odom, "base_frame": frames.base,
                                      "motion_refinement": "none", **params}))
    helper = graph.helper()
    odom = Collector(helper, Odometry, f"{graph.namespace}/{name}/odometry", make_qos("reliable", 10))
    wait_until(lambda: ego.pub_odom.get_subscription_count() > 0, what="discovery")
    return ego, cache, helper, odom


def send_frame(cache, odom, frames, stamp_ns, count, metric_scale=None):
    """One frame (stamp ``stamp_ns``) through the cache; waits for the ``count``-th odometry message."""
    from mono_depth_ros.nodes.depth_cache import CachedDepth

    rgb, depth = np.zeros((24, 32, 3), np.uint8), np.ones((24, 32), np.float32)
    cache.put(CachedDepth(stamp_ns, depth, "li2020_depth", False, rgb=rgb, header=make_header(stamp_ns, frames.optical),
                          metric_scale=metric_scale))
    return odom.wait_for(count)[-1]


def publish_urdf(helper, frames):
    """robot_state_publisher's latched message: base -> camera_link -> the optical frame (REP 103)."""
    T_base_link = se3(euler_to_matrix(0.0, PITCH_RAD, 0.0), (0.3, 0.0, 1.2))
    T_link_optical = se3(euler_to_matrix(-math.pi / 2, 0.0, -math.pi / 2), (0.0, 0.0, 0.0))
    publisher = helper.create_publisher(TFMessage, "/tf_static", tf_static_qos())
    publisher.publish(make_tf_message([make_transform_stamped(T_base_link, frames.base, frames.camera_link, 0),
                                       make_transform_stamped(T_link_optical, frames.camera_link, frames.optical, 0)],
                                      msg_cls=TFMessage))
    return publisher


def position(msg) -> np.ndarray:
    p = msg.pose.pose.position
    return np.array([p.x, p.y, p.z])


LEVEL_STEP = np.array([STEP, 0.0, 0.0])  # base motion of a level camera (the parameters' default pose)
URDF_STEP = STEP * np.array([math.cos(PITCH_RAD), 0.0, -math.sin(PITCH_RAD)])  # of the URDF's pitched camera


def warnings_with(capfd, text: str, timeout_s: float = 20.0, also=None) -> list[str]:
    """The stderr lines containing ``text``, waiting until at least one has come: the node logs
    from its own threads, possibly just after the state the test waited on changed. On a timeout
    the message has the last stderr lines read, and ``also()`` when given."""
    lines: list[str] = []
    other: list[str] = []

    def seen() -> bool:
        for line in capfd.readouterr().err.splitlines():
            (lines if text in line else other).append(line)
        return bool(lines)

    try:
        wait_until(seen, timeout_s=timeout_s, what=f"a log line with {text!r}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; stderr had: {other[-8:]}{also() if also else ''}") from None
    return lines


def test_parameters_never_give_the_urdf_camera_frame_a_second_parent(graph, capfd):
    """extrinsic_source parameters (the default before auto) and publish_camera_tf true on a robot whose
    URDF already places the camera: the node published base -> optical on /tf_static, a second parent of
    the optical frame. Now it publishes nothing there and says so once; its odometry keeps the parameters."""
    f = frame_names()
    ego, cache, helper, odom = ego_node(graph, f, extrinsic_source="parameters")
    publish_urdf(helper, f)
    wait_until(lambda: ego.tf_guard.static_tf.parent_of(f.optical) == f.camera_link, what="the URDF's /tf_static taken")
    first = send_frame(cache, odom, f, T0_NS, 1)
    second = send_frame(cache, odom, f, T0_NS + PERIOD_NS, 2)
    assert not ego.tf_guard.pub_tf_static.advertised and "/tf_static" not in advertised_topics(helper, ego)
    lines = warnings_with(capfd, "/tf_static already gives")
    assert len(lines) == 1, lines
    assert f"gives {f.optical} the parent {f.camera_link} (another node)" in lines[0]
    assert f"does not publish its {f.base} -> {f.optical}" in lines[0] and "extrinsic_source auto" in lines[0]
    np.testing.assert_allclose(position(second) - position(first), LEVEL_STEP, atol=1e-12)
    assert ego.stats()["extrinsic_from"] == "parameters"


def test_auto_uses_the_urdf_chain_and_publishes_no_camera_transform(graph, capfd):
    """extrinsic_source auto (the default) with the URDF's chain there by the first frame: the pitched
    camera's motion is composed through it (z/x = -tan 0.2), and the node publishes no camera transform."""
    f = frame_names()
    ego, cache, helper, odom = ego_node(graph, f)
    publish_urdf(helper, f)
    wait_until(lambda: ego.tf_guard.static_tf.parent_of(f.optical) == f.camera_link, what="the URDF's /tf_static taken")
    first = send_frame(cache, odom, f, T0_NS, 1)
    second = send_frame(cache, odom, f, T0_NS + PERIOD_NS, 2)
    np.testing.assert_allclose(position(second) - position(first), URDF_STEP, atol=1e-12)
    assert ego.stats()["extrinsic_from"] == "tf_static" and not ego.tf_guard.pub_tf_static.advertised
    lines = [line for line in capfd.readouterr().err.splitlines() if "camera pose from the /tf_static chain" in line]
    assert len(lines) == 1 and f"{f.base} -> {f.camera_link} -> {f.optical}" in lines[0], lines


@pytest.mark.parametrize("source", ["parameters", "auto"])
def test_camera_transform_is_withdrawn_when_the_urdf_appears_later(graph, capfd, source):
    """robot_state_publisher started after the node's first frame: the node had published its own
    base -> optical; it now withdraws it with ONE warning naming both parents. auto then composes
    the motion through the URDF's chain; parameters keeps its own pose."""
    f = frame_names()
    ego, cache, helper, odom = ego_node(graph, f, extrinsic_source=source)
    static = Collector(helper, TFMessage, "/tf_static", tf_static_listener_qos())
    poses = [send_frame(cache, odom, f, T0_NS, 1)]
    ours = static.wait_for(1, where=lambda m: m.transforms[0].child_frame_id == f.optical)[0].transforms[0]
    assert ours.header.frame_id == f.base and ego.tf_guard.pub_tf_static.advertised
    publish_urdf(helper, f)
    wait_until(lambda: ego.tf_guard.camera_conflict is not None and not ego.tf_guard.pub_tf_static.advertised,
               what="the second parent seen and the node's transform withdrawn")
    wait_until(lambda: "/tf_static" not in advertised_topics(helper, ego), what="the camera transform withdrawn")
    lines = warnings_with(capfd, "two parents", also=lambda: f"; spin skipped: {graph.skipped}")
    assert len(lines) == 1 and (f"gives {f.optical} two parents: {f.camera_link} (another node) and {f.base} "
                                "(this node") in lines[0], lines
    poses.append(send_frame(cache, odom, f, T0_NS + PERIOD_NS, 2))
    expected = URDF_STEP if source == "auto" else LEVEL_STEP
    np.testing.assert_allclose(position(poses[1]) - position(poses[0]), expected, atol=1e-12)


def wheel_odometry(helper, parent, child, x_m=5.0):
    """A wheel odometry broadcaster's /tf message: parent -> child at x = ``x_m``."""
    publisher = helper.create_publisher(TFMessage, "/tf", tf_qos())
    message = make_tf_message([make_transform_stamped(se3(np.eye(3), (x_m, 0.0, 0.0)), parent, child, T0_NS)],
                              msg_cls=TFMessage)
    return publisher, message


def test_wheel_odometry_already_on_tf_stops_the_nodes_tf(graph, capfd):
    """Wheel odometry publishes odom -> base: the node published the same transform (two writers,
    the frame jumping between 5 m and the visual odometry's pose). Now it sees it, says once what to
    do, withdraws its /tf writer and keeps ~/odometry."""
    f = frame_names()
    ego, cache, helper, odom = ego_node(graph, f)
    tf = Collector(helper, TFMessage, "/tf", tf_qos())
    publisher, message = wheel_odometry(helper, f.odom, f.base)
    # a broadcaster publishes on: again until the node has seen one (its /tf reader is best effort)
    wait_until(lambda: publisher.publish(message) or ego.tf_guard.tf_conflict is not None, what="the other broadcaster seen")
    for i in range(3):
        send_frame(cache, odom, f, T0_NS + i * PERIOD_NS, i + 1)
    assert not ego.tf_guard.pub_tf.advertised
    wait_until(lambda: "/tf" not in advertised_topics(helper, ego), what="/tf withdrawn")
    assert all(t.transform.translation.x == 5.0 for m in tf.messages for t in m.transforms)  # the wheel's only
    lines = warnings_with(capfd, f"another node publishes {f.odom} -> {f.base} on /tf")
    assert len(lines) == 1, lines
    assert "set publish_tf false and fuse ~/odometry (robot_localization)" in lines[0]
    assert ego.stats()["tf_conflict"] == f"another node publishes {f.odom} -> {f.base} on /tf"


@pytest.mark.parametrize("other_parent", ["same", "other"])
def test_a_later_broadcaster_of_the_child_frame_stops_the_nodes_tf(graph, other_parent):
    """The node's own /tf messages, delivered back to it, are not taken for another broadcaster; a
    later one of the same child frame is, with the same parent or another (base would have two)."""
    f = frame_names()
    ego, cache, helper, odom = ego_node(graph, f)
    tf = Collector(helper, TFMessage, "/tf", tf_qos())
    wait_until(lambda: ego.tf_guard.pub_tf.get_subscription_count() >= 2, what="/tf readers matched")
    for i in range(2):
        send_frame(cache, odom, f, T0_NS + i * PERIOD_NS, i + 1)
    tf.wait_for(2, where=lambda m: m.transforms[0].child_frame_id == f.base)
    wait_until(lambda: ego.tf_guard.own_tf_seen == 2, what="the node's own /tf back")
    assert ego.tf_guard.tf_conflict is None and ego.tf_guard.pub_tf.advertised
    parent = f.odom if other_parent == "same" else f"wheel_{f.odom}"
    publisher, message = wheel_odometry(helper, parent, f.base)
    wait_until(lambda: publisher.publish(message) or ego.tf_guard.tf_conflict is not None, what="the other broadcaster seen")
    assert ego.tf_guard.tf_conflict == f"another node publishes {parent} -> {f.base} on /tf"
    send_frame(cache, odom, f, T0_NS + 2 * PERIOD_NS, 3)
    assert not ego.tf_guard.pub_tf.advertised


def test_odom_child_frame_publishes_beside_wheel_odometry(graph):
    """odom_child_frame vo_base: the node publishes odom -> vo_base (/tf and ~/odometry's child) beside
    the wheel's odom -> base, no conflict; the camera's pose is still given in base_frame."""
    f = frame_names()
    vo = f"vo_{f.base}"
    ego, cache, helper, odom = ego_node(graph, f, odom_child_frame=vo)
    tf = Collector(helper, TFMessage, "/tf", tf_qos())
    static = Collector(helper, TFMessage, "/tf_static", tf_static_listener_qos())
    publisher, message = wheel_odometry(helper, f.odom, f.base)
    wait_until(lambda: publisher.get_subscription_count() >= 2, what="/tf readers matched")
    publisher.publish(message)
    tf.wait_for(1, where=lambda m: m.transforms[0].child_frame_id == f.base)  # the wheel's is out
    poses = [send_frame(cache, odom, f, T0_NS + i * PERIOD_NS, i + 1) for i in range(2)]
    assert all((m.header.frame_id, m.child_frame_id) == (f.odom, vo) for m in poses)
    ours = tf.wait_for(2, where=lambda m: m.transforms[0].child_frame_id == vo)
    assert all(m.transforms[0].header.frame_id == f.odom for m in ours)
    wait_until(lambda: ego.tf_guard.own_tf_seen == 2, what="the node's own /tf back")
    assert ego.tf_guard.tf_conflict is None and ego.tf_guard.pub_tf.advertised
    camera = static.wait_for(1, where=lambda m: m.transforms[0].child_frame_id == f.optical)[0].transforms[0]
    assert camera.header.frame_id == f.base
    np.testing.assert_allclose(position(poses[1]) - position(poses[0]), LEVEL_STEP, atol=1e-12)


def test_odom_child_frame_must_differ_from_odom_frame():
    from mono_depth_ros.nodes.ego_motion_config import EGO_PARAMS, EgoMotionConfig
    from mono_depth_ros.nodes.params import ConfigError, build_config

    assert build_config(EgoMotionConfig, EGO_PARAMS, {}).child_frame == "base_link"
    assert build_config(EgoMotionConfig, EGO_PARAMS, {"odom_child_frame": "vo_base_link"}).child_frame == "vo_base_link"
    with pytest.raises(ConfigError, match="odom_child_frame='odom'"):
        build_config(EgoMotionConfig, EGO_PARAMS, {"odom_child_frame": "odom"})
