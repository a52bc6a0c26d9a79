"""`training synth --vertical-motion`: the camera path also moves up and down, within the room."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from mono_depth_ros.synth import SynthConfig, SyntheticSequence
from mono_depth_ros.synth.sequence import vertical_amplitude_m
from mono_depth_ros.synth.trajectory import TRAJECTORIES, Trajectory


def _heights(traj: Trajectory, seconds: float = 6.0, fps: float = 10.0) -> np.ndarray:
    return np.array([traj.pose(i / fps)[2, 3] for i in range(int(seconds * fps))])


@pytest.mark.parametrize("kind", TRAJECTORIES)
def test_excursion_stays_within_its_amplitude_and_moves_the_camera_vertically(kind):
    flat = Trajectory.create(kind, seed=5, speed_mps=1.0, height_m=1.2, half_width_m=1.0)
    moving = Trajectory.create(kind, seed=5, speed_mps=1.0, height_m=1.2, half_width_m=1.0, vertical_m=0.4)
    dz = _heights(moving) - _heights(flat)
    assert np.abs(dz).max() <= 0.4 + 1e-12
    assert dz.max() - dz.min() > 0.3  # one 6 s sequence sweeps most of the range
    step_m = np.abs(np.diff(dz))
    assert step_m.max() <= 1.55 * 0.4 / 10.0 + 1e-9 and step_m.mean() > 0.01  # about 1 cm a frame or more
    # everything but the height is the path without the excursion
    for t in (0.0, 1.3, 4.7):
        a, b = flat.pose(t), moving.pose(t)
        np.testing.assert_allclose(a[:3, :3], b[:3, :3], atol=0)
        np.testing.assert_allclose(a[:2, 3], b[:2, 3], atol=0)


def test_amplitude_keeps_the_camera_off_the_floor_and_below_the_ceiling():
    assert vertical_amplitude_m(0.5, 1.5, "indoor") == pytest.approx(0.5)
    assert vertical_amplitude_m(0.5, 0.4, "indoor") == pytest.approx(0.2)  # a robot: 0.2 m above the floor
    assert vertical_amplitude_m(0.5, 1.9, "desk") == pytest.approx(0.3)  # 2.2 m under a ceiling
    assert vertical_amplitude_m(1.0, 1.65, "street") == pytest.approx(1.0)  # no ceiling outdoors
    assert vertical_amplitude_m(0.0, 1.65, "street") == 0.0


def test_default_renders_are_unchanged_and_the_option_is_validated():
    base = SyntheticSequence(SynthConfig(frames=3, seed=11, size_wh=(32, 24), scene="indoor"))
    again = SyntheticSequence(SynthConfig(frames=3, seed=11, size_wh=(32, 24), scene="indoor", vertical_motion_m=0.0))
    np.testing.assert_array_equal(base.frame(2).rgb, again.frame(2).rgb)
    moved = SyntheticSequence(SynthConfig(frames=3, seed=11, size_wh=(32, 24), scene="indoor", vertical_motion_m=0.3))
    assert moved.trajectory.vertical_m == pytest.approx(0.3)
    assert abs(moved.frame(2).T_odom_camera_link[2, 3] - base.frame(2).T_odom_camera_link[2, 3]) > 1e-3
    with pytest.raises(ValueError, match=r"vertical_motion_m=-0.1: expected within \[0, 2.0\]"):
        SynthConfig(vertical_motion_m=-0.1).validate()
    with pytest.raises(ValueError, match="vertical_m=-1"):
        Trajectory.create("forward", 0, 1.0, 1.5, 1.0, vertical_m=-1.0)


def test_cli_refuses_a_bad_amplitude_in_one_line(tmp_path):
    out = subprocess.run([sys.executable, "-m", "training", "synth", "--out", str(tmp_path / "bag"), "--frames", "2",
                          "--size", "16x12", "--vertical-motion", "2.5"], capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert out.stderr.strip().splitlines() == ["error: vertical_motion_m=2.5: expected within [0, 2.0]"]  # no bar
    assert not (tmp_path / "bag").exists()
