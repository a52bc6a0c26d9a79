"""depth_node's ``scale_source`` (issue 14) on a real rclpy graph, and li2020's odometry scaled by it.

The network is a one-layer ONNX with a model card (output kind depth_up_to_scale) whose output is
the depth the test wrote into the image: ``256 R + G`` over 255, the pixels holding the true depth
in 2 mm steps. So the network predicts the true depth times 500 / 255, and the right metric scale
is ``TRUE_SCALE`` = 0.51; every expected number below follows from the scene by hand.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticArray
from nav_msgs.msg import Odometry
from sensor_msgs.msg import Image

from mono_depth_ros.core.depth import depth_from_image, depth_to_image
from mono_depth_ros.core.pointcloud import pointcloud2_to_xyz
from mono_depth_ros.core.stamps import make_header, stamp_to_ns
from mono_depth_ros.nodes.depth_config import DEPTH_PARAMS, DepthNodeConfig
from mono_depth_ros.nodes.params import ConfigError, build_config
from mono_depth_ros.nodes.qos import make_qos

from .conftest import Collector, add_depth_node, depth_node_io, make_image, make_info, require_inference, wait_until

T0_NS = 1_700_000_000_000_000_000
PERIOD_NS = 100_000_000
W, H, FOCAL_PX = 128, 96, 100.0
CX, CY = (W - 1) / 2.0, (H - 1) / 2.0  # conftest.make_info's principal point
CAMERA_HEIGHT_M = 1.5
UNITS_PER_M = 500  # the image holds the depth in 2 mm steps
TRUE_SCALE = 255 / UNITS_PER_M  # metres per network unit: the network outputs q / 255
CARD = """\
name: tiny_up_to_scale
input:
  name: image
  mean: [0.0, 0.0, 0.0]
  std: [1.0, 1.0, 1.0]
  size: {fixed: [96, 128]}
output:
  name: depth
  kind: depth_up_to_scale
  shape: 1x1xHxW
"""


@pytest.fixture(scope="module")
def carded_onnx(tmp_path_factory):
    """``decode.onnx``: one 1x1 convolution, depth = 256 x_R + x_G (x = pixel / 255), beside its card."""
    require_inference()
    import onnx
    from onnx import TensorProto, helper

    weights = helper.make_tensor("w", TensorProto.FLOAT, [1, 3, 1, 1], [256.0, 1.0, 0.0])
    graph = helper.make_graph([helper.make_node("Conv", ["image", "w"], ["depth"])], "decode",
                              [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, H, W])],
                              [helper.make_tensor_value_info("depth", TensorProto.FLOAT, [1, 1, H, W])],
                              initializer=[weights])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    folder = tmp_path_factory.mktemp("scale_node")
    onnx.save(model, str(folder / "decode.onnx"))
    (folder / "decode.card.yaml").write_text(CARD)
    return folder / "decode.onnx"


def street_depth_m() -> np.ndarray:
    """(H, W) true depth of a level camera 1.5 m above a flat road, a facade 40 m ahead above the
    horizon and where the road is farther, and a car's back 8 m ahead in the lower right."""
    v = np.arange(H, dtype=np.float64)[:, None] - CY
    with np.errstate(divide="ignore"):
        road_m = np.where(v > 0, CAMERA_HEIGHT_M * FOCAL_PX / np.where(v > 0, v, 1.0), np.inf)
    depth_m = np.minimum(np.broadcast_to(road_m, (H, W)), 40.0).copy()
    car = depth_m[:, 90:120]
    car[(np.arange(H)[:, None] > 40) & (car > 8.0)] = 8.0
    return depth_m


def wall_depth_m() -> np.ndarray:
    """(H, W) a wall 5 m ahead filling the view, slightly wavy: no ground to see."""
    return 5.0 + 0.2 * np.sin(np.arange(W) / 9.0)[None, :].repeat(H, axis=0)


