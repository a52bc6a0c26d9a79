"""ego_motion_node on a real rclpy graph, sharing depth with depth_node in the same process."""

from __future__ import annotations

import numpy as np
import pytest
from nav_msgs.msg import Odometry
from sensor_msgs.msg import CameraInfo, Image
from tf2_msgs.msg import TFMessage

from mono_depth_ros.core.stamps import stamp_to_ns
from mono_depth_ros.nodes.qos import make_qos, tf_static_qos

from .conftest import Collector, advertised_topics, make_image, make_info, publish_info, require_inference, \
    rgb_frame, wait_until

T0_NS = 1_700_000_000_000_000_000


def _pipeline(graph, checkpoints, **ego_params):
    require_inference()
    from mono_depth_ros.nodes.depth_cache import DepthCache
    from mono_depth_ros.nodes.depth_node import DepthNode
    from mono_depth_ros.nodes.ego_motion_node import EgoMotionNode

    cache = DepthCache()
    topic = f"{graph.namespace}/cam/image_raw"
    depth = graph.add(DepthNode("depth_node", namespace=graph.namespace, context=graph.context, depth_cache=cache,
                                parameter_overrides={"image_topic": topic, "method": "li2020", "backend": "torch",
                                                     "model_path": str(checkpoints["li2020_depth"]),
                                                     "input_reliability": "reliable", "input_depth": 10}))
    ego = graph.add(EgoMotionNode("ego_motion_node", namespace=graph.namespace, context=graph.context,
                                  depth_cache=cache, parameter_overrides={
                                      "image_topic": topic, "backend": "torch",
                                      "motion_model_path": str(checkpoints["li2020_motion"]),
                                      "odom_frame": "odom_test", "base_frame": "base_test", **ego_params}))
    return depth, ego


