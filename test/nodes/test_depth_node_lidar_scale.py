"""depth_node's ``scale_source: depth_topic`` from a lidar PointCloud2 (``metric_cloud_topic``,
issue 14) on a real rclpy graph: the cloud is projected into the image through /tf_static.

The network and the street scene are test_depth_node_scale's: the network outputs the true depth
times 500 / 255, so the right scale is ``TRUE_SCALE`` = 0.51. The lidar is a 16-ring, 360 deg
scanner mounted above, behind and yawed/pitched against the camera; its points are ray-cast
against the scene's true geometry (the road 1.5 m below the camera, the facade 40 m ahead, the
car's back 8 m ahead) and published in the lidar's own frame, so they land on the image between
pixel centres, some behind the camera, some outside the image.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import TransformStamped
from sensor_msgs.msg import PointCloud2, PointField
from tf2_msgs.msg import TFMessage

from mono_depth_ros.core.depth import depth_from_image
from mono_depth_ros.core.pointcloud import pointcloud2_to_xyz
from mono_depth_ros.core.stamps import make_header, stamp_to_ns
from mono_depth_ros.core.transforms import euler_to_matrix, make_tf_message, make_transform_stamped, se3, \
    se3_inverse
from mono_depth_ros.nodes.depth_config import DEPTH_PARAMS, DepthNodeConfig
from mono_depth_ros.nodes.odometry import StaticTfTree, base_from_optical
from mono_depth_ros.nodes.params import ConfigError, build_config
from mono_depth_ros.nodes.qos import make_qos, tf_static_qos

from .conftest import Collector, wait_until
from .test_depth_node_scale import (CAMERA_HEIGHT_M, CX, CY, FOCAL_PX, PERIOD_NS, T0_NS, TRUE_SCALE, _io, _node,
                                    _of, _send, carded_onnx, network_depth, street_depth_m)  # noqa: F401

CAMERA_FRAME = "cam_optical"  # conftest.make_image's frame_id
T_BASE_CAMERA = base_from_optical((0.5, 0.0, CAMERA_HEIGHT_M), (0.0, 0.0, 0.0))  # a level camera
# the lidar 0.3 m above, 0.2 m behind and 0.05 m left of the camera, yawed 10 deg left, pitched 3 deg down
T_BASE_LIDAR = se3(euler_to_matrix(0.0, math.radians(3.0), math.radians(10.0)), (0.3, 0.05, CAMERA_HEIGHT_M + 0.3))
T_CAMERA_LIDAR = se3_inverse(T_BASE_CAMERA) @ T_BASE_LIDAR
FACADE_M, CAR_M = 40.0, 8.0
# the car's back (test_depth_node_scale.street_depth_m): columns 90..119 and rows > 40, as x / z, y / z
CAR_X_PER_Z = ((89.5 - CX) / FOCAL_PX, (119.5 - CX) / FOCAL_PX)
CAR_TOP_Y_PER_Z = (40.5 - CY) / FOCAL_PX


def lidar_scan_m(rings: int = 16, azimuth_step_deg: float = 0.5, max_range_m: float = 100.0) -> np.ndarray:
    """(N, 3) returns of a 360 deg lidar (elevations -15..15 deg) in the lidar frame (x forward, y left,
    z up): each ray's nearest hit of the road (optical y = 1.5), the facade (z = 40) and the car's back
    (z = 8 within its rectangle), all planes in the camera's optical frame."""
    elevation = np.radians(np.linspace(-15.0, 15.0, rings))[:, None]
    azimuth = np.radians(np.arange(0.0, 360.0, azimuth_step_deg))[None, :]
    rays = np.stack(np.broadcast_arrays(np.cos(elevation) * np.cos(azimuth), np.cos(elevation) * np.sin(azimuth),
                                        np.sin(elevation)), axis=-1).reshape(-1, 3)
    origin, direction = T_CAMERA_LIDAR[:3, 3], rays @ T_CAMERA_LIDAR[:3, :3].T
    with np.errstate(divide="ignore", invalid="ignore"):
        road = (CAMERA_HEIGHT_M - origin[1]) / direction[:, 1]
        facade = (FACADE_M - origin[2]) / direction[:, 2]
        car = (CAR_M - origin[2]) / direction[:, 2]
        hit = origin + car[:, None] * direction
        on_car = (hit[:, 0] / CAR_M >= CAR_X_PER_Z[0]) & (hit[:, 0] / CAR_M < CAR_X_PER_Z[1]) \
            & (hit[:, 1] / CAR_M > CAR_TOP_Y_PER_Z) & (hit[:, 1] <= CAMERA_HEIGHT_M)
        distance_m = np.stack([road, facade, np.where(on_car, car, np.inf)], axis=1)
        distance_m = np.where(distance_m > 0, distance_m, np.inf).min(axis=1)  # rays are unit vectors
    returned = distance_m <= max_range_m
    return rays[returned] * distance_m[returned, None]


