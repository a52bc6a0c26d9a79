"""Lighting of a rendered scene: cast shadows, a lamp's fall-off and darkened creases.

``flat`` (the default, and every render before it) lights each face by its angle to the scene's
sun alone: nothing casts a shadow, a table's underside is as bright as its top's angle allows, and a
box on the floor meets it without any darkening. Real photographs carry those cues (shadows under
furniture and cars, contact darkening where objects meet the floor or a wall, light fading away
from a lamp), so ``shadows`` adds them:

- **street** (sky): the scene's sun, with a shadow ray from every lit pixel towards it;
- **indoor and desk** (a room seen from inside): one lamp under the ceiling instead of the sun,
  its light falling off with distance (``1 / (1 + (d / falloff_m)^2)``, 1 at 1.5 m) and each lit
  pixel tested for a shadow along the segment to the lamp;
- everywhere: screen-space ambient occlusion from the rendered depth (a pixel farther than the
  mean of its opposite neighbours, in log depth, sits in a crease or at a contact and is darkened;
  steps beyond ``_AO_EDGE_LOG`` are depth edges, not creases, and are left alone).

All drawn from the sequence's seed by :func:`sample_lighting` (its own random stream, so a seed's
geometry, path and look are those of the flat render).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mono_depth_ros.synth.solids import local_interval
from mono_depth_ros.synth.world import Box, Scene

LIGHTING_MODES = ("flat", "shadows")
SHADOW_OFFSET_M = 1e-3  # shadow rays start this far off the surface (no self-hit)
_AO_RING_OF_WIDTH = 0.02  # the occlusion estimate's inner ring: 2 % of the image width (3 px at 160)
_AO_FULL_LOG = 0.04  # a log-depth excess over the neighbours' mean that darkens fully (4 % farther)
_AO_EDGE_LOG = 0.3  # beyond this the excess is a depth edge (a background beside an object), not a crease
_SKY_M = 1e3  # sky pixels' depth for the occlusion estimate
_LAMP_REF_M = 1.5  # the distance at which a lamp's fall-off is 1


@dataclass(frozen=True)
class Lighting:
    """How one sequence is lit with ``lighting="shadows"`` (the renderer's ``None`` is flat light).

    Attributes:
        sun_dir: (3,) unit vector towards the sun, world frame (outdoors; indoors unused).
        ambient: share of light that does not depend on the surface's orientation (replaces the
            scene's: lower than flat light's, so that shadows show).
        lamp_m: (3,) world position of the room's lamp, or None: the scene's sun (directional).
        falloff_m: a lamp's fall-off distance in metres (:func:`lamp_falloff`); 0 for the sun.
        ao_strength: 0-1, how dark a full crease gets.
    """

    sun_dir: np.ndarray
    ambient: float
    lamp_m: np.ndarray | None
    falloff_m: float
    ao_strength: float

    def describe(self) -> str:
        light = "sun" if self.lamp_m is None else (f"lamp at ({self.lamp_m[0]:.1f}, {self.lamp_m[1]:.1f}, "
                                                   f"{self.lamp_m[2]:.1f}) m, fall-off {self.falloff_m:.1f} m")
        return f"shadows from the {light}, ambient {self.ambient:.2f}, crease darkening {self.ao_strength:.2f}"


def sample_lighting(rng: np.random.Generator, scene: Scene) -> Lighting:
    """The lighting of ``scene`` drawn from ``rng``. Outdoors the sun at 15-65 deg elevation from
    any side (an overcast scene, ambient >= 0.8 in the flat render, keeps its soft light); indoors a
    lamp under the ceiling somewhere above the camera's path (x in [0, path length], y within 60 %
    of the room's half width). Ambient 0.15-0.45 (0.2-0.45 sunny outdoors)."""
    ao = float(rng.uniform(0.25, 0.6))
    elevation, azimuth = np.radians(rng.uniform(15.0, 65.0)), rng.uniform(-np.pi, np.pi)
    sun = np.array([np.cos(elevation) * np.cos(azimuth), np.cos(elevation) * np.sin(azimuth), np.sin(elevation)])
    rooms = [b for b in scene.boxes if b.inside]
    if scene.sky or not rooms:
        ambient = scene.ambient if scene.ambient >= 0.8 else float(rng.uniform(0.2, 0.45))
        return Lighting(sun, ambient, None, 0.0, ao)
    room = rooms[0]
    top_m = room.center_m[2] + room.half_m[2]
    x_lo, x_hi = room.center_m[0] - room.half_m[0] + 0.3, room.center_m[0] + room.half_m[0] - 0.3
    x = float(np.clip(rng.uniform(0.0, max(scene.length_m, 0.5)), x_lo, x_hi))
    y = float(rng.uniform(-0.6, 0.6) * room.half_m[1])
    lamp = np.array([x, y, top_m - 0.12])
    return Lighting(sun, float(rng.uniform(0.15, 0.45)), lamp, float(rng.uniform(2.5, 6.0)), ao)