def test_odometry_and_tf_from_shared_depth(graph, light_checkpoints):
    depth, ego = _pipeline(graph, light_checkpoints)
    helper = graph.helper()
    qos = make_qos("reliable", 10)
    pub = helper.create_publisher(Image, f"{graph.namespace}/cam/image_raw", qos)
    pub_info = helper.create_publisher(CameraInfo, f"{graph.namespace}/cam/camera_info", qos)
    odom = Collector(helper, Odometry, f"{graph.namespace}/ego_motion_node/odometry", qos)
    tf = Collector(helper, TFMessage, "/tf", make_qos("reliable", 100))
    tf_static = Collector(helper, TFMessage, "/tf_static", tf_static_qos())
    depth_out = Collector(helper, Image, f"{graph.namespace}/depth_node/depth/image", qos)
    wait_until(lambda: pub.get_subscription_count() > 0 and ego.pub_odom.get_subscription_count() > 0
               and depth.pub_depth.get_subscription_count() > 0, what="discovery")
    stamps = [T0_NS + i * 100_000_000 for i in range(5)]
    for i, stamp in enumerate(stamps):  # one at a time: every frame is processed
        publish_info(pub_info, make_info(128, 96, stamp), depth)
        pub.publish(make_image(rgb_frame(seed=i), stamp))
        odom.wait_for(i + 1)
    assert [stamp_to_ns(m.header.stamp) for m in odom.messages] == stamps  # increasing, one per frame
    assert all(m.header.frame_id == "odom_test" and m.child_frame_id == "base_test" for m in odom.messages)
    first = odom.messages[0].pose.pose
    assert (first.position.x, first.position.y, first.position.z, first.orientation.w) == (0, 0, 0, 1)
    # scale 0 (default) without a metric depth: the translation is the network's unit, its variance
    # unknown (1e6); the rotations (scale-free) keep 4 steps of the default per-step variance
    cov = np.diag(np.asarray(odom.messages[-1].pose.covariance).reshape(6, 6))
    np.testing.assert_allclose(cov, [1e6] * 3 + [4 * 0.01 ** 2] * 3, rtol=1e-9)
    assert ego.stats()["metric"] is False and ego.stats()["scale_from"] == "none"
    # the twist (base_link, per second) of a 0.1 s step: the rotation's std / 0.1 s, 0.1 rad/s, the
    # translation's unknown; the first pose has no step: its zero twist is unknown
    twist_cov = [np.diag(np.asarray(m.twist.covariance).reshape(6, 6)) for m in odom.messages]
    np.testing.assert_allclose(twist_cov[0], [1e6] * 6)
    for diag in twist_cov[1:]:
        np.testing.assert_allclose(diag, [1e6] * 3 + [0.1 ** 2] * 3, rtol=1e-9)
    mine = tf.wait_for(5, where=lambda m: m.transforms[0].child_frame_id == "base_test")
    assert all(m.transforms[0].header.frame_id == "odom_test" for m in mine)
    assert ego.depth_estimator is None and ego.depth_reused == 5  # no second depth network
    assert len(depth_out.wait_for(5)) == 5
    before = odom.messages[-1].pose.pose.position
    # a stamp going backwards (a looping bag) breaks the chain of frame pairs: depth_node drops
    # the first frame of the new loop and serves the next, which ego_motion_node sees as a jump back
    pub.publish(make_image(rgb_frame(seed=9), stamps[1]))
    wait_until(lambda: depth.rejects.counts.get("invalid_header.stamp", 0) == 1, what="backwards frame dropped")
    pub.publish(make_image(rgb_frame(seed=10), stamps[2]))
    wait_until(lambda: ego.resets == 1 and ego.poses_withheld == 1, what="chain broken, pose withheld")
    # REP 105: nothing went out with the older stamp; the next frame after a long gap breaks the chain
    # again and publishes the kept pose (odom is continuous, no jump to the origin) at its own, newer
    # stamp, with the covariance of the unknown motion, never zero
    later = stamps[-1] + 3 * 10**9
    pub.publish(make_image(rgb_frame(seed=11), later))
    last = odom.wait_for(6)[-1]
    assert stamp_to_ns(last.header.stamp) == later and ego.resets == 2
    position = last.pose.pose.position
    assert (position.x, position.y, position.z) == (before.x, before.y, before.z)
    np.testing.assert_allclose(np.diag(np.asarray(last.pose.covariance).reshape(6, 6)), [1e6] * 6)
    tf_stamps = [stamp_to_ns(m.transforms[0].header.stamp)
                 for m in tf.wait_for(6, where=lambda m: m.transforms[0].child_frame_id == "base_test")]
    assert tf_stamps == sorted(tf_stamps) and tf_stamps[-1] == later
    static = tf_static.wait_for(1)[0].transforms[0]  # camera pose from parameters, for rviz2
    assert (static.header.frame_id, static.child_frame_id) == ("base_test", "cam_optical")
    assert static.transform.rotation.w == pytest.approx(0.5)  # optical frame: q = (-0.5, 0.5, -0.5, 0.5)



@pytest.mark.parametrize("refinement,flip", [("none", "auto"), ("rest", "auto"), ("auto", "auto"),
                                             ("rest", "always")])
