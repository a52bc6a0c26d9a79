"""Depth -> rgb8 false colour (TURBO of inverse depth), for ~/depth/colored and demo snapshots.

One lookup table does the colouring: index 0 is black (invalid pixels), indices 1..255 are the
TURBO colours in RGB order, so a frame costs a reciprocal, a clamp, one rounding affine pass to
the index and one table lookup (no channel swap, no second masking pass over the colour image).
The lookup gives each pixel one 32-bit word (R, G, B, 0) and a channel drop packs them into the
3-byte pixels: 0.10 ms at 640x480 against 0.19 for OpenCV's 3-channel ``applyColorMap``.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from mono_depth_ros.core.depth import depth_extremes
from mono_depth_ros.core.image import scratch

_MAX_PERCENTILE_SAMPLES = 5000  # 2nd/98th percentiles to a fraction of a percent


def _turbo_lut() -> np.ndarray:
    """(256, 1, 3) uint8 RGB table: 0 = black, 1..255 = TURBO from far (blue) to near (red)."""
    turbo_bgr = cv2.applyColorMap(np.arange(256, dtype=np.uint8)[:, None], cv2.COLORMAP_TURBO)[:, 0]
    lut = np.zeros((256, 1, 3), dtype=np.uint8)
    lut[1:, 0] = turbo_bgr[np.round(np.linspace(0, 255, 255)).astype(int), ::-1]
    return lut


TURBO_LUT = _turbo_lut()
# the same table as (256,) int32 words whose bytes are R, G, B, 0: cv2.LUT's fast single-channel path
_TURBO_WORDS = np.concatenate([TURBO_LUT[:, 0], np.zeros((256, 1), np.uint8)], axis=1).view(np.int32)[:, 0].copy()


def _limits(depth_m: np.ndarray, max_depth_m: float, min_depth_m: float) -> tuple[float, float] | None:
    """(lo, hi) inverse-depth limits: 2nd/98th percentiles of a strided subsample, or the fixed ends.

    None when no valid pixel is found."""
    lo = 1.0 / max_depth_m if max_depth_m > 0 else None
    hi = 1.0 / min_depth_m if min_depth_m > 0 else None
    if lo is not None and hi is not None:
        return lo, hi
    step = max(1, int(math.sqrt(depth_m.size / _MAX_PERCENTILE_SAMPLES)))
    for sample in (depth_m[::step, ::step], depth_m):  # the full image only when the sample had nothing
        with np.errstate(invalid="ignore", divide="ignore"):
            values = sample[(sample > 0) & np.isfinite(sample)]
        if values.size:
            break
    else:
        return None
    p_lo, p_hi = _percentiles(np.reciprocal(values, dtype=np.float32), (2.0, 98.0))
    return (p_lo if lo is None else lo), (p_hi if hi is None else hi)


def _percentiles(values: np.ndarray, percents: tuple[float, ...]) -> list[float]:
    """``np.percentile(values, percents)`` (linear interpolation) of a 1-D array by one partition
    around the ranks it needs: the same numbers, without np.percentile's overhead per frame."""
    ranks = [p / 100.0 * (values.size - 1) for p in percents]
    below = [int(np.floor(r)) for r in ranks]
    needed = sorted({i for b in below for i in (b, min(b + 1, values.size - 1))})
    part = np.partition(values, needed)
    return [float(part[b] + (r - b) * (part[min(b + 1, values.size - 1)] - part[b])) for r, b in zip(ranks, below)]


def colorize_depth(depth_m: np.ndarray, max_depth_m: float = 0.0, min_depth_m: float = 0.0,
                   out: np.ndarray | None = None) -> np.ndarray:
    """(H, W, 3) uint8 RGB of an (H, W) depth: near = red, far = blue, invalid (NaN/inf/<=0) = black.

    Inverse depth is mapped linearly between its 2nd and 98th percentiles; ``max_depth_m > 0``
    fixes the far end at ``1 / max_depth_m`` and ``min_depth_m > 0`` the near end at
    ``1 / min_depth_m`` (fixed limits keep colours comparable across frames and panels).
    ``out``: an (H, W, 3) uint8 array to write into (a message's buffer), returned.
    """
    depth_m = np.asarray(depth_m, dtype=np.float32)
    if out is None:
        out = np.empty(depth_m.shape + (3,), dtype=np.uint8)
    limits = _limits(depth_m, max_depth_m, min_depth_m)
    if limits is None:
        out[...] = 0
        return out
    lo, hi = limits
    scale = 254.0 / max(hi - lo, 1e-9)
    inverse = scratch("colormap_inverse", depth_m.shape, np.float32)  # reused per thread: no fresh pages
    index = scratch("colormap_index", depth_m.shape, np.uint8)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        np.reciprocal(depth_m, out=inverse)  # NaN -> NaN, 0 -> inf, inf -> 0, negative -> negative
        cv2.max(inverse, float(lo), dst=inverse)  # farther than the far end: its colour (3x numpy's)
        # 1 + (inverse - lo) * scale, rounded and saturated at 255 in one pass (invalid: masked below)
        cv2.convertScaleAbs(inverse, dst=index, alpha=scale, beta=1.0 - lo * scale)
        # NaN (OpenCV's SIMD max does not keep it), 0, negative and inf: none when the extremes
        # say so, the usual case, which then needs no mask pass
        low, high, has_nan = depth_extremes(depth_m)
        if has_nan or not (low > 0.0 and high < math.inf):
            index[~((depth_m > 0) & (depth_m < np.inf))] = 0
    words = scratch("colormap_words", depth_m.shape, np.int32)
    cv2.LUT(index, _TURBO_WORDS, dst=words)
    colored = cv2.cvtColor(words.view(np.uint8).reshape(depth_m.shape + (4,)), cv2.COLOR_RGBA2RGB, dst=out)
    if not np.shares_memory(colored, out):  # OpenCV reallocated (a non-contiguous out)
        out[...] = colored
    return out