def cloud_msg(points_m: np.ndarray, stamp_ns: int, frame_id: str, names=("x", "y", "z")) -> PointCloud2:
    """Unorganized PointCloud2 as lidar drivers publish it: point_step 16, intensity (FLOAT32) at 0,
    then the three named FLOAT32 fields at 4, 8, 12."""
    buf = np.zeros((len(points_m), 4), dtype="<f4")
    buf[:, 0], buf[:, 1:] = 0.5, points_m
    fields = [PointField(name="intensity", offset=0, datatype=PointField.FLOAT32, count=1)]
    fields += [PointField(name=name, offset=4 + 4 * i, datatype=PointField.FLOAT32, count=1)
               for i, name in enumerate(names)]
    return PointCloud2(header=make_header(stamp_ns, frame_id), height=1, width=len(points_m), fields=fields,
                       is_bigendian=False, point_step=16, row_step=16 * len(points_m),
                       data=buf.view(np.uint8).reshape(-1).tobytes(), is_dense=True)


def publish_tf_static(helper, lidar_frame: str):
    """base_link -> cam_optical and base_link -> ``lidar_frame`` on /tf_static (transient local)."""
    pub = helper.create_publisher(TFMessage, "/tf_static", tf_static_qos())
    pub.publish(make_tf_message([make_transform_stamped(T_BASE_CAMERA, "base_link", CAMERA_FRAME, T0_NS,
                                                        msg_cls=TransformStamped),
                                 make_transform_stamped(T_BASE_LIDAR, "base_link", lidar_frame, T0_NS,
                                                        msg_cls=TransformStamped)], msg_cls=TFMessage))
    return pub


def test_every_static_broadcaster_reaches_a_node_that_starts_later(graph, carded_onnx):
    """A robot has several /tf_static publishers (robot_state_publisher, static_transform_publisher
    for a camera or lidar), each keeping its own message. A node started after them gets all of
    them at once: a keep-last-1 reader kept one and lost the other transforms."""
    frames = [f"part{i}_{abs(hash(graph.namespace)) % 10**6}" for i in range(5)]
    publishers = []
    for i, frame in enumerate(frames):  # each broadcaster on its own node, as separate processes are
        pub = graph.helper().create_publisher(TFMessage, "/tf_static", tf_static_qos())
        pub.publish(make_tf_message([make_transform_stamped(se3(np.eye(3), (float(i), 0.0, 0.0)), CAMERA_FRAME,
                                                            frame, T0_NS, msg_cls=TransformStamped)],
                                    msg_cls=TFMessage))
        publishers.append(pub)
    topic = f"{graph.namespace}/lidar/points"
    node = _node(graph, carded_onnx, scale_source="depth_topic", metric_cloud_topic=topic)
    wait_until(lambda: all(node.static_tf.lookup(CAMERA_FRAME, f) is not None for f in frames),
               what="every broadcaster's /tf_static transform")
    assert [node.static_tf.lookup(CAMERA_FRAME, f)[0, 3] for f in frames] == [0.0, 1.0, 2.0, 3.0, 4.0]