def test_bundled_weights_follow_a_forward_synthetic_trajectory(graph, refinement, flip):
    """Trained demo weights on a held-out synthetic sequence (seed never used in training): the
    odometry moves forward (+x in base_link, REP 103) as the camera does, also with
    ``motion_refinement`` rest (the default) and auto, which use camera_info's intrinsics (passed on
    by depth_node through the shared cache), and with ``motion_flip_average`` always."""
    require_inference()
    from mono_depth_ros.inference.weights import default_weights_path
    from mono_depth_ros.core.camera import camera_info_from_intrinsics
    from mono_depth_ros.core.stamps import make_header
    from mono_depth_ros.synth import SynthConfig, SyntheticSequence, sequence_intrinsics

    weights = {name: default_weights_path(name) for name in ("li2020_depth", "li2020_motion")}
    if not all(path.is_file() for path in weights.values()):
        pytest.skip(f"bundled demo weights missing: {weights}")
    seq = SyntheticSequence(SynthConfig(frames=10, seed=321, size_wh=(160, 120), scene="indoor",
                                        trajectory="forward"))
    intr = sequence_intrinsics(seq)
    depth, ego = _pipeline(graph, weights, motion_refinement=refinement, motion_flip_average=flip)
    helper = graph.helper()
    qos = make_qos("reliable", 10)
    pub = helper.create_publisher(Image, f"{graph.namespace}/cam/image_raw", qos)
    pub_info = helper.create_publisher(CameraInfo, f"{graph.namespace}/cam/camera_info", qos)
    odom = Collector(helper, Odometry, f"{graph.namespace}/ego_motion_node/odometry", qos)
    wait_until(lambda: pub.get_subscription_count() > 0 and ego.pub_odom.get_subscription_count() > 0,
               what="discovery")
    for i, frame in enumerate(seq):
        header = make_header(frame.stamp_ns, "cam_optical")
        publish_info(pub_info, camera_info_from_intrinsics(intr, header, msg_cls=CameraInfo), depth)
        pub.publish(make_image(frame.rgb, frame.stamp_ns))
        odom.wait_for(i + 1)
    start, end = seq.frame(0).T_odom_camera_link, seq.frame(len(seq) - 1).T_odom_camera_link
    truth_forward_m = (np.linalg.inv(start) @ end)[0, 3]
    last = odom.messages[-1].pose.pose.position
    assert truth_forward_m > 0.5  # the synthetic camera really drives forward
    assert last.x > 0 and last.x > 2 * abs(last.y), (last.x, last.y, last.z)
    stats = ego.stats()  # what /diagnostics shows
    assert stats["motion_refinement"] == refinement
    assert stats["motion_flip_average"] is (flip == "always")  # auto: AUTO_FLIPS_MOTION, False
    assert stats["motion_intrinsics"] == "camera"  # the default: camera_info's focal length re-expresses the rotation
    assert stats["refinement_intrinsics"] == ("none" if refinement == "none" else "camera_info")
    # every pair's outcome is counted (9 pairs of 10 frames); none leaves every estimate the network's
    choices = {choice: stats[f"motion_{choice}_frames"]
               for choice in ("network", "aligned", "no_rotation", "no_motion")}
    assert sum(choices.values()) == len(seq) - 1, choices
    assert refinement != "none" or choices["network"] == len(seq) - 1, choices
    shared = ego.depth_cache.wait_for(seq.frame(len(seq) - 1).stamp_ns, timeout_s=1.0).intrinsics
    assert (shared.fx, shared.cx) == pytest.approx((intr.fx, intr.cx))  # camera_info's, through the cache


def test_standalone_node_rectifies_a_distorted_image_before_both_networks(graph):
    """Running its own depth net (the bundled weights), ego_motion_node rectifies image_raw with
    camera_info (k1 = -0.3) like depth_node: the published pose equals the motion of the rectified
    frames, computed by hand, and differs from that of the raw frames."""
    from mono_depth_ros.core.camera import CameraIntrinsics, camera_info_from_intrinsics
    from mono_depth_ros.core.rectify import Rectifier
    from mono_depth_ros.core.stamps import make_header
    from mono_depth_ros.nodes.odometry import OdometryIntegrator, base_from_optical

    # the bundled weights and the node's default motion_refinement
    ego, helper, pub, pub_info, odom = _standalone(graph, None, motion_refinement="rest")
    intr = CameraIntrinsics(128, 96, 90.0, 90.0, 63.5, 47.5, d=(-0.3, 0.08, 0.0, 0.0, 0.0))
    pub_info.publish(camera_info_from_intrinsics(intr, make_header(T0_NS, "cam_optical"), msg_cls=CameraInfo))
    wait_until(lambda: ego.camera.matching(128, 96)[0] is not None, what="camera_info kept")
    frames = [rgb_frame(seed=s) for s in (3, 4)]
    stamps = [T0_NS, T0_NS + 100_000_000]
    for i, (rgb, stamp) in enumerate(zip(frames, stamps)):
        pub.publish(make_image(rgb, stamp))
        odom.wait_for(i + 1)
    assert ego.camera.rectified_frames == 2 and ego.stats()["rectified_frames"] == 2

    def pose_of(images, intrinsics):  # what the node must publish for these two images
        depths = [ego.depth_estimator.estimate(im) for im in images]
        T = ego.motion.estimate(images[0], depths[0], images[1], depths[1], intrinsics).T_b_from_a
        odometry = OdometryIntegrator(base_from_optical((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)), np.zeros(6))
        return odometry.step(T, 0.1)[0][:3, 3]

    rectifier = Rectifier.build(intr)
    # the node's refinement uses the rectified camera's intrinsics (the rest check's costs depend on them)
    expected = pose_of([rectifier.apply(f) for f in frames], rectifier.rectified)
    position = odom.messages[1].pose.pose.position
    np.testing.assert_allclose([position.x, position.y, position.z], expected, rtol=1e-4, atol=1e-7)
    raw = pose_of(frames, intr)  # the distortion matters: unrectified frames give another motion
    assert np.linalg.norm(raw - expected) > 0.01 * np.linalg.norm(expected)


