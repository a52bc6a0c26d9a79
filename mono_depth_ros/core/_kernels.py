"""Compiled per-pixel kernels (numba): one pass over the pixels where numpy and OpenCV need several.

A cloud point is ``x = (u - cx) / fx * z``, ``y = (v - cy) / fy * z``, ``z``. Built from numpy
and OpenCV calls, a cloud with range-limited points took five passes over the depth (extremes,
compare, any, copy, masked fill) before the back-projection and the colour packing; here one
loop reads each kept depth and colour pixel once and writes its 16-byte point straight into the
message buffer (benchmarks/bench_conversions.py prints the cost against a plain copy).

The validity test is branch-free (a select), so scattered invalid pixels cost nothing extra.
Compiled on first use and cached beside this file (or in numba's user cache where that is
read-only); ``warm_up`` compiles or loads them ahead of the first frame. ``nogil``: a node's worker
thread keeps running while its executor thread takes the GIL.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from numba import config as numba_config
from numba import njit


def cache_dir_for(package_dir: Path) -> str | None:
    """Where numba should cache these kernels when it cannot write beside this file (a read-only
    install: /opt/ros, a system site-packages): a user cache folder, else one in the temp folder;
    None when the in-tree ``__pycache__`` is writable or NUMBA_CACHE_DIR is set. Without a
    writable place ``cache=True`` would fail at import."""
    if numba_config.CACHE_DIR or os.access(package_dir, os.W_OK):
        return None
    candidates = [Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mono_depth_ros" / "numba",
                  Path(tempfile.gettempdir()) / f"mono_depth_ros_numba_{os.getuid()}"]
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return str(folder)
    return None


_CACHE_DIR = cache_dir_for(Path(__file__).resolve().parent)
if _CACHE_DIR is not None:
    numba_config.CACHE_DIR = _CACHE_DIR

_TINY_F32 = np.float32(np.finfo(np.float32).tiny)  # the smallest normal float32; below: invalid
_NO_RGB = np.zeros((1, 1, 3), dtype=np.uint8)  # the strided kernel's colour for an xyz cloud (never read)


@njit(inline="always")
def _point(z, limit, x_factor, y_factor, out, i):  # pragma: no cover
    """Store one point (NaN if ``z`` is invalid); return 0, or NaN for an invalid point."""
    ok = (z >= _TINY_F32) & (z <= limit)  # False for NaN
    z = z if ok else np.float32(np.nan)  # a select, not a branch
    out[i, 0] = x_factor * z
    out[i, 1] = y_factor * z
    out[i, 2] = z
    return z * np.float32(0.0)


@njit(inline="always")
def _packed(colour):  # pragma: no cover
    return (np.uint32(colour[0]) << 16) | (np.uint32(colour[1]) << 8) | np.uint32(colour[2])


def cloud_points(depth, stride, scale, x_per_z, y_per_z, z_max, rgb, xyz, word) -> bool:
    """Write every kept pixel's point; return whether any point is invalid (NaN).

    Args:
        depth: (H, W) float32, C-contiguous; pixel (v, u) kept when both are multiples of ``stride``.
        stride: keep every stride-th pixel in u and v.
        scale: float32 factor applied to each kept depth first.
        x_per_z: (W',) float32 ``(u - cx) / fx`` of the kept columns; y_per_z: (H',) of the rows.
        z_max: (H', W') float32 largest valid z per ray (the range limit; float32 max without one).
        rgb: (H, W, 3) uint8 C-contiguous colour, or None for an xyz cloud.
        xyz: (H', W', 4) float32 output; words 0-2 get x, y, z (NaN for an invalid point: NaN,
            below the smallest normal float32, or beyond ``z_max``).
        word: (H', W', 4) uint32 view of ``xyz``'s buffer; the fourth word of each point gets
            PCL's packed ``0x00RRGGBB``, or 0 (padding) without ``rgb``.

    Three kernels, each one loop the compiler keeps tight: full-size colour (the node's cloud),
    full-size xyz, and any stride. One kernel with all three branches measured 10-20 % slower on
    one of them; so did a counter or a flag updated per pixel in place of summing each point's
    ``z * 0`` (NaN only for an invalid point) per row.
    """
    if stride == 1 and rgb is not None:
        return _cloud_rgb(depth, scale, x_per_z, y_per_z, z_max, rgb, xyz, word)
    if stride == 1:
        return _cloud_xyz(depth, scale, x_per_z, y_per_z, z_max, xyz, word)
    if rgb is None:
        return _cloud_strided(depth, stride, scale, x_per_z, y_per_z, z_max, _NO_RGB, False, xyz, word)
    return _cloud_strided(depth, stride, scale, x_per_z, y_per_z, z_max, rgb, True, xyz, word)


@njit(cache=True, nogil=True, boundscheck=False)
def _cloud_rgb(depth, scale, x_per_z, y_per_z, z_max, rgb, xyz, word):  # pragma: no cover
    any_invalid = False
    for j in range(z_max.shape[0]):
        src, limit, out, fourth, colour = depth[j], z_max[j], xyz[j], word[j], rgb[j]
        y_factor = y_per_z[j]
        acc = np.float32(0.0)
        for i in range(z_max.shape[1]):
            acc += _point(src[i] * scale, limit[i], x_per_z[i], y_factor, out, i)
            fourth[i, 3] = _packed(colour[i])
        any_invalid |= acc != acc
    return any_invalid


@njit(cache=True, nogil=True, boundscheck=False)
def _cloud_xyz(depth, scale, x_per_z, y_per_z, z_max, xyz, word):  # pragma: no cover
    any_invalid = False
    for j in range(z_max.shape[0]):
        src, limit, out, fourth = depth[j], z_max[j], xyz[j], word[j]
        y_factor = y_per_z[j]
        acc = np.float32(0.0)
        for i in range(z_max.shape[1]):
            acc += _point(src[i] * scale, limit[i], x_per_z[i], y_factor, out, i)
            fourth[i, 3] = 0
        any_invalid |= acc != acc
    return any_invalid


@njit(cache=True, nogil=True, boundscheck=False)
def _cloud_strided(depth, stride, scale, x_per_z, y_per_z, z_max, rgb, with_rgb, xyz, word):  # pragma: no cover
    any_invalid = False
    for j in range(z_max.shape[0]):
        src, limit, out, fourth, colour = depth[j * stride], z_max[j], xyz[j], word[j], rgb[j * stride]
        y_factor = y_per_z[j]
        acc = np.float32(0.0)
        for i in range(z_max.shape[1]):
            acc += _point(src[i * stride] * scale, limit[i], x_per_z[i], y_factor, out, i)
        if with_rgb:
            for i in range(z_max.shape[1]):
                fourth[i, 3] = _packed(colour[i * stride])
        else:
            for i in range(z_max.shape[1]):
                fourth[i, 3] = 0
        any_invalid |= acc != acc
    return any_invalid


@njit(cache=True, nogil=True, boundscheck=False)
def backproject(depth, x_per_z, y_per_z, xyz):  # pragma: no cover
    """(H, W) float32 depth -> (H, W, 3) float32 ``xyz``, every pixel as given (NaN stays NaN);
    the same arithmetic as ``cloud_points``, so valid points agree bit for bit."""
    rows, cols = depth.shape
    for j in range(rows):
        src = depth[j]
        out = xyz[j]
        y_factor = y_per_z[j]
        for i in range(cols):
            z = src[i]
            out[i, 0] = x_per_z[i] * z
            out[i, 1] = y_factor * z
            out[i, 2] = z


def warm_up() -> None:
    """Compile (or load from the cache) every kernel for the types the converters pass."""
    depth = np.ones((2, 2), np.float32)
    factors = np.zeros(2, np.float32)
    points = np.empty((2, 2, 4), np.float32)
    for stride in (1, 2):
        for rgb in (None, np.zeros((2, 2, 3), np.uint8)):
            cloud_points(depth, stride, np.float32(1.0), factors, factors, depth, rgb, points, points.view(np.uint32))
    backproject(depth, factors, factors, np.empty((2, 2, 3), np.float32))
