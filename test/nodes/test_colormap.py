"""~/depth/colored: TURBO of inverse depth through one lookup table."""

from __future__ import annotations

import warnings

import cv2
import numpy as np
import pytest

from mono_depth_ros.nodes.colormap import TURBO_LUT, colorize_depth


def _turbo_rgb(index: int) -> np.ndarray:
    return cv2.applyColorMap(np.array([[index]], dtype=np.uint8), cv2.COLORMAP_TURBO)[0, 0, ::-1]


def test_fixed_limits_give_the_turbo_colours_and_invalid_is_black():
    depth_m = np.array([[1.0, 2.0, 10.0, 100.0, np.nan, 0.0, -1.0, np.inf]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warnings for NaN, 0, negative or inf depth
        rgb = colorize_depth(depth_m, max_depth_m=10.0, min_depth_m=1.0)
    assert rgb.shape == (1, 8, 3) and rgb.dtype == np.uint8
    np.testing.assert_array_equal(rgb[0, 0], _turbo_rgb(255))  # nearest: the red end
    np.testing.assert_array_equal(rgb[0, 2], _turbo_rgb(0))  # the far limit: the blue end
    np.testing.assert_array_equal(rgb[0, 3], _turbo_rgb(0))  # beyond it: clamped, not mirrored
    # 2 m: inverse depth 0.5 is (0.5 - 0.1) / 0.9 of the way -> index 1 + 254 * 0.444 = 113.9 -> 114 (rounded)
    np.testing.assert_array_equal(rgb[0, 1], TURBO_LUT[114, 0])
    assert not rgb[0, 4:].any()  # NaN, 0, negative and inf: black


def test_auto_limits_span_the_frame():
    depth_m = np.tile(np.linspace(1.0, 20.0, 640, dtype=np.float32), (480, 1))
    rgb = colorize_depth(depth_m)
    np.testing.assert_array_equal(rgb[0, 0], _turbo_rgb(255))  # nearest 2 % saturate at red
    np.testing.assert_array_equal(rgb[0, -1], _turbo_rgb(0))  # farthest 2 % at blue
    assert not colorize_depth(np.full((4, 4), np.nan, dtype=np.float32)).any()


def test_large_frames_written_into_a_given_buffer_keep_invalid_black():
    """The vectorised path of a full frame (not the scalar tail of a tiny one): NaN, 0, negative and
    inf pixels are black, valid ones never are, and the caller's buffer is the one written."""
    rng = np.random.default_rng(3)
    depth_m = rng.uniform(0.5, 30.0, (480, 640)).astype(np.float32)
    depth_m[:40] = np.nan
    depth_m[100, :64], depth_m[101, :64], depth_m[102, :64] = 0.0, -2.0, np.inf
    out = np.full((480, 640, 3), 7, dtype=np.uint8)
    rgb = colorize_depth(depth_m, out=out)
    assert rgb is out
    invalid = ~(np.isfinite(depth_m) & (depth_m > 0))
    assert not out[invalid].any()
    assert out[~invalid].any(axis=-1).all()  # index >= 1: every TURBO colour has a non-zero channel
    np.testing.assert_array_equal(out, colorize_depth(depth_m))


@pytest.mark.parametrize("n", [1, 2, 3, 50, 4999])
def test_colour_limits_are_numpys_percentiles(n):
    from mono_depth_ros.nodes.colormap import _percentiles

    values = np.random.default_rng(n).gamma(2.0, 1.0, n).astype(np.float32)
    np.testing.assert_allclose(_percentiles(values, (2.0, 98.0)), np.percentile(values, [2.0, 98.0]), rtol=1e-6)


@pytest.mark.parametrize("bad_value", [None, np.nan, 0.0, -1.0, np.inf, -np.inf])
def test_every_pixel_is_its_table_colour_and_one_invalid_pixel_is_black(bad_value):
    """Full frame, fixed limits: each pixel is TURBO_LUT at its rounded index, computed here in
    float64; a single invalid pixel (the extremes must reveal it) is black."""
    depth_m = np.random.default_rng(8).uniform(0.8, 12.0, (480, 640)).astype(np.float32)
    if bad_value is not None:
        depth_m[300, 500] = bad_value
    rgb = colorize_depth(depth_m, max_depth_m=10.0, min_depth_m=1.0)
    valid_depth_m = np.where(np.isfinite(depth_m) & (depth_m > 0), depth_m, 1.0).astype(np.float64)
    inverse = np.maximum(1.0 / valid_depth_m, 0.1)
    index = np.clip(np.rint(1.0 + (inverse - 0.1) * 254.0 / 0.9), 0, 255).astype(np.uint8)
    expected = TURBO_LUT[index, 0]
    if bad_value is not None:
        expected[300, 500] = 0
    mismatch = (rgb != expected).any(axis=-1)
    assert mismatch.mean() < 1e-3  # float32 vs float64 rounding at .5 boundaries, nothing else
    assert not rgb[300, 500].any() if bad_value is not None else rgb.any(axis=-1).all()
