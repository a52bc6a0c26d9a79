"""Paired bootstrap intervals of (method - baseline) on real sets (training/evaluate/uncertainty.py):
block resampling, pairing, and the calls they lead to, on depth maps whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.core.depth_metrics import DepthCaps, depth_errors, whdr
from training.evaluate.uncertainty import (BLOCK_GRID, block_index, bootstrap_depth, bootstrap_pairs, call,
                                           difference_intervals, frame_sample)


def _scene(seed: int = 0, hw=(60, 80)) -> np.ndarray:
    """A floor-and-wall depth map (m): far at the top, near at the bottom, with texture."""
    rng = np.random.default_rng(seed)
    rows = np.linspace(6.0, 1.5, hw[0])[:, None] * np.ones((1, hw[1]))
    return rows * np.exp(0.05 * rng.standard_normal(hw))


def test_block_index_cuts_the_image_into_the_grid():
    blocks = block_index((60, 80))
    assert blocks.shape == (60, 80) and blocks.max() == BLOCK_GRID[0] * BLOCK_GRID[1] - 1
    counts = np.bincount(blocks.reshape(-1))
    assert counts.min() == counts.max() == 60 * 80 // 48  # 10 x 10 px each
    assert blocks[0, 0] == 0 and blocks[0, -1] == BLOCK_GRID[1] - 1 and blocks[-1, 0] == (BLOCK_GRID[0] - 1) * BLOCK_GRID[1]
    odd = block_index((7, 9), (3, 4))  # fewer pixels than a multiple: every block still present
    assert set(np.unique(odd)) == set(range(12))


def test_frame_sample_keeps_at_most_the_cap_per_block_and_the_same_pixels_for_every_row():
    gt = _scene()
    mask = np.ones_like(gt, bool)
    mask[:, :20] = False
    preds = {"a": gt * 2.0, "b": np.arange(gt.size, dtype=float).reshape(gt.shape)}
    sample = frame_sample(gt, mask, preds, per_block=30)
    assert np.bincount(sample.block).max() == 30
    assert set(np.unique(sample.block)) == set(np.unique(block_index(gt.shape)[mask]))  # no block lost
    np.testing.assert_allclose(sample.preds["a"], 2.0 * sample.gt_m)  # row values stay aligned with the truth
    flat = sample.preds["b"].astype(int)
    assert np.all(flat % 80 >= 20)  # only scored pixels
    np.testing.assert_allclose(gt.reshape(-1)[flat], sample.gt_m)
    again = frame_sample(gt, mask, preds, per_block=30)
    np.testing.assert_array_equal(again.preds["b"], sample.preds["b"])  # the same subset each time


def test_one_row_scored_against_itself_differs_by_exactly_zero():
    gt = _scene()
    mask = np.ones_like(gt, bool)
    pred = gt * np.exp(0.2 * np.random.default_rng(1).standard_normal(gt.shape))
    sample = frame_sample(gt, mask, {"net": pred, "copy": pred.copy()})
    draws = bootstrap_depth([sample], replicates=20)
    interval = difference_intervals(draws, ["net"], ["copy"])["net"]["copy"]
    assert interval == {"abs_rel_med": [0.0, 0.0], "whdr": [0.0, 0.0]}  # the same pixels and pairs: paired
    assert call(interval["whdr"]) == "within noise"


def test_a_clearly_better_network_is_called_better_and_a_mixed_one_within_noise():
    caps = DepthCaps()
    gt = _scene()
    mask = np.ones_like(gt, bool)
    rng = np.random.default_rng(2)
    good = gt * np.exp(0.05 * rng.standard_normal(gt.shape))
    bad = gt * np.exp(0.4 * rng.standard_normal(gt.shape))
    # better than "bad" on the left half of the picture, worse on the right half: it depends on where you look
    mixed = np.where(np.arange(80)[None, :] < 40, gt * np.exp(0.1 * rng.standard_normal(gt.shape)),
                     gt * np.exp(0.7 * rng.standard_normal(gt.shape)))
    sample = frame_sample(gt, mask, {"good": good, "mixed": mixed, "bad": bad})
    draws = bootstrap_depth([sample], caps, replicates=60)
    intervals = difference_intervals(draws, ["good", "mixed"], ["bad"])
    assert call(intervals["good"]["bad"]["abs_rel_med"]) == "better"
    assert call(intervals["good"]["bad"]["whdr"]) == "better"
    assert call([-x for x in intervals["good"]["bad"]["abs_rel_med"][::-1]]) == "worse"
    low, high = intervals["mixed"]["bad"]["abs_rel_med"]
    assert low < 0 < high
    # the replicates scatter around the full-frame figure of the one metric code
    full = depth_errors(good, gt, caps, median_scaling=True)["abs_rel"]
    assert np.median(draws["good"]["abs_rel_med"]) == pytest.approx(full, rel=0.1)
    assert np.median(draws["bad"]["whdr"]) == pytest.approx(whdr(bad, gt), abs=0.03)


def test_several_frames_add_the_spread_between_frames():
    gt = [_scene(seed) for seed in range(4)]
    mask = np.ones_like(gt[0], bool)
    # better on two frames by a wide margin, worse on the other two: across frames it is a toss-up
    noise = [0.05, 0.05, 0.6, 0.6]
    samples = [frame_sample(g, mask, {"net": g * np.exp(s * np.random.default_rng(i).standard_normal(g.shape)),
                                      "base": g * np.exp(0.3 * np.random.default_rng(9 + i).standard_normal(g.shape))})
               for i, (g, s) in enumerate(zip(gt, noise))]
    across = difference_intervals(bootstrap_depth(samples, replicates=80), ["net"], ["base"])["net"]["base"]
    one = difference_intervals(bootstrap_depth(samples[:1], replicates=80), ["net"], ["base"])["net"]["base"]
    assert call(one["abs_rel_med"]) == "better" and call(across["abs_rel_med"]) == "within noise"
    with pytest.raises(ValueError, match="no frame samples"):
        bootstrap_depth([])


def test_pair_bootstrap_pairs_the_draws_and_skips_what_a_baseline_lacks():
    per_pair = {"li2020": {"rot_err_deg": [0.1, 0.2, 0.1, 0.2, 0.15], "dir_err_deg": [5, 6, 5, 6, 5.5]},
                "orb": {"rot_err_deg": [0.4, 0.5, 0.4, 0.5, 0.45], "dir_err_deg": [4, 9, 4, 9, 6.5]},
                "no_motion": {"rot_err_deg": [0.1, 0.2, 0.1, 0.2, 0.15], "dir_err_deg": [np.nan] * 5}}
    draws = bootstrap_pairs(per_pair, replicates=100)
    assert "dir_err_deg" not in draws["no_motion"]  # no direction for "no motion"
    intervals = difference_intervals(draws, ["li2020"], ["orb", "no_motion"])["li2020"]
    assert call(intervals["orb"]["rot_err_deg"]) == "better"  # 0.3 deg lower on every pair
    assert intervals["no_motion"]["rot_err_deg"] == [0.0, 0.0]  # equal on every pair
    assert "dir_err_deg" not in intervals["no_motion"]
    low, high = intervals["orb"]["dir_err_deg"]
    assert low < 0 < high  # better on some pairs, worse on others
    assert bootstrap_pairs({"li2020": {"rot_err_deg": [0.1]}}) == {"li2020": {}}  # one pair: nothing to resample