def encode(depth_m: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8: the depth in 2 mm steps, q = 256 R + G."""
    q = np.rint(depth_m * UNITS_PER_M).astype(np.int64)
    rgb = np.zeros((H, W, 3), np.uint8)
    rgb[..., 0], rgb[..., 1] = q // 256, q % 256
    return rgb


def network_depth(depth_m: np.ndarray) -> np.ndarray:
    """What the network publishes without a scale: q / 255 (the normalised, up-to-scale depth)."""
    return (np.rint(depth_m * UNITS_PER_M) / 255.0).astype(np.float32)


def _node(graph, carded_onnx, **params):
    return add_depth_node(graph, {"card": carded_onnx}, spec="card", method="li2020", backend="onnxruntime",
                          diagnostics_period_s=0.1, **params)


def _diagnostics(helper, node) -> Collector:
    return Collector(helper, DiagnosticArray, "/diagnostics", 50)


def _status(diag: Collector, node, **expected: str) -> dict[str, str]:
    """Values of the first /diagnostics status of ``node`` whose values include ``expected``."""
    name = node.get_fully_qualified_name()

    def values(msg) -> dict[str, str]:
        return {kv.key: kv.value for s in msg.status if s.hardware_id == name for kv in s.values}
    msg = diag.wait_for(1, where=lambda m: all(values(m).get(k) == v for k, v in expected.items()))[0]
    return values(msg)


def _io(graph, node):
    """depth_node_io's publishers and collectors, once the node holds the camera_info (the image
    and camera_info callbacks run on different executor threads: no race on the first frame)."""
    pub_img, pub_info, outs = depth_node_io(graph, node)
    pub_info.publish(make_info(W, H, T0_NS, fx=FOCAL_PX))
    wait_until(lambda: node.camera.latest is not None, what="camera_info taken")
    return pub_img, pub_info, outs


def _send(pub_img, pub_info, depth_m: np.ndarray, index: int) -> int:
    stamp = T0_NS + index * PERIOD_NS
    pub_info.publish(make_info(W, H, stamp, fx=FOCAL_PX))
    pub_img.publish(make_image(encode(depth_m), stamp))
    return stamp


def _of(collector: Collector, stamp: int):
    return collector.wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0]


def test_camera_height_publishes_metric_depth_and_points(graph, carded_onnx):
    node = _node(graph, carded_onnx, scale_source="camera_height", camera_height_m=CAMERA_HEIGHT_M)
    assert node.get_parameter("depth_is_metric").value is True  # the configuration can deliver metres
    pub_img, pub_info, outs = _io(graph, node)
    diag = _diagnostics(graph.helper(), node)
    truth_m = street_depth_m()
    stamp = _send(pub_img, pub_info, truth_m, 0)
    depth_m = depth_from_image(_of(outs["depth"], stamp))
    assert np.isfinite(depth_m).all()
    assert np.max(np.abs(depth_m / truth_m - 1.0)) < 0.05  # metric within 5 % on every pixel
    assert np.median(np.abs(depth_m / truth_m - 1.0)) < 0.01
    z = pointcloud2_to_xyz(_of(outs["points"], stamp))[..., 2]
    np.testing.assert_allclose(z, depth_m, rtol=1e-6)  # the cloud is the metric depth
    values = _status(diag, node, depth_is_metric="True")
    assert values["scale_source"] == "camera_height" and values["scale_reason"] == "ok"
    assert float(values["scale"]) == pytest.approx(TRUE_SCALE, rel=0.02)
    assert float(values["scale_inlier_fraction"]) > 0.5 and float(values["scale_tilt_deg"]) < 1.0
    assert values["metric"] == "False" and values["frames_metric"] == "1"  # the network itself is not metric


def test_depth_topic_scales_by_sparse_metric_depth(graph, carded_onnx):
    metric_topic = f"{graph.namespace}/lidar/depth"
    node = _node(graph, carded_onnx, scale_source="depth_topic", metric_depth_topic=metric_topic)
    pub_img, pub_info, outs = _io(graph, node)
    helper = graph.helper()
    diag = _diagnostics(helper, node)
    pub_metric = helper.create_publisher(Image, metric_topic, make_qos("reliable", 10))
    wait_until(lambda: pub_metric.get_subscription_count() > 0, what="metric depth discovery")
    truth_m = street_depth_m()
    # before any metric depth: the network's depth as is, no cloud, and why
    stamp = _send(pub_img, pub_info, truth_m, 0)
    np.testing.assert_allclose(depth_from_image(_of(outs["depth"], stamp)), network_depth(truth_m), rtol=1e-6)
    values = _status(diag, node, frames_not_metric="1")
    assert values["depth_is_metric"] == "False"
    assert values["scale_reason"] == f"no metric depth received yet on {metric_topic}"
    # a lidar-like sparse depth (every 7th pixel of every 5th row, NaN elsewhere), 32FC1 then 16UC1 mm
    sparse_m = np.full((H, W), np.nan, np.float32)
    sparse_m[::5, ::7] = truth_m[::5, ::7]
    for index, encoding in ((1, "32FC1"), (2, "16UC1")):
        stamp = T0_NS + index * PERIOD_NS
        pub_metric.publish(depth_to_image(sparse_m, make_header(stamp + 20_000_000, "cam_optical"), encoding,
                                          msg_cls=Image))  # 20 ms off the frame: within the 0.1 s tolerance
        wait_until(lambda: node.metric_depth.received == index, what="metric depth received")
        _send(pub_img, pub_info, truth_m, index)
        depth_m = depth_from_image(_of(outs["depth"], stamp))
        assert np.max(np.abs(depth_m / truth_m - 1.0)) < 0.02, encoding  # metric within 2 %
        z = pointcloud2_to_xyz(_of(outs["points"], stamp))[..., 2]
        np.testing.assert_allclose(z, depth_m, rtol=1e-6)
    values = _status(diag, node, frames_metric="2")
    assert values["depth_is_metric"] == "True" and values["scale_source"] == "depth_topic"
    assert float(values["scale"]) == pytest.approx(TRUE_SCALE, rel=0.01)
    assert float(values["scale_points"]) == np.isfinite(sparse_m).sum()
    # a frame too far from the newest metric depth has none of its own: depth_up_to_scale holds the last
    stamp = _send(pub_img, pub_info, truth_m, 5)
    _of(outs["points"], stamp)
    values = _status(diag, node, frames_metric="3")
    assert values["scale_reason"].startswith("holding the last scale: the newest metric depth is 0.280 s")


def test_a_frame_without_ground_publishes_normalised_depth_and_no_cloud(graph, carded_onnx):
    node = _node(graph, carded_onnx, scale_source="camera_height", camera_height_m=CAMERA_HEIGHT_M)
    pub_img, pub_info, outs = _io(graph, node)
    diag = _diagnostics(graph.helper(), node)
    wall_m = wall_depth_m()
    wall_stamp = _send(pub_img, pub_info, wall_m, 0)
    np.testing.assert_allclose(depth_from_image(_of(outs["depth"], wall_stamp)), network_depth(wall_m), rtol=1e-6)
    values = _status(diag, node, frames_not_metric="1")
    assert values["depth_is_metric"] == "False" and values["scale"] == "nan"
    assert values["scale_reason"].startswith("no ground plane found")
    # the next frame (a street) gets a scale and a cloud; clouds arrive in order on one reliable
    # publisher, so the wall's would have arrived before it
    street_stamp = _send(pub_img, pub_info, street_depth_m(), 1)
    _of(outs["points"], street_stamp)
    assert [stamp_to_ns(m.header.stamp) for m in outs["points"].messages] == [street_stamp]
    assert node.scale_report.frames_metric == 1 and node.scale_report.frames_not_metric == 1


@pytest.fixture(scope="module")
def metric_onnx(carded_onnx, tmp_path_factory):
    """The same network under a card that calls its output metres (kind metric_depth): a metric
    network whose metres are 500 / 255 = 1.96 times the truth, as eigen2014's are off by about 2 on
    real cameras (README, "On real frames")."""
    folder = tmp_path_factory.mktemp("metric_node")
    shutil.copy(carded_onnx, folder / "decode.onnx")
    (folder / "decode.card.yaml").write_text(CARD.replace("tiny_up_to_scale", "tiny_metric")
                                             .replace("depth_up_to_scale", "metric_depth"))
    return folder / "decode.onnx"


def test_camera_height_corrects_a_metric_networks_metres(graph, metric_onnx):
    node = _node(graph, metric_onnx, scale_source="camera_height", camera_height_m=CAMERA_HEIGHT_M)
    pub_img, pub_info, outs = _io(graph, node)
    diag = _diagnostics(graph.helper(), node)
    # no ground in view yet: the network's own metres, and their cloud
    wall_m = wall_depth_m()
    stamp = _send(pub_img, pub_info, wall_m, 0)
    own_m = depth_from_image(_of(outs["depth"], stamp))
    np.testing.assert_allclose(own_m, network_depth(wall_m), rtol=1e-6)
    np.testing.assert_allclose(pointcloud2_to_xyz(_of(outs["points"], stamp))[..., 2], own_m, rtol=1e-6)
    values = _status(diag, node, frames_metric="1")
    assert values["depth_is_metric"] == "True" and values["scale_from"] == "network"
    assert values["scale_source"] == "camera_height" and values["scale_reason"].startswith("the network's own metres: no ground plane found"), values
    # the street: its ground 1.5 m below corrects the metres by 0.51
    truth_m = street_depth_m()
    stamp = _send(pub_img, pub_info, truth_m, 1)
    depth_m = depth_from_image(_of(outs["depth"], stamp))
    assert np.max(np.abs(depth_m / truth_m - 1.0)) < 0.05 and np.median(np.abs(depth_m / truth_m - 1.0)) < 0.01
    np.testing.assert_allclose(pointcloud2_to_xyz(_of(outs["points"], stamp))[..., 2], depth_m, rtol=1e-6)
    values = _status(diag, node, frames_metric="2")
    assert values["scale_from"] == "camera_height" and values["metric"] == "True" and values["scale_reason"] == "ok"
    assert float(values["scale"]) == pytest.approx(TRUE_SCALE, rel=0.02)


@pytest.mark.parametrize("params, name, text", [
    ({"scale_source": "camera_height", "camera_height_m": 0.0}, "camera_height_m", "must be >= 0.01"),
    ({"camera_height_m": -1.5}, "camera_height_m", "must be >= 0.01"),
    ({"scale_source": "lidar"}, "scale_source", "must be one of ['none', 'camera_height', 'depth_topic']"),
    ({"scale_source": "depth_topic"}, "metric_depth_topic", "must name a metric depth image topic"),
    ({"scale_source": "depth_topic", "metric_depth_topic": "bad topic"}, "metric_depth_topic", "not a valid"),
])
def test_scale_parameter_errors_name_the_parameter(params, name, text):
    with pytest.raises(ConfigError) as info:
        build_config(DepthNodeConfig, DEPTH_PARAMS, params)
    assert info.value.name == name and text in str(info.value) and "\n" not in str(info.value)


def test_depth_topic_without_topic_stops_the_node_and_the_console_script(graph, carded_onnx):
    with pytest.raises(ConfigError) as info:
        _node(graph, carded_onnx, scale_source="depth_topic")
    assert info.value.name == "metric_depth_topic"
    code = ("import sys; from mono_depth_ros.nodes.depth_node import main; "
            "sys.exit(main(['depth_node', '--ros-args', '-p', 'scale_source:=depth_topic']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if "cannot start" in line]
    assert lines == ["[mono_depth_ros] cannot start: invalid parameter metric_depth_topic='': must name a metric "
                     "depth image topic with scale_source depth_topic (or set metric_cloud_topic)"]


def test_pipeline_shares_depth_only_with_the_built_in_li2020_network(graph, carded_onnx, light_checkpoints):
    from mono_depth_ros.nodes.pipeline import build_pipeline

    common = {"image_topic": f"{graph.namespace}/cam/image_raw", "method": "li2020", "backend": "torch",
              "motion_model_path": str(light_checkpoints["li2020_motion"]),
              "depth_model_path": str(light_checkpoints["li2020_depth"])}
    for model_path, shared in ((str(carded_onnx), False), (str(light_checkpoints["li2020_depth"]), True)):
        backend = "onnxruntime" if model_path.endswith(".onnx") else "torch"
        depth, ego = build_pipeline(namespace=graph.namespace, context=graph.context,
                                    parameter_overrides=dict(common, model_path=model_path, backend=backend))
        try:
            assert (ego.depth_cache is not None) == shared and (ego.depth_estimator is None) == shared
        finally:
            ego.destroy_node()
            depth.destroy_node()


class _Motion:
    """A motion estimator that always reports the camera 0.1 (its unit) forward per frame."""

    backend_description = "test motion"
    resize_mode = "crop"

    class backend:  # noqa: N801 - what checked_precision reads
        effective_precision = "fp32"

    def estimate(self, rgb_a, depth_a, rgb_b, depth_b, intrinsics=None):
        from mono_depth_ros.core.transforms import se3, se3_inverse
        from mono_depth_ros.inference.ego_motion_estimator import EgoMotionResult

        return EgoMotionResult(T_b_from_a=se3_inverse(se3(np.eye(3), (0.0, 0.0, 0.1))),
                               residual_translation=np.zeros((4, 4, 3), np.float32), intrinsics=None)


def test_odometry_translations_follow_the_depth_scale_and_hold_it(graph):
    from mono_depth_ros.nodes.depth_cache import CachedDepth, DepthCache
    from mono_depth_ros.nodes.ego_motion_node import EgoMotionNode

    cache = DepthCache()
    ego = graph.add(EgoMotionNode("ego_scale", namespace=graph.namespace, context=graph.context, depth_cache=cache,
                                  motion_estimator=_Motion(), parameter_overrides={
                                      "odom_frame": "odom_s", "base_frame": "base_s", "scale": 1.0}))
    helper = graph.helper()
    odom = Collector(helper, Odometry, f"{graph.namespace}/ego_scale/odometry", make_qos("reliable", 10))
    wait_until(lambda: ego.pub_odom.get_subscription_count() > 0, what="discovery")
    rgb, depth = np.zeros((H, W, 3), np.uint8), np.ones((H, W), np.float32)
    # per frame: the depth's metric scale (None: this frame has none) -> base x after the frame
    scales, expected_x = (None, None, 2.0, None, 3.0), (0.0, 0.1, 0.3, 0.5, 0.8)
    for i, scale in enumerate(scales):
        stamp = T0_NS + i * PERIOD_NS
        cache.put(CachedDepth(stamp, depth, "li2020_depth", False, rgb=rgb, header=make_header(stamp, "cam_s"),
                              metric_scale=scale))
        odom.wait_for(i + 1)
    x = [m.pose.pose.position.x for m in odom.messages]
    np.testing.assert_allclose(x, expected_x, atol=1e-9)  # scale 1 (parameter), 2, 2 held, 3
    stats = ego.stats()
    assert stats["scale"] == 3.0 and stats["scale_from"] == "depth" and stats["metric"] is True