def lamp_falloff(distance_m: np.ndarray, falloff_m: float) -> np.ndarray:
    """(N,) a lamp's relative intensity at ``distance_m``: 1 / (1 + (d / f)^2), scaled to 1 at 1.5 m
    and capped at 1.5 (nearer surfaces do not burn out)."""
    ref = 1.0 + (_LAMP_REF_M / falloff_m) ** 2
    return np.minimum(ref / (1.0 + (distance_m / falloff_m) ** 2), 1.5).astype(np.float32)


def occluded(boxes: list[Box], centers: list[np.ndarray], skip: np.ndarray, origins: np.ndarray, dirs: np.ndarray,
             limit_m: np.ndarray) -> np.ndarray:
    """(N,) bool: whether the segment ``origins + t * dirs``, 0 < t < ``limit_m``, hits any box (or
    the curved solid it holds) but
    rooms seen from inside and, for ray i, box ``skip[i]`` (the one it starts on: a convex box
    cannot shadow its own lit face). ``origins``, ``dirs``: (N, 3) world frame, ``dirs`` unit;
    ``skip``, ``limit_m``: (N,) (``limit_m`` inf for the sun)."""
    hit = np.zeros(origins.shape[0], bool)
    ox, oy, oz = (np.ascontiguousarray(origins[:, k], np.float32) for k in range(3))
    dx, dy, dz = (np.ascontiguousarray(dirs[:, k], np.float32) for k in range(3))
    limit = np.asarray(limit_m, np.float32)
    for index, (box, center) in enumerate(zip(boxes, centers)):
        if box.inside:
            continue
        # bounding-sphere test on every ray first (plain float32 vector ops): most rays pass far from most boxes
        cx, cy, cz = (np.float32(v) for v in center)
        wx, wy, wz = cx - ox, cy - oy, cz - oz
        along = wx * dx + wy * dy + wz * dz
        radius = np.float32(np.linalg.norm(box.half_m))
        near = (wx * wx + wy * wy + wz * wz - along * along <= radius * radius) & (along > -radius) & \
               (along < limit + radius) & ~hit & (skip != index)
        todo = np.flatnonzero(near)
        if todo.size == 0:
            continue
        o = (origins[todo] - center) @ box.rotation
        d = dirs[todo] @ box.rotation
        if box.shape != "box":  # a curved solid inscribed in the box (solids.py)
            t_near, t_far = local_interval(box.shape, box.half_m, o.T, d.T)
            hit[todo] = (t_far >= t_near) & (t_far > 0.0) & (t_near < limit_m[todo])
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / d
            t_a, t_b = (-box.half_m - o) * inv, (box.half_m - o) * inv
        t_near = np.nanmax(np.minimum(t_a, t_b), axis=1)
        t_far = np.nanmin(np.maximum(t_a, t_b), axis=1)
        hit[todo] = (t_far >= t_near) & (t_far > 0.0) & (t_near < limit_m[todo])
    return hit


def crease_darkening(depth_m: np.ndarray, strength: float) -> np.ndarray:
    """(H, W) float32 factor in [1 - strength, 1] from the (H, W) rendered depth (inf: sky).

    A screen-space ambient occlusion from second differences of log depth: each pixel is compared
    with the mean of two opposite neighbours, in 4 directions on two rings (radius 2 % and 4 % of
    the width). Where that mean is nearer (a crease, or where an object meets the floor or a wall)
    the pixel is darkened, fully from ``_AO_FULL_LOG``. A pair with a neighbour across a depth edge
    (a log-depth step beyond ``_AO_EDGE_LOG``) does not count, so objects in front of a far
    background get no dark halo; a plane seen obliquely is not darkened (its inverse depth is
    affine in the pixel, so its log depth bends the other way)."""
    log_d = np.log(np.minimum(np.where(np.isfinite(depth_m), depth_m, _SKY_M), _SKY_M)).astype(np.float32)
    height, width = log_d.shape
    occlusion = np.zeros_like(log_d)
    pairs = 0
    for radius in (_AO_RING_OF_WIDTH * width, 2.0 * _AO_RING_OF_WIDTH * width):
        r = max(1, int(round(radius)))
        padded = cv2.copyMakeBorder(log_d, r, r, r, r, cv2.BORDER_REPLICATE)
        for angle in np.arange(4) * (np.pi / 4):
            dy, dx = int(round(r * np.sin(angle))), int(round(r * np.cos(angle)))
            a = padded[r + dy:r + dy + height, r + dx:r + dx + width]
            b = padded[r - dy:r - dy + height, r - dx:r - dx + width]
            excess = log_d - 0.5 * (a + b)
            same_surface = (np.abs(log_d - a) < _AO_EDGE_LOG) & (np.abs(log_d - b) < _AO_EDGE_LOG)
            occlusion += np.clip(excess / _AO_FULL_LOG, 0.0, 1.0) * same_surface
            pairs += 1
    return (1.0 - strength * occlusion / pairs).astype(np.float32)
