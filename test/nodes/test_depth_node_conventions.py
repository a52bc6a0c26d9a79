"""depth_node conventions on a real rclpy graph: parameter types, implausible intrinsics, frames
lost before the node, camera_info with every depth, effective precision on /diagnostics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticArray
from sensor_msgs.msg import CameraInfo, Image

from mono_depth_ros.core.camera import intrinsics_from_camera_info
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.stamps import stamp_to_ns
from mono_depth_ros.nodes.depth_config import check_plausible_intrinsics
from mono_depth_ros.nodes.diagnostics import StampGapMeter
from mono_depth_ros.nodes.qos import make_qos

from .conftest import Collector, make_image, make_info, require_inference, rgb_frame, wait_until

T0_NS = 1_700_000_000_000_000_000
PERIOD_NS = 33_333_333  # 30 Hz


def _node(graph, checkpoints, **params):
    require_inference()
    from mono_depth_ros.nodes.depth_node import DepthNode

    overrides = {"image_topic": f"{graph.namespace}/cam/image_raw", "method": "eigen2014", "backend": "torch",
                 "model_path": str(checkpoints["eigen2014"]), "input_reliability": "reliable", "input_depth": 50,
                 "diagnostics_period_s": 0.1}
    overrides.update(params)
    return graph.add(DepthNode("depth_node", namespace=graph.namespace, context=graph.context,
                               parameter_overrides=overrides))


def test_integer_for_a_double_parameter_is_a_double(graph, light_checkpoints):
    node = _node(graph, light_checkpoints, max_range_m=5, colormap_max_depth_m=0)
    assert node.config.max_range_m == 5.0 and isinstance(node.config.max_range_m, float)
    assert node.get_parameter("max_range_m").value == 5.0


@pytest.mark.parametrize("fx", [1e-300, 1e300, 0.5, 1e6])
def test_implausible_focal_lengths_are_rejected_without_numpy_warnings(fx):
    info = make_info(640, 480, T0_NS, fx=fx)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy overflow warning would fail here
        intr = intrinsics_from_camera_info(info)
        with pytest.raises(InputError, match=r"k \(fx\).*field of view"):
            check_plausible_intrinsics(intr)


def test_plausible_focal_lengths_pass():
    for fx in (50.0, 320.0, 5000.0):  # 163, 90 and 7 degrees across 640 px
        check_plausible_intrinsics(intrinsics_from_camera_info(make_info(640, 480, T0_NS, fx=fx)))


def test_stamp_gap_meter_counts_frames_missing_at_the_camera_rate():
    meter = StampGapMeter()
    kept = [i for i in range(100) if i % 10 != 7]  # every tenth frame lost
    for i in kept:
        meter.add(T0_NS + i * PERIOD_NS + (i % 3) * 1_000_000)  # 0-2 ms jitter
    assert meter.lost == 10  # frames 7, 17, ..., 97 (the rate is known after 5 intervals)
    assert meter.rate_hz() == pytest.approx(30.0, rel=0.005)  # the jitter cancels (a median said 29.1)
    for i in (200, 201):  # a pause of ~3 s is a restart, not 98 lost frames
        meter.add(T0_NS + i * PERIOD_NS)
    meter.add(T0_NS)  # backwards: a restart, nothing counted
    assert (meter.lost, meter.restarts) == (10, 2)


def _stream(meter, first_ns, frames, period_ns=PERIOD_NS, skip=(), jitter_ms=0.0, seed=0):
    rng = np.random.default_rng(seed)
    for i in range(frames):
        if i not in skip:
            meter.add(first_ns + i * period_ns + int(rng.normal(0.0, jitter_ms * 1e6)))
    return first_ns + (frames - 1) * period_ns


def test_stamp_gap_meter_counts_a_camera_restart_as_a_restart_not_as_losses():
    """A driver restarted 0.41 s (12.3 periods, under the 30 of a pause) after its last frame
    starts a new grid: a restart, 0 frames lost (it counted 11), and the meter learns the new rate."""
    meter = StampGapMeter()
    last = _stream(meter, T0_NS, 40, skip=(20,))  # one frame really lost
    assert (meter.lost, meter.restarts) == (1, 0)
    restart = last + int(12.3 * PERIOD_NS)
    _stream(meter, restart, 3, period_ns=2 * PERIOD_NS)  # back at 15 Hz
    assert (meter.lost, meter.restarts) == (1, 1)
    assert meter.rate_hz() == 0.0  # too few intervals of the new stream yet
    last = _stream(meter, restart + 3 * 2 * PERIOD_NS, 9, period_ns=2 * PERIOD_NS, skip=(5, 6))
    assert meter.rate_hz() == pytest.approx(15.0, rel=1e-6)
    assert (meter.lost, meter.restarts) == (3, 1)  # two lost at 15 Hz, counted at the new rate
    _stream(meter, last - 5 * 10**9, 3)  # its clock restarted 5 s earlier: backwards
    assert (meter.lost, meter.restarts) == (3, 2)


@pytest.mark.parametrize("jitter_ms", [0.0, 0.5, 1.0, 3.0])
def test_stamp_gap_meter_keeps_runs_of_lost_frames_as_losses(jitter_ms):
    """Runs of 1-28 frames lost (an executor starved for up to a second) stay losses, on the grid
    within the stamps' jitter; with 3 ms (a tenth of a period) every gap counts as losses."""
    for seed, run in enumerate((1, 2, 5, 14, 28)):
        meter = StampGapMeter()
        _stream(meter, T0_NS, 80, skip=range(40, 40 + run), jitter_ms=jitter_ms, seed=seed)
        assert (meter.lost, meter.restarts) == (run, 0), (run, jitter_ms)


