"""PointCloud2 from depth, decoded independently from its raw bytes."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.pointcloud import backproject_depth, depth_to_pointcloud2, pointcloud2_to_xyz
from mono_depth_ros.core.stamps import make_header

from ._helpers import rb, rb_header

INTR = CameraIntrinsics(12, 8, 10.0, 11.0, 5.5, 3.25)
RNG = np.random.default_rng(3)


def scene():
    depth_m = RNG.uniform(0.5, 9.0, (8, 12)).astype(np.float32)
    depth_m[1, 2] = np.nan
    depth_m[4, 7] = 0.0
    rgb = RNG.integers(0, 256, (8, 12, 3), dtype=np.uint8)
    return depth_m, rgb


def decode_raw(msg):
    """Independent decoder: offsets from msg.fields, np.frombuffer on the raw bytes."""
    raw = bytes(msg.data)
    assert len(raw) == msg.row_step * msg.height and msg.row_step == msg.point_step * msg.width
    out = {}
    for fld in msg.fields:
        assert fld.datatype == 7 and fld.count == 1
        values = np.frombuffer(raw, dtype="<f4" if fld.name != "rgb" else "<u4",
                               offset=fld.offset, count=msg.height * msg.width * msg.point_step // 4 - fld.offset // 4)
        out[fld.name] = values[:: msg.point_step // 4].reshape(msg.height, msg.width)
    return out


def expected_points(depth_m, stride=1):
    v, u = np.mgrid[0:8:stride, 0:12:stride].astype(np.float64)
    z = depth_m[::stride, ::stride].astype(np.float64)
    z = np.where(z > 0, z, np.nan)
    return (u - INTR.cx) * z / INTR.fx, (v - INTR.cy) * z / INTR.fy, z


@pytest.mark.parametrize("kind", ["rclpy", "rosbags"])
def test_organized_xyzrgb_cloud_bytes(kind):
    depth_m, rgb = scene()
    if kind == "rclpy":
        msg = depth_to_pointcloud2(depth_m, INTR, make_header(3, "camera_optical_frame"), rgb=rgb)
    else:
        msg = depth_to_pointcloud2(depth_m, INTR, rb_header(), rgb=rgb,
                                   msg_cls=rb("sensor_msgs/msg/PointCloud2"))
    assert (msg.height, msg.width, msg.point_step, msg.row_step) == (8, 12, 16, 192)
    assert [(f.name, f.offset, f.datatype, f.count) for f in msg.fields] == [
        ("x", 0, 7, 1), ("y", 4, 7, 1), ("z", 8, 7, 1), ("rgb", 12, 7, 1)]
    assert msg.is_dense is False and not msg.is_bigendian
    decoded = decode_raw(msg)
    ex, ey, ez = expected_points(depth_m)
    for name, expected in zip("xyz", (ex, ey, ez)):
        np.testing.assert_allclose(decoded[name], expected, rtol=1e-6, equal_nan=True)
    assert np.isnan(decoded["x"][4, 7]) and np.isnan(decoded["z"][1, 2])
    packed = decoded["rgb"]
    np.testing.assert_array_equal(packed >> 16, rgb[:, :, 0])
    np.testing.assert_array_equal((packed >> 8) & 0xFF, rgb[:, :, 1])
    np.testing.assert_array_equal(packed & 0xFF, rgb[:, :, 2])
    assert (packed >> 24).max() == 0


def test_xyz_only_stride_and_max_range():
    depth_m, _ = scene()
    msg = depth_to_pointcloud2(depth_m, INTR, rb_header(), stride_px=3, max_range_m=5.0,
                               msg_cls=rb("sensor_msgs/msg/PointCloud2"))
    # 16 bytes a point, the last 4 padding, as depth_image_proc's point_cloud_xyz publishes them
    assert (msg.height, msg.width, msg.point_step, msg.row_step) == (3, 4, 16, 64)
    assert [(f.name, f.offset) for f in msg.fields] == [("x", 0), ("y", 4), ("z", 8)]
    decoded = decode_raw(msg)
    ex, ey, ez = expected_points(depth_m, stride=3)
    far = np.sqrt(ex ** 2 + ey ** 2 + ez ** 2) > 5.0
    assert far.any() and (~far & np.isfinite(ez)).any()
    for name, expected in zip("xyz", (ex, ey, ez)):
        np.testing.assert_allclose(decoded[name], np.where(far, np.nan, expected), rtol=1e-6, equal_nan=True)


def test_dense_cloud_and_reader_agree_with_backprojection():
    depth_m = np.full((8, 12), 2.0, dtype=np.float32)
    msg = depth_to_pointcloud2(depth_m, INTR, make_header(0, "cam"))
    assert msg.is_dense is True
    xyz = pointcloud2_to_xyz(msg)
    np.testing.assert_array_equal(xyz, backproject_depth(depth_m, INTR))
    assert xyz[0, 0].tolist() == pytest.approx([-5.5 * 2 / 10, -3.25 * 2 / 11, 2.0])


def test_reader_handles_big_endian_and_padding():
    xyz = RNG.normal(size=(2, 3, 3)).astype(np.float32)
    buf = np.zeros((2, 3, 6), dtype=">f4")  # point_step 24, fields x at 12, y at 4, z at 16
    buf[:, :, 3], buf[:, :, 1], buf[:, :, 4] = xyz[:, :, 0], xyz[:, :, 1], xyz[:, :, 2]
    field = rb("sensor_msgs/msg/PointField")
    msg = rb("sensor_msgs/msg/PointCloud2")(
        header=rb_header(), height=2, width=3,
        fields=[field(name="x", offset=12, datatype=7, count=1), field(name="y", offset=4, datatype=7, count=1),
                field(name="z", offset=16, datatype=7, count=1)],
        is_bigendian=True, point_step=24, row_step=72, data=buf.view(np.uint8).reshape(-1), is_dense=True)
    np.testing.assert_array_equal(pointcloud2_to_xyz(msg), xyz)


def test_rgb_packing_with_and_without_stride_and_zero_padding_for_xyz():
    depth_m, rgb = scene()
    for stride in (1, 2):
        msg = depth_to_pointcloud2(depth_m, INTR, make_header(0, "cam"), rgb=rgb, stride_px=stride)
        packed = decode_raw(msg)["rgb"]
        sub = rgb[::stride, ::stride].astype(np.uint32)
        np.testing.assert_array_equal(packed, (sub[:, :, 0] << 16) | (sub[:, :, 1] << 8) | sub[:, :, 2])
    # an xyz cloud's fourth word is padding: zero, whatever the buffer held before
    msg = depth_to_pointcloud2(depth_m, INTR, make_header(0, "cam"))
    words = np.frombuffer(bytes(msg.data), dtype=np.uint32).reshape(msg.height, msg.width, 4)
    assert not words[:, :, 3].any()


@pytest.mark.parametrize("stride", [2, 3, 4])
def test_rgb_stride_on_sizes_it_does_not_divide(stride):
    """Odd sizes keep the last partial row and column (ceil(H/s) x ceil(W/s)) with their colours."""
    rng = np.random.default_rng(stride)
    intr = CameraIntrinsics(13, 7, 10.0, 10.0, 6.0, 3.0)
    depth_m = rng.uniform(0.5, 4.0, (7, 13)).astype(np.float32)
    rgb = rng.integers(0, 256, (7, 13, 3), dtype=np.uint8)
    msg = depth_to_pointcloud2(depth_m, intr, make_header(0, "cam"), rgb=rgb, stride_px=stride)
    assert (msg.height, msg.width) == (-(-7 // stride), -(-13 // stride))
    sub = rgb[::stride, ::stride].astype(np.uint32)
    np.testing.assert_array_equal(decode_raw(msg)["rgb"], (sub[:, :, 0] << 16) | (sub[:, :, 1] << 8) | sub[:, :, 2])


def test_cloud_buffers_are_reused_only_when_nobody_holds_them():
    """A message still held keeps its bytes; a dropped one's buffer is written again."""
    from sensor_msgs.msg import PointCloud2

    depth_m, rgb = scene()
    header = make_header(0, "cam")
    held = depth_to_pointcloud2(depth_m, INTR, header, rgb=rgb, msg_cls=PointCloud2)
    held_bytes = bytes(held.data)
    other = depth_to_pointcloud2(depth_m * 2, INTR, header, rgb=rgb, msg_cls=PointCloud2)
    assert bytes(held.data) == held_bytes  # not overwritten while held
    np.testing.assert_allclose(pointcloud2_to_xyz(other), 2 * pointcloud2_to_xyz(held), rtol=1e-6)
    buffer_id = id(other.data)
    del other
    again = depth_to_pointcloud2(depth_m * 3, INTR, header, rgb=rgb, msg_cls=PointCloud2)
    assert id(again.data) == buffer_id  # the dropped message's buffer, written afresh
    np.testing.assert_allclose(pointcloud2_to_xyz(again), 3 * pointcloud2_to_xyz(held), rtol=1e-6)
    assert bytes(held.data) == held_bytes


