"""Rich indoor layouts: rooms, not only halls, and clutter near the camera (what real rooms show
and the first synthetic worlds lacked: a near object in the middle of the view)."""

from __future__ import annotations

import numpy as np

from mono_depth_ros.synth import SynthConfig, SyntheticSequence
from mono_depth_ros.synth.scene import build_scene

PATH_M = 15.0  # camera path of a 150-frame indoor sequence at 1 m/s and 10 fps


def _far_wall_gap_m(seed: int) -> float:
    """Distance from the end of the camera path to the far wall of the rich room of ``seed``."""
    scene = build_scene("indoor", seed, PATH_M + 10.0, layout="rich")
    far = max(float(b.center_m[0]) for b in scene.boxes
              if not b.inside and float(b.half_m[0]) < 0.11 and float(b.half_m[1]) > 1.5)
    return far - PATH_M


def test_most_rich_rooms_end_close_to_the_camera_path():
    gaps = np.array([_far_wall_gap_m(seed) for seed in range(1, 41)])
    short = (gaps >= 1.5) & (gaps <= 6.0)
    hall = (gaps >= 10.8) & (gaps <= 15.8)
    assert (short | hall).all(), gaps
    assert 0.4 <= short.mean() <= 0.8, short.mean()


def test_the_last_frame_of_a_room_sees_a_near_object_or_wall_ahead():
    """Straight camera (fixed rig), short rooms: the middle of the last frame is closer than 7 m;
    in halls it is not (there the far wall is 11-16 m away)."""
    centres, gaps = [], []
    for seed in range(1, 13):
        seq = SyntheticSequence(SynthConfig(frames=150, seed=seed, size_wh=(64, 48), scene="indoor",
                                            layout="rich", trajectory="forward"))
        depth = seq.frame(149).depth_m
        centres.append(float(np.median(depth[20:28, 28:36])))
        gaps.append(_far_wall_gap_m(seed))
    centres, gaps = np.array(centres), np.array(gaps)
    assert (centres[gaps <= 6.0] < 7.0).all(), (centres, gaps)
    assert (gaps <= 6.0).any() and (gaps > 10.0).any()


def test_table_tops_carry_objects():
    on_tables = 0
    for seed in range(1, 11):
        boxes = build_scene("indoor", seed, PATH_M + 10.0, layout="rich").boxes
        tops = [b for b in boxes if abs(float(b.half_m[2]) - 0.02) < 1e-9 and 0.69 < float(b.center_m[2]) < 0.8]
        for top in tops:
            z_top = float(top.center_m[2]) + 0.02
            on_tables += sum(1 for b in boxes if abs(float(b.center_m[2]) - float(b.half_m[2]) - z_top) < 1e-6
                             and abs(float(b.center_m[0]) - float(top.center_m[0])) <= float(top.half_m[0])
                             and abs(float(b.center_m[1]) - float(top.center_m[1])) <= float(top.half_m[1]))
    assert on_tables >= 10
