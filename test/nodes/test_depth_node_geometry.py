"""depth_node on a real rclpy graph: lens distortion (rectify before inference, every D length
OpenCV takes, image_rect topics and ``rectify``, the black border), unknown distortion models, the
scale rule of a non-metric model's cloud."""

from __future__ import annotations

import numpy as np
import pytest
from sensor_msgs.msg import CameraInfo, Image

from mono_depth_ros.core.camera import CameraIntrinsics, camera_info_from_intrinsics, intrinsics_from_camera_info
from mono_depth_ros.core.depth import depth_from_image
from mono_depth_ros.core.pointcloud import pointcloud2_to_xyz
from mono_depth_ros.core.stamps import make_header, stamp_to_ns

from .conftest import add_depth_node, depth_node_io, make_image, rgb_frame, wait_until

T0_NS = 1_700_000_000_000_000_000
W, H = 160, 128  # the eigen2014 light input's 5:4: the fit is a plain resize, so only rectification acts
# EuRoC cam0's distortion (k1 = -0.28) on a 160x128 image with a proportional focal length
DISTORTED = CameraIntrinsics(W, H, 97.6, 97.3, 78.1, 66.2, "plumb_bob",
                             (-0.28340811, 0.07395907, 0.00019359, 1.76187114e-05, 0.0))


def _node(graph, checkpoints, method="eigen2014", spec="eigen2014", **params):
    return add_depth_node(graph, checkpoints, method, spec, name="depth_geo", **params)


def _send(pub_img, pub_info, node, intr, rgb, index):
    stamp = T0_NS + index * 100_000_000
    msg = camera_info_from_intrinsics(intr, make_header(stamp, "cam_optical"), msg_cls=CameraInfo)
    pub_info.publish(msg)
    d = tuple(float(v) for v in msg.d)  # a pinhole's empty D is sent as plumb_bob's five zeros
    wait_until(lambda: node.camera.latest is not None and tuple(node.camera.latest.d) == d, what="camera_info")
    pub_img.publish(make_image(rgb, stamp))
    return stamp


def test_distorted_camera_is_rectified_before_inference(graph, light_checkpoints):
    from mono_depth_ros.core.rectify import Rectifier

    node = _node(graph, light_checkpoints)
    pub_img, pub_info, outs = depth_node_io(graph, node)
    rgb = rgb_frame(W, H, seed=3)
    stamp = _send(pub_img, pub_info, node, DISTORTED, rgb, 0)
    depth_m = depth_from_image(outs["depth"].wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0])
    info = outs["info"].wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0]
    rectifier = Rectifier.build(intrinsics_from_camera_info(
        camera_info_from_intrinsics(DISTORTED, make_header(stamp, "c"), msg_cls=CameraInfo)))
    expected = node.estimator.estimate(rectifier.apply(rgb)).depth_m
    unrectified = node.estimator.estimate(rgb).depth_m
    np.testing.assert_allclose(depth_m, expected, rtol=1e-5)
    assert np.abs(depth_m - unrectified).max() > 1e-3  # rectification changed what the network saw
    # ~/depth/camera_info describes the rectified image: no distortion, K = the new camera matrix (K)
    assert info.distortion_model == "plumb_bob" and list(info.d) == [0.0] * 5
    np.testing.assert_allclose(np.asarray(info.k).reshape(3, 3), DISTORTED.k)
    cloud = outs["points"].wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0]
    xyz = pointcloud2_to_xyz(cloud)  # pinhole back-projection with the rectified K
    u = (xyz[..., 0] / xyz[..., 2]) * DISTORTED.fx + DISTORTED.cx
    np.testing.assert_allclose(u[60, 10:150], np.arange(10, 150), atol=1e-3)
    assert node.camera._rectifiers.builds == 1 and node.stats()["unknown_distortion_model_frames"] == 0