def test_depth_scale_equals_scaling_the_depth_first():
    """depth_scale k gives the cloud of k * depth, range cut included; k <= 0 or inf is refused."""
    from mono_depth_ros.core.errors import InputError

    depth_m, rgb = scene()
    header = make_header(0, "cam")
    scaled = depth_to_pointcloud2(depth_m, INTR, header, rgb=rgb, stride_px=2, max_range_m=6.0, depth_scale=2.5)
    direct = depth_to_pointcloud2(depth_m * np.float32(2.5), INTR, header, rgb=rgb, stride_px=2, max_range_m=6.0)
    xyz = pointcloud2_to_xyz(scaled)
    np.testing.assert_allclose(xyz, pointcloud2_to_xyz(direct), rtol=1e-6)
    assert np.isnan(xyz).any() and not np.isnan(xyz).all()  # the range cut applied to the scaled depth
    for bad in (0.0, -1.0, np.inf, np.nan):
        with pytest.raises(InputError, match="depth_scale"):
            depth_to_pointcloud2(depth_m, INTR, header, depth_scale=bad)


def test_every_kind_of_invalid_depth_becomes_a_nan_point_and_the_input_is_untouched():
    """NaN, 0, negative, +inf, -inf and beyond max_range_m -> NaN points, scattered at random
    (the masked fill), in xyz and xyzrgb clouds; the caller's depth is not written; xyz clouds
    carry zero padding."""
    rng = np.random.default_rng(11)
    intr = CameraIntrinsics(64, 48, 50.0, 52.0, 31.5, 23.5)
    depth_m = rng.uniform(0.5, 30.0, (48, 64)).astype(np.float32)
    bad = rng.random((48, 64)) < 0.2
    depth_m[bad] = rng.choice(np.array([np.nan, 0.0, -2.0, np.inf, -np.inf], dtype=np.float32), bad.sum())
    before = depth_m.copy()
    v, u = np.mgrid[0:48, 0:64].astype(np.float64)
    z = depth_m.astype(np.float64)
    x, y = (u - intr.cx) * z / intr.fx, (v - intr.cy) * z / intr.fy
    with np.errstate(invalid="ignore"):
        keep = np.isfinite(z) & (z > 0) & (np.sqrt(x * x + y * y + z * z) <= 20.0)
    assert 0.1 < (~keep & ~bad).mean() < 0.5  # many points beyond the range as well
    for rgb in (None, rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)):
        msg = depth_to_pointcloud2(depth_m, intr, make_header(0, "cam"), rgb=rgb, max_range_m=20.0)
        decoded = decode_raw(msg)
        for name, expected in zip("xyz", (x, y, z)):
            np.testing.assert_allclose(decoded[name], np.where(keep, expected, np.nan), rtol=1e-6, atol=1e-6,
                                       equal_nan=True)
        assert msg.is_dense is False
        if rgb is None:
            padding = np.frombuffer(bytes(msg.data), dtype="<u4")[3::4]
            assert padding.size == 48 * 64 and not padding.any()
        np.testing.assert_array_equal(depth_m, before)