def _status(diag: Collector, node, **expected: str):
    """(message, values) of the first /diagnostics status of ``node`` whose values include ``expected``."""
    name = node.get_fully_qualified_name()

    def status(msg):
        return next((s for s in msg.status if s.hardware_id == name), None)

    def values(msg) -> dict[str, str]:
        found = status(msg)
        return {} if found is None else {kv.key: kv.value for kv in found.values}
    msg = diag.wait_for(1, where=lambda m: all(values(m).get(k) == v for k, v in expected.items()))[0]
    return status(msg).message, values(msg)


def _cloud_io(graph, node, topic: str):
    helper = graph.helper()
    diag = Collector(helper, DiagnosticArray, "/diagnostics", 50)
    pub_cloud = helper.create_publisher(PointCloud2, topic, make_qos("reliable", 10))
    wait_until(lambda: pub_cloud.get_subscription_count() > 0, what="metric cloud discovery")
    return helper, diag, pub_cloud


def _put_cloud(node, pub_cloud, msg) -> None:
    received = node.metric_cloud.received
    pub_cloud.publish(msg)
    wait_until(lambda: node.metric_cloud.received == received + 1, what="metric cloud received")


def test_the_scan_samples_the_street_geometry():
    """The ray-cast scan against the scene: the points in front of the camera that project onto a
    pixel centre's neighbourhood have that pixel's true depth within the depth change across a pixel."""
    optical = lidar_scan_m() @ T_CAMERA_LIDAR[:3, :3].T + T_CAMERA_LIDAR[:3, 3]
    ahead = optical[optical[:, 2] > 0]
    u, v = FOCAL_PX * ahead[:, 0] / ahead[:, 2] + CX, FOCAL_PX * ahead[:, 1] / ahead[:, 2] + CY
    inside = (np.rint(u) >= 0) & (np.rint(u) < 128) & (np.rint(v) >= 0) & (np.rint(v) < 96)
    print(f"scan: {len(optical)} returns, {inside.sum()} in the image, {(optical[:, 2] <= 0).sum()} behind the camera")
    assert inside.sum() > 1000 and (optical[:, 2] <= 0).sum() > 1000 and (~inside).sum() > 1000
    truth_m = street_depth_m()[np.rint(v[inside]).astype(int), np.rint(u[inside]).astype(int)]
    ratio = ahead[inside, 2] / truth_m
    assert np.median(np.abs(ratio - 1.0)) < 0.01 and abs(np.median(ratio) - 1.0) < 0.002


def test_lidar_cloud_through_tf_static_makes_the_depth_metric(graph, carded_onnx):
    topic = f"{graph.namespace}/lidar/points"
    node = _node(graph, carded_onnx, scale_source="depth_topic", metric_cloud_topic=topic)
    assert node.get_parameter("depth_is_metric").value is True
    pub_img, pub_info, outs = _io(graph, node)
    helper, diag, pub_cloud = _cloud_io(graph, node, topic)
    lidar_frame = f"lidar{abs(hash(graph.namespace)) % 10**6}"
    publish_tf_static(helper, lidar_frame)
    wait_until(lambda: node.static_tf.lookup(CAMERA_FRAME, lidar_frame) is not None, what="/tf_static")
    np.testing.assert_allclose(node.static_tf.lookup(CAMERA_FRAME, lidar_frame), T_CAMERA_LIDAR, atol=1e-9)
    truth_m = street_depth_m()
    scan_m = lidar_scan_m()
    for index in (0, 1):  # the cloud 30 ms before the frame, then 60 ms after: within the 0.1 s tolerance
        stamp = T0_NS + index * PERIOD_NS
        _put_cloud(node, pub_cloud, cloud_msg(scan_m, stamp + (-30 if index == 0 else 60) * 1_000_000, lidar_frame))
        _send(pub_img, pub_info, truth_m, index)
        depth_m = depth_from_image(_of(outs["depth"], stamp))
        error = np.abs(depth_m / truth_m - 1.0)
        # metric within 0.2 % on every pixel (measured 0.023 %: the network's 2 mm steps); ignoring the
        # lidar's 0.2 m offset from the camera alone would be 0.5 % at the facade, 2.5 % at the car
        assert np.max(error) < 0.002, np.max(error)
        z = pointcloud2_to_xyz(_of(outs["points"], stamp))[..., 2]
        np.testing.assert_allclose(z, depth_m, rtol=1e-6)
    _, values = _status(diag, node, frames_metric="2")
    assert values["depth_is_metric"] == "True" and values["scale_source"] == "depth_topic"
    assert values["scale_reason"] == "ok"
    assert float(values["scale"]) == pytest.approx(TRUE_SCALE, rel=1e-3)
    assert float(values["scale_points"]) > 1000  # the scan's points in the image, one per pixel at most
    assert values["rejected"] == "0"


