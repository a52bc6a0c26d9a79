"""Camera trajectories: ``camera_link`` pose in ``odom`` as a smooth function of time.

``camera_link`` is a body frame (REP 103: x forward, y left, z up). Kinds:
- ``forward``: driving straight at constant speed with a slight lateral sway;
- ``turning``: heading oscillates (S-curves), position integrates the heading;
- ``handheld``: slow walk plus small deterministic shake in position and orientation;
- ``panning``: a hand-held camera looking around while walking slowly, at the angular rates of real
  hand-held recordings (TUM RGB-D's fr1 sequences average 9-42 deg/s, fr3/long_office 10 deg/s):
  yaw sweeps of +-26 deg, pitch nods of +-7 deg: 16 deg/s on average, peaks about 30 deg/s (1.6 deg
  a frame at 10 Hz, at most 3; ``handheld``: 0.6, at most 1).
All are deterministic for a seed (random phases/amplitudes drawn once). Any kind can add a slow
vertical excursion (``vertical_m``: the camera raised and lowered, as a hand-held camera, a drone or
stairs move it), so that the image moves down the columns as well as along the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TRAJECTORIES = ("forward", "turning", "handheld", "panning")


def rotation_zyx(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """(3, 3) rotation R = Rz(yaw) Ry(pitch) Rx(roll)."""
    cy, sy, cp, sp, cr, sr = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    Rz = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1.0]])
    Ry = np.array([[cp, 0, sp], [0, 1.0, 0], [-sp, 0, cp]])
    Rx = np.array([[1.0, 0, 0], [0, cr, -sr], [0, sr, cr]])
    return Rz @ Ry @ Rx


@dataclass(frozen=True)
class Trajectory:
    """Parametric camera path.

    Attributes:
        kind: one of ``TRAJECTORIES``.
        speed_mps: forward speed.
        height_m: camera height above the floor/road.
        half_width_m: lateral excursion bound.
        phases: (8,) random phases (radians) for the sway/shake terms.
    """

    kind: str
    speed_mps: float
    height_m: float
    half_width_m: float
    phases: np.ndarray
    pitch_rad: float = 0.0  # constant mounting pitch added to the path's own (positive: down)
    roll_rad: float = 0.0  # constant mounting roll
    yaw_rad: float = 0.0  # constant heading offset from the direction of travel
    vertical_m: float = 0.0  # amplitude of the vertical excursion (metres; 0: none)

    @staticmethod
    def create(kind: str, seed: int, speed_mps: float, height_m: float, half_width_m: float,
               pitch_rad: float = 0.0, roll_rad: float = 0.0, yaw_rad: float = 0.0,
               vertical_m: float = 0.0) -> "Trajectory":
        if kind not in TRAJECTORIES:
            raise ValueError(f"trajectory={kind!r}: expected one of {TRAJECTORIES}")
        if not vertical_m >= 0.0:
            raise ValueError(f"vertical_m={vertical_m}: must be >= 0")
        phases = np.random.default_rng(seed + 7919).uniform(0, 2 * np.pi, 8)
        return Trajectory(kind, float(speed_mps), float(height_m), float(half_width_m), phases,
                          float(pitch_rad), float(roll_rad), float(yaw_rad), float(vertical_m))

    def pose(self, time_s: float) -> np.ndarray:
        """(4, 4) T_odom_camera_link at ``time_s``."""
        t = float(time_s)
        p = self.phases
        x, y, z = self.speed_mps * t, 0.0, self.height_m
        yaw = pitch = roll = 0.0
        if self.kind == "forward":
            y = 0.25 * self.half_width_m * np.sin(0.3 * t + p[0])
            yaw = 0.25 * self.half_width_m * 0.3 * np.cos(0.3 * t + p[0]) / max(self.speed_mps, 1e-3)
            pitch = 0.01 * np.sin(1.7 * t + p[1])
        elif self.kind == "turning":
            # heading oscillates; y is its integral so the path stays within the corridor
            w = 0.4
            amp = min(0.35, 0.8 * self.half_width_m * w / max(self.speed_mps, 1e-3))
            yaw = amp * np.cos(w * t + p[0])
            y = self.speed_mps * amp / w * (np.sin(w * t + p[0]) - np.sin(p[0]))
        else:  # handheld, panning: the same walk and shake
            y = 0.3 * self.half_width_m * np.sin(0.25 * t + p[0]) + 0.02 * np.sin(2.3 * t + p[1])
            z += 0.03 * np.sin(3.1 * t + p[2]) + 0.01 * np.sin(7.3 * t + p[3])
            yaw = 0.15 * np.sin(0.35 * t + p[4]) + 0.02 * np.sin(4.1 * t + p[5])
            pitch = 0.03 * np.sin(2.7 * t + p[6])
            roll = 0.025 * np.sin(3.7 * t + p[7])
            if self.kind == "panning":  # looking around: yaw sweeps and pitch nods (rad; rates in rad/s
                # peak 0.36 and 0.16 on top of the shake's)
                yaw += 0.45 * np.sin(0.8 * t + p[6] + p[1]) - 0.15 * np.sin(0.35 * t + p[4])
                pitch += 0.12 * np.sin(1.3 * t + p[7] + p[2])
                roll += 0.04 * np.sin(1.9 * t + p[5] + p[3])
        if self.vertical_m > 0.0:
            # two incommensurate waves, |excursion| <= vertical_m; peak vertical speed about 1.5 x vertical_m m/s
            z += self.vertical_m * (0.75 * np.sin(1.1 * t + p[2] + p[5]) + 0.25 * np.sin(2.9 * t + p[6] + p[1]))
        T = np.eye(4)
        T[:3, :3] = rotation_zyx(yaw + self.yaw_rad, pitch + self.pitch_rad, roll + self.roll_rad)
        T[:3, 3] = (x, y, z)
        return T