def test_unknown_distortion_model_is_counted_and_treated_as_undistorted(graph, light_checkpoints):
    node = _node(graph, light_checkpoints)
    pub_img, pub_info, outs = depth_node_io(graph, node)
    weird = CameraIntrinsics(W, H, 97.6, 97.3, 78.1, 66.2, "kannala_brandt8", (0.1, 0.01, 0.0, 0.0))
    rgb = rgb_frame(W, H, seed=4)
    stamp = _send(pub_img, pub_info, node, weird, rgb, 1)
    depth_m = depth_from_image(outs["depth"].wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0])
    np.testing.assert_allclose(depth_m, node.estimator.estimate(rgb).depth_m, rtol=1e-5)
    info = outs["info"].wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0]
    assert info.distortion_model == "kannala_brandt8"  # the image still has it: said as received
    assert node.stats()["unknown_distortion_model_frames"] == 1 and node.rejects.total == 0
    # a D length OpenCV does not take (plumb_bob with 6) goes the same way: K kept, never a rejection
    odd = CameraIntrinsics(W, H, 97.6, 97.3, 78.1, 66.2, "plumb_bob", (-0.28, 0.07, 0.0, 0.0, 0.0, 0.01))
    rgb = rgb_frame(W, H, seed=6)
    stamp = _send(pub_img, pub_info, node, odd, rgb, 2)
    depth_m = depth_from_image(outs["depth"].wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0])
    np.testing.assert_allclose(depth_m, node.estimator.estimate(rgb).depth_m, rtol=1e-5)
    info = outs["info"].wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0]
    assert list(info.d) == list(odd.d) and np.allclose(np.asarray(info.k).reshape(3, 3), odd.k)
    stats = node.stats()
    assert (stats["unknown_distortion_model_frames"], stats["rectified_frames"], node.rejects.total) == (2, 0, 0)
    assert node.camera.problem() == "2 x unknown_distortion_model (treated as undistorted)"


@pytest.mark.parametrize("model, d", [
    ("plumb_bob", DISTORTED.d + (0.0, 0.0, 0.0)),  # 8: a driver's plumb_bob with the rational terms 0
    ("rational_polynomial", (-0.25, 0.05, 0.0004, -0.0002, 0.01, 0.02, -0.01, 0.005, 0.002, -0.001, 0.003, 0.001)),
    ("equidistant", (-0.02, 0.01, -0.004, 0.001, 0.0)),  # older realsense-ros: a fifth, zero coefficient
], ids=["plumb_bob_8", "isaac_sim_rational_12", "equidistant_5"])
def test_every_d_length_opencv_takes_is_rectified(graph, light_checkpoints, model, d):
    from mono_depth_ros.core.rectify import Rectifier

    node = _node(graph, light_checkpoints)
    pub_img, pub_info, outs = depth_node_io(graph, node)
    intr = CameraIntrinsics(W, H, 97.6, 97.3, 78.1, 66.2, model, d)
    rgb = rgb_frame(W, H, seed=10)
    stamp = _send(pub_img, pub_info, node, intr, rgb, 3)
    depth_m = depth_from_image(outs["depth"].wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0])
    rectifier = Rectifier.build(intr)
    expected = node.estimator.estimate(rectifier.apply(rgb)).depth_m
    np.testing.assert_allclose(depth_m, np.where(rectifier.valid_mask(), expected, np.nan), rtol=1e-5)
    assert np.nanmax(np.abs(depth_m - node.estimator.estimate(rgb).depth_m)) > 1e-3
    info = outs["info"].wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0]
    assert info.distortion_model == "plumb_bob" and list(info.d) == [0.0] * 5
    stats = node.stats()
    assert (stats["rectified_frames"], stats["unknown_distortion_model_frames"], node.rejects.total) == (1, 0, 0)


@pytest.mark.parametrize("image, rectify, rectified", [
    ("image_rect", "auto", False), ("image_rect_color", "always", True), ("image_raw", "never", False)],
    ids=["image_rect_auto", "image_rect_color_always", "image_raw_never"])
