"""Depth + intrinsics -> organized sensor_msgs/PointCloud2 (x, y, z [, rgb]) and back.

Points are in the camera optical frame (z forward, x right, y down). The cloud is organized
(height x width, one point per (sub-sampled) pixel) and keeps NaN points, so ``is_dense`` is
False whenever an invalid pixel remains. Every point takes 16 bytes: x, y, z (FLOAT32 at 0, 4,
8), then ``rgb`` as PCL packs it (uint32 ``0x00RRGGBB`` reinterpreted as a FLOAT32 field at
offset 12) or, for xyz clouds, 4 bytes of padding (as depth_image_proc's point_cloud_xyz and
PCL's PointXYZ). The points are written straight into the message's byte buffer by one compiled
pass (``_kernels.cloud_points``); benchmarks/bench_conversions.py prints the cost against a plain
copy.
"""

from __future__ import annotations

import functools
import math
import sys
from typing import Any

import numpy as np

from mono_depth_ros.core._msgs import as_uint8, construct_with_data, default_cls, nested_cls
from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core import _kernels
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.image import message_buffer

FLOAT32 = 7  # sensor_msgs/PointField.FLOAT32
FLOAT64 = 8
_HOST_BIGENDIAN = sys.byteorder == "big"
POINT_STEP = 16  # x, y, z, rgb or 4 bytes of padding (as depth_image_proc's xyz and PCL's PointXYZ)
_MAX_F32 = float(np.finfo(np.float32).max)


def warm_up_kernels() -> None:
    """Compile the cloud kernels, or load them from numba's cache, ahead of the first frame."""
    _kernels.warm_up()


def _check_depth(depth_m: np.ndarray, intr: CameraIntrinsics) -> np.ndarray:
    depth_m = np.asarray(depth_m)
    if depth_m.ndim != 2 or depth_m.shape != (intr.height, intr.width):
        raise InputError("depth_m.shape", depth_m.shape,
                         f"expected (H, W) = ({intr.height}, {intr.width}) from the intrinsics")
    if not np.issubdtype(depth_m.dtype, np.floating):
        raise InputError("depth_m.dtype", str(depth_m.dtype), "expected float metres")
    intr.validate()
    return depth_m


def _ray_factors(intr: CameraIntrinsics, stride_px: int) -> tuple[np.ndarray, np.ndarray]:
    """(W',) x/z factors ``(u - cx) / fx`` and (H',) y/z factors ``(v - cy) / fy``."""
    u = np.arange(0, intr.width, stride_px, dtype=np.float64)
    v = np.arange(0, intr.height, stride_px, dtype=np.float64)
    return ((u - intr.cx) / intr.fx).astype(np.float32), ((v - intr.cy) / intr.fy).astype(np.float32)


def backproject_depth(depth_m: np.ndarray, intr: CameraIntrinsics) -> np.ndarray:
    """(H, W, 3) float32 optical-frame points X = (u-cx)Z/fx, Y = (v-cy)Z/fy, Z of (H, W) depth.

    NaN depth gives NaN points. Pixel (u, v) is the integer pixel index (OpenCV/ROS convention).
    The same arithmetic as the clouds (``depth_to_pointcloud2``), so both agree bit for bit.
    """
    depth_m = _check_depth(depth_m, intr)
    x_per_z, y_per_z = _ray_factors(intr, 1)
    xyz = np.empty(depth_m.shape + (3,), dtype=np.float32)
    _kernels.backproject(np.ascontiguousarray(depth_m, dtype=np.float32), x_per_z, y_per_z, xyz)
    return xyz


def _point_fields(field_cls: type, with_rgb: bool) -> list[Any]:
    """x, y, z (, rgb) FLOAT32 at offsets 0, 4, 8 (, 12); without rgb bytes 12-15 are padding."""
    names = ("x", "y", "z", "rgb") if with_rgb else ("x", "y", "z")
    return [field_cls(name=name, offset=4 * i, datatype=FLOAT32, count=1)
            for i, name in enumerate(names)]


@functools.lru_cache(maxsize=8)
def _cached_ray_factors(intr_key: tuple, stride_px: int) -> tuple[np.ndarray, np.ndarray]:
    return _ray_factors(CameraIntrinsics(*intr_key), stride_px)


@functools.lru_cache(maxsize=8)
def _ray_length_per_z(intr_key: tuple, stride_px: int) -> np.ndarray:
    """(H', W') float32 ``|p| / z = sqrt(1 + (x/z)^2 + (y/z)^2)`` of every ray, cached per camera."""
    width, height, fx, fy, cx, cy = intr_key
    x_per_z, y_per_z = _ray_factors(CameraIntrinsics(width, height, fx, fy, cx, cy), stride_px)
    return np.sqrt(1.0 + np.square(x_per_z)[None, :] + np.square(y_per_z)[:, None]).astype(np.float32)


