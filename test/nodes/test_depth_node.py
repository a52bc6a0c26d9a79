"""depth_node on a real rclpy graph: outputs, point cloud geometry, latest-frame-only, bad input."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from mono_depth_ros.core.camera import intrinsics_from_camera_info
from mono_depth_ros.core.depth import depth_from_image
from mono_depth_ros.core.pointcloud import backproject_depth, pointcloud2_to_xyz
from mono_depth_ros.core.stamps import stamp_to_ns

from .conftest import add_depth_node, advertised_topics, depth_node_io, make_image, make_info, publish_info, \
    rgb_frame, wait_until

T0_NS = 1_700_000_000_000_000_000
W, H = 128, 96


def _depth_node(graph, checkpoints, **params):
    return add_depth_node(graph, checkpoints, **params)


def _io(graph, node):
    pub_img, pub_info, outs = depth_node_io(graph, node)
    return pub_img, pub_info, outs["depth"], outs["points"], outs["info"]


def _send_valid(node, pub_img, pub_info, depth, index, size=(W, H)):
    stamp = T0_NS + index * 100_000_000
    publish_info(pub_info, make_info(size[0], size[1], stamp), node)
    pub_img.publish(make_image(rgb_frame(*size, seed=index), stamp))
    return depth.wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0]


def test_depth_points_and_camera_info(graph, light_checkpoints):
    node = _depth_node(graph, light_checkpoints)
    pub_img, pub_info, depth, points, info = _io(graph, node)
    out = _send_valid(node, pub_img, pub_info, depth, 0)
    assert stamp_to_ns(out.header.stamp) == T0_NS and out.header.frame_id == "cam_optical"
    assert (out.width, out.height, out.encoding) == (W, H, "32FC1")
    depth_m = depth_from_image(out)
    # resize_mode crop: the 4:3 image is cropped to the 5:4 network input, 4 columns each side unseen
    assert np.isfinite(depth_m[:, 4:-4]).all() and (depth_m[:, 4:-4] > 0).all()
    assert np.isnan(depth_m[:, :4]).all() and np.isnan(depth_m[:, -4:]).all()
    cloud = points.wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == T0_NS)[0]
    assert cloud.header.frame_id == "cam_optical" and (cloud.width, cloud.height) == (W, H)
    cam = info.wait_for(1)[0]
    intr = intrinsics_from_camera_info(cam)
    assert (intr.width, intr.height, intr.fx) == (W, H, 100.0)
    expected = backproject_depth(depth_m, intr)
    np.testing.assert_allclose(pointcloud2_to_xyz(cloud), expected, rtol=1e-6, atol=1e-6)
    assert node.stats()["frames_out"] == 1


def test_camera_info_follows_a_recalibration(graph, light_checkpoints):
    """~/depth/camera_info is built once per intrinsics and reused: each depth gets its own stamp,
    and a new calibration (fx 100 -> 140) shows in the next frame's camera_info."""
    node = _depth_node(graph, light_checkpoints)
    pub_img, pub_info, depth, points, info = _io(graph, node)
    got = {}
    for index, fx in enumerate((100.0, 100.0, 140.0)):
        stamp = T0_NS + index * 100_000_000
        publish_info(pub_info, make_info(W, H, stamp, fx=fx), node)
        pub_img.publish(make_image(rgb_frame(W, H, seed=index), stamp))
        cam = info.wait_for(1, where=lambda m, s=stamp: stamp_to_ns(m.header.stamp) == s)[0]
        got[stamp] = intrinsics_from_camera_info(cam).fx
    assert list(got.values()) == [100.0, 100.0, 140.0]


def test_burst_keeps_queue_bounded_and_counts_drops(graph, light_checkpoints):
    node = _depth_node(graph, light_checkpoints, input_depth=100)
    pub_img, pub_info, depth, points, info = _io(graph, node)
    publish_info(pub_info, make_info(W, H, T0_NS), node)
    frames = [make_image(rgb_frame(seed=i), T0_NS + i * 16_666_667) for i in range(60)]
    # The 60 Hz-stamped frames go out back to back (faster than real time), so drops do not
    # depend on how fast this machine runs the model.
    for frame in frames:
        pub_img.publish(frame)
    wait_until(lambda: node.slot.received == 60, what="60 frames received")
    wait_until(lambda: node.slot.pending == 0 and node.frames_out + node.slot.dropped == 60, what="drain")
    assert node.slot.max_pending <= 1
    assert node.slot.dropped > 0, "processing kept up with 60 Hz: no drops to count"
    assert node.frames_out == 60 - node.slot.dropped
    stamps = [stamp_to_ns(m.header.stamp) for m in depth.wait_for(node.frames_out)]  # all delivered
    assert stamps == sorted(stamps) and stamps[-1] == stamp_to_ns(frames[-1].header.stamp)