def test_rectify_parameter_and_image_rect_topics(graph, light_checkpoints, image, rectify, rectified):
    """image_proc's image_rect comes with the driver's raw camera_info (D, K, R, P). ``rectify`` auto
    takes it as already rectified: P's intrinsics and D zero, as image_geometry does and as the node
    reports an image it rectified itself; always rectifies it anyway; never rectifies nothing."""
    from dataclasses import replace

    from mono_depth_ros.core.rectify import Rectifier

    node = _node(graph, light_checkpoints, image_topic=f"{graph.namespace}/cam/{image}", rectify=rectify)
    assert node.config.rectify == rectify and node.get_parameter("rectify").value == rectify
    pub_img, pub_info, outs = depth_node_io(graph, node, image=image)
    p = (104.0, 0.0, 80.5, 0.0, 0.0, 103.0, 62.0, 0.0, 0.0, 0.0, 1.0, 0.0)  # not K
    raw = replace(DISTORTED, p=p)
    rgb = rgb_frame(W, H, seed=11)
    stamp = _send(pub_img, pub_info, node, raw, rgb, 4)
    depth_m = depth_from_image(outs["depth"].wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0])
    rectifier = Rectifier.build(raw)
    as_rectified = np.where(rectifier.valid_mask(), node.estimator.estimate(rectifier.apply(rgb)).depth_m, np.nan)
    as_is = node.estimator.estimate(rgb).depth_m
    np.testing.assert_allclose(depth_m, as_rectified if rectified else as_is, rtol=1e-5)
    assert np.nanmax(np.abs(depth_m - (as_is if rectified else as_rectified))) > 1e-3
    # either way ~/depth/camera_info is P's pinhole without distortion (P[0,0], P[1,1], P[0,2], P[1,2])
    info = outs["info"].wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0]
    assert info.distortion_model == "plumb_bob" and list(info.d) == [0.0] * 5
    np.testing.assert_allclose(np.asarray(info.k).reshape(3, 3), [[104.0, 0.0, 80.5], [0.0, 103.0, 62.0],
                                                                  [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(info.p, p)
    cloud = outs["points"].wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0]
    xyz = pointcloud2_to_xyz(cloud)  # back-projected with P's intrinsics
    u = (xyz[..., 0] / xyz[..., 2]) * 104.0 + 80.5
    np.testing.assert_allclose(u[60, 10:150], np.arange(10, 150), atol=1e-3)
    assert node.stats()["rectified_frames"] == int(rectified)


def test_black_border_of_a_wide_p_is_nan_in_depth_and_cloud(graph, light_checkpoints, shared_data):
    """EuRoC's lens (k1 = -0.28) with P from getOptimalNewCameraMatrix(alpha=1), which keeps every
    raw pixel: 15 % of the rectified image saw none (black). No depth and no points there."""
    import cv2

    from mono_depth_ros.core.image import numpy_to_image
    from mono_depth_ros.core.rectify import Rectifier

    path = sorted((shared_data / "euroc_v101_micro" / "cam0" / "data").glob("*.png"))[0]
    gray = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    k = np.array([[458.654, 0.0, 367.215], [0.0, 457.296, 248.375], [0.0, 0.0, 1.0]])
    d = (-0.28340811, 0.07395907, 0.00019359, 1.76187114e-05, 0.0)
    new_k, _ = cv2.getOptimalNewCameraMatrix(k, np.asarray(d), (752, 480), 1.0)
    euroc = CameraIntrinsics(752, 480, 458.654, 457.296, 367.215, 248.375, "plumb_bob", d,
                             tuple(np.hstack([new_k, np.zeros((3, 1))]).reshape(-1)))
    node = _node(graph, light_checkpoints)
    pub_img, pub_info, outs = depth_node_io(graph, node)
    stamp = T0_NS + 8 * 100_000_000
    pub_info.publish(camera_info_from_intrinsics(euroc, make_header(stamp, "cam0"), msg_cls=CameraInfo))
    wait_until(lambda: node.camera.latest == euroc, what="camera_info")
    pub_img.publish(numpy_to_image(gray, "mono8", make_header(stamp, "cam0"), msg_cls=Image))
    depth_m = depth_from_image(outs["depth"].wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0])
    xyz = pointcloud2_to_xyz(outs["points"].wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0])
    info = outs["info"].wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0]
    np.testing.assert_allclose(np.asarray(info.k).reshape(3, 3), new_k)
    rectifier = Rectifier.build(euroc)
    valid = rectifier.valid_mask()
    seen = node.estimator.fit_for((480, 752)).seen_mask()
    assert 0.14 < 1.0 - valid.mean() < 0.17 and (~valid & seen).sum() > 20000  # black, inside the crop
    # the node's guided_filter leaves the black border out, as ``seen`` does here
    expected = node.estimator.estimate(rectifier.apply(gray), seen=valid).depth_m
    np.testing.assert_allclose(depth_m[valid], expected[valid], rtol=1e-5)  # NaN outside the crop alike
    assert np.isnan(depth_m[~valid]).all() and np.isfinite(depth_m[valid & seen]).all()
    assert np.isnan(xyz[~valid]).all() and np.isfinite(xyz[valid & seen]).all()


