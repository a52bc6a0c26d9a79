"""Every kind of inconsistent input raises InputError naming the field and the values."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.core.camera import CameraIntrinsics, intrinsics_from_camera_info
from mono_depth_ros.core.depth import depth_from_image, depth_to_image
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.image import image_to_numpy, image_to_rgb8, numpy_to_image
from mono_depth_ros.core.pointcloud import depth_to_pointcloud2, pointcloud2_to_xyz
from mono_depth_ros.core.stamps import ns_to_stamp
from mono_depth_ros.core.transforms import matrix_to_quat, quat_to_matrix

from ._helpers import rb, rb_header


def image(**overrides):
    fields = dict(header=rb_header(), height=2, width=3, encoding="rgb8", is_bigendian=0, step=9,
                  data=np.zeros(18, np.uint8))
    fields.update(overrides)
    return rb("sensor_msgs/msg/Image")(**fields)


@pytest.mark.parametrize("overrides,field,words", [
    (dict(data=np.zeros(17, np.uint8)), "data", ["len=17", "18"]),
    (dict(data=np.zeros(19, np.uint8)), "data", ["len=19", "18"]),
    (dict(step=8, data=np.zeros(16, np.uint8)), "step", ["8", "3*3 = 9"]),
    (dict(width=0, step=0, data=np.zeros(0, np.uint8)), "width", ["0"]),
    (dict(height=0, data=np.zeros(0, np.uint8)), "height", ["0"]),
    (dict(encoding="bayer_weird16"), "encoding", ["bayer_weird16"]),
])
def test_image_errors(overrides, field, words):
    with pytest.raises(InputError) as info:
        image_to_numpy(image(**overrides))
    assert info.value.field == field
    assert isinstance(info.value, ValueError)
    for word in words:
        assert word in str(info.value)


def test_error_exposes_value():
    with pytest.raises(InputError) as info:
        image_to_numpy(image(step=8, data=np.zeros(16, np.uint8)))
    assert info.value.value == 8


def test_odd_width_yuv_and_depth_as_colour():
    with pytest.raises(InputError) as info:
        image_to_rgb8(image(encoding="yuv422", width=3, step=6, data=np.zeros(12, np.uint8)))
    assert info.value.field == "width"
    with pytest.raises(InputError) as info:
        image_to_rgb8(image(encoding="32FC1", width=3, step=12, data=np.zeros(24, np.uint8)))
    assert info.value.field == "encoding"
    with pytest.raises(InputError) as info:
        depth_from_image(image())
    assert info.value.field == "encoding" and "rgb8" in str(info.value)


def test_numpy_to_image_mismatch():
    with pytest.raises(InputError) as info:
        numpy_to_image(np.zeros((2, 3), np.float64), "32FC1", rb_header())
    assert info.value.field == "array.dtype" and "float64" in str(info.value)
    with pytest.raises(InputError) as info:
        numpy_to_image(np.zeros((2, 3, 4), np.uint8), "rgb8", rb_header())
    assert info.value.field == "array.shape"
    with pytest.raises(InputError) as info:
        depth_to_image(np.ones((2, 3)), rb_header(), encoding="8UC1")
    assert info.value.field == "encoding"


def camera_info(k, width=640, height=480):
    return rb("sensor_msgs/msg/CameraInfo")(
        header=rb_header(), height=height, width=width, distortion_model="plumb_bob",
        d=np.zeros(5), k=np.asarray(k, float), r=np.eye(3).ravel(), p=np.zeros(12),
        binning_x=0, binning_y=0,
        roi=rb("sensor_msgs/msg/RegionOfInterest")(x_offset=0, y_offset=0, height=0, width=0,
                                                   do_rectify=False))


@pytest.mark.parametrize("k,field", [
    ([0, 0, 320, 0, 500, 240, 0, 0, 1], "k[0] (fx)"),
    ([500, 0, 320, 0, 0, 240, 0, 0, 1], "k[4] (fy)"),
    ([np.nan, 0, 320, 0, 500, 240, 0, 0, 1], "k[0] (fx)"),
    ([500, 0, np.inf, 0, 500, 240, 0, 0, 1], "k[2] (cx)"),
    ([500, 0, 320, 0, 500, np.nan, 0, 0, 1], "k[5] (cy)"),
])
def test_camera_info_errors(k, field):
    with pytest.raises(InputError) as info:
        intrinsics_from_camera_info(camera_info(k))
    assert info.value.field == field
    assert "k=[" in str(info.value)


def test_camera_info_zero_size_and_bad_crop():
    with pytest.raises(InputError) as info:
        intrinsics_from_camera_info(camera_info([500, 0, 320, 0, 500, 240, 0, 0, 1], width=0))
    assert info.value.field == "width"
    intr = CameraIntrinsics(64, 48, 50.0, 50.0, 32.0, 24.0)
    with pytest.raises(InputError) as info:
        intr.cropped(10, 0, 60, 48)
    assert info.value.field == "width" and "54" in str(info.value)
    with pytest.raises(InputError) as info:
        CameraIntrinsics(64, 48, 50.0, -1.0, 32.0, 24.0).validate()
    assert info.value.field == "fy"


def test_pointcloud_errors():
    intr = CameraIntrinsics(4, 3, 5.0, 5.0, 2.0, 1.5)
    with pytest.raises(InputError) as info:
        depth_to_pointcloud2(np.ones((3, 5)), intr, rb_header())
    assert info.value.field == "depth_m.shape" and "(3, 4)" in str(info.value)
    with pytest.raises(InputError) as info:
        depth_to_pointcloud2(np.ones((3, 4)), intr, rb_header(), stride_px=0)
    assert info.value.field == "stride_px"
    with pytest.raises(InputError) as info:
        depth_to_pointcloud2(np.ones((3, 4)), intr, rb_header(), rgb=np.zeros((3, 4, 3), np.float32))
    assert info.value.field == "rgb"
    with pytest.raises(InputError) as info:  # a rosbags header given to the rclpy class
        depth_to_pointcloud2(np.ones((3, 4)), intr, rb_header())
    assert info.value.field == "PointCloud2" and "header" in str(info.value)
    cloud = depth_to_pointcloud2(np.ones((3, 4)), intr, rb_header(), msg_cls=rb("sensor_msgs/msg/PointCloud2"))
    cloud.data = cloud.data[:-1]
    with pytest.raises(InputError) as info:
        pointcloud2_to_xyz(cloud)
    assert info.value.field == "data"


def test_transform_and_stamp_errors():
    with pytest.raises(InputError) as info:
        quat_to_matrix((0, 0, 0, 0))
    assert info.value.field == "quat_xyzw"
    with pytest.raises(InputError) as info:
        matrix_to_quat(np.diag([1.0, 1.0, -1.0]))
    assert info.value.field == "rot"
    with pytest.raises(InputError) as info:
        quat_to_matrix((0, 0, np.nan, 1))
    assert info.value.field == "quat_xyzw"
    with pytest.raises(InputError) as info:
        ns_to_stamp(-5)
    assert info.value.field == "stamp_ns"


def test_one_line_flattens_and_cuts_a_runtime_message():
    from mono_depth_ros.core.errors import one_line

    exc = RuntimeError("Exception from src/core.cpp:42:\n  Check 'x' failed\n\n  at node Reshape " + "y" * 500)
    text = one_line(exc, 120)
    assert "\n" not in text and len(text) == 120 and text.endswith("...")
    assert text.startswith("RuntimeError: Exception from src/core.cpp:42: Check 'x' failed at node Reshape")
    assert one_line(ValueError("short")) == "ValueError: short"
