"""ego_motion_node's ~/odometry covariance: what is not metric or not measured says unknown (1e6),
and odom stays continuous across a break in the frames (REP 105), on a real rclpy graph.

The fake motion network of test_ego_tf_frames reports 0.1 (its unit) forward per frame, 0.1 s
apart, no rotation; the default step std is 0.05 m and 0.01 rad, so every number is by hand:
a metric step's twist variance is (0.05 / 0.1)^2 = 0.25 (m/s)^2 and (0.01 / 0.1)^2 = 0.01 (rad/s)^2.
"""

from __future__ import annotations

import numpy as np

from mono_depth_ros.core.stamps import make_header
from mono_depth_ros.nodes.depth_cache import CachedDepth

from .conftest import wait_until
from .test_ego_tf_frames import PERIOD_NS, STEP, T0_NS, ForwardMotion, ego_node, frame_names, position, \
    send_frame

UNKNOWN = 1e6
METRIC_TWIST = [0.25] * 3 + [0.01] * 3


def diag(covariance) -> np.ndarray:
    return np.diag(np.asarray(covariance, dtype=np.float64).reshape(6, 6))


def test_default_translation_is_not_metric_and_its_covariance_says_so(graph, capfd):
    """scale 0 (default) and no metric depth: the translation is the network's unit (KITTI: 0.14 m a
    frame for 0.86) but its covariance claimed metres (sigma 0.5 m/s). Now the translation's variances
    are unknown (1e6) in the pose and the twist, the rotation's keep their values, one WARNING says it."""
    f = frame_names()
    ego, cache, _, odom = ego_node(graph, f)
    messages = [send_frame(cache, odom, f, T0_NS + i * PERIOD_NS, i + 1) for i in range(4)]
    np.testing.assert_allclose(position(messages[-1]), [3 * STEP, 0.0, 0.0], atol=1e-12)  # x1: the network's unit
    np.testing.assert_allclose(diag(messages[-1].pose.covariance), [UNKNOWN] * 3 + [3 * 0.01 ** 2] * 3, rtol=1e-9)
    for message in messages[1:]:
        np.testing.assert_allclose(diag(message.twist.covariance), [UNKNOWN] * 3 + [0.01] * 3, rtol=1e-9)
    lines = [line for line in capfd.readouterr().err.splitlines() if "odometry translation is not metric" in line]
    assert len(lines) == 1 and "WARN" in lines[0] and "scale_source camera_height" in lines[0], lines
    stats = ego.stats()
    assert (stats["metric"], stats["scale_from"], stats["scale"]) == (False, "none", 1.0)


def test_standalone_node_warns_at_start_when_nothing_can_make_it_metric(graph, capfd):
    """Running its own depth net (no depth_node to scale it) with scale 0: the warning comes at start;
    with a scale given (metres per network unit) there is none."""
    from mono_depth_ros.nodes.ego_motion_node import EgoMotionNode

    for scale, expected in ((0.0, 1), (2.0, 0)):
        node = EgoMotionNode(f"ego_start_{int(scale)}", namespace=graph.namespace, context=graph.context,
                             motion_estimator=ForwardMotion(), depth_estimator=object(),
                             parameter_overrides={"scale": scale})
        node.destroy_node()
        lines = [line for line in capfd.readouterr().err.splitlines() if "odometry translation is not metric" in line]
        assert len(lines) == expected, (scale, lines)