@pytest.mark.parametrize("median_m", [0.0, 3.0])
def test_nonmetric_cloud_follows_the_explicit_scale_rule(graph, light_checkpoints, median_m):
    node = _node(graph, light_checkpoints, method="xian2018", spec="xian2018", nonmetric_median_depth_m=median_m)
    assert node.get_parameter("depth_is_metric").value is False
    depth_m = node.estimator.estimate(rgb_frame(W, H, seed=5)).depth_m
    if median_m == 0.0:
        assert node._points_scale(depth_m, node.config) is None  # no silent guess: no cloud
        return
    pub_img, pub_info, outs = depth_node_io(graph, node)
    pinhole = CameraIntrinsics(W, H, 100.0, 100.0, 79.5, 63.5)
    stamp = _send(pub_img, pub_info, node, pinhole, rgb_frame(W, H, seed=5), 2)
    cloud = outs["points"].wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0]
    z = pointcloud2_to_xyz(cloud)[..., 2]
    assert np.nanmedian(z) == pytest.approx(median_m, rel=1e-4)
    np.testing.assert_allclose(z, depth_m * (median_m / np.nanmedian(depth_m)), rtol=1e-4)


def test_real_euroc_mono8_frame_with_its_distortion(graph, light_checkpoints, shared_data):
    """A real EuRoC frame (mono8 752x480, k1 = -0.28) as a driver publishes image_raw + camera_info."""
    import cv2

    from mono_depth_ros.core.image import numpy_to_image
    from mono_depth_ros.core.rectify import Rectifier

    path = sorted((shared_data / "euroc_v101_micro" / "cam0" / "data").glob("*.png"))[0]
    gray = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    euroc = CameraIntrinsics(752, 480, 458.654, 457.296, 367.215, 248.375, "plumb_bob",
                             (-0.28340811, 0.07395907, 0.00019359, 1.76187114e-05, 0.0))
    node = _node(graph, light_checkpoints)
    pub_img, pub_info, outs = depth_node_io(graph, node)
    stamp = T0_NS + 7 * 100_000_000
    pub_info.publish(camera_info_from_intrinsics(euroc, make_header(stamp, "cam0"), msg_cls=CameraInfo))
    wait_until(lambda: node.camera.latest is not None and node.camera.latest.d == euroc.d, what="camera_info")
    pub_img.publish(numpy_to_image(gray, "mono8", make_header(stamp, "cam0"), msg_cls=Image))
    depth_m = depth_from_image(outs["depth"].wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0])
    info = outs["info"].wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0]
    rectified = Rectifier.build(intrinsics_from_camera_info(info)).apply(gray)  # D = 0: a no-op
    assert rectified is gray and list(info.d) == [0.0] * 5
    np.testing.assert_allclose(np.asarray(info.k).reshape(3, 3), euroc.k)
    expected = node.estimator.estimate(Rectifier.build(euroc).apply(gray)).depth_m
    np.testing.assert_allclose(depth_m, expected, rtol=1e-5)  # NaN (outside the crop) in the same places
    seen = node.estimator.fit_for((480, 752)).seen_mask()
    assert np.isfinite(depth_m[seen]).all() and np.isnan(depth_m[~seen]).all() and 0.75 < seen.mean() < 0.85


