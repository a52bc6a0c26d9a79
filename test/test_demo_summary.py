"""The demo's accuracy table: the network's depth and odometry beside their trivial baselines, with
the scoring code of ``training evaluate`` and ``bench_real.py`` (``core.depth_metrics``)."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.core.depth_metrics import DEPTH_BASELINES, DepthCaps, baseline_depth, common_mask, depth_scores
from mono_depth_ros.demo import metrics
from mono_depth_ros.demo.summary import accuracy_table


def _truth() -> np.ndarray:
    """(48, 64) a floor receding toward the top: 1 m at the bottom row to 5 m at the top."""
    return np.repeat(np.linspace(5.0, 1.0, 48)[:, None], 64, axis=1)


def test_a_network_with_the_truth_layout_beats_both_baselines_and_a_wrong_scale_shows_unscaled():
    gt = _truth()
    pred = 0.5 * gt  # right layout, half the metres
    mask = common_mask(gt, [pred], DepthCaps())
    ours = depth_scores(pred, gt, mask, DepthCaps())
    assert ours["abs_rel_raw"] == pytest.approx(0.5)
    assert ours["abs_rel_med"] == pytest.approx(0.0, abs=1e-12) and ours["whdr"] == 0.0
    base = {b: depth_scores(baseline_depth(b, gt, mask), gt, mask, DepthCaps()) for b in DEPTH_BASELINES}
    # the constant map (truth's median, 3 m): mean |3 - d| / d over d uniform in [1, 5]
    d = gt[mask]
    assert base["constant"]["abs_rel_med"] == pytest.approx(np.mean(np.abs(np.median(d) - d) / d))
    assert base["constant"]["whdr"] > 0.9  # every unequal pair is called equal
    # the ramp is linear in the row as this truth is: its order is right (WHDR aligns affinely), its
    # ratios are not (2 to 4 m against 1 to 5 m once median-scaled)
    assert base["ramp"]["whdr"] == 0.0 and base["ramp"]["abs_rel_med"] > 0.1


def test_no_motion_baseline_is_the_paths_spread_about_its_mean():
    gt = np.array([[0.0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 0]])
    ate, _ = metrics.ate_rmse(np.zeros_like(gt), gt)
    assert ate == pytest.approx(np.sqrt(1.25))
    ate_right, _ = metrics.ate_rmse(0.1 * gt, gt)  # right direction, any scale: Sim(3) fits it
    assert ate_right == pytest.approx(0.0, abs=1e-9)


def test_accuracy_table_prints_each_row_beside_its_baselines():
    scores = {"abs_rel_raw": 0.5, "abs_rel_med": 0.1, "delta1_med": 0.9, "whdr": 0.2}
    rows = [{"accuracy": {"network": scores, "constant": dict(scores, abs_rel_med=0.3),
                          "ramp": dict(scores, abs_rel_med=0.25)}, "frames_scored": 7},
            {"ATE_m": 0.04, "ATE_no_motion_m": 1.2}]
    text = accuracy_table(rows, "eigen2014")
    assert "(7 frames" in text
    lines = {line.split("  ")[0]: line for line in text.splitlines()}
    assert "0.500" in lines["eigen2014 (published)"] and "0.100" in lines["eigen2014 (published)"]
    assert "0.300" in lines["constant (the truth's median everywhere)"]
    assert "1.200" in lines["no motion (one pose)"]
    assert accuracy_table([{"accuracy": {}}], "li2020") is None  # no ground truth, no table
    rows[0]["metric"] = False  # a relative network's published quantity has no unit: no unscaled AbsRel
    line = next(x for x in accuracy_table(rows, "xian2018").splitlines() if x.startswith("xian2018"))
    assert "0.500" not in line and "n/a" in line and "0.100" in line
