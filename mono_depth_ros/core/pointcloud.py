"""Depth + intrinsics -> organized sensor_msgs/PointCloud2 (x, y, z [, rgb]) and back.

Points are in the camera optical frame (z forward, x right, y down). The cloud is organized
(height x width, one point per (sub-sampled) pixel) and keeps NaN points, so ``is_dense`` is
False whenever an invalid pixel remains. Every point takes 16 bytes: x, y, z (FLOAT32 at 0, 4,
8), then ``rgb`` as PCL packs it (uint32 ``0x00RRGGBB`` reinterpreted as a FLOAT32 field at
offset 12) or, for xyz clouds, 4 bytes of padding (as depth_image_proc's point_cloud_xyz and
PCL's PointXYZ). The points are written straight into the message's byte buffer by one OpenCV
pass (depthTo3d); benchmarks/bench_conversions.py prints the cost against a plain copy.
"""

from __future__ import annotations

import functools
import math
import sys
from typing import Any

import cv2
import numpy as np

from mono_depth_ros.core._msgs import as_uint8, construct_with_data, default_cls, nested_cls
from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.depth import depth_extremes
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.image import message_buffer, scratch

FLOAT32 = 7  # sensor_msgs/PointField.FLOAT32
FLOAT64 = 8
_HOST_BIGENDIAN = sys.byteorder == "big"
POINT_STEP = 16  # x, y, z, rgb or 4 bytes of padding (as depth_image_proc's xyz and PCL's PointXYZ)
_TINY_F32, _MAX_F32 = float(np.finfo(np.float32).tiny), float(np.finfo(np.float32).max)


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


def _camera_matrix(intr: CameraIntrinsics, stride_px: int = 1) -> np.ndarray:
    """3x3 K of the grid that keeps every ``stride_px``-th pixel: kept pixel j is pixel j * s, so
    (j * s - cx) / fx = (j - cx / s) / (fx / s) exactly."""
    s = float(stride_px)
    return np.array([[intr.fx / s, 0.0, intr.cx / s], [0.0, intr.fy / s, intr.cy / s], [0.0, 0.0, 1.0]])


def _xyz0(z: np.ndarray, intr: CameraIntrinsics, stride_px: int, out: np.ndarray) -> None:
    """x, y, z, 0 of every pixel of the (H', W') float32 ``z`` into the (H', W', 4) float32 ``out``:
    one pass (OpenCV's depthTo3d: x = (u - cx) z / fx, y = (v - cy) z / fy; NaN stays NaN)."""
    written = cv2.depthTo3d(z, _camera_matrix(intr, stride_px), out)
    if not np.shares_memory(written, out):  # OpenCV reallocated (an out it could not take)
        out[...] = written


def backproject_depth(depth_m: np.ndarray, intr: CameraIntrinsics) -> np.ndarray:
    """(H, W, 3) float32 optical-frame points X = (u-cx)Z/fx, Y = (v-cy)Z/fy, Z of (H, W) depth.

    NaN depth gives NaN points. Pixel (u, v) is the integer pixel index (OpenCV/ROS convention).
    The same kernel as the clouds (``depth_to_pointcloud2``), so both agree bit for bit.
    """
    depth_m = _check_depth(depth_m, intr)
    xyz0 = np.empty(depth_m.shape + (4,), dtype=np.float32)
    _xyz0(np.ascontiguousarray(depth_m, dtype=np.float32), intr, 1, xyz0)
    # drop the zero word in one OpenCV pass (numpy's copy of 3 of 4 channels: 1.3 ms at 640x480)
    return cv2.cvtColor(xyz0, cv2.COLOR_BGRA2BGR)


def _point_fields(field_cls: type, with_rgb: bool) -> list[Any]:
    """x, y, z (, rgb) FLOAT32 at offsets 0, 4, 8 (, 12); without rgb bytes 12-15 are padding."""
    names = ("x", "y", "z", "rgb") if with_rgb else ("x", "y", "z")
    return [field_cls(name=name, offset=4 * i, datatype=FLOAT32, count=1)
            for i, name in enumerate(names)]


