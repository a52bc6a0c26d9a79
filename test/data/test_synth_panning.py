"""`training synth --trajectory panning`: a hand-held camera looking around at real hand-held rates."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.synth import SynthConfig, SyntheticSequence
from mono_depth_ros.synth.trajectory import Trajectory


def _degrees_per_frame(traj: Trajectory, fps: float = 10.0, seconds: float = 6.0) -> np.ndarray:
    """(frames - 1,) rotation angle between consecutive camera poses, degrees."""
    times = np.arange(0.0, seconds, 1.0 / fps)
    out = []
    for a, b in zip(times[:-1], times[1:]):
        relative = traj.pose(a)[:3, :3].T @ traj.pose(b)[:3, :3]
        out.append(np.degrees(np.arccos(np.clip((np.trace(relative) - 1.0) / 2.0, -1.0, 1.0))))
    return np.asarray(out)


def test_panning_turns_at_real_hand_held_rates_and_handheld_stays_slow():
    """TUM RGB-D's hand-held fr1 sequences average 9-42 deg/s: panning averages about 16 deg/s
    (1.6 deg a frame at 10 Hz) with peaks near 30; handheld (the default indoors) stays near 6."""
    pan = np.concatenate([_degrees_per_frame(Trajectory.create("panning", s, 1.0, 1.4, 1.2)) for s in range(60)])
    hand = np.concatenate([_degrees_per_frame(Trajectory.create("handheld", s, 1.0, 1.4, 1.2)) for s in range(60)])
    assert 1.3 < pan.mean() < 2.0 and 2.5 < pan.max() < 3.3, (pan.mean(), pan.max())
    assert 0.5 < hand.mean() < 0.7 and hand.max() < 1.1, (hand.mean(), hand.max())


def test_panning_walks_the_handheld_path_and_handheld_is_unchanged():
    """The position is handheld's (the same walk and shake); only the orientation looks around.
    handheld's pose is pinned to its value before panning existed."""
    hand = Trajectory.create("handheld", 5, 1.0, 1.2, 1.0, 0.1, 0.02, 0.3)
    pan = Trajectory.create("panning", 5, 1.0, 1.2, 1.0, 0.1, 0.02, 0.3)
    np.testing.assert_allclose(hand.pose(1.3), [[0.888492096431, -0.443055712701, 0.119513304791, 1.3],
                                                [0.444918785086, 0.895489320396, 0.012089323141, -0.084739162294],
                                                [-0.112379131766, 0.042432446308, 0.992758993031, 1.211530707896],
                                                [0, 0, 0, 1]], atol=1e-11)
    for t in (0.0, 2.2, 5.9):
        np.testing.assert_allclose(pan.pose(t)[:3, 3], hand.pose(t)[:3, 3], atol=0)
    assert max(np.abs(pan.pose(t)[:3, :3] - hand.pose(t)[:3, :3]).max() for t in (0.0, 2.2, 5.9)) > 0.05


@pytest.mark.parametrize("scene", ["indoor", "street", "desk"])
def test_a_panning_sequence_renders_with_ground_truth_in_every_world(scene):
    """Sky is +inf on the street: at least half the pixels hit something."""
    seq = SyntheticSequence(SynthConfig(frames=3, seed=21, size_wh=(32, 24), scene=scene, trajectory="panning"))
    frame = seq.frame(2)
    assert seq.trajectory.kind == "panning"
    assert frame.rgb.shape == (24, 32, 3) and np.isfinite(frame.depth_m).mean() > 0.5 and np.nanmin(frame.depth_m) > 0