def _fire_and_expect_reject(node, publish, reason):
    before = node.rejects.counts[reason]
    publish()
    wait_until(lambda: node.rejects.counts[reason] > before, what=f"reject {reason}")


def test_bad_input_is_dropped_and_node_keeps_answering(graph, light_checkpoints):
    node = _depth_node(graph, light_checkpoints)
    pub_img, pub_info, depth, points, info = _io(graph, node)
    _send_valid(node, pub_img, pub_info, depth, 0)
    # bad frame of case i has stamp index 10*i + 1, the valid frame after it 10*i + 2 (increasing)
    unknown = make_image(rgb_frame(), T0_NS + 11 * 10**8)
    unknown.encoding = "weird8"
    short = make_image(rgb_frame(), T0_NS + 21 * 10**8)
    short.data = bytes(10)
    empty = make_image(rgb_frame(), T0_NS + 31 * 10**8)
    empty.height, empty.width, empty.step, empty.data = 0, 0, 0, b""
    cases = [(unknown, "invalid_encoding"), (short, "invalid_data"), (empty, "invalid_height")]
    for index, (bad, reason) in enumerate(cases, start=1):
        _fire_and_expect_reject(node, lambda b=bad: pub_img.publish(b), reason)
        _send_valid(node, pub_img, pub_info, depth, 10 * index + 2)
    zero_f = make_info(W, H, T0_NS)
    zero_f.k[0] = 0.0
    nan_k = make_info(W, H, T0_NS)
    nan_k.k[2] = float("nan")
    huge_f, tiny_f = make_info(W, H, T0_NS), make_info(W, H, T0_NS)
    huge_f.k[0], tiny_f.k[4] = 1e300, 1e-300  # implausible focal lengths: no field of view at all
    for index, bad_info in ((42, zero_f), (52, nan_k), (62, huge_f), (72, tiny_f)):
        _fire_and_expect_reject(node, lambda b=bad_info: pub_info.publish(b), "invalid_camera_info")
        _send_valid(node, pub_img, pub_info, depth, index)
    backwards = make_image(rgb_frame(), T0_NS)  # older than the frames already processed
    _fire_and_expect_reject(node, lambda: pub_img.publish(backwards), "invalid_header.stamp")
    # camera_info that does not match the image: dropped, depth still published, points skipped
    pub_info.publish(make_info(W * 2, H * 2, T0_NS))
    wait_until(lambda: node.camera.latest is not None and node.camera.latest.width == W * 2, what="big info")
    stamp = T0_NS + 90 * 10**8
    _fire_and_expect_reject(node, lambda: pub_img.publish(make_image(rgb_frame(), stamp)),
                            "camera_info_size_mismatch")
    depth.wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)
    # image size change mid-stream: re-initialised, output has the new size
    out = _send_valid(node, pub_img, pub_info, depth, 100, size=(96, 72))
    assert (out.width, out.height) == (96, 72)
    assert node.rejects.counts["internal_error"] == 0


def test_runtime_parameter_validation(graph, light_checkpoints):
    from rclpy.parameter import Parameter

    node = _depth_node(graph, light_checkpoints)
    assert not node.set_parameters([Parameter("point_stride_px", value=0)])[0].successful
    assert not node.set_parameters([Parameter("method", value="xian2018")])[0].successful  # read-only
    assert node.set_parameters([Parameter("point_stride_px", value=4)])[0].successful
    assert node.config.point_stride_px == 4
    assert node.get_parameter("depth_is_metric").value is True  # eigen2014: metric
    from mono_depth_ros.inference.processing import AUTO_GUIDED_FILTER
    assert node.estimator.guided_filter == AUTO_GUIDED_FILTER["eigen2014"]  # the default, auto
    assert node.set_parameters([Parameter("guided_filter", value="never")])[0].successful
    assert node.estimator.guided_filter is None and node.stats()["guided_filter"] == "off"
    refused = node.set_parameters([Parameter("guided_filter", value="on")])[0]
    assert not refused.successful and "guided_filter" in refused.reason and node.estimator.guided_filter is None


