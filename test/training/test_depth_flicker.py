"""benchmarks/depth_flicker.py: temporal jitter of normalised log depth, apart from smooth change."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def flicker_module(load_benchmark):
    return load_benchmark("depth_flicker")


def test_jitter_reads_as_its_second_difference_and_smooth_change_does_not(flicker_module):
    rng = np.random.default_rng(0)
    base = np.exp(rng.uniform(0.0, 2.0, (60, 80)))
    sigma = 0.02
    jittery = [base * np.exp(sigma * rng.standard_normal(base.shape)) for _ in range(12)]
    second, first = flicker_module.flicker(jittery)
    # iid log noise: |second difference| ~ |N(0, 6 sigma^2)|, median 0.6745 sqrt(6) sigma; first: sqrt(2)
    assert second == pytest.approx(0.6745 * np.sqrt(6) * sigma, rel=0.1)
    assert first == pytest.approx(0.6745 * np.sqrt(2) * sigma, rel=0.1)
    # a smooth change (every pixel's depth ramps over time, at its own rate) and a wandering scale: no jitter
    rates = rng.uniform(-0.03, 0.03, base.shape)
    smooth = [base * np.exp(rates * t) * (1.0 + 0.3 * np.sin(t)) for t in range(12)]
    second, first = flicker_module.flicker(smooth)
    steady = flicker_module.flicker([base * np.exp(rates * t) for t in range(12)])
    assert (second, first) == pytest.approx(steady, rel=1e-9)  # the wandering scale is not counted
    # what is left is the median's own drift as the depths spread: far below the change and the jitter above
    assert second < 0.4 * first and second < 0.15 * 0.6745 * np.sqrt(6) * sigma


def test_unknown_pixels_are_left_out(flicker_module):
    maps = [np.full((20, 20), 2.0) for _ in range(4)]
    maps[1][:5] = np.nan  # the node's NaN where the network saw nothing
    maps[2][:5] = 50.0 * np.nan
    assert flicker_module.flicker(maps) == (0.0, 0.0)
