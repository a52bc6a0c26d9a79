"""Vectorised per-pixel ray casting of a box scene: exact depth + textured, shaded colour.

A box may hold a curved solid instead (``Box.shape``: the cylinder or ellipsoid inscribed in it,
solids.py): the box is then its bounding volume for culling, its faces' texture coordinates are
those of the nearest box face (the dominant axis of the point), and its shading follows the
solid's own normals.

Rays are built in the camera optical frame with z = 1 (``d = ((u - cx)/fx, (v - cy)/fy, 1)``), so
the ray parameter at the hit IS the optical-frame depth z in metres (REP 118 depth). Each box is
tested only on the image rectangle its projected corners cover (cheap culling).
"""

from __future__ import annotations

import cv2
import numpy as np

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.synth.lighting import SHADOW_OFFSET_M, Lighting, crease_darkening, lamp_falloff, occluded
from mono_depth_ros.synth.solids import local_interval, local_normals
from mono_depth_ros.synth.world import Box, Scene
from mono_depth_ros.synth.textures import sky_gradient

_EPS = 1e-4
_EXPOSED_LIGHT = 0.8  # lit renders are exposed so that their 75th percentile of light reaches this
_CORNERS = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], float)


def default_camera(width: int, height: int, hfov_deg: float = 66.0) -> CameraIntrinsics:
    """Ideal square-pixel pinhole (no distortion) with the given horizontal field of view and a
    centred principal point; pixel centres at integer coordinates."""
    if width < 8 or height < 8:
        raise ValueError(f"size=({width}, {height}): width and height must be >= 8 px")
    f = width / (2.0 * np.tan(np.radians(hfov_deg) / 2.0))
    return CameraIntrinsics(width, height, f, f, (width - 1) / 2.0, (height - 1) / 2.0)


def is_distorted(camera: CameraIntrinsics) -> bool:
    """True when the camera's plumb_bob D has a non-zero coefficient."""
    return any(v != 0.0 for v in camera.d)


def optical_rays(camera: CameraIntrinsics) -> np.ndarray:
    """(H, W, 3) float64 ray directions in the optical frame with z = 1.

    With a plumb_bob ``camera.d`` the ray of each (distorted) pixel is its undistorted normalised
    coordinate (OpenCV's iterative ``undistortPoints``), so the image is rendered as that lens sees
    it and the depth stays the optical z of the surface seen at that pixel."""
    rays = np.ones((camera.height, camera.width, 3))
    if is_distorted(camera):
        if camera.distortion_model != "plumb_bob":
            raise ValueError(f"distortion_model={camera.distortion_model!r}: the renderer supports plumb_bob only")
        u, v = np.meshgrid(np.arange(camera.width, dtype=np.float64), np.arange(camera.height, dtype=np.float64))
        pts = np.stack([u, v], axis=-1).reshape(-1, 1, 2)
        norm = cv2.undistortPoints(pts, camera.k, np.asarray(camera.d), None, None, None,
                                       (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 40, 1e-10))
        rays[..., :2] = norm.reshape(camera.height, camera.width, 2)
        return rays
    rays[..., 0] = ((np.arange(camera.width) - camera.cx) / camera.fx)[None, :]
    rays[..., 1] = ((np.arange(camera.height) - camera.cy) / camera.fy)[:, None]
    return rays