def test_without_the_transform_or_with_a_bad_cloud_the_node_keeps_running(graph, carded_onnx):
    topic = f"{graph.namespace}/lidar/points"
    node = _node(graph, carded_onnx, scale_source="depth_topic", metric_cloud_topic=topic)
    pub_img, pub_info, outs = _io(graph, node)
    helper, diag, pub_cloud = _cloud_io(graph, node, topic)
    lidar_frame = f"lidar_missing{abs(hash(graph.namespace)) % 10**6}"
    truth_m, scan_m = street_depth_m(), lidar_scan_m()
    # a cloud in a frame /tf_static does not know: two frames use it, both unscaled, counted once
    _put_cloud(node, pub_cloud, cloud_msg(scan_m, T0_NS + 50_000_000, lidar_frame))
    for index in (0, 1):
        stamp = _send(pub_img, pub_info, truth_m, index)
        np.testing.assert_allclose(depth_from_image(_of(outs["depth"], stamp)), network_depth(truth_m), rtol=1e-6)
    why = f"no /tf_static transform from the metric cloud's frame '{lidar_frame}' to the image's 'cam_optical' yet"
    message, values = _status(diag, node, frames_not_metric="2")
    assert values["depth_is_metric"] == "False" and values["scale"] == "nan" and values["scale_reason"] == why
    assert "1 x metric_cloud_no_transform" in message and values["rejected"] == "1"
    # a cloud without an x field: dropped with the reason, counted
    _put_cloud(node, pub_cloud, cloud_msg(scan_m, T0_NS + 2 * PERIOD_NS, CAMERA_FRAME, names=("range", "y", "z")))
    stamp = _send(pub_img, pub_info, truth_m, 2)
    _of(outs["depth"], stamp)
    message, values = _status(diag, node, frames_not_metric="3")
    assert values["scale_reason"].startswith("metric cloud dropped: invalid fields=['intensity', 'range', 'y', 'z']: "
                                             "no field named 'x'")
    assert "1 x invalid_metric_cloud" in message and "\n" not in values["scale_reason"]
    # once /tf_static has the lidar, the same node scales the next frame
    publish_tf_static(helper, lidar_frame)
    wait_until(lambda: node.static_tf.lookup(CAMERA_FRAME, lidar_frame) is not None, what="/tf_static")
    _put_cloud(node, pub_cloud, cloud_msg(scan_m, T0_NS + 3 * PERIOD_NS, lidar_frame))
    stamp = _send(pub_img, pub_info, truth_m, 3)
    _of(outs["points"], stamp)
    assert [stamp_to_ns(m.header.stamp) for m in outs["points"].messages] == [stamp]  # the only cloud out
    depth_m = depth_from_image(_of(outs["depth"], stamp))
    assert np.max(np.abs(depth_m / truth_m - 1.0)) < 0.002
    _, values = _status(diag, node, frames_metric="1")
    assert values["depth_is_metric"] == "True" and values["scale_reason"] == "ok"
    assert node.rejects.counts == {"metric_cloud_no_transform": 1, "invalid_metric_cloud": 1}


