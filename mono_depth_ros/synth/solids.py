"""Ray intersection and surface normals of the curved solids a Box can hold (``Box.shape``): the
cylinder standing along the box's z axis and the ellipsoid inscribed in it.

Everything is in the box frame (centre at the origin, axes along the box's), component-major so
that the raycaster's (3, h, w) ray blocks and the shadow test's (3, N) rays both pass as they are.
Boxes themselves keep the raycaster's slab test.
"""

from __future__ import annotations

import numpy as np


def local_interval(shape: str, half_m: np.ndarray, origin, dirs) -> tuple[np.ndarray, np.ndarray]:
    """Entry and exit ray parameters (t_near, t_far) of rays ``origin + t * dirs`` through the
    solid ``shape`` ("cylinder" | "ellipsoid") inscribed in a box of half extents ``half_m`` (3,).

    ``origin``: 3 scalars or arrays, ``dirs``: 3 arrays (one per axis, any common shape S); returns
    two float32 arrays of shape S. A ray that misses gets t_near > t_far (inf, -inf)."""
    hx, hy, hz = (np.float32(v) for v in half_m)
    ox, oy, oz = (np.asarray(v, np.float32) for v in origin)
    dx, dy, dz = (np.asarray(v, np.float32) for v in dirs)
    if shape == "ellipsoid":
        Ox, Oy, Oz, Dx, Dy, Dz = ox / hx, oy / hy, oz / hz, dx / hx, dy / hy, dz / hz
        a = Dx * Dx + Dy * Dy + Dz * Dz
        b = Ox * Dx + Oy * Dy + Oz * Dz  # half of the quadratic's b
        c = Ox * Ox + Oy * Oy + Oz * Oz - np.float32(1.0)
    elif shape == "cylinder":
        Ox, Oy, Dx, Dy = ox / hx, oy / hy, dx / hx, dy / hy
        a = Dx * Dx + Dy * Dy
        b = Ox * Dx + Oy * Dy
        c = Ox * Ox + Oy * Oy - np.float32(1.0)
    else:
        raise ValueError(f"shape={shape!r}: expected cylinder or ellipsoid")
    a, b, c = np.broadcast_arrays(a, b, c)
    with np.errstate(divide="ignore", invalid="ignore"):
        disc = b * b - a * c
        root = np.sqrt(np.maximum(disc, 0.0))
        t_near = np.where(disc >= 0, (-b - root) / a, np.float32(np.inf))
        t_far = np.where(disc >= 0, (-b + root) / a, np.float32(-np.inf))
        if shape == "cylinder":
            # a ray along the axis (a = 0): inside the disc for every t, or never
            along = a <= np.float32(1e-12)
            t_near = np.where(along, np.where(c <= 0, np.float32(-np.inf), np.float32(np.inf)), t_near)
            t_far = np.where(along, np.where(c <= 0, np.float32(np.inf), np.float32(-np.inf)), t_far)
            inv = np.float32(1.0) / dz
            t_a, t_b = (-hz - oz) * inv, (hz - oz) * inv
            flat = dz == 0  # parallel to the caps: inside the slab for every t, or never
            inside_slab = np.abs(oz) <= hz
            lo = np.where(flat, np.where(inside_slab, np.float32(-np.inf), np.float32(np.inf)), np.minimum(t_a, t_b))
            hi = np.where(flat, np.where(inside_slab, np.float32(np.inf), np.float32(-np.inf)), np.maximum(t_a, t_b))
            t_near, t_far = np.maximum(t_near, lo), np.minimum(t_far, hi)
    return t_near.astype(np.float32), t_far.astype(np.float32)


def local_normals(shape: str, half_m: np.ndarray, local: np.ndarray) -> np.ndarray:
    """(N, 3) float32 outward unit normals, box frame, at N points ``local`` (N, 3) on the surface
    of ``shape`` ("cylinder" | "ellipsoid") inscribed in a box of half extents ``half_m``. On a
    cylinder a point is on a cap where ``|z| / hz`` exceeds its normalised radius."""
    half = np.asarray(half_m, np.float32)
    local = np.asarray(local, np.float32)
    if shape == "ellipsoid":
        normal = local / (half * half)
    elif shape == "cylinder":
        radius = np.sqrt((local[:, 0] / half[0]) ** 2 + (local[:, 1] / half[1]) ** 2)
        cap = np.abs(local[:, 2]) / half[2] > radius
        normal = np.stack([local[:, 0] / half[0] ** 2, local[:, 1] / half[1] ** 2, np.zeros(len(local), np.float32)], 1)
        normal[cap] = 0.0
        normal[cap, 2] = np.sign(local[cap, 2])
    else:
        raise ValueError(f"shape={shape!r}: expected cylinder or ellipsoid")
    norm = np.linalg.norm(normal, axis=1, keepdims=True)
    return (normal / np.maximum(norm, np.float32(1e-12))).astype(np.float32)
