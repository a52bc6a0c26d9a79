"""Depth + intrinsics -> organized sensor_msgs/PointCloud2 (x, y, z [, rgb]) and back.

Points are in the camera optical frame (z forward, x right, y down). The cloud is organized
(height x width, one point per (sub-sampled) pixel) and keeps NaN points, so ``is_dense`` is
False whenever an invalid pixel remains. ``rgb`` follows PCL: uint32 ``0x00RRGGBB``
reinterpreted as a FLOAT32 field at offset 12, point_step 16. Everything is vectorised: the
points are written straight into the message's byte buffer.
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
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.image import message_buffer, scratch

FLOAT32 = 7  # sensor_msgs/PointField.FLOAT32
FLOAT64 = 8
_HOST_BIGENDIAN = sys.byteorder == "big"


def _scratch_planes(n_planes: int, height: int, width: int, slot: str = "planes") -> np.ndarray:
    """(n_planes, H, W) float32 work planes (xyz and xyzrgb share one (4, H, W) array)."""
    return scratch(slot, (max(n_planes, 4 if slot == "planes" else 1), height, width))[:n_planes]


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
    """
    depth_m = _check_depth(depth_m, intr)
    x_per_z, y_per_z = _ray_factors(intr, 1)
    out = np.empty(depth_m.shape + (3,), dtype=np.float32)
    out[:, :, 2] = depth_m
    np.multiply(out[:, :, 2], x_per_z[None, :], out=out[:, :, 0])
    np.multiply(out[:, :, 2], y_per_z[:, None], out=out[:, :, 1])
    return out


def _point_fields(field_cls: type, with_rgb: bool) -> list[Any]:
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


def _depth_and_invalid(depth: np.ndarray, intr: CameraIntrinsics, stride_px: int,
                       max_range_m: float, depth_scale: float = 1.0) -> np.ndarray:
    """Boolean (H', W') mask of invalid points: NaN, <= 0, inf, or beyond max_range_m (Euclidean)
    once multiplied by ``depth_scale``."""
    with np.errstate(invalid="ignore", over="ignore"):
        if not math.isfinite(max_range_m):
            invalid = ~(depth > 0)  # NaN and <= 0
            invalid |= depth == np.inf
            return invalid
        # |p| = z * ray_length_per_z: one product, then 0 < |p| <= r (NaN and inf fail it too)
        key = (intr.width, intr.height, intr.fx, intr.fy, intr.cx, intr.cy)
        range_m = _scratch_planes(1, *depth.shape, slot="range")[0]
        np.multiply(depth, _ray_length_per_z(key, stride_px), out=range_m)
        invalid = range_m > np.float32(max_range_m / depth_scale)
        invalid |= ~(range_m > 0)
    return invalid


def _fill_planes(depth: np.ndarray, invalid: np.ndarray | None, x_per_z: np.ndarray,
                 y_per_z: np.ndarray, rgb: np.ndarray | None, stride_px: int,
                 depth_scale: float = 1.0) -> np.ndarray:
    """(3 or 4, H', W') float32 planes x, y, z (, packed rgb) in reused per-thread scratch.

    Contiguous planes keep every pass SIMD-friendly, and reusing them avoids faulting in fresh
    pages on every call (costly on VMs); only the message buffer itself is new memory.
    """
    height, width = depth.shape
    planes = _scratch_planes(3 if rgb is None else 4, height, width)
    x, y, z = planes[0], planes[1], planes[2]
    if depth_scale == 1.0:
        np.copyto(z, depth, casting="same_kind")
    else:  # the scale costs nothing extra: it is this copy
        np.multiply(depth, np.float32(depth_scale), out=z, casting="same_kind")
    if invalid is not None:
        np.copyto(z, np.float32(np.nan), where=invalid)
    np.multiply(z, x_per_z[None, :], out=x)
    np.multiply(z, y_per_z[:, None], out=y)
    if rgb is not None:
        _write_rgb(rgb, (height, width), stride_px, planes[3].view(np.uint32))
    return planes


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
    x_per_z, y_per_z = _ray_factors(intr, stride_px)
    depth = depth_m[::stride_px, ::stride_px]
    height, width = depth.shape
    n_fields = 4 if rgb is not None else 3
    point_step = 4 * n_fields
    data, buf = message_buffer(height * width * point_step, cls)
    cloud = buf.view(np.float32).reshape(height, width, n_fields)  # writes land in `data`
    invalid = _depth_and_invalid(depth, intr, stride_px, max_range_m, depth_scale)
    has_invalid = bool(invalid.any())
    planes = _fill_planes(depth, invalid if has_invalid else None, x_per_z, y_per_z, rgb, stride_px,
                          depth_scale)
    merged = cv2.merge(list(planes), cloud)  # one interleaving pass into the message buffer
    if not np.shares_memory(merged, cloud):  # OpenCV reallocated: copy into the message buffer
        cloud[...] = np.asarray(merged).reshape(cloud.shape)
    del merged, cloud, buf  # release the buffer export before rclpy takes the array.array
    return construct_with_data(cls, data, header=header, height=height, width=width,
                               fields=_point_fields(fcls, rgb is not None),
                               is_bigendian=_HOST_BIGENDIAN, point_step=point_step,
                               row_step=point_step * width, is_dense=not has_invalid)


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
