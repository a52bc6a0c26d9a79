"""Pre/post-processing: resize policy, normalisation, output kinds."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.core.errors import InputError
from mono_depth_ros.inference.processing import normalize_relative, postprocess_depth, preprocess
from mono_depth_ros.inference.spec import get_spec


def test_preprocess_resizes_and_scales():
    rgb = np.zeros((60, 80, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 255, 51, 0
    x = preprocess(rgb, get_spec("li2020_depth"), (30, 40))
    assert x.shape == (1, 3, 30, 40) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, :, 5, 5], [1.0, 0.2, 0.0], atol=1e-6)
    assert preprocess(rgb, get_spec("eigen2014")).shape == (1, 3, 228, 304)


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 3), np.float32), "image"])
def test_preprocess_rejects_bad_input(bad):
    with pytest.raises(InputError, match="rgb"):
        preprocess(bad, get_spec("eigen2014"))


def test_log_depth_becomes_metres_at_camera_size():
    raw = np.full((1, 1, 8, 10), np.log(2.5), np.float32)
    result = postprocess_depth(raw, get_spec("eigen2014"), (16, 20))
    assert result.is_metric and result.depth_m.shape == (16, 20)
    np.testing.assert_allclose(result.depth_m, 2.5, rtol=1e-6)


def test_up_to_scale_depth_is_not_metric_and_invalid_is_nan():
    raw = np.ones((1, 1, 4, 4), np.float32) * 3.0
    raw[0, 0, 0, 0] = np.inf
    result = postprocess_depth(raw, get_spec("li2020_depth"), (4, 4))
    assert not result.is_metric and np.isnan(result.depth_m[0, 0]) and result.depth_m[2, 2] == 3.0


def test_relative_depth_normalisation_keeps_order_and_range():
    raw = np.arange(100, dtype=np.float32).reshape(1, 1, 10, 10) * -7.0 + 40.0
    depth = postprocess_depth(raw, get_spec("xian2018"), (10, 10)).depth_m
    assert np.nanmin(depth) == pytest.approx(0.1) and np.nanmax(depth) == pytest.approx(1.0)
    flat = depth.ravel()
    assert np.all(np.diff(flat) <= 0)  # raw decreases along the row-major order, so does depth
    assert np.isnan(normalize_relative(np.full((2, 2), np.nan))).all()


def test_postprocess_rejects_bad_shapes():
    with pytest.raises(InputError, match="raw"):
        postprocess_depth(np.ones((1, 2, 4, 4)), get_spec("eigen2014"), (4, 4))
    with pytest.raises(InputError, match="out_hw"):
        postprocess_depth(np.ones((1, 1, 4, 4)), get_spec("eigen2014"), (0, 4))
    with pytest.raises(InputError, match="output_kind"):
        postprocess_depth(np.ones((1, 1, 4, 4)), get_spec("li2020_motion"), (4, 4))
