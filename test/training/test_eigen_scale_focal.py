"""benchmarks/eigen_scale_focal.py: the share of a metric network's scale error that follows the focal
length it sees, and what a focal correction fitted on other sequences would give."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def focal_module(load_benchmark):
    return load_benchmark("eigen_scale_focal")


def _rows(rng, exponent: float, noise: float, n_seq: int = 20):
    """Frames whose prediction is the truth times (f / 150)^-exponent and a log-normal error."""
    rows = []
    for s in range(n_seq):
        f = float(rng.uniform(80.0, 230.0))
        truth = np.exp(rng.uniform(0.0, 2.0, 500))
        for _ in range(3):
            pred = truth * (f / 150.0) ** -exponent * float(np.exp(noise * rng.standard_normal()))
            rows.append((f"seq_{s}", f, truth, pred))
    return rows


def test_a_scale_error_that_follows_the_focal_length_is_found_and_corrected(focal_module):
    s = focal_module.summarise(_rows(np.random.default_rng(0), exponent=1.0, noise=0.0))
    assert s["slope"] == pytest.approx(1.0, abs=1e-6) and s["r2"] == pytest.approx(1.0, abs=1e-6)
    assert s["abs_rel_raw"] > 0.2  # (230/150) or (150/80) times off at the ends
    assert s["abs_rel_median_scaled"] < 1e-9 and s["abs_rel_focal_corrected"] < 1e-6


def test_a_scale_error_unrelated_to_the_focal_length_is_not_explained(focal_module):
    s = focal_module.summarise(_rows(np.random.default_rng(1), exponent=0.0, noise=0.3))
    assert abs(s["slope"]) < 0.3 and s["r2"] < 0.1
    assert s["abs_rel_median_scaled"] < 1e-9
    # the correction fitted on the other half cannot help, and costs at most a little
    assert s["abs_rel_focal_corrected"] == pytest.approx(s["abs_rel_raw"], rel=0.15)
    assert s["log_scale_error_std"] == pytest.approx(0.3, rel=0.25)
