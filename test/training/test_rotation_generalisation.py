"""benchmarks/rotation_generalisation.py: its cost volume, and what its arms train."""

from __future__ import annotations

import dataclasses

import pytest
import torch


def test_the_cost_volume_peaks_at_the_shift(load_benchmark):
    bench = load_benchmark("rotation_generalisation")
    torch.manual_seed(0)
    a = torch.nn.functional.normalize(torch.randn(1, 8, 10, 12), dim=1)
    b = torch.roll(a, shifts=(1, -2), dims=(2, 3))  # b(y, x) = a(y - 1, x + 2)
    volume = bench.correlation(a, b, radius=2)
    assert volume.shape == (1, 25, 10, 12)
    inner = volume[0, :, 3:7, 3:9].mean(dim=(1, 2))  # away from the rolled borders
    dy, dx = divmod(int(inner.argmax()), 5)
    assert (dy - 2, dx - 2) == (1, -2) and float(inner.max()) == pytest.approx(1 / 8, abs=1e-6)  # mean over 8 channels of unit vectors


def test_the_supervised_arm_trains_the_motion_network_alone(load_benchmark, tiny_dataset):
    """``supervised`` zeroes every li2020 weight but the rotation term, and its fast path computes the
    term loss_terms computes; training moves the motion network, never the depth network."""
    bench = load_benchmark("rotation_generalisation")
    from mono_depth_ros.inference.weights import WEIGHTS_DIR

    module = bench.module_for(WEIGHTS_DIR, "supervised", 10.0)
    weights = dataclasses.asdict(module.config.loss_weights)
    assert weights.pop("rotation_supervision") == 10.0 and set(weights.values()) == {0.0}
    samples = bench.pairs_of(module, [str(tiny_dataset)], None)
    from training.data.batches import collate
    from training.methods.li2020 import axis_angle_to_matrix, rotation_supervision

    b = collate(samples[:3])
    with torch.no_grad():
        fast = rotation_supervision(axis_angle_to_matrix(bench.pair_rotations(module, b.rgb)), b.pose, b.pose_valid)
        full = module.loss_terms(b)["rotation_supervision"]
    assert float(fast) == pytest.approx(float(full), rel=1e-5) and float(fast) > 0
    depth_before = [p.clone() for p in module.depth_net.parameters()]
    motion_before = [p.clone() for p in module.motion_net.parameters()]
    terms = bench.train_arm(module, samples, steps=2, batch=2, lr=1e-3, seed=0, fast=True)
    assert len(terms) == 2 and all(t > 0 for t in terms)
    assert all(torch.equal(p, q) for p, q in zip(depth_before, module.depth_net.parameters()))
    assert any(not torch.equal(p, q) for p, q in zip(motion_before, module.motion_net.parameters()))
    with pytest.raises(ValueError, match="correlation"):
        bench.module_for(WEIGHTS_DIR, "paper", 10.0, net="correlation")