def test_static_tree_resolves_through_the_common_ancestor():
    tree = StaticTfTree()
    tree.add("base_link", "camera_link", se3(np.eye(3), (0.5, 0.0, 1.5)))
    tree.add("camera_link", CAMERA_FRAME, base_from_optical((0, 0, 0), (0, 0, 0)))
    tree.add("base_link", "lidar", T_BASE_LIDAR)
    np.testing.assert_allclose(tree.lookup(CAMERA_FRAME, "lidar"), T_CAMERA_LIDAR, atol=1e-12)
    np.testing.assert_allclose(tree.lookup("lidar", CAMERA_FRAME), se3_inverse(T_CAMERA_LIDAR), atol=1e-12)
    np.testing.assert_allclose(tree.lookup("lidar", "lidar"), np.eye(4))
    assert tree.lookup(CAMERA_FRAME, "map") is None and tree.lookup("odom", "lidar") is None


@pytest.mark.parametrize("params, name, text", [
    ({"scale_source": "depth_topic", "metric_cloud_topic": "bad topic"}, "metric_cloud_topic", "not a valid"),
    ({"scale_source": "depth_topic"}, "metric_depth_topic", "(or set metric_cloud_topic)"),
])
def test_cloud_parameter_errors_name_the_parameter(params, name, text):
    with pytest.raises(ConfigError) as info:
        build_config(DepthNodeConfig, DEPTH_PARAMS, params)
    assert info.value.name == name and text in str(info.value) and "\n" not in str(info.value)


def test_a_cloud_topic_alone_is_a_depth_topic_source():
    config = build_config(DepthNodeConfig, DEPTH_PARAMS, {"scale_source": "depth_topic",
                                                          "metric_cloud_topic": "/lidar/points"})
    assert config.metric_sources_text == "the cloud on /lidar/points (through /tf_static)"


def test_an_invalid_cloud_topic_stops_the_console_script():
    code = ("import sys; from mono_depth_ros.nodes.depth_node import main; sys.exit(main(['depth_node', "
            "'--ros-args', '-p', 'scale_source:=depth_topic', '-p', 'metric_cloud_topic:=/lidar/points/']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if "cannot start" in line]
    assert len(lines) == 1 and "invalid parameter metric_cloud_topic='/lidar/points/'" in lines[0], proc.stderr


@pytest.mark.parametrize("source", ["auto", "parameters"])
def test_camera_height_up_direction_from_a_urdf_chain(graph, carded_onnx, source):
    """scale_source camera_height with camera_rpy_rad saying 0.5 rad pitched down where the robot's
    /tf_static chain (a URDF) says level, as the street was rendered. auto (the default) takes the
    chain and gets the scale; parameters fits the ground with the wrong up direction and does not."""
    base = f"base_{abs(hash(graph.namespace)) % 10**6}"  # its own tree: no other test's transforms
    helper = graph.helper()
    pub = helper.create_publisher(TFMessage, "/tf_static", tf_static_qos())
    pub.publish(make_tf_message([make_transform_stamped(T_BASE_CAMERA, base, CAMERA_FRAME, T0_NS,
                                                        msg_cls=TransformStamped)], msg_cls=TFMessage))
    node = _node(graph, carded_onnx, scale_source="camera_height", camera_height_m=CAMERA_HEIGHT_M, base_frame=base,
                 camera_rpy_rad=[0.0, 0.5, 0.0], **({} if source == "auto" else {"extrinsic_source": source}))
    if source == "auto":
        wait_until(lambda: node.static_tf.lookup(base, CAMERA_FRAME) is not None, what="the URDF's chain taken")
    pub_img, pub_info, outs = _io(graph, node)
    diag = Collector(helper, DiagnosticArray, "/diagnostics", 50)
    truth_m = street_depth_m()
    stamp = _send(pub_img, pub_info, truth_m, 0)
    depth_m = depth_from_image(_of(outs["depth"], stamp))
    _, values = _status(diag, node, **({"frames_metric": "1"} if source == "auto" else {"frames_not_metric": "1"}))
    assert values["scale_up_from"] == ("tf_static" if source == "auto" else "parameters")
    if source == "auto":
        assert float(values["scale"]) == pytest.approx(TRUE_SCALE, rel=0.02)
        assert np.median(np.abs(depth_m / truth_m - 1.0)) < 0.01
    else:
        assert values["scale_reason"].startswith("no ground plane found")
        np.testing.assert_allclose(depth_m, network_depth(truth_m), rtol=1e-6)  # no scale: the network's depth
