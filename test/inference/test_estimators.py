"""DepthEstimator / EgoMotionEstimator end to end on ONNX Runtime and torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mono_depth_ros.core.errors import InputError
from mono_depth_ros.inference.depth_estimator import DepthEstimator
from mono_depth_ros.inference.ego_motion_estimator import EgoMotionEstimator
from mono_depth_ros.inference.processing import preprocess
from mono_depth_ros.models.checkpoint import load_model_checkpoint


@pytest.mark.parametrize("name", ["eigen2014", "xian2018", "li2020_depth"])
def test_depth_from_onnx_matches_torch_checkpoint(name, checkpoints, onnx_files, rgb):
    from_onnx = DepthEstimator.from_path(onnx_files[name], backend="onnxruntime", threads=1)  # spec from metadata
    from_pt = DepthEstimator.from_path(checkpoints[name], backend="torch", device="cpu", threads=1)
    assert from_onnx.spec.name == name and from_onnx.input_hw == from_pt.input_hw
    a, b = from_onnx.estimate(rgb), from_pt.estimate(rgb)
    assert a.depth_m.shape == rgb.shape[:2] and a.is_metric == (name == "eigen2014")
    assert np.all(np.isfinite(a.depth_m)) and np.all(a.depth_m > 0)
    np.testing.assert_allclose(a.depth_m, b.depth_m, rtol=1e-3, atol=1e-4)
    assert "onnxruntime" in from_onnx.backend_description and "torch" in from_pt.backend_description


def test_eigen_estimate_is_exp_of_the_network_output(checkpoints, rgb):
    est = DepthEstimator.from_path(checkpoints["eigen2014"], backend="torch", device="cpu")
    model, spec, _ = load_model_checkpoint(checkpoints["eigen2014"])
    with torch.no_grad():
        log_depth = model(torch.from_numpy(preprocess(rgb, spec, (128, 160))))[0, 0].numpy()
    small = est.estimate(rgb).depth_m
    assert small.shape == (90, 120)
    assert np.nanmedian(small) == pytest.approx(float(np.exp(np.median(log_depth))), rel=0.05)


def test_wrong_model_kind_is_rejected(checkpoints, onnx_files):
    with pytest.raises(InputError, match="expected a depth model"):
        DepthEstimator.from_path(checkpoints["li2020_motion"], backend="torch")
    with pytest.raises(InputError, match="holds a 'eigen2014' model"):
        DepthEstimator.from_path(onnx_files["eigen2014"], spec_name="xian2018")


def test_ego_motion_matches_the_network(checkpoints, onnx_files, rgb):
    est = EgoMotionEstimator.from_path(onnx_files["li2020_motion"], backend="onnxruntime", threads=1)
    depth = np.full(rgb.shape[:2], 4.0, np.float32)
    depth[0, 0] = np.nan
    rgb_b = np.roll(rgb, 3, axis=1)
    result = est.estimate(rgb, depth, rgb_b, depth)
    model, _, _ = load_model_checkpoint(checkpoints["li2020_motion"])
    with torch.no_grad():
        out = model(torch.from_numpy(est.make_input(rgb, depth, rgb_b, depth)))
    T = result.T_b_from_a
    assert T.shape == (4, 4) and np.allclose(T[:3, :3] @ T[:3, :3].T, np.eye(3), atol=1e-6)
    np.testing.assert_allclose(T[:3, 3], out.translation[0].numpy(), rtol=1e-4, atol=1e-7)
    k = out.intrinsics[0].numpy()  # at the 64x96 input; the camera is 90x120 -> x1.25 in both axes
    assert result.intrinsics.width == 120 and result.intrinsics.height == 90
    assert result.intrinsics.fx == pytest.approx(k[0, 0] * 1.25, rel=1e-4)
    assert result.intrinsics.fy == pytest.approx(k[1, 1] * 90 / 64, rel=1e-4)
    assert result.residual_translation.shape == (90, 120, 3)
    with pytest.raises(InputError, match="depth_b_m.shape"):
        est.estimate(rgb, depth, rgb_b, depth[:10])