@pytest.mark.parametrize("bad_value, max_range_m", [
    (bad, limit) for bad in (np.nan, 0.0, -0.0, 1e-40, -1.0, np.inf, -np.inf) for limit in (20.0, float("inf"))
] + [(25.0, 20.0)])
def test_one_invalid_pixel_of_any_kind_is_found(bad_value, max_range_m):
    """A single invalid pixel in otherwise valid depth (the fast path's extremes must catch it):
    its point is NaN, every other point exact, is_dense False; 1e-40 is a subnormal float32;
    25 m is invalid only with the 20 m range."""
    intr = CameraIntrinsics(64, 48, 50.0, 52.0, 31.5, 23.5)
    depth_m = np.random.default_rng(5).uniform(0.5, 4.0, (48, 64)).astype(np.float32)
    depth_m[17, 40] = bad_value
    msg = depth_to_pointcloud2(depth_m, intr, make_header(0, "cam"), max_range_m=max_range_m)
    xyz = pointcloud2_to_xyz(msg)
    assert msg.is_dense is False
    assert np.isnan(xyz[17, 40]).all()
    others = np.ones((48, 64), bool)
    others[17, 40] = False
    assert np.isfinite(xyz[others]).all()
    np.testing.assert_array_equal(xyz[others], backproject_depth(np.where(others, depth_m, 1.0), intr)[others])