def test_node_reports_lost_frames_and_camera_info_with_every_depth(graph, light_checkpoints):
    node = _node(graph, light_checkpoints)
    helper = graph.helper()
    qos = make_qos("reliable", 50)
    ns = graph.namespace
    pub_img = helper.create_publisher(Image, f"{ns}/cam/image_raw", qos)
    pub_info = helper.create_publisher(CameraInfo, f"{ns}/cam/camera_info", qos)
    depth = Collector(helper, Image, f"{ns}/depth_node/depth/image", qos)  # depth only: info comes too
    info = Collector(helper, CameraInfo, f"{ns}/depth_node/depth/camera_info", qos)
    diag = Collector(helper, DiagnosticArray, "/diagnostics", 50)
    wait_until(lambda: pub_img.get_subscription_count() > 0 and node.pub_depth.get_subscription_count() > 0,
               what="discovery")
    pub_info.publish(make_info(128, 96, T0_NS))
    wait_until(lambda: node.camera.latest is not None, what="camera_info")
    sent = [i for i in range(30) if i not in (12, 13, 20)]  # three frames "lost upstream"
    for i in sent:
        pub_img.publish(make_image(rgb_frame(seed=i), T0_NS + i * PERIOD_NS))
    wait_until(lambda: node.slot.received == len(sent), what="frames received")
    assert node.upstream.lost == 3 and node.stats()["lost_before_node"] == 3
    wait_until(lambda: node.slot.pending == 0 and node.frames_out + node.slot.dropped == len(sent), what="drain")
    depth_stamps = [stamp_to_ns(m.header.stamp) for m in depth.wait_for(node.frames_out)]
    info_stamps = [stamp_to_ns(m.header.stamp) for m in info.wait_for(node.frames_out)]
    assert info_stamps == depth_stamps  # one camera_info per depth image, same stamps
    status = diag.wait_for(1, where=lambda m: any(kv.key == "lost_before_node" and kv.value == "3"
                                                  for s in m.status for kv in s.values))[0].status[0]
    values = {kv.key: kv.value for kv in status.values}
    assert values["precision"] == "fp32" and "drops_latest_only" in values  # beside the node's own drops
    assert "frames lost before the node" in status.message
    # the camera driver restarts 0.41 s after its last frame (12.3 periods): a restart, not 11 lost
    restart_ns = T0_NS + 29 * PERIOD_NS + int(12.3 * PERIOD_NS)
    for i in range(3):
        pub_img.publish(make_image(rgb_frame(seed=i), restart_ns + i * PERIOD_NS))
    wait_until(lambda: node.slot.received == len(sent) + 3, what="frames after the restart")
    assert (node.upstream.lost, node.upstream.restarts) == (3, 1)
    diag.wait_for(1, where=lambda m: any(kv.key == "stream_restarts" and kv.value == "1"
                                         for s in m.status for kv in s.values))


def test_idle_node_does_not_report_no_output(graph, light_checkpoints):
    """Frames arrive but nobody subscribes to any output: nothing computed, and that is fine."""
    node = _node(graph, light_checkpoints)
    helper = graph.helper()
    pub_img = helper.create_publisher(Image, f"{graph.namespace}/cam/image_raw", make_qos("reliable", 10))
    diag = Collector(helper, DiagnosticArray, "/diagnostics", 50)
    wait_until(lambda: pub_img.get_subscription_count() > 0, what="discovery")
    for i in range(3):
        pub_img.publish(make_image(rgb_frame(seed=i), T0_NS + i * PERIOD_NS))
    wait_until(lambda: node.slot.received == 3 and node.slot.pending == 0, what="frames taken")
    reports = diag.wait_for(2, where=lambda m: any(kv.key == "frames_in" and kv.value == "3"
                                                   for s in m.status for kv in s.values))
    assert all("no output yet" not in r.status[0].message for r in reports)
    assert node.frames_out == 0 and node.frames_attempted == 0


def test_pipeline_without_depth_subscribers_does_not_report_no_output(graph, light_checkpoints):
    """In mono_depth_pipeline depth_node computes li2020 depth for ego_motion_node even when nobody
    subscribes to its own outputs: its /diagnostics must not call that "no output yet"."""
    require_inference()
    from nav_msgs.msg import Odometry

    from mono_depth_ros.nodes.pipeline import build_pipeline

    depth, ego = build_pipeline(namespace=graph.namespace, context=graph.context, parameter_overrides={
        "image_topic": f"{graph.namespace}/cam/image_raw", "method": "li2020", "backend": "torch",
        "model_path": str(light_checkpoints["li2020_depth"]), "motion_model_path": str(light_checkpoints["li2020_motion"]),
        "input_reliability": "reliable", "input_depth": 50, "diagnostics_period_s": 0.1})
    graph.add(depth)
    graph.add(ego)
    helper = graph.helper()
    pub_img = helper.create_publisher(Image, f"{graph.namespace}/cam/image_raw", make_qos("reliable", 10))
    odom = Collector(helper, Odometry, f"{graph.namespace}/ego_motion_node/odometry", 10)
    diag = Collector(helper, DiagnosticArray, "/diagnostics", 50)
    wait_until(lambda: pub_img.get_subscription_count() > 0, what="discovery")
    for i in range(3):
        pub_img.publish(make_image(rgb_frame(seed=i), T0_NS + i * PERIOD_NS))
    odom.wait_for(2)  # the ego-motion side got the shared depth of the frames
    ours = depth.get_fully_qualified_name()
    reports = diag.wait_for(2, where=lambda m: any(s.hardware_id == ours and kv.key == "frames_in"
                                                   and kv.value == "3" for s in m.status for kv in s.values))
    messages = [s.message for r in reports for s in r.status if s.hardware_id == ours]
    assert messages and all("no output yet" not in m for m in messages), messages
