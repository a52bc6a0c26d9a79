"""Compressed inputs (audit findings 3 and 4): a ``.../compressedDepth`` metric_depth_topic
(image_transport's compressed_depth, decoded by core/compressed_depth.py) scales a non-metric
network exactly as the raw depth image does; and the warnings for compressed-input mistakes say
what is wrong (a message type, a name) and which parameter to set."""

from __future__ import annotations

import struct

import cv2
import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import Log
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image

from mono_depth_ros.core.compressed_depth import compressed_depth_to_depth_m
from mono_depth_ros.core.depth import depth_from_image
from mono_depth_ros.core.stamps import make_header
from mono_depth_ros.nodes.qos import make_qos

from .conftest import Collector, add_depth_node, wait_until
from .test_depth_node_scale import (PERIOD_NS, T0_NS, TRUE_SCALE, H, W, _io, _node, _of, _send,
                                    _status, carded_onnx, network_depth)  # noqa: F401 (carded_onnx: a fixture)


def compressed_depth_png(depth_mm: np.ndarray, header) -> CompressedImage:
    """A 16UC1 image as compressed_depth_image_transport's codec sends it: format
    ``16UC1; compressedDepth png``, a 12-byte ConfigHeader (int32 format INV_DEPTH = 0, float32
    depthParam[2], unused for 16UC1) and the image as a 16-bit PNG (compression level 9, its default)."""
    ok, png = cv2.imencode(".png", depth_mm, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    assert ok
    msg = CompressedImage(header=header, format="16UC1; compressedDepth png")
    msg.data = struct.pack("<iff", 0, 0.0, 0.0) + png.tobytes()
    return msg


@pytest.fixture(scope="module")
def kinect_depth_mm(shared_data) -> np.ndarray:
    """(96, 128) uint16 mm: every 5th pixel of a real Kinect depth frame (0 where it saw nothing)."""
    path = shared_data / "rgbd_kinect_5frames" / "depth" / "1.pgm"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    depth = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert depth.dtype == np.uint16 and depth.shape == (480, 640)
    return np.ascontiguousarray(depth[::5, ::5])


def test_compressed_depth_topic_names():
    from mono_depth_ros.nodes.depth_config import is_compressed_depth_topic

    assert is_compressed_depth_topic("/camera/depth/image_raw/compressedDepth")
    assert is_compressed_depth_topic("depth/compressedDepth")
    assert not is_compressed_depth_topic("/camera/depth/image_raw")
    assert not is_compressed_depth_topic("/camera/depth/compressedDepth/image")
    assert not is_compressed_depth_topic("")


def test_compressed_depth_topic_scales_like_the_raw_image(graph, carded_onnx, kinect_depth_mm):
    """The network outputs the true depth x 500 / 255 (test_depth_node_scale's card); the real Kinect
    depth, sent as compressedDepth PNG, gives the scale 255 / 500 and metric depth on every pixel."""
    assert (kinect_depth_mm.shape) == (H, W)
    valid = kinect_depth_mm > 0
    assert 0.5 < valid.mean() < 1.0  # a real frame: holes where the sensor saw nothing
    truth_m = np.where(valid, kinect_depth_mm / 1000.0, 1.0)  # what the network "sees" (holes: 1 m)
    topic = f"{graph.namespace}/camera/depth/image_raw/compressedDepth"
    node = _node(graph, carded_onnx, scale_source="depth_topic", metric_depth_topic=topic)
    pub_img, pub_info, outs = _io(graph, node)
    helper = graph.helper()
    diag = Collector(helper, DiagnosticArray, "/diagnostics", 50)
    pub_depth = helper.create_publisher(CompressedImage, topic, make_qos("reliable", 10))
    wait_until(lambda: pub_depth.get_subscription_count() > 0, what="the node's CompressedImage subscription")
    stamp = T0_NS + PERIOD_NS
    msg = compressed_depth_png(kinect_depth_mm, make_header(stamp, "cam_optical"))
    decoded = compressed_depth_to_depth_m(msg)  # the decoder reads back the millimetres
    np.testing.assert_array_equal(np.isnan(decoded), ~valid)
    np.testing.assert_allclose(decoded[valid], kinect_depth_mm[valid] / 1000.0, rtol=1e-6)
    pub_depth.publish(msg)
    wait_until(lambda: node.metric_depth.received == 1, what="the compressed depth received")
    assert _send(pub_img, pub_info, truth_m, 1) == stamp
    depth_m = depth_from_image(_of(outs["depth"], stamp))
    # metric on every pixel the Kinect saw (PNG is lossless; 1 mm against the network's 2 mm steps)
    assert np.max(np.abs(depth_m[valid] / truth_m[valid] - 1.0)) < 0.005
    scale = (depth_m[valid] / network_depth(truth_m)[valid]).mean()
    np.testing.assert_allclose(depth_m, network_depth(truth_m) * scale, rtol=1e-5)  # one scale for the whole frame
    values = _status(diag, node, frames_metric="1")
    assert values["depth_is_metric"] == "True" and values["scale_reason"] == "ok"
    assert float(values["scale"]) == pytest.approx(TRUE_SCALE, rel=0.002)
    assert int(float(values["scale_points"])) == int(valid.sum())


# ---------------------------------------------------------------- warnings for compressed-input mistakes
@pytest.fixture
def rosout(graph):
    """/rosout from the start (transient local: the start-up lines a node logs while discovery runs)."""
    qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=200, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)
    return Collector(graph.helper(), Log, "/rosout", qos)


