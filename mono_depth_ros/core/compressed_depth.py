"""Decode ``compressedDepth`` CompressedImage messages (image_transport's compressed_depth plugin).

Layout (compressed_depth_image_transport/codec.cpp): ``format`` is ``"<encoding>; compressedDepth
<png|rvl>"`` (older recorders: ``"<encoding>; compressedDepth"`` = png); ``data`` starts with a
12-byte ConfigHeader (int32 format, float32 depthParam[2], little-endian) followed by

- 16UC1: the millimetre image itself, as a 16-bit PNG or as RVL;
- 32FC1: a 16-bit inverse-depth image q (PNG or RVL) with ``depth_m = A / (q - B)`` where
  ``A, B = depthParam``; q = 0 means invalid.

RVL (Wilson 2017, "Fast Lossless Depth Image Compression"): ``uint32 width, uint32 height``, then
little-endian int32 words of 4-bit nibbles read from the top; each value is a run of nibbles of 3
data bits (low bits first) with the 4th bit set while more follow. Values come as
``zeros, nonzeros, zigzag deltas x nonzeros`` repeated until width*height pixels are produced.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from mono_depth_ros.core._msgs import as_uint8
from mono_depth_ros.core.errors import InputError

CONFIG_HEADER_BYTES = 12


def is_compressed_depth(msg: Any) -> bool:
    """True for a CompressedImage whose ``format`` names the compressedDepth transport."""
    return "compresseddepth" in str(getattr(msg, "format", "")).lower().replace(" ", "")


def _rvl_values(words: np.ndarray) -> np.ndarray:
    """All variable-length values of an RVL stream ((N,) int64), trailing padding included."""
    shifts = np.arange(28, -4, -4, dtype=np.uint32)
    nibbles = ((words.astype(np.uint32)[:, None] >> shifts[None, :]) & 0xF).reshape(-1).astype(np.int64)
    ends = np.flatnonzero((nibbles & 0x8) == 0)
    if ends.size == 0:
        return np.zeros(0, np.int64)
    nibbles = nibbles[: ends[-1] + 1]
    starts = np.concatenate([[0], ends[:-1] + 1])
    position = np.arange(nibbles.size) - np.repeat(starts, ends - starts + 1)
    return np.add.reduceat((nibbles & 0x7) << (3 * position), starts)


def decode_rvl(payload: bytes | np.ndarray) -> np.ndarray:
    """(H, W) uint16 image of an RVL payload (``uint32 width, uint32 height`` + RVL words)."""
    buf = as_uint8(payload)
    if buf.size < 8:
        raise InputError("data", f"len={buf.size}", "RVL payload shorter than its 8-byte size header")
    width, height = (int(v) for v in buf[:8].view("<u4"))
    body = buf[8:]
    if width == 0 or height == 0 or width * height > 5 * max(body.size, 1):
        raise InputError("rvl size", f"{width}x{height}", f"impossible for {body.size} compressed bytes")
    words = np.frombuffer(body[: body.size // 4 * 4].tobytes(), "<u4")
    values = _rvl_values(words)
    count, deltas, i = width * height, [], 0
    runs = []  # (zeros, start of nonzero values in `values`, nonzeros)
    filled = 0
    while filled < count:
        if i + 1 >= values.size:
            raise InputError("data", f"len={buf.size}", f"RVL stream ends after {filled} of {count} pixels")
        zeros, nonzeros = int(values[i]), int(values[i + 1])
        runs.append((zeros, i + 2, nonzeros))
        filled += zeros + nonzeros
        i += 2 + nonzeros
    if filled != count or i > values.size:
        raise InputError("data", f"len={buf.size}", f"RVL runs give {filled} pixels, expected {count}")
    image = np.zeros(count, np.uint16)
    mask = np.zeros(count, bool)
    pos = 0
    for zeros, start, nonzeros in runs:
        pos += zeros
        mask[pos:pos + nonzeros] = True
        deltas.append(values[start:start + nonzeros])
        pos += nonzeros
    zigzag = np.concatenate(deltas) if deltas else np.zeros(0, np.int64)
    delta = (zigzag >> 1) ^ -(zigzag & 1)
    image[mask] = (np.cumsum(delta) & 0xFFFF).astype(np.uint16)
    return image.reshape(height, width)


def compressed_depth_to_depth_m(msg: Any) -> np.ndarray:
    """(H, W) float32 metres, NaN invalid, of a ``compressedDepth`` CompressedImage (png or rvl)."""
    fmt = str(getattr(msg, "format", ""))
    if not is_compressed_depth(msg):
        raise InputError("format", fmt, "not a compressedDepth image")
    encoding, _, rest = fmt.partition(";")
    encoding = encoding.strip()
    codec = "rvl" if "rvl" in rest.lower() else "png"
    buf = as_uint8(msg.data)
    if buf.size <= CONFIG_HEADER_BYTES:
        raise InputError("data", f"len={buf.size}", "shorter than the 12-byte compressedDepth header")
    quant_a, quant_b = (float(v) for v in buf[4:12].view("<f4"))
    body = buf[CONFIG_HEADER_BYTES:]
    if codec == "rvl":
        raw = decode_rvl(body)
    else:
        raw = cv2.imdecode(body, cv2.IMREAD_UNCHANGED)
        if raw is None or raw.dtype != np.uint16 or raw.ndim != 2:
            raise InputError("data", f"len={buf.size}, format={fmt!r}", "not a single-channel 16-bit PNG")
    if encoding in ("16UC1", "mono16"):
        depth_m = raw.astype(np.float32) * np.float32(1e-3)
        depth_m[raw == 0] = np.nan
        return depth_m
    if encoding == "32FC1":
        with np.errstate(divide="ignore", invalid="ignore"):
            depth_m = (np.float32(quant_a) / (raw.astype(np.float32) - np.float32(quant_b))).astype(np.float32)
        depth_m[(raw == 0) | ~np.isfinite(depth_m) | (depth_m <= 0)] = np.nan
        return depth_m
    raise InputError("format", fmt, "compressedDepth encoding must be 16UC1 or 32FC1")