@pytest.mark.parametrize("ros_args, text", [
    (["-p", "model_path:=/nonexistent/model.pt"], "model_path"),
    (["-p", "method:=midas"], "method"),
    # malformed ROS arguments: rcl refuses them before any node exists
    (["-p", "image_topic:="], "invalid ROS arguments: Couldn't parse parameter override rule: '-p image_topic:='"),
    (["-r", "__ns:=bad"], "invalid ROS arguments: Couldn't parse remap rule: '-r __ns:=bad'"),
])
def test_console_script_exits_cleanly_on_bad_start(ros_args, text):
    code = ("import sys; from mono_depth_ros.nodes.depth_node import main; "
            f"sys.exit(main(['depth_node', '--ros-args', *{ros_args!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert text in proc.stderr and "Traceback" not in proc.stderr
    ours = [line for line in proc.stderr.splitlines() if line.startswith("[mono_depth_ros]")]
    assert len(ours) == 1 and "arguments.c" not in ours[0]


def test_tile_gives_depth_and_points_for_the_whole_wide_image(graph, light_checkpoints):
    """``resize_mode: tile`` on a 3:1 camera: depth, cloud and camera_info for every pixel, where
    ``crop`` leaves the sides NaN."""
    node = _depth_node(graph, light_checkpoints, resize_mode="tile")
    pub_img, pub_info, depth, points, info = _io(graph, node)
    wide = (288, 96)
    out = _send_valid(node, pub_img, pub_info, depth, 0, size=wide)
    depth_m = depth_from_image(out)
    assert (out.width, out.height) == wide and np.isfinite(depth_m).all() and (depth_m > 0).all()
    cloud = points.wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == T0_NS)[0]
    expected = backproject_depth(depth_m, intrinsics_from_camera_info(info.wait_for(1)[0]))
    np.testing.assert_allclose(pointcloud2_to_xyz(cloud), expected, rtol=1e-6, atol=1e-6)


def test_a_misspelled_parameter_is_named_in_a_warning(graph, light_checkpoints):
    """An override no node declares (a typo) is reported, not silently ignored; the other node's
    parameters (launch gives both nodes of one process every argument) and rclpy's own are not."""
    node = _depth_node(graph, light_checkpoints, max_rang_m=20.0, publish_tf=False, use_sim_time=False)
    assert node.unknown_parameters == ["max_rang_m"]
    assert node.config.max_range_m == 1000.0  # the typo changed nothing


def test_points_are_advertised_only_while_a_cloud_is_possible(graph, light_checkpoints, capfd):
    """xian2018 (relative depth) with scale_source none and nonmetric_median_depth_m 0 never publishes
    a cloud: ~/points is not advertised, and the start-up log says why in one line. Setting the
    nonmetric rule at run time advertises it (a cloud comes, median depth 2 m); publish_points false
    withdraws it."""
    from rclpy.parameter import Parameter

    node = _depth_node(graph, light_checkpoints, method="xian2018", spec="xian2018")
    helper = graph.helper()
    name = node.get_fully_qualified_name()
    wait_until(lambda: f"{name}/depth/image" in advertised_topics(helper, node), what="the node in the graph")
    assert f"{name}/points" not in advertised_topics(helper, node)
    lines = [line for line in capfd.readouterr().err.splitlines() if "not advertised" in line]
    assert len(lines) == 1 and "~/points (the network is not metric and scale_source is none" in lines[0], lines
    node.set_parameters([Parameter("nonmetric_median_depth_m", value=2.0)])
    wait_until(lambda: f"{name}/points" in advertised_topics(helper, node), what="~/points advertised")
    pub_img, pub_info, depth, points, info = _io(graph, node)
    stamp = stamp_to_ns(_send_valid(node, pub_img, pub_info, depth, 0).header.stamp)
    cloud = points.wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0]
    assert np.nanmedian(pointcloud2_to_xyz(cloud)[..., 2]) == pytest.approx(2.0, rel=1e-3)
    node.set_parameters([Parameter("publish_points", value=False)])
    wait_until(lambda: f"{name}/points" not in advertised_topics(helper, node), what="~/points withdrawn")
    assert f"{name}/depth/image" in advertised_topics(helper, node)