class Raycaster:
    """Renders a :class:`Scene` for a pinhole camera (no distortion) at any pose and time.

    ``lighting`` None is the flat light of every earlier render (each face by its angle to the sun);
    a :class:`Lighting` adds cast shadows, a lamp indoors and darkened creases (lighting.py)."""

    def __init__(self, scene: Scene, camera: CameraIntrinsics, lighting: Lighting | None = None) -> None:
        self.scene = scene
        self.camera = camera
        self.lighting = lighting
        self._rays_optical = optical_rays(camera).reshape(-1, 3)
        self._tex = np.stack([t.pixels for t in scene.textures])  # (T, S, S, 3) uint8
        self._tex_flat = self._tex.reshape(-1, 3)
        self._tex_size_m = np.array([t.size_m for t in scene.textures], np.float32)
        self._sky = sky_gradient(camera.height, *scene.sky_rgb) if scene.sky_rgb else sky_gradient(camera.height)
        self._cull = not is_distorted(camera)  # the screen rectangles below assume a pinhole

    def render(self, T_world_optical: np.ndarray, time_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Colour and depth seen from optical-frame pose ``T_world_optical`` (4, 4) at ``time_s``.

        Returns:
            rgb: (H, W, 3) uint8.
            depth_m: (H, W) float32 optical-frame z in metres; +inf where nothing is hit (sky).
        """
        cam = self.camera
        R = T_world_optical[:3, :3]
        origin = T_world_optical[:3, 3]
        dirs = (self._rays_optical @ R.T).astype(np.float32)
        dirs = dirs.reshape(cam.height, cam.width, 3)
        dirs_cm = np.ascontiguousarray(np.moveaxis(dirs, 2, 0))
        depth = np.full((cam.height, cam.width), np.inf, np.float32)
        ids = np.full((cam.height, cam.width), -1, np.int32)
        centers = [box.center_at(time_s) for box in self.scene.boxes]
        for index, (box, center) in enumerate(zip(self.scene.boxes, centers)):
            rect = self._screen_rect(box, center, T_world_optical)
            if rect is None:
                continue
            r0, r1, c0, c1 = rect
            t = _intersect(box, center, origin, dirs_cm[:, r0:r1, c0:c1])
            sub_depth = depth[r0:r1, c0:c1]
            closer = t < sub_depth
            sub_depth[closer] = t[closer]
            ids[r0:r1, c0:c1][closer] = index
        rgb = self._shade(dirs, origin, depth, ids, centers)
        return rgb, depth

    def _screen_rect(self, box: Box, center: np.ndarray, T_world_optical: np.ndarray):
        """Pixel rectangle (r0, r1, c0, c1) covering the box, whole image if it straddles the camera."""
        cam = self.camera
        if box.inside or not self._cull:
            return 0, cam.height, 0, cam.width
        corners = center + (_CORNERS * box.half_m) @ box.rotation.T
        R, t = T_world_optical[:3, :3], T_world_optical[:3, 3]
        pts = (corners - t) @ R  # optical frame
        z = pts[:, 2]
        if np.all(z <= _EPS):
            return None
        if np.any(z <= _EPS):
            return 0, cam.height, 0, cam.width
        u = cam.fx * pts[:, 0] / z + cam.cx
        v = cam.fy * pts[:, 1] / z + cam.cy
        c0, c1 = int(np.clip(np.floor(u.min()), 0, cam.width)), int(np.clip(np.ceil(u.max()) + 1, 0, cam.width))
        r0, r1 = int(np.clip(np.floor(v.min()), 0, cam.height)), int(np.clip(np.ceil(v.max()) + 1, 0, cam.height))
        if c0 >= c1 or r0 >= r1:
            return None
        return r0, r1, c0, c1

    def _shade(self, dirs, origin, depth, ids, centers) -> np.ndarray:
        """Texture lookup by face coordinates and Lambert shading; sky gradient where no hit. With a
        ``lighting``: the direct light of every hit pixel in one pass (shadow rays), darkened creases
        and an auto exposure."""
        cam = self.camera
        rgb = np.empty((cam.height, cam.width, 3), np.float32)
        rgb[:] = self._sky[:, None, :] if self.scene.sky else 0.0
        rgb_flat, dirs_flat, depth_flat = rgb.reshape(-1, 3), dirs.reshape(-1, 3), depth.reshape(-1)
        ids_flat = ids.reshape(-1)
        order = np.argsort(ids_flat, kind="stable")  # pixels grouped by box, one pass
        boxes_present, starts = np.unique(ids_flat[order], return_index=True)
        ends = np.append(starts[1:], order.size)
        groups = [(index, order[start:end]) for index, start, end in zip(boxes_present, starts, ends) if index >= 0]
        faces = [_face(self.scene.boxes[index], centers[index], origin, dirs_flat[pix], depth_flat[pix])
                 for index, pix in groups]
        light = crease = shade = None
        if self.lighting is not None:
            normals = np.zeros((depth_flat.size, 3))
            for (index, pix), face in zip(groups, faces):
                box = self.scene.boxes[index]
                normals[pix] = _world_normals(box, face)  # towards the camera side
            hit = np.flatnonzero(ids_flat >= 0)
            points = origin + dirs_flat[hit].astype(np.float64) * depth_flat[hit, None]
            light = np.zeros(depth_flat.size, np.float32)
            light[hit] = self._direct_light(points, normals[hit], ids_flat[hit], centers)
            crease = crease_darkening(depth, self.lighting.ao_strength).reshape(-1)
            shade = np.zeros(depth_flat.shape, np.float32)  # each hit pixel's light, for the exposure
        for (index, pix), face in zip(groups, faces):
            rgb_flat[pix] = self._shade_box(self.scene.boxes[index], face, depth_flat[pix],
                                            None if light is None else light[pix],
                                            None if crease is None else crease[pix], shade, pix)
        if shade is not None and hit.size:  # auto exposure: a lit scene's 75th light percentile at flat light's level
            gain = float(np.clip(_EXPOSED_LIGHT / max(np.percentile(shade[hit], 75), 1e-3), 1.0, 2.5))
            rgb_flat[hit] *= np.float32(gain)
        return np.clip(rgb, 0, 255).astype(np.uint8)

    def _shade_box(self, box: Box, face, depth_m, light=None, crease=None, shade_out=None, pix=None) -> np.ndarray:
        """(N, 3) float32 colours of N pixels whose rays hit ``box`` at ``depth_m``, where ``face`` is
        :func:`_face`'s (local, axis, sign) for them; ``light``: (N,) direct light (lighting) or None
        (Lambert towards the sun); ``crease``: (N,) darkening factors or None; the light is also
        written to ``shade_out[pix]`` where given."""
        tex_px = self._tex.shape[1]
        local, axis, sign = face
        rows = np.arange(local.shape[0])
        tex_id = np.asarray(box.face_textures)[2 * axis + (sign > 0)]
        # in-face coordinates: the two other axes; z (up) maps to texture rows, upright
        u_axis = np.where(axis == 0, 1, 0)
        v_axis = np.where(axis == 2, 1, 2)
        u_m = local[rows, u_axis] + box.half_m[u_axis]
        v_m = box.half_m[v_axis] - local[rows, v_axis]
        scale = tex_px / self._tex_size_m[tex_id]
        col = (u_m * scale).astype(np.int32) % tex_px
        row = (v_m * scale).astype(np.int32) % tex_px
        color = self._tex_flat[(tex_id * tex_px + row) * tex_px + col]
        if light is None and box.shape != "box":
            sun_local = (box.rotation.T @ self.scene.sun_dir).astype(np.float32)
            lambert = np.clip(local_normals(box.shape, box.half_m, local) @ sun_local, 0.0, 1.0)
        elif light is None:
            normal_dot_sun = (box.rotation.T @ self.scene.sun_dir)[axis] * sign
            lambert = np.clip(-normal_dot_sun if box.inside else normal_dot_sun, 0.0, 1.0)
        else:
            lambert = light
        ambient = self.scene.ambient if self.lighting is None else self.lighting.ambient
        shade = (ambient + (1.0 - ambient) * lambert).astype(np.float32)
        if crease is not None:
            shade = shade * crease
        if shade_out is not None:
            shade_out[pix] = shade
        if not self.scene.sky:
            return color * shade[:, None]
        fog = np.exp(depth_m * np.float32(-1.0 / 150.0))  # aerial perspective outdoors
        return color * (shade * fog)[:, None] + (np.float32(200.0) * (1.0 - fog))[:, None]

    def _direct_light(self, points: np.ndarray, normals: np.ndarray, box_ids: np.ndarray, centers) -> np.ndarray:
        """(N,) direct light in [0, 1.5] on N surface points (N, 3) with unit normals (N, 3), world
        frame, lying on boxes ``box_ids`` (N,): Lambert towards the sun or the lamp, times the lamp's
        fall-off, zero in shadow."""
        lamp = self.lighting.lamp_m
        if lamp is None:
            to_light = np.broadcast_to(self.lighting.sun_dir, points.shape)
            distance = np.full(points.shape[0], np.inf)
            falloff = np.ones(points.shape[0], np.float32)
        else:
            offset = lamp - points
            distance = np.linalg.norm(offset, axis=1)
            to_light = offset / np.maximum(distance, 1e-6)[:, None]
            falloff = lamp_falloff(distance, self.lighting.falloff_m)
        lambert = np.clip(np.einsum("ij,ij->i", normals, to_light), 0.0, 1.0).astype(np.float32)
        lit = np.flatnonzero(lambert > 0)
        if lit.size:
            shadowed = occluded(self.scene.boxes, centers, box_ids[lit], points[lit] + SHADOW_OFFSET_M * normals[lit],
                                np.ascontiguousarray(to_light[lit]), distance[lit])
            lambert[lit[shadowed]] = 0.0
        return lambert * falloff


def _world_normals(box: Box, face) -> np.ndarray:
    """(N, 3) world-frame unit normals, facing the camera's side, of the N points of
    :func:`_face`'s ``face`` = (local, axis, sign) on ``box``."""
    local, axis, sign = face
    if box.shape != "box":
        return local_normals(box.shape, box.half_m, local) @ box.rotation.T.astype(np.float32)
    return (box.rotation[:, axis] * (-sign if box.inside else sign)).T


def _intersect(box: Box, center: np.ndarray, origin: np.ndarray, dirs: np.ndarray) -> np.ndarray:
    """:func:`_intersect_box` for any ``box.shape``: the first hit (inf where none) of rays
    ``origin + t * dirs``, ``dirs`` (3, h, w) float32 component-major; returns (h, w) float32."""
    if box.shape == "box":
        return _intersect_box(box, center, origin, dirs)
    o_local = (origin - center) @ box.rotation
    d_local = np.einsum("jk,jhw->khw", box.rotation.astype(np.float32), dirs)
    t_near, t_far = local_interval(box.shape, box.half_m, o_local, d_local)
    hit = (t_far >= t_near) & (t_near > _EPS)
    return np.where(hit, t_near, np.float32(np.inf))


def _face(box: Box, center, origin, dirs, depth_m):
    """Where N rays ``origin + depth_m * dirs`` (dirs (N, 3) float32) meet ``box``: the box-frame
    points (N, 3) float32, the index of the face's axis (N,) and its side (N,) +-1."""
    offset = (origin - center).astype(np.float32)
    local = (offset + dirs * depth_m[:, None]) @ box.rotation.astype(np.float32)
    axis = np.argmax(np.abs(local) / box.half_m, axis=1)
    sign = np.sign(local[np.arange(local.shape[0]), axis])
    return local, axis, sign


def _intersect_box(box: Box, center: np.ndarray, origin: np.ndarray, dirs: np.ndarray) -> np.ndarray:
    """Ray parameter of the first hit (inf where none) of rays ``origin + t * dirs``.

    ``dirs`` is (3, h, w) float32 (component-major, so each slab test is a plain 2-D op);
    returns (h, w) float32. Zero rotation coefficients are skipped (most boxes are yaw-only).
    """
    o_local = (origin - center) @ box.rotation
    t_near = t_far = None
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(3):
            d_k = None
            for j in range(3):
                coeff = box.rotation[j, k]
                if coeff == 0.0:
                    continue
                term = dirs[j] if coeff == 1.0 else dirs[j] * np.float32(coeff)
                d_k = term if d_k is None else d_k + term
            inv = np.float32(1.0) / d_k
            t_a = (np.float32(-box.half_m[k] - o_local[k])) * inv
            t_b = (np.float32(box.half_m[k] - o_local[k])) * inv
            lo, hi = np.minimum(t_a, t_b), np.maximum(t_a, t_b)
            t_near = lo if t_near is None else np.maximum(t_near, lo)
            t_far = hi if t_far is None else np.minimum(t_far, hi)
    if box.inside:
        return np.where(t_far > _EPS, t_far, np.float32(np.inf))
    hit = (t_far >= t_near) & (t_near > _EPS)
    return np.where(hit, t_near, np.float32(np.inf))