@pytest.fixture
def camera(request):
    """A node in its own rclpy context (its own DDS participant, as a driver in another process):
    Fast DDS refuses a subscription of one type on a topic that its own participant already has
    with another type, while across participants the graph shows both."""
    import rclpy

    from .conftest import _domain_id

    context = rclpy.Context()
    rclpy.init(context=context, domain_id=_domain_id(request.module.__name__))
    node = rclpy.create_node("camera_driver", context=context)
    yield node
    node.destroy_node()
    context.try_shutdown()


@pytest.fixture
def quick_watch(monkeypatch):
    from mono_depth_ros.nodes import image_watch

    monkeypatch.setattr(image_watch, "NO_IMAGE_WARN_AFTER_S", 0.5)


def _discovered(graph, topic: str) -> None:
    """Wait until this process's participant (the depth node's) sees the driver's publisher of
    ``topic``: the watch's first warning comes 0.5 s after the node starts, and on a loaded machine
    discovery across participants can take longer than that."""
    helper = graph.helper()
    wait_until(lambda: helper.count_publishers(topic) >= 1, what=f"a publisher of {topic} discovered")


def _warning(rosout: Collector, node, text: str) -> str:
    name = node.get_logger().name
    return rosout.wait_for(1, where=lambda m: m.name == name and m.level == Log.WARN and text in m.msg)[0].msg


def test_a_compressed_topic_read_as_image_names_the_type_and_the_parameters(graph, light_checkpoints, rosout,
                                                                            quick_watch, camera):
    base = f"{graph.namespace}/cam/image_raw"
    camera.create_publisher(CompressedImage, f"{base}/compressed", make_qos("reliable", 10))
    _discovered(graph, f"{base}/compressed")
    node = add_depth_node(graph, light_checkpoints, image_topic=f"{base}/compressed")
    text = _warning(rosout, node, "no image on")
    assert text == (f"no image on {base}/compressed yet (0 publishers of sensor_msgs/msg/Image; it carries "
                    f"sensor_msgs/msg/CompressedImage): a compressed image topic: set use_compressed true and "
                    f"image_topic to its base name {base} (the node adds /compressed)")


def test_image_topic_ending_in_compressed_with_use_compressed_says_it_is_the_base_name(graph, light_checkpoints,
                                                                                      rosout, quick_watch, camera):
    base = f"{graph.namespace}/cam/image_raw"
    camera.create_publisher(CompressedImage, f"{base}/compressed", make_qos("reliable", 10))
    _discovered(graph, f"{base}/compressed")
    node = add_depth_node(graph, light_checkpoints, image_topic=f"{base}/compressed", use_compressed=True)
    expected = (f"image_topic {base}/compressed ends in /compressed with use_compressed true: image_topic is the "
                f"base name ({base}); this subscribes {base}/compressed/compressed")
    assert _warning(rosout, node, "ends in /compressed") == expected  # at start
    assert _warning(rosout, node, "no image on").endswith(f"check image_topic / remapping; {expected}")


def test_a_compressed_only_camera_suggests_use_compressed(graph, light_checkpoints, rosout, quick_watch, camera):
    base = f"{graph.namespace}/cam/image_raw"
    camera.create_publisher(CompressedImage, f"{base}/compressed", make_qos("reliable", 10))
    _discovered(graph, f"{base}/compressed")
    node = add_depth_node(graph, light_checkpoints)  # image_topic <ns>/cam/image_raw
    assert _warning(rosout, node, "no image on") == (
        f"no image on {base} yet (0 publishers): check image_topic / remapping; {base}/compressed has 1 "
        f"sensor_msgs/msg/CompressedImage publisher: set use_compressed true (image_topic stays {base})")


def test_use_compressed_on_a_raw_only_camera_suggests_turning_it_off(graph, light_checkpoints, rosout, quick_watch,
                                                                    camera):
    base = f"{graph.namespace}/cam/image_raw"
    camera.create_publisher(Image, base, make_qos("reliable", 10))
    _discovered(graph, base)
    node = add_depth_node(graph, light_checkpoints, use_compressed=True)
    assert _warning(rosout, node, "no image on") == (
        f"no image on {base}/compressed yet (0 publishers): check image_topic / remapping; {base} has 1 "
        "sensor_msgs/msg/Image publisher: set use_compressed false to read it")