def test_range_cut_follows_each_ray_not_the_most_oblique_one():
    """max_range_m is Euclidean per ray: a depth that would be out of range at the image corner
    but lies on the central ray stays valid (and the cloud dense); all-NaN depth gives all-NaN."""
    intr = CameraIntrinsics(64, 48, 20.0, 20.0, 31.5, 23.5)  # wide: the corner ray is 2.2x longer
    depth_m = np.full((48, 64), 3.0, dtype=np.float32)  # 6.6 m away at the corners
    depth_m[24, 32] = 9.9  # on the central ray: 9.9 m < 10 m; at the corner this z would be 21.8 m
    msg = depth_to_pointcloud2(depth_m, intr, make_header(0, "cam"), max_range_m=10.0)
    assert msg.is_dense is True and np.isfinite(pointcloud2_to_xyz(msg)).all()
    depth_m[0, 0] = 9.9  # the corner: beyond 10 m
    msg = depth_to_pointcloud2(depth_m, intr, make_header(0, "cam"), max_range_m=10.0)
    xyz = pointcloud2_to_xyz(msg)
    assert msg.is_dense is False and np.isnan(xyz[0, 0]).all() and np.isfinite(xyz[24, 32]).all()
    assert np.isnan(xyz).any(axis=2).sum() == 1
    msg = depth_to_pointcloud2(np.full((48, 64), np.nan, np.float32), intr, make_header(0, "cam"))
    assert msg.is_dense is False and np.isnan(pointcloud2_to_xyz(msg)).all()


def test_kernel_cache_moves_to_a_user_folder_when_the_install_is_read_only(monkeypatch, tmp_path):
    """A read-only install (no writable __pycache__ beside _kernels.py) caches the compiled kernels
    in the user's cache folder, and numba follows a CACHE_DIR set that way."""
    import subprocess
    import sys
    from pathlib import Path

    from mono_depth_ros.core import _kernels

    package = Path(_kernels.__file__).resolve().parent
    monkeypatch.setattr(_kernels.numba_config, "CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(_kernels.os, "access", lambda path, mode: Path(path) != package)
    assert _kernels.cache_dir_for(package) == str(tmp_path / "xdg" / "mono_depth_ros" / "numba")
    monkeypatch.undo()
    assert _kernels.cache_dir_for(package) is None  # writable here: numba's own place beside the file
    # numba honours the folder: the kernels' cache index lands there
    code = (f"from numba import config; config.CACHE_DIR = {str(tmp_path / 'cache')!r}; "
            "from mono_depth_ros.core import _kernels; _kernels.warm_up()")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    assert list((tmp_path / "cache").rglob("*_cloud_rgb*.nbi"))
