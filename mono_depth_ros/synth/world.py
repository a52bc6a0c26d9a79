"""The world the synthetic scenes are made of: textured oriented boxes in one Scene.

A Box is also the bounding volume of the curved solids inscribed in it (``shape``): a cylinder
standing along the box's z axis (elliptic where the x and y half extents differ: posts, trunks,
people, round tables) or an ellipsoid (tree crowns, bushes, balls). Layouts place boxes; shapes.py
turns some of them round.

World frame = ``odom`` (REP 103: x forward, y left, z up), metres. scene.py builds the basic
layouts and layouts.py the rich ones, both from these pieces.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mono_depth_ros.synth.textures import Texture


#: a scene is built this much longer than the camera path through it (``length_m`` = path + margin)
PATH_MARGIN_M = 10.0

@dataclass
class Box:
    """Oriented box with one texture index per face.

    Attributes:
        center_m: (3,) centre at t=0, world frame.
        half_m: (3,) half extents along the box axes.
        rotation: (3, 3) world_from_box rotation.
        face_textures: 6 texture indices for faces -x, +x, -y, +y, -z, +z (box frame).
        inside: True for a room seen from inside (ray exits the box).
        motion_axis_m: (3,) peak displacement of the back-and-forth motion (zeros = static).
        period_s: duration of one back-and-forth cycle.
        shape: "box", or the solid inscribed in it: "cylinder" (axis along the box's z) or
            "ellipsoid" (solids.py).
    """

    center_m: np.ndarray
    half_m: np.ndarray
    rotation: np.ndarray
    face_textures: tuple[int, ...]
    inside: bool = False
    motion_axis_m: np.ndarray = field(default_factory=lambda: np.zeros(3))
    period_s: float = 1.0
    shape: str = "box"

    @property
    def is_moving(self) -> bool:
        return bool(np.any(self.motion_axis_m != 0))

    def center_at(self, time_s: float) -> np.ndarray:
        """(3,) centre at ``time_s``: triangle wave in [-1, 1] along ``motion_axis_m``."""
        if not self.is_moving:
            return self.center_m
        phase = (time_s / self.period_s) % 1.0
        tri = 4.0 * abs(phase - 0.5) - 1.0
        return self.center_m + tri * self.motion_axis_m


@dataclass
class Scene:
    """Boxes, textures, and lighting of one procedural world."""

    name: str
    boxes: list[Box]
    textures: list[Texture]
    sky: bool
    sun_dir: np.ndarray  # (3,) unit vector towards the light, world frame
    length_m: float  # usable length along +x for the camera path
    half_width_m: float  # free half width for the camera path
    ambient: float = 0.55  # share of light that does not depend on the surface's orientation
    sky_rgb: tuple | None = None  # (top, horizon) colours in [0, 1]; None: the default blue


def yaw_matrix(yaw_rad: float) -> np.ndarray:
    c, s = np.cos(yaw_rad), np.sin(yaw_rad)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def box(center, half, tex, yaw_rad=0.0, **kw) -> Box:
    """A Box of half extents ``half`` at ``center``, turned by ``yaw_rad``; ``tex``: one texture index or 6."""
    faces = (tex,) * 6 if isinstance(tex, int) else tuple(tex)
    return Box(np.asarray(center, float), np.asarray(half, float), yaw_matrix(yaw_rad), faces, **kw)


def unit(v) -> np.ndarray:
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)
