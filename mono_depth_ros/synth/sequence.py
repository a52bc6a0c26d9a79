"""A synthetic camera sequence: scene + trajectory + camera(s) -> frames with exact ground truth.

Usable without any bag (fast tests, training-data generation)::

    seq = SyntheticSequence(SynthConfig(frames=10, size_wh=(320, 240), scene="street"))
    for frame in seq:
        frame.rgb, frame.depth_m, frame.T_odom_optical
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from mono_depth_ros.core.transforms import T_BODY_FROM_OPTICAL
from mono_depth_ros.synth.lighting import LIGHTING_MODES, sample_lighting
from mono_depth_ros.synth.shapes import SHAPE_MODES
from mono_depth_ros.synth.raycast import Raycaster, default_camera
from mono_depth_ros.synth.realism import (CAMERA_MODES, LOOK_MODES, Look, LookApplier, fixed_rig, sample_look,
                                          sample_rig)
from mono_depth_ros.synth.scene import LAYOUTS, SCENES, TEXTURE_MODES, build_scene
from mono_depth_ros.synth.trajectory import TRAJECTORIES, Trajectory
from mono_depth_ros.synth.world import PATH_MARGIN_M

_DEFAULT_TRAJECTORY = {"indoor": "handheld", "street": "turning", "desk": "handheld"}
_SPEED_MPS = {"indoor": 1.0, "street": 6.0, "desk": 0.25}
MAX_VERTICAL_MOTION_M = 2.0
_FLOOR_CLEARANCE_M = 0.2  # the lowest the vertical excursion takes the camera
_INDOOR_TOP_M = 2.2  # the highest, under a ceiling (rooms are 2.4-3.2 m high)


def vertical_amplitude_m(requested_m: float, height_m: float, scene: str) -> float:
    """The vertical excursion's amplitude for a camera mounted ``height_m`` above the floor: the
    requested one, limited to keep the camera above the floor and (not in the street) below the ceiling."""
    room = max(0.0, height_m - _FLOOR_CLEARANCE_M)
    if scene != "street":
        room = min(room, max(0.0, _INDOOR_TOP_M - height_m))
    return float(min(requested_m, room))


@dataclass(frozen=True)
class SynthConfig:
    """What to render. ``size_wh`` is (width, height) in pixels; ``fps`` sets the stamps.

    Realism options (defaults reproduce the original clean world), all drawn from ``seed``:
    ``layout`` "basic" | "rich" (layouts.py), ``textures`` "basic" | "photos" (random crops of
    many photographs), ``camera`` "fixed" (66 deg, 1.5 m, level) | "real" (aspect, FOV, height,
    pitch, roll of real cameras; the image keeps ``size_wh``'s height and takes the rig's aspect),
    ``look`` "clean" | "real" (exposure, white balance, gamma, vignetting, blur, noise, 30 % mono
    sensors), ``distortion_k1``: plumb_bob D = (k1, -k1 / 4, 0, 0, 0) (EuRoC-like at -0.28).
    ``vertical_motion_m``: amplitude of a slow up-and-down excursion added to the camera path (0: none;
    limited so that the camera stays 0.2 m above the floor and, indoors, below 2.2 m).
    ``lighting`` "flat" (each face by its angle to the sun) | "shadows" (cast shadows, a lamp
    indoors, darkened creases; lighting.py). ``shapes`` "boxes" | "curved" (some props become the
    cylinder or ellipsoid inscribed in their box: posts, people, trunks, crowns, round tables;
    shapes.py).
    """

    frames: int = 30
    seed: int = 0
    size_wh: tuple[int, int] = (320, 240)
    scene: str = "indoor"
    stereo: bool = False
    baseline_m: float = 0.12
    moving_objects: int = 0
    fps: float = 10.0
    trajectory: str | None = None  # None: the scene's default
    start_stamp_ns: int = 1_700_000_000_000_000_000
    layout: str = "basic"
    textures: str = "basic"
    camera: str = "fixed"
    look: str = "clean"
    distortion_k1: float = 0.0
    vertical_motion_m: float = 0.0
    lighting: str = "flat"
    shapes: str = "boxes"

    def validate(self) -> None:
        """Raise ValueError naming the bad field."""
        if self.frames < 1:
            raise ValueError(f"frames={self.frames}: must be >= 1")
        if self.scene not in SCENES:
            raise ValueError(f"scene={self.scene!r}: expected one of {SCENES}")
        if not self.fps > 0:
            raise ValueError(f"fps={self.fps}: must be > 0")
        if self.stereo and not self.baseline_m > 0:
            raise ValueError(f"baseline_m={self.baseline_m}: must be > 0 for stereo")
        if self.trajectory is not None and self.trajectory not in TRAJECTORIES:
            raise ValueError(f"trajectory={self.trajectory!r}: expected one of {TRAJECTORIES}")
        if self.moving_objects < 0:
            raise ValueError(f"moving_objects={self.moving_objects}: must be >= 0")
        for name, allowed in (("layout", LAYOUTS), ("textures", TEXTURE_MODES), ("camera", CAMERA_MODES),
                              ("look", LOOK_MODES), ("lighting", LIGHTING_MODES), ("shapes", SHAPE_MODES)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}={getattr(self, name)!r}: expected one of {allowed}")
        if not -0.6 <= self.distortion_k1 <= 0.6:
            raise ValueError(f"distortion_k1={self.distortion_k1}: expected within [-0.6, 0.6]")
        if not 0.0 <= self.vertical_motion_m <= MAX_VERTICAL_MOTION_M:
            raise ValueError(f"vertical_motion_m={self.vertical_motion_m}: expected within [0, {MAX_VERTICAL_MOTION_M}]")


@dataclass(frozen=True)
class SynthFrame:
    """One rendered time step.

    Attributes:
        index: frame number from 0.
        stamp_ns: acquisition time (ns since epoch).
        rgb: (H, W, 3) uint8 left/only camera.
        depth_m: (H, W) float32 optical z in metres, +inf where nothing is hit.
        T_odom_camera_link: (4, 4) body pose of the camera in odom.
        T_odom_optical: (4, 4) optical-frame pose of the left camera in odom.
        right_rgb: (H, W, 3) uint8 or None; camera displaced by +baseline along optical x.
        right_depth_m: (H, W) float32 or None.
    """

    index: int
    stamp_ns: int
    rgb: np.ndarray
    depth_m: np.ndarray
    T_odom_camera_link: np.ndarray
    T_odom_optical: np.ndarray
    right_rgb: np.ndarray | None = None
    right_depth_m: np.ndarray | None = None


class SyntheticSequence:
    """Deterministic (by ``config.seed``) sequence of :class:`SynthFrame`."""

    def __init__(self, config: SynthConfig) -> None:
        config.validate()
        self.config = config
        if config.camera == "real":
            self.rig = sample_rig(np.random.default_rng((config.seed, 3)), config.scene)
            width, height = self.rig.size_wh(int(config.size_wh[1]))
        else:
            self.rig = fixed_rig(config.size_wh, config.scene)
            width, height = config.size_wh
        camera = default_camera(int(width), int(height), self.rig.hfov_deg)
        if config.distortion_k1 != 0.0:
            k1 = float(config.distortion_k1)
            camera = dataclasses.replace(camera, distortion_model="plumb_bob", d=(k1, -k1 / 4.0, 0.0, 0.0, 0.0))
        self.camera = camera
        kind = config.trajectory or _DEFAULT_TRAJECTORY[config.scene]
        speed = _SPEED_MPS[config.scene] * (0.6 if kind in ("handheld", "panning") and config.scene == "street" else 1.0)
        duration_s = config.frames / config.fps
        self.scene = build_scene(config.scene, config.seed, speed * duration_s + PATH_MARGIN_M, config.moving_objects,
                                 layout=config.layout, textures=config.textures, shapes=config.shapes)
        self.trajectory = Trajectory.create(kind, config.seed, speed, self.rig.height_m, self.scene.half_width_m,
                                            self.rig.pitch_rad, self.rig.roll_rad, self.rig.yaw_rad,
                                            vertical_amplitude_m(config.vertical_motion_m, self.rig.height_m,
                                                                 config.scene))
        self.lighting = (sample_lighting(np.random.default_rng((config.seed, 5)), self.scene)
                         if config.lighting == "shadows" else None)
        self.raycaster = Raycaster(self.scene, self.camera, self.lighting)
        self.look = sample_look(np.random.default_rng((config.seed, 4))) if config.look == "real" else Look()
        self._apply_look = LookApplier(self.look, width, height, config.seed) if config.look == "real" else None

    def __len__(self) -> int:
        return self.config.frames

    def stamp_ns(self, index: int) -> int:
        """Stamp of frame ``index``: start + index / fps, rounded to whole nanoseconds."""
        return self.config.start_stamp_ns + int(round(index * 1e9 / self.config.fps))

    def frame(self, index: int) -> SynthFrame:
        """Render frame ``index`` (0 <= index < frames)."""
        if not 0 <= index < self.config.frames:
            raise IndexError(f"index={index}: sequence has {self.config.frames} frames")
        time_s = index / self.config.fps
        T_body = self.trajectory.pose(time_s)
        T_optical = T_body @ T_BODY_FROM_OPTICAL
        rgb, depth_m = self.raycaster.render(T_optical, time_s)
        right_rgb = right_depth = None
        if self.config.stereo:
            right_rgb, right_depth = self.raycaster.render(T_optical @ self.T_left_from_right(), time_s)
        if self._apply_look is not None:
            rgb = self._apply_look(rgb, 2 * index)
            right_rgb = None if right_rgb is None else self._apply_look(right_rgb, 2 * index + 1)
        return SynthFrame(index, self.stamp_ns(index), rgb, depth_m, T_body, T_optical, right_rgb, right_depth)

    def T_left_from_right(self) -> np.ndarray:
        """(4, 4) right optical frame in the left optical frame: +baseline along x."""
        T = np.eye(4)
        T[0, 3] = self.config.baseline_m
        return T

    def __iter__(self) -> Iterator[SynthFrame]:
        for index in range(self.config.frames):
            yield self.frame(index)
