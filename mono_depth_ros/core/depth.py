"""Depth images per REP 118: 32FC1 metres with NaN invalid, or 16UC1 millimetres with 0 invalid.

The unit convention lives here only (as depth_image_proc's depth traits): nodes pick the
converter by encoding and never scale depth themselves.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.image import build_image, image_to_numpy, numpy_to_image

MM_PER_M = 1000.0
#: largest depth a 16UC1 millimetre image can hold, in metres
MAX_DEPTH_16UC1_M = 65535 / MM_PER_M

_MILLIMETRE_ENCODINGS = ("16UC1", "mono16")


def depth_extremes(depth_m: np.ndarray) -> tuple[float, float, bool]:
    """(smallest, largest non-NaN value, whether any NaN) of a float array; NaN, NaN when all are.

    Two or three SIMD reductions (0.013 ms each over 640x480 float32): when the smallest is
    positive and the largest finite (and within any range limit), every non-NaN pixel is valid and
    a converter needs no per-pixel mask. NaN pixels are invalid already in every output here.
    """
    low = float(np.min(depth_m))  # propagates NaN
    if not math.isnan(low):
        return low, float(np.max(depth_m)), False
    return float(np.fmin.reduce(depth_m, axis=None)), float(np.fmax.reduce(depth_m, axis=None)), True


def depth_from_image(msg: Any) -> np.ndarray:
    """(H, W) float32 depth in metres, NaN where invalid, from a depth ``sensor_msgs/Image``.

    16UC1/mono16 are millimetres with 0 invalid; 32FC1 is metres, where 0, +-inf, NaN and
    negative values are invalid.
    """
    encoding = msg.encoding
    if encoding not in _MILLIMETRE_ENCODINGS and encoding != "32FC1":
        raise InputError("encoding", encoding, "depth must be 32FC1 (m) or 16UC1/mono16 (mm)")
    raw = image_to_numpy(msg)
    if encoding in _MILLIMETRE_ENCODINGS:
        depth_m = raw.astype(np.float32) * np.float32(1.0 / MM_PER_M)
        depth_m[raw == 0] = np.nan
        return depth_m
    depth_m = np.array(raw, dtype=np.float32, copy=True)
    with np.errstate(invalid="ignore"):
        depth_m[~(np.isfinite(depth_m) & (depth_m > 0))] = np.nan
    return depth_m


def depth_to_image(depth_m: np.ndarray, header: Any, encoding: str = "32FC1",
                   msg_cls: type | None = None) -> Any:
    """Depth ``sensor_msgs/Image`` of an (H, W) depth in metres (NaN/inf/<=0 = invalid).

    ``"32FC1"``: float32 metres, invalid -> NaN. ``"16UC1"``: rounded millimetres, invalid and
    depths beyond ``MAX_DEPTH_16UC1_M`` (not representable) -> 0.
    """
    depth_m = np.asarray(depth_m)
    if depth_m.ndim != 2:
        raise InputError("depth_m.shape", depth_m.shape, "expected (H, W)")
    if not np.issubdtype(depth_m.dtype, np.floating):
        raise InputError("depth_m.dtype", str(depth_m.dtype), "expected float metres")
    if encoding == "32FC1":
        def write_metres(view: np.ndarray) -> None:  # straight into the message: copy, then mark
            out = view[:, :, 0]
            np.copyto(out, depth_m, casting="same_kind")
            low, high, _ = depth_extremes(out)
            if math.isnan(low) or (low > 0 and high < math.inf):  # nothing to mark (NaN stays NaN)
                return
            with np.errstate(invalid="ignore"):
                invalid = out <= 0  # NaN stays NaN; 0, negative and inf become NaN
                invalid |= out == np.inf
            np.copyto(out, np.float32(np.nan), where=invalid)

        return build_image(depth_m.shape[0], depth_m.shape[1], encoding, header, write_metres, msg_cls=msg_cls)
    if encoding == "16UC1":
        with np.errstate(invalid="ignore"):
            valid = np.isfinite(depth_m) & (depth_m > 0)
            depth_mm = np.rint(np.where(valid, depth_m, 0.0) * MM_PER_M)
            out = np.where(valid & (depth_mm <= 65535), depth_mm, 0).astype(np.uint16)
        return numpy_to_image(out, encoding, header, msg_cls=msg_cls)
    raise InputError("encoding", encoding, "depth output must be '32FC1' or '16UC1'")