def _standalone(graph, checkpoints, image="image_raw", **params):
    """A standalone ego_motion_node (its own li2020 depth net: the light ``checkpoints``, or the bundled
    weights when None; the network's motion alone) on ``<ns>/cam/<image>``; returns (node, helper,
    image and camera_info publishers, odometry Collector)."""
    require_inference()
    from mono_depth_ros.nodes.ego_motion_node import EgoMotionNode

    topic = f"{graph.namespace}/cam/{image}"
    models = {} if checkpoints is None else {"depth_model_path": str(checkpoints["li2020_depth"]),
                                             "motion_model_path": str(checkpoints["li2020_motion"])}
    ego = graph.add(EgoMotionNode("ego_cam", namespace=graph.namespace, context=graph.context, parameter_overrides={
        "image_topic": topic, "backend": "torch", "motion_refinement": "none", "input_reliability": "reliable",
        "input_depth": 10, **models, **params}))
    helper = graph.helper()
    qos = make_qos("reliable", 10)
    pub = helper.create_publisher(Image, topic, qos)
    pub_info = helper.create_publisher(CameraInfo, f"{graph.namespace}/cam/camera_info", qos)
    odom = Collector(helper, Odometry, f"{graph.namespace}/ego_cam/odometry", qos)
    wait_until(lambda: pub.get_subscription_count() > 0 and pub_info.get_subscription_count() > 0
               and ego.pub_odom.get_subscription_count() > 0, what="discovery")
    return ego, helper, pub, pub_info, odom


def _send_pair(pub, odom, frames):
    """Publish two frames 0.1 s apart, one at a time; the position of the second pose."""
    for i, rgb in enumerate(frames):
        pub.publish(make_image(rgb, T0_NS + i * 100_000_000))
        odom.wait_for(i + 1)
    position = odom.messages[1].pose.pose.position
    return np.array([position.x, position.y, position.z])


def _position(depth_net, motion_net, images):
    """Where the node must put base_link after ``images`` (two frames 0.1 s apart) with these networks."""
    from mono_depth_ros.nodes.odometry import OdometryIntegrator, base_from_optical

    depths = [depth_net.estimate(im) for im in images]
    T = motion_net.estimate(images[0], depths[0], images[1], depths[1]).T_b_from_a
    odometry = OdometryIntegrator(base_from_optical((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)), np.zeros(6))
    return odometry.step(T, 0.1)[0][:3, 3]


def test_standalone_resize_mode_fits_both_networks(graph):
    """``resize_mode`` (depth_node's parameter, shared) fits a 2:1 camera to both networks of a
    standalone node (the bundled weights: random ones barely depend on their input): its pose is
    that of networks loaded with pad, computed by hand, not crop's."""
    from mono_depth_ros.inference.depth_estimator import DepthEstimator
    from mono_depth_ros.inference.ego_motion_estimator import EgoMotionEstimator
    from mono_depth_ros.inference.weights import default_weights_path

    ego, _, pub, _, odom = _standalone(graph, None, resize_mode="pad")
    assert ego.depth_estimator.resize_mode == ego.motion.resize_mode == "pad"
    frames = [rgb_frame(192, 96, seed=s) for s in (3, 4)]
    position = _send_pair(pub, odom, frames)

    def loaded(mode):
        return (DepthEstimator.from_path(default_weights_path("li2020_depth"), backend="torch", resize_mode=mode),
                EgoMotionEstimator.from_path(default_weights_path("li2020_motion"), backend="torch",
                                             resize_mode=mode, refinement="none"))

    expected = _position(*loaded("pad"), frames)
    np.testing.assert_allclose(position, expected, rtol=1e-4, atol=1e-7)
    crop = _position(*loaded("crop"), frames)
    assert np.linalg.norm(crop - expected) > 0.01 * np.linalg.norm(expected)


