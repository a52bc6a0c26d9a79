"""REP 118 depth conversions: 32FC1 metres / NaN, 16UC1 millimetres / 0."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.core.depth import depth_from_image, depth_to_image
from mono_depth_ros.core.image import image_to_numpy

from ._helpers import raw_image, rb, rb_header


def test_16uc1_millimetres_to_metres_zero_is_nan():
    mm = np.array([[0, 1, 1500], [65535, 250, 0]], dtype=np.uint16)
    for encoding in ("16UC1", "mono16"):
        for bigendian in (False, True):
            depth_m = depth_from_image(raw_image(mm, encoding, pad_bytes=2, bigendian=bigendian))
            assert depth_m.dtype == np.float32
            np.testing.assert_allclose(depth_m, [[np.nan, 0.001, 1.5], [65.535, 0.25, np.nan]], rtol=1e-6)


def test_32fc1_invalid_values_become_nan():
    raw = np.array([[0.0, np.inf, -np.inf], [np.nan, -2.0, 3.25]], dtype=np.float32)
    depth_m = depth_from_image(raw_image(raw, "32FC1", pad_bytes=4, bigendian=True))
    assert np.isnan(depth_m[:, :2]).all() and np.isnan(depth_m[0, 2]) and np.isnan(depth_m[1, 1])
    assert depth_m[1, 2] == 3.25


def test_depth_to_image_16uc1_rounding_and_invalid():
    depth_m = np.array([[1.2344, 1.2346, np.nan], [0.0, 70.0, -1.0]])
    msg = depth_to_image(depth_m, rb_header(), "16UC1", msg_cls=rb("sensor_msgs/msg/Image"))
    assert msg.encoding == "16UC1" and msg.step == 6
    assert image_to_numpy(msg).tolist() == [[1234, 1235, 0], [0, 0, 0]]


@pytest.mark.parametrize("encoding", ["32FC1", "16UC1"])
def test_depth_round_trip_rclpy(encoding):
    from mono_depth_ros.core.stamps import make_header
    rng = np.random.default_rng(0)
    depth_m = rng.uniform(0.3, 20.0, (6, 9)).astype(np.float32)
    depth_m[2, 3] = np.nan
    msg = depth_to_image(depth_m, make_header(1, "cam"), encoding)
    back = depth_from_image(msg)
    assert np.isnan(back[2, 3]) and np.isnan(back).sum() == 1
    tol = 0.0005 + 1e-6 if encoding == "16UC1" else 0.0
    np.testing.assert_allclose(back, depth_m, atol=tol, rtol=0)


@pytest.mark.parametrize("kind", ["rclpy", "rosbags"])
def test_32fc1_marks_every_invalid_kind_nan_and_keeps_the_rest_exactly(kind):
    """0, negative, +-inf and NaN scattered over a fifth of the pixels -> NaN in the published
    bytes; every valid depth bit for bit; the caller's array untouched."""
    rng = np.random.default_rng(5)
    depth_m = rng.uniform(0.1, 80.0, (48, 64)).astype(np.float32)
    bad = rng.random((48, 64)) < 0.2
    depth_m[bad] = rng.choice(np.array([0.0, -3.0, np.inf, -np.inf, np.nan], dtype=np.float32), bad.sum())
    before = depth_m.copy()
    if kind == "rclpy":
        from mono_depth_ros.core.stamps import make_header
        msg = depth_to_image(depth_m, make_header(1, "cam"))
    else:
        msg = depth_to_image(depth_m, rb_header(), msg_cls=rb("sensor_msgs/msg/Image"))
    published = np.frombuffer(bytes(msg.data), dtype="<f4").reshape(48, 64)
    assert np.array_equal(np.isnan(published), bad)
    np.testing.assert_array_equal(published[~bad], depth_m[~bad])
    np.testing.assert_array_equal(depth_m, before)


@pytest.mark.parametrize("bad_value", [None, np.nan, 0.0, -0.0, -3.0, np.inf, -np.inf])
def test_32fc1_one_invalid_pixel_of_any_kind_is_marked(bad_value):
    """A single invalid pixel in valid depth (the extremes must reveal it) -> NaN; float64 input;
    an all-NaN depth stays all NaN."""
    from mono_depth_ros.core.depth import depth_extremes

    depth_m = np.random.default_rng(6).uniform(0.5, 9.0, (48, 64))
    if bad_value is not None:
        depth_m[20, 30] = bad_value
    published = image_to_numpy(depth_to_image(depth_m, rb_header(), msg_cls=rb("sensor_msgs/msg/Image")))
    expect_nan = np.zeros((48, 64), bool)
    expect_nan[20, 30] = bad_value is not None
    assert np.array_equal(np.isnan(published), expect_nan)
    np.testing.assert_array_equal(published[~expect_nan], depth_m.astype(np.float32)[~expect_nan])
    assert np.isnan(image_to_numpy(depth_to_image(np.full((3, 4), np.nan), rb_header(),
                                                  msg_cls=rb("sensor_msgs/msg/Image")))).all()
    low, high, has_nan = depth_extremes(np.array([[np.nan, 2.0], [-1.0, np.nan]], np.float32))
    assert (low, high, has_nan) == (-1.0, 2.0, True)
    assert np.isnan(depth_extremes(np.full(3, np.nan))[:2]).all()