def test_bayer_image_raw_is_demosaiced_before_inference(graph, light_checkpoints):
    """A machine-vision camera's image_raw (bayer_rggb8): the node's depth is that of the demosaiced
    colour image, not a refusal and not the mosaic read as grey."""
    import cv2

    from mono_depth_ros.core.image import numpy_to_image

    rgb = cv2.GaussianBlur(rgb_frame(W, H, seed=8), (5, 5), 0)  # smooth, so demosaicing is near exact
    mosaic = np.empty((H, W), np.uint8)
    for index, colour in enumerate("rggb"):  # R G / G B from the top-left
        row, col = divmod(index, 2)
        mosaic[row::2, col::2] = rgb[row::2, col::2, "rgb".index(colour)]
    node = _node(graph, light_checkpoints)
    pub_img, pub_info, outs = depth_node_io(graph, node)
    pinhole = CameraIntrinsics(W, H, 100.0, 100.0, 79.5, 63.5)
    stamp = T0_NS + 9 * 100_000_000
    pub_info.publish(camera_info_from_intrinsics(pinhole, make_header(stamp, "cam_optical"), msg_cls=CameraInfo))
    wait_until(lambda: node.camera.latest is not None, what="camera_info")
    pub_img.publish(numpy_to_image(mosaic, "bayer_rggb8", make_header(stamp, "cam_optical"), msg_cls=Image))
    depth_m = depth_from_image(outs["depth"].wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == stamp)[0])
    demosaiced = cv2.cvtColor(mosaic, cv2.COLOR_BayerBG2RGB)
    np.testing.assert_allclose(depth_m, node.estimator.estimate(demosaiced).depth_m, rtol=1e-5)
    as_grey = node.estimator.estimate(np.repeat(mosaic[:, :, None], 3, axis=2)).depth_m
    assert np.abs(depth_m - as_grey).max() > 1e-3
    assert node.stats()["rejected"] == 0


@pytest.mark.parametrize("compressed", [False, True])
def test_remapped_image_topic_decides_rectification_and_brings_its_camera_info(light_checkpoints, compressed):
    """As image_transport: ``-r /cam/image_raw:=/cam/image_rect`` moves the subscription (also its
    ``/compressed`` transport) and the camera_info sibling to the remapped name, and ``rectify: auto``
    judges that name (image_rect: already rectified)."""
    import rclpy

    from mono_depth_ros.nodes.depth_node import DepthNode

    context = rclpy.Context()
    rclpy.init(args=["--ros-args", "-r", "/cam/image_raw:=/robot/cam/image_rect"], context=context)
    try:
        node = DepthNode("depth_remap", context=context, parameter_overrides={
            "image_topic": "/cam/image_raw", "use_compressed": compressed, "method": "eigen2014",
            "model_path": str(light_checkpoints["eigen2014"]), "backend": "torch"})
        try:
            suffix = "/compressed" if compressed else ""
            assert node.image_sub_topic == f"/robot/cam/image_rect{suffix}"
            assert node.info_sub_topic == "/robot/cam/camera_info" and node.camera.already_rectified
            subscribed = {sub.topic_name for sub in node.subscriptions}
            assert {node.image_sub_topic, node.info_sub_topic} <= subscribed, subscribed
        finally:
            node.destroy_node()
    finally:
        rclpy.shutdown(context=context)