def test_standalone_node_lists_unknown_distortion_as_a_problem(graph, light_checkpoints):
    """As depth_node: frames whose camera_info has a distortion that cannot be undone (the non-ROS
    model name ``fisheye``) are treated as undistorted, counted, and make /diagnostics WARN."""
    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus

    from mono_depth_ros.core.camera import CameraIntrinsics, camera_info_from_intrinsics
    from mono_depth_ros.core.stamps import make_header

    ego, helper, pub, pub_info, odom = _standalone(graph, light_checkpoints, diagnostics_period_s=0.1)
    diag = Collector(helper, DiagnosticArray, "/diagnostics", 50)
    intr = CameraIntrinsics(128, 96, 90.0, 90.0, 63.5, 47.5, "fisheye", (-0.3, 0.08, 0.0, 0.0))
    publish_info(pub_info, camera_info_from_intrinsics(intr, make_header(T0_NS, "cam_optical"), msg_cls=CameraInfo),
                 ego)
    frames = [rgb_frame(seed=s) for s in (5, 6)]
    position = _send_pair(pub, odom, frames)
    np.testing.assert_allclose(position, _position(ego.depth_estimator, ego.motion, frames), rtol=1e-4, atol=1e-7)
    stats = ego.stats()
    assert (stats["unknown_distortion_model_frames"], stats["rectified_frames"], stats["rejected"]) == (2, 0, 0)
    name = ego.get_fully_qualified_name()
    # a report from between the two frames may say 1 x: wait for the one after both
    report = diag.wait_for(1, where=lambda m: m.status[0].hardware_id == name
                           and m.status[0].level == DiagnosticStatus.WARN
                           and m.status[0].message.startswith("2 x"))[0].status[0]
    assert report.message == "2 x unknown_distortion_model (treated as undistorted)"
    assert {kv.key: kv.value for kv in report.values}["unknown_distortion_model_frames"] == "2"


def test_standalone_node_takes_image_rect_as_rectified(graph, light_checkpoints):
    """image_proc's image_rect with the driver's raw camera_info (k1 = -0.3, P != K): not rectified
    again; the camera is P's pinhole (what refinement would use), D zero, as depth_node reports it."""
    from dataclasses import replace

    from mono_depth_ros.core.camera import CameraIntrinsics, camera_info_from_intrinsics
    from mono_depth_ros.core.rectify import RECTIFIED_D
    from mono_depth_ros.core.stamps import make_header

    ego, _, pub, pub_info, odom = _standalone(graph, light_checkpoints, image="image_rect")
    p = (100.0, 0.0, 64.0, 0.0, 0.0, 101.0, 48.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    intr = CameraIntrinsics(128, 96, 90.0, 90.0, 63.5, 47.5, d=(-0.3, 0.08, 0.0, 0.0, 0.0), p=p)
    publish_info(pub_info, camera_info_from_intrinsics(intr, make_header(T0_NS, "cam_optical"), msg_cls=CameraInfo),
                 ego)
    camera = ego.camera.matching(128, 96)[0]
    assert camera == replace(intr, fx=100.0, fy=101.0, cx=64.0, cy=48.0, d=RECTIFIED_D)
    frames = [rgb_frame(seed=s) for s in (7, 8)]
    position = _send_pair(pub, odom, frames)
    np.testing.assert_allclose(position, _position(ego.depth_estimator, ego.motion, frames), rtol=1e-4, atol=1e-7)
    assert ego.stats()["rectified_frames"] == 0 and ego.stats()["rectify"] == "already rectified"


def test_optional_outputs_are_advertised_only_while_on(graph, light_checkpoints, capfd):
    """~/motion_field (publish_motion_field false by default) and ~/camera_info_estimated (set false
    here) are not advertised, and one start-up line says so; turned on at run time, ~/motion_field
    appears and carries the motion network's residual translation of the pair; publish_tf false
    withdraws the node's /tf writer."""
    from rclpy.parameter import Parameter

    ego, helper, pub, _, odom = _standalone(graph, light_checkpoints, publish_camera_info_estimated=False)
    name = ego.get_fully_qualified_name()
    wait_until(lambda: f"{name}/odometry" in advertised_topics(helper, ego), what="the node in the graph")
    topics = advertised_topics(helper, ego)
    assert "/tf" in topics and not {f"{name}/motion_field", f"{name}/camera_info_estimated"} & topics, topics
    lines = [line for line in capfd.readouterr().err.splitlines() if "not advertised" in line]
    assert len(lines) == 1 and ("~/motion_field (publish_motion_field false); ~/camera_info_estimated "
                                "(publish_camera_info_estimated false)") in lines[0], lines
    ego.set_parameters([Parameter("publish_motion_field", value=True)])
    field = Collector(helper, Image, f"{name}/motion_field", make_qos("reliable", 10))
    wait_until(lambda: ego.pub_field.get_subscription_count() > 0, what="~/motion_field matched")
    frames = [rgb_frame(seed=s) for s in (3, 4)]
    _send_pair(pub, odom, frames)
    msg = field.wait_for(1)[0]
    depths = [ego.depth_estimator.estimate(im) for im in frames]
    expected = ego.motion.estimate(frames[0], depths[0], frames[1], depths[1]).residual_translation
    assert msg.encoding == "32FC3" and stamp_to_ns(msg.header.stamp) == T0_NS + 100_000_000
    got = np.frombuffer(bytes(msg.data), dtype=np.float32).reshape(msg.height, msg.width, 3)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-7)
    ego.set_parameters([Parameter("publish_tf", value=False)])
    wait_until(lambda: "/tf" not in advertised_topics(helper, ego), what="/tf withdrawn")