@functools.lru_cache(maxsize=8)
def _z_limits(intr_key: tuple, stride_px: int, max_range_m: float) -> np.ndarray:
    """(H', W') float32 plane of the largest valid z per ray: the z whose point lies
    ``max_range_m`` (Euclidean) from the camera, or float32's largest without a range; cached per
    camera (never written)."""
    if math.isfinite(max_range_m):
        z_max = (np.float32(max_range_m) / _ray_length_per_z(intr_key, stride_px)).astype(np.float32)
    else:
        width, height = intr_key[:2]
        z_max = np.full((-(-height // stride_px), -(-width // stride_px)), _MAX_F32, dtype=np.float32)
    return z_max


def depth_to_pointcloud2(depth_m: np.ndarray, intr: CameraIntrinsics, header: Any,
                         rgb: np.ndarray | None = None, stride_px: int = 1,
                         max_range_m: float = math.inf, msg_cls: type | None = None,
                         field_cls: type | None = None, depth_scale: float = 1.0) -> Any:
    """Organized ``sensor_msgs/PointCloud2`` of an (H, W) depth in metres (NaN invalid).

    Args:
        depth_m: (H, W) float depth in metres; NaN/inf/<=0 are invalid -> NaN points.
        intr: intrinsics of the depth image (H, W must match).
        header: copied into the cloud (frame: the camera optical frame).
        rgb: optional (H, W, 3) uint8 colour, packed into a FLOAT32 ``rgb`` field.
        stride_px: keep every stride_px-th pixel in u and v (cloud is ceil(H/s) x ceil(W/s)).
        max_range_m: points farther than this Euclidean distance from the camera become NaN.
        depth_scale: multiplies ``depth_m`` first (a non-metric model's per-frame scale rule),
            on the kept pixels only.
    """
    depth_m = _check_depth(depth_m, intr)
    if int(stride_px) != stride_px or stride_px < 1:
        raise InputError("stride_px", stride_px, "must be an integer >= 1")
    if not max_range_m > 0:
        raise InputError("max_range_m", max_range_m, "must be > 0")
    if not (depth_scale > 0 and math.isfinite(depth_scale)):
        raise InputError("depth_scale", depth_scale, "must be finite and > 0")
    stride_px = int(stride_px)
    cls = msg_cls or default_cls("sensor_msgs", "PointCloud2")
    fcls = field_cls or nested_cls(cls, "fields")
    if rgb is not None:
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise InputError("rgb", f"shape={rgb.shape}, dtype={rgb.dtype}", "expected (H, W, 3) uint8")
        if rgb.shape[:2] != depth_m.shape:
            raise InputError("rgb.shape", rgb.shape, f"must match the depth image {depth_m.shape}")
    key = (intr.width, intr.height, intr.fx, intr.fy, intr.cx, intr.cy)
    z_max = _z_limits(key, stride_px, float(max_range_m))
    x_per_z, y_per_z = _cached_ray_factors(key, stride_px)
    height, width = z_max.shape
    data, buf = message_buffer(height * width * POINT_STEP, cls)
    cloud = buf.view(np.float32).reshape(height, width, 4)  # writes land in `data`
    any_invalid = _kernels.cloud_points(
        np.ascontiguousarray(depth_m, dtype=np.float32), stride_px, np.float32(depth_scale), x_per_z, y_per_z,
        z_max, None if rgb is None else np.ascontiguousarray(rgb), cloud, cloud.view(np.uint32))
    del cloud, buf  # release the buffer export before rclpy takes the array.array
    return construct_with_data(cls, data, header=header, height=height, width=width,
                               fields=_point_fields(fcls, rgb is not None),
                               is_bigendian=_HOST_BIGENDIAN, point_step=POINT_STEP,
                               row_step=POINT_STEP * width, is_dense=not any_invalid)


def pointcloud2_to_xyz(msg: Any) -> np.ndarray:
    """(H, W, 3) float32 x, y, z of a ``sensor_msgs/PointCloud2`` (FLOAT32 or FLOAT64 fields)."""
    height, width = int(msg.height), int(msg.width)
    point_step, row_step = int(msg.point_step), int(msg.row_step)
    buf = as_uint8(msg.data)
    if height <= 0 or width <= 0:
        raise InputError("height x width", (height, width), "must both be > 0")
    if row_step < width * point_step:
        raise InputError("row_step", row_step, f"smaller than width*point_step = {width * point_step}")
    if buf.size != row_step * height:
        raise InputError("data", f"len={buf.size}", f"expected row_step*height = {row_step * height}")
    fields = {f.name: f for f in msg.fields}
    out = np.empty((height, width, 3), dtype=np.float32)
    order = ">" if msg.is_bigendian else "<"
    for axis, name in enumerate("xyz"):
        if name not in fields:
            raise InputError("fields", sorted(fields), f"no field named {name!r}")
        fld = fields[name]
        if int(fld.datatype) not in (FLOAT32, FLOAT64):
            raise InputError(f"fields[{name}].datatype", int(fld.datatype), "must be FLOAT32 or FLOAT64")
        dtype = np.dtype(order + ("f4" if int(fld.datatype) == FLOAT32 else "f8"))
        if int(fld.offset) + dtype.itemsize > point_step:
            raise InputError(f"fields[{name}].offset", int(fld.offset), f"beyond point_step={point_step}")
        out[:, :, axis] = np.ndarray((height, width), dtype=dtype, buffer=buf, offset=int(fld.offset),
                                     strides=(row_step, point_step))
    return out
