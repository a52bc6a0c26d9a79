"""Evaluation runs networks exactly as the nodes do: training.evaluate.predict vs the estimators."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mono_depth_ros.inference.depth_estimator import DepthEstimator  # noqa: E402
from mono_depth_ros.inference.ego_motion_estimator import EgoMotionEstimator  # noqa: E402
from training.evaluate.predict import load_models, predict_depth, predict_motion  # noqa: E402


@pytest.fixture(scope="module")
def li2020_files(tmp_path_factory):
    from mono_depth_ros.inference.spec import get_spec
    from mono_depth_ros.inference.checkpoint import save_model_checkpoint

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("predict")
    config = {"data": {"input_hw": [64, 96], "resize_mode": "pad"}}
    return {name: save_model_checkpoint(folder / f"{name}.pt", name, get_spec(name).build(variant="light"),
                                        {"variant": "light"}, config)
            for name in ("li2020_depth", "li2020_motion")}


def _frame(seed: int, hw=(90, 200)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 180, hw[1], dtype=np.float32)[None, :, None]
    return np.clip(ramp + rng.integers(0, 70, hw + (3,)), 0, 255).astype(np.uint8)


def test_predict_matches_the_node_estimators(li2020_files):
    models = load_models([li2020_files["li2020_depth"]])  # the motion sibling is loaded too
    assert models.resize_mode == "pad" and models.input_hw == (64, 96)
    depth_est = DepthEstimator.from_path(li2020_files["li2020_depth"], backend="torch", device="cpu",
                                         threads=1, resize_mode="pad")
    motion_est = EgoMotionEstimator.from_path(li2020_files["li2020_motion"], backend="torch", device="cpu",
                                              threads=1, resize_mode="pad", refinement="none")
    rgb_a, rgb_b = _frame(0), _frame(1)
    depth = predict_depth(models, rgb_a)
    result_a = depth_est.estimate(rgb_a)
    assert depth.shape == (90, 200) and np.isfinite(depth).all()  # pad: every pixel seen
    np.testing.assert_allclose(depth, result_a.depth_m, rtol=1e-5, atol=1e-6)
    T = predict_motion(models, rgb_a, rgb_b)
    expected = motion_est.estimate(rgb_a, result_a, rgb_b, depth_est.estimate(rgb_b)).T_b_from_a
    np.testing.assert_allclose(T, expected, rtol=1e-4, atol=1e-6)
    assert np.allclose(T[:3, :3] @ T[:3, :3].T, np.eye(3), atol=1e-6)
    # the test-time flip runs through the same helper in both: equal again with it on
    models.flip_average = "always"
    flipped = DepthEstimator.from_path(li2020_files["li2020_depth"], backend="torch", device="cpu",
                                       threads=1, resize_mode="pad", flip_average="always")
    np.testing.assert_allclose(predict_depth(models, rgb_a), flipped.estimate(rgb_a).depth_m, rtol=1e-5, atol=1e-6)
    assert not np.allclose(predict_depth(models, rgb_a), depth, rtol=1e-4)