def test_poses_withheld_after_a_camera_restart_make_diagnostics_warn(graph, light_checkpoints):
    """A camera restarted with an earlier clock (its stamps 10 s before the last published pose):
    every pose is withheld (REP 105) until the stamps pass that pose. /diagnostics said OK all along;
    it is WARN and says why while poses are withheld, and OK again once one goes out."""
    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus

    ego, helper, pub, _, odom = _standalone(graph, light_checkpoints, diagnostics_period_s=0.1)
    diag = Collector(helper, DiagnosticArray, "/diagnostics", 50)
    name = ego.get_fully_qualified_name()
    for i in range(3):
        pub.publish(make_image(rgb_frame(seed=i), T0_NS + i * 100_000_000))
        odom.wait_for(i + 1)
    restart_ns = T0_NS + 200_000_000 - 10 * 10**9
    for i in range(3):
        pub.publish(make_image(rgb_frame(seed=i), restart_ns + i * 100_000_000))
        wait_until(lambda n=i + 1: ego.poses_withheld == n, what=f"pose {i + 1} after the restart withheld")
    assert len(odom.messages) == 3 and ego.resets == 1
    warn = diag.wait_for(1, where=lambda m: m.status[0].hardware_id == name
                         and "withheld for the last 3 frames" in m.status[0].message)[0].status[0]
    assert warn.level == DiagnosticStatus.WARN
    assert "9.800 s older than the last published pose" in warn.message, warn.message  # T0 + 0.2 s vs T0 - 9.6 s
    seen = len(diag.messages)
    pub.publish(make_image(rgb_frame(seed=5), T0_NS + 300_000_000))  # past the last pose: a reset goes out
    assert stamp_to_ns(odom.wait_for(4)[-1].header.stamp) == T0_NS + 300_000_000
    wait_until(lambda: any(m.status[0].hardware_id == name and m.status[0].level == DiagnosticStatus.OK
                           for m in diag.messages[seen:]), what="/diagnostics OK again")


def test_standalone_input_reliability_auto_follows_a_reliable_driver(graph, light_checkpoints):
    """input_reliability auto, the default of both nodes now: ego_motion_node starts before the camera
    (best effort: no publisher yet), then the reliable driver appears and both inputs switch to
    reliable (the ROS graph shows it), and its frames come through."""
    ego, helper, pub, _, odom = _standalone(graph, light_checkpoints, input_reliability="auto")
    assert ego.config.input_reliability == "auto"
    wait_until(lambda: all(sub.reliability == "reliable" for sub in ego.inputs), what="both inputs reliable")
    topic = f"{graph.namespace}/cam/image_raw"
    wait_until(lambda: [i.qos_profile.reliability.name for i in helper.get_subscriptions_info_by_topic(topic)
                        if i.node_name == ego.get_name()] == ["RELIABLE"], what="the old subscription retired")
    assert ego.stats()["input_reliability"] == "reliable"
    _send_pair(pub, odom, [rgb_frame(seed=1), rgb_frame(seed=2)])
    assert ego.stats()["frames_in"] == 2 and len(odom.messages) == 2