def _write_rgb(rgb: np.ndarray, shape: tuple[int, int], stride_px: int, out_u32: np.ndarray) -> None:
    """Write PCL packed colour, uint32 0x00RRGGBB, into the (H', W') ``out_u32`` view.

    Little-endian hosts: OpenCV writes B, G, R, A bytes straight into ``out_u32`` and A is masked.
    Otherwise: the bytes R, G, B, <next R> of each pixel read as a big-endian uint32 are
    0xRRGGBB?? and shifting right by 8 leaves 0x00RRGGBB, on any host; no temporaries either way.
    """
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise InputError("rgb", f"shape={rgb.shape}, dtype={rgb.dtype}", "expected (H, W, 3) uint8")
    rows = rgb[::stride_px]  # a row stride costs nothing; OpenCV reads it as the row step
    if (rows.shape[0], -(-rows.shape[1] // stride_px)) != shape:
        raise InputError("rgb.shape", rgb.shape, f"must match the depth image (sub-sampled {shape})")
    if not _HOST_BIGENDIAN and out_u32.flags.c_contiguous:
        # BGRA bytes read as a little-endian uint32 are 0xAARRGGBB: convert, then mask A
        if stride_px == 1:  # straight into the message buffer
            bgra = out_u32.view(np.uint8).reshape(shape + (4,))
            converted = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGRA, dst=bgra)
            if not np.shares_memory(converted, bgra):
                bgra[...] = converted
            np.bitwise_and(out_u32, np.uint32(0x00FFFFFF), out=out_u32)
        else:  # whole kept rows, then every stride_px-th 4-byte pixel: a gather of 3-byte
            # pixels is several times slower in numpy than one of uint32 words
            words = cv2.cvtColor(rows, cv2.COLOR_RGB2BGRA).view(np.uint32)[:, :, 0]
            np.bitwise_and(words[:, ::stride_px], np.uint32(0x00FFFFFF), out=out_u32)
        return
    rgb = np.ascontiguousarray(rows[:, ::stride_px])
    n_px = shape[0] * shape[1]
    flat_out = out_u32.reshape(n_px) if out_u32.flags.c_contiguous else None
    if flat_out is None:  # strided out: flatten through its pixel stride
        flat_out = np.lib.stride_tricks.as_strided(out_u32, (n_px,), (out_u32.strides[1],))
    # all pixels but the last read one byte beyond their own 3 (the next pixel's R)
    words = np.ndarray((n_px - 1,), dtype=">u4", buffer=rgb.reshape(-1), strides=(3,))
    np.right_shift(words, 8, out=flat_out[:-1], casting="unsafe")
    r, g, b = (int(c) for c in rgb[-1, -1])
    flat_out[-1] = (r << 16) | (g << 8) | b


@functools.lru_cache(maxsize=8)
def _ray_length_per_z(intr_key: tuple, stride_px: int) -> np.ndarray:
    """(H', W') float32 ``|p| / z = sqrt(1 + (x/z)^2 + (y/z)^2)`` of every ray, cached per camera."""
    width, height, fx, fy, cx, cy = intr_key
    x_per_z, y_per_z = _ray_factors(CameraIntrinsics(width, height, fx, fy, cx, cy), stride_px)
    return np.sqrt(1.0 + np.square(x_per_z)[None, :] + np.square(y_per_z)[:, None]).astype(np.float32)


@functools.lru_cache(maxsize=8)
def _z_limits(intr_key: tuple, stride_px: int, max_range_m: float) -> tuple[np.ndarray, float]:
    """((H', W') float32 plane of the largest z whose point lies within ``max_range_m``
    (Euclidean) of the camera, per ray; its smallest value), cached per camera."""
    z_max = (np.float32(max_range_m) / _ray_length_per_z(intr_key, stride_px)).astype(np.float32)
    return z_max, float(z_max.min())


@functools.lru_cache(maxsize=4)
def _nan_plane(height: int, width: int) -> np.ndarray:
    return np.full((height, width), np.nan, dtype=np.float32)


def _valid_z(depth: np.ndarray, intr: CameraIntrinsics, stride_px: int, max_range_m: float,
             depth_scale: float) -> tuple[np.ndarray, bool]:
    """((H', W') float32 z of the kept pixels times ``depth_scale`` with every invalid point NaN
    (NaN, < the smallest normal float, inf, or beyond ``max_range_m``), whether any was invalid).

    Usually no pixel needs a write: NaN gives NaN points by itself, and the extremes of the
    non-NaN depths (``depth_extremes``: reductions, 0.013 ms each at 640x480) prove every
    other pixel valid when the largest is within the range of the most oblique ray. Only
    otherwise one compare per bound finds the pixels to fill, and a masked OpenCV copy writes NaN
    there (an ``inRange`` mask took 0.075 ms, these 0.03 per bound). ``depth`` itself is returned
    untouched when it is a contiguous float32 plane and the scale is 1; it is never written.
    """
    height, width = depth.shape
    if depth_scale != 1.0 or depth.dtype != np.float32 or not depth.flags.c_contiguous:
        z = scratch("cloud_z", (height, width))
        np.multiply(depth, np.float32(depth_scale), out=z, casting="same_kind")
    else:
        z = depth
    low, high, has_nan = depth_extremes(z)
    if math.isfinite(max_range_m):
        key = (intr.width, intr.height, intr.fx, intr.fy, intr.cx, intr.cy)
        z_max, z_max_min = _z_limits(key, stride_px, float(max_range_m))
    else:
        z_max, z_max_min = _MAX_F32, _MAX_F32
    if math.isnan(low) or (low >= _TINY_F32 and high <= z_max_min):  # all NaN, or no write needed
        return z, has_nan
    fill = scratch("cloud_fill", (height, width), np.bool_)
    np.greater(z, z_max, out=fill)  # beyond range, +inf; False for NaN (already NaN)
    if low < _TINY_F32:  # 0, negative, -inf, subnormal
        np.logical_or(fill, np.less(z, np.float32(_TINY_F32), out=scratch("cloud_low", (height, width), np.bool_)),
                      out=fill)
    if not fill.any():  # extremes beyond the most oblique ray's range, but each within its own
        return z, has_nan
    if z is depth:
        z = scratch("cloud_z", (height, width))
        np.copyto(z, depth)
    cv2.copyTo(_nan_plane(height, width), fill.view(np.uint8), z)
    return z, True


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
    z, has_invalid = _valid_z(depth_m[::stride_px, ::stride_px], intr, stride_px, max_range_m, depth_scale)
    height, width = z.shape
    data, buf = message_buffer(height * width * POINT_STEP, cls)
    cloud = buf.view(np.float32).reshape(height, width, 4)  # writes land in `data`
    _xyz0(z, intr, stride_px, cloud)  # x, y, z and a zero word: the padding, or rgb's place
    if rgb is not None:
        packed = scratch("cloud_rgb", (height, width), np.uint32)
        _write_rgb(rgb, (height, width), stride_px, packed)
        # into every point's fourth word (OpenCV 0.07 ms at 640x480, numpy's strided copy 0.08)
        cv2.mixChannels([packed.view(np.float32)], [cloud], [0, 3])
    del cloud, buf  # release the buffer export before rclpy takes the array.array
    return construct_with_data(cls, data, header=header, height=height, width=width,
                               fields=_point_fields(fcls, rgb is not None),
                               is_bigendian=_HOST_BIGENDIAN, point_step=POINT_STEP,
                               row_step=POINT_STEP * width, is_dense=not has_invalid)


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
