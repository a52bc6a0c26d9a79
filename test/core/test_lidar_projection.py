"""A lidar's points projected into the camera (``SparseDepth.from_points``), checked by hand and
against OpenCV's projectPoints; the cloud read from a PointCloud2 with its fields at odd offsets."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.pointcloud import pointcloud2_to_xyz
from mono_depth_ros.core.scale import SparseDepth
from mono_depth_ros.core.transforms import se3

from ._helpers import rb, rb_header

INTR = CameraIntrinsics(128, 96, 100.0, 120.0, 64.0, 48.0)
# The lidar (x forward, y left, z up) is yawed 90 deg left of the camera: its x is the camera's
# left, its y the camera's back. In the optical frame (z forward, x right, y down) a lidar point
# (x, y, z) is therefore at (-x, -z, -y), plus the lidar's origin at (0.1, 0.2, -0.3).
R_OPTICAL_LIDAR = np.array([[-1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, -1.0, 0.0]])
T_OPTICAL_LIDAR = se3(R_OPTICAL_LIDAR, (0.1, 0.2, -0.3))


def test_projection_matches_a_hand_computation():
    points = np.array([[2.0, -10.0, 1.0],     # optical (-1.9, -0.8, 9.7)
                       [-1.0, -5.3, -0.7],    # optical (1.1, 0.9, 5.0)
                       [0.1, -20.3, 0.2]])    # optical (0.0, 0.0, 20.0): the principal point
    sparse = SparseDepth.from_points(points, T_OPTICAL_LIDAR, INTR)
    order = np.argsort(sparse.depth_m)
    np.testing.assert_allclose(sparse.depth_m[order], [5.0, 9.7, 20.0], rtol=1e-12)
    np.testing.assert_allclose(sparse.uv_px[order], [[64 + 100 * 1.1 / 5.0, 48 + 120 * 0.9 / 5.0],
                                                     [64 - 100 * 1.9 / 9.7, 48 - 120 * 0.8 / 9.7],
                                                     [64.0, 48.0]], atol=1e-9)


def test_matches_opencv_project_points():
    rng = np.random.default_rng(3)
    optical = np.column_stack([rng.uniform(-6, 6, 500), rng.uniform(-4, 4, 500), rng.uniform(2, 30, 500)])
    angle = math.radians(17.0)
    rot = cv2.Rodrigues(np.array([0.3, -0.5, 0.8]) / np.linalg.norm([0.3, -0.5, 0.8]) * angle)[0]
    T_optical_lidar = se3(rot, (0.4, -0.1, 0.25))
    lidar = (optical - T_optical_lidar[:3, 3]) @ rot  # R^T (p - t), row-wise
    sparse = SparseDepth.from_points(lidar, T_optical_lidar, INTR)
    uv_cv, _ = cv2.projectPoints(lidar, cv2.Rodrigues(rot)[0], T_optical_lidar[:3, 3], INTR.k, np.zeros(5))
    uv_cv = uv_cv.reshape(-1, 2)
    col, row = np.rint(uv_cv[:, 0]), np.rint(uv_cv[:, 1])
    inside = (col >= 0) & (col < 128) & (row >= 0) & (row < 96)
    pixel = row * 128 + col
    # the nearest point of each pixel any point fell into, and nothing else
    expected = {}
    for i in np.flatnonzero(inside):
        if pixel[i] not in expected or optical[i, 2] < optical[expected[pixel[i]], 2]:
            expected[pixel[i]] = i
    chosen = np.array(sorted(expected.values()))
    got = np.lexsort((sparse.uv_px[:, 1], sparse.uv_px[:, 0]))
    want = chosen[np.lexsort((uv_cv[chosen, 1], uv_cv[chosen, 0]))]
    assert len(sparse.depth_m) == len(chosen) > 200
    np.testing.assert_allclose(sparse.uv_px[got], uv_cv[want], atol=1e-6)
    np.testing.assert_allclose(sparse.depth_m[got], optical[want, 2], rtol=1e-12)


def test_the_nearest_point_of_a_pixel_wins_whatever_the_order():
    # three points on (nearly) the ray of pixel (74, 60) at 4, 8 and 6 m, one on pixel (75, 60) at 9 m
    ray = np.array([(74 - 64) / 100.0, (60 - 48) / 120.0, 1.0])
    optical = np.array([8.0 * ray, 4.0 * ray + [0.004, -0.003, 0.0], 6.0 * ray, 9.0 * (ray + [0.01, 0, 0])])
    lidar = (optical - T_OPTICAL_LIDAR[:3, 3]) @ R_OPTICAL_LIDAR
    for order in ([0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]):
        sparse = SparseDepth.from_points(lidar[order], T_OPTICAL_LIDAR, INTR)
        by_u = np.argsort(sparse.uv_px[:, 0])
        np.testing.assert_allclose(sparse.depth_m[by_u], [4.0, 9.0], rtol=1e-12)
        np.testing.assert_allclose(sparse.uv_px[by_u[0]], [74 + 100 * 0.004 / 4.0, 60 - 120 * 0.003 / 4.0],
                                   atol=1e-9)  # the kept point's own projection
        sample_depth, metric = sparse.sample(np.arange(96 * 128, dtype=np.float64).reshape(96, 128))
        assert sorted(sample_depth) == [60 * 128 + 74, 60 * 128 + 75] and sorted(metric) == [4.0, 9.0]


def test_points_behind_outside_or_not_finite_are_dropped():
    optical = np.array([
        [0.0, 0.0, 5.0],                 # kept: the principal point
        [0.0, 0.0, -5.0],                # behind the camera
        [1.0, 1.0, 0.0],                 # in the camera's plane
        [0.0, 0.0, 0.0],                 # at the camera
        [-64.6 / 100 * 5, 0.0, 5.0],     # u = -0.6: outside (pixel -1)
        [-64.4 / 100 * 5, 0.0, 5.0],     # u = -0.4: kept (pixel 0)
        [63.4 / 100 * 5, 0.0, 5.0],      # u = 127.4: kept (pixel 127)
        [63.6 / 100 * 5, 0.0, 5.0],      # u = 127.6: outside (pixel 128)
        [0.0, 48.6 / 120 * 5, 5.0],      # v = 96.6: outside
        [0.0, 0.0, np.nan], [np.inf, 0.0, 5.0], [0.0, -np.inf, 5.0],
    ])
    with np.errstate(invalid="ignore"):
        lidar = (optical - T_OPTICAL_LIDAR[:3, 3]) @ R_OPTICAL_LIDAR
    with np.errstate(all="raise"):  # no warnings from the function itself
        sparse = SparseDepth.from_points(lidar, T_OPTICAL_LIDAR, INTR)
    np.testing.assert_allclose(np.sort(sparse.uv_px[:, 0]), [-0.4, 64.0, 127.4], atol=1e-9)
    np.testing.assert_allclose(sparse.depth_m, 5.0, rtol=1e-12)
    empty = SparseDepth.from_points(np.zeros((0, 3)), np.eye(4), INTR)
    assert empty.uv_px.shape == (0, 2) and empty.depth_m.shape == (0,)


@pytest.mark.parametrize("points, T, field", [
    (np.zeros((4, 2)), np.eye(4), "points_m.shape"),
    (np.zeros((4, 3)), np.eye(4)[:3], "T_camera_points"),
    (np.zeros((4, 3)), np.full((4, 4), np.nan), "T_camera_points"),
])
def test_bad_input_is_one_named_error(points, T, field):
    with pytest.raises(InputError) as info:
        SparseDepth.from_points(points, T, INTR)
    assert info.value.field == field and "\n" not in str(info.value)


def _cloud(xyz: np.ndarray, names=("x", "y", "z")):
    """rosbags PointCloud2, 1 x N, point_step 20: intensity at 0, a uint16 ring at 4, then the three
    named FLOAT32 fields at 8, 12 and 16 (not where a reader assuming x at 0 would look)."""
    dtype = np.dtype({"names": ["intensity", "ring", *names], "formats": ["<f4", "<u2", "<f4", "<f4", "<f4"],
                      "offsets": [0, 4, 8, 12, 16], "itemsize": 20})
    buf = np.zeros(len(xyz), dtype=dtype)
    buf["intensity"], buf["ring"] = 7.0, 3
    for axis, name in enumerate(names):
        buf[name] = xyz[:, axis]
    field = rb("sensor_msgs/msg/PointField")
    fields = [field(name="intensity", offset=0, datatype=7, count=1), field(name="ring", offset=4, datatype=4, count=1)]
    fields += [field(name=name, offset=8 + 4 * i, datatype=7, count=1) for i, name in enumerate(names)]
    return rb("sensor_msgs/msg/PointCloud2")(header=rb_header(frame_id="lidar"), height=1, width=len(xyz),
                                             fields=fields, is_bigendian=False, point_step=20,
                                             row_step=20 * len(xyz), data=buf.view(np.uint8).reshape(-1),
                                             is_dense=True)


def test_a_lidar_cloud_message_projects_like_its_points():
    lidar = np.array([[2.0, -10.0, 1.0], [-1.0, -5.3, -0.7], [0.1, -20.3, 0.2]], dtype=np.float32)
    xyz = pointcloud2_to_xyz(_cloud(lidar)).reshape(-1, 3)
    np.testing.assert_array_equal(xyz, lidar)
    sparse = SparseDepth.from_points(xyz, T_OPTICAL_LIDAR, INTR)
    np.testing.assert_allclose(np.sort(sparse.depth_m), [5.0, 9.7, 20.0], rtol=1e-6)
    with pytest.raises(InputError) as info:
        pointcloud2_to_xyz(_cloud(lidar, names=("x", "y", "range")))
    assert "no field named 'z'" in str(info.value) and "\n" not in str(info.value)