def test_a_given_scale_is_metric_and_keeps_the_step_std_in_metres(graph):
    """scale 2 (metres per network unit): 0.2 m a frame, translation std 0.05 m a step (in metres of the
    published translation, so not multiplied by scale): pose 3 x 0.05^2, twist (0.05 / 0.1 s)^2."""
    f = frame_names()
    ego, cache, _, odom = ego_node(graph, f, scale=2.0)
    messages = [send_frame(cache, odom, f, T0_NS + i * PERIOD_NS, i + 1) for i in range(4)]
    np.testing.assert_allclose(position(messages[-1]), [3 * 2.0 * STEP, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(diag(messages[-1].pose.covariance), [3 * 0.05 ** 2] * 3 + [3 * 0.01 ** 2] * 3,
                               rtol=1e-9)
    np.testing.assert_allclose(diag(messages[-1].twist.covariance), METRIC_TWIST, rtol=1e-9)
    assert ego.stats()["metric"] is True and ego.stats()["scale_from"] == "parameter"


def test_metric_scale_from_the_depth_makes_later_steps_metric(graph):
    """The depth's metric scale arrives with the third frame: the steps before it are not metric (their
    twist's translation unknown), those after are; the pose's translation, which holds an unscaled step,
    stays unknown."""
    f = frame_names()
    ego, cache, _, odom = ego_node(graph, f)
    scales = (None, None, 2.0, None)  # None: this frame has no scale (held after the first)
    messages = [send_frame(cache, odom, f, T0_NS + i * PERIOD_NS, i + 1, metric_scale=s) for i, s in enumerate(scales)]
    np.testing.assert_allclose(position(messages[-1]), [STEP + 2 * 2.0 * STEP, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(diag(messages[1].twist.covariance), [UNKNOWN] * 3 + [0.01] * 3, rtol=1e-9)
    for message in messages[2:]:
        np.testing.assert_allclose(diag(message.twist.covariance), METRIC_TWIST, rtol=1e-9)
    np.testing.assert_allclose(diag(messages[-1].pose.covariance), [UNKNOWN] * 3 + [3 * 0.01 ** 2] * 3, rtol=1e-9)
    assert ego.stats()["scale_from"] == "depth"


def test_a_stamp_gap_keeps_the_pose_and_makes_its_covariance_unknown(graph):
    """A 1.6 s gap (max_frame_gap_s 1): odom jumped back to the origin with an all-zero covariance.
    Now the pose is kept (no motion estimated across the gap), its covariance becomes unknown, and
    the next pair, from the frame after the gap, moves on from there."""
    f = frame_names()
    ego, cache, _, odom = ego_node(graph, f, scale=1.0)
    stamps = [T0_NS, T0_NS + PERIOD_NS, T0_NS + 2 * PERIOD_NS]
    stamps += [stamps[-1] + 1_600_000_000, stamps[-1] + 1_700_000_000]
    messages = [send_frame(cache, odom, f, stamp, i + 1) for i, stamp in enumerate(stamps)]
    x = [position(m)[0] for m in messages]
    np.testing.assert_allclose(x, [0.0, STEP, 2 * STEP, 2 * STEP, 3 * STEP], atol=1e-12)
    np.testing.assert_allclose(diag(messages[2].pose.covariance), [2 * 0.05 ** 2] * 3 + [2 * 0.01 ** 2] * 3,
                               rtol=1e-9)
    for message in messages[3:]:  # unknown, never zero, and it stays so (a random walk only grows)
        np.testing.assert_allclose(diag(message.pose.covariance), [UNKNOWN] * 6)
    np.testing.assert_allclose(diag(messages[3].twist.covariance), [UNKNOWN] * 6)  # no step: twist unknown
    np.testing.assert_allclose(diag(messages[4].twist.covariance), METRIC_TWIST, rtol=1e-9)
    assert ego.resets == 1


def test_stamps_going_back_withhold_poses_then_continue_from_the_kept_pose(graph):
    """Stamps going back (a looping bag, a restarted camera): poses are withheld until the stamps pass
    the last published one (README); the first published after that continues from the kept pose
    (it restarted from the origin) with a covariance that is unknown, not zero."""
    f = frame_names()
    ego, cache, _, odom = ego_node(graph, f, scale=1.0)
    for i in range(3):
        send_frame(cache, odom, f, T0_NS + i * PERIOD_NS, i + 1)
    back = T0_NS + PERIOD_NS // 2  # T0 + 0.05 s: before the last published pose (T0 + 0.2 s)
    cache.put(CachedDepth(back, np.ones((24, 32), np.float32), "li2020_depth", False,
                          rgb=np.zeros((24, 32, 3), np.uint8), header=make_header(back, f.optical)))
    wait_until(lambda: ego.poses_withheld == 1 and ego.resets == 1, what="the pose of the earlier stamp withheld")
    # T0 + 0.35 s: 0.3 s after `back` (one pair, in time) and past the last published pose
    resumed = send_frame(cache, odom, f, T0_NS + 35 * PERIOD_NS // 10, 4)
    assert len(odom.messages) == 4
    np.testing.assert_allclose(position(resumed), [3 * STEP, 0.0, 0.0], atol=1e-12)  # 0.2 kept + one step
    np.testing.assert_allclose(diag(resumed.pose.covariance), [UNKNOWN] * 6)


def test_a_new_frame_id_breaks_the_chain_of_pairs(graph, capfd):
    """Frames of another camera on the same topic (same size, another frame_id) paired with the last
    frame of the first one gave a 'motion' between two cameras. Now a frame_id change is a break: the
    pose is kept, no step is taken across it, and pairs of the new frame_id move on from there."""
    from types import SimpleNamespace

    f = frame_names()
    other = SimpleNamespace(**{**vars(f), "optical": f.optical + "_other"})
    ego, cache, _, odom = ego_node(graph, f, scale=1.0)
    frames = (f, f, other, other)
    messages = [send_frame(cache, odom, fr, T0_NS + i * PERIOD_NS, i + 1) for i, fr in enumerate(frames)]
    np.testing.assert_allclose([position(m)[0] for m in messages], [0.0, STEP, STEP, 2 * STEP], atol=1e-12)
    np.testing.assert_allclose(diag(messages[2].twist.covariance), [UNKNOWN] * 6)  # no step across the change
    assert ego.resets == 1
    lines = [line for line in capfd.readouterr().err.splitlines() if "odometry break" in line]
    assert len(lines) == 1 and f"frame_id changed '{f.optical}' -> '{other.optical}'" in lines[0], lines
