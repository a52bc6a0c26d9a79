"""Metric scale from sparse metric depths, and scale + shift of affine (relative) outputs.

- ``sparse_depth_scale``: metres per unit of an up-to-scale depth, the median ratio to sparse
  metric depths (``SparseDepth``: a metric depth image of the camera, or a lidar's points
  projected into it, ``SparseDepth.from_points``).
- Affine outputs (``AFFINE_SPACES``): a prediction ``x`` with ``reference = scale * x + shift`` in
  metric inverse depth (a disparity) or depth. ``fit_affine``: RANSAC + least squares of the
  relative error; ``sparse_affine_scale`` against sparse metric depths; ``ground_affine_scale``
  against the ground a known height below the camera: a pixel whose ray ``r`` (z = 1) meets a
  ground of normal ``n`` ``h`` metres below has depth ``h / -(n . r)``, scale and shift are fitted
  to the pixels that agree (n = up, then the normal of the plane fitted to that first solution).

Optical frame as in core/ground_plane.py; every rule returns a ``ScaleMeasurement`` (``scale``
None and the reason when the data cannot give one). Deterministic (seeded).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.ground_plane import (GroundPlaneConfig, ScaleMeasurement, below_horizon_points,
                                              check_camera_height, check_range, fit_ground_plane, sample_indices,
                                              strided, tightened_tolerance, unit_up)


@dataclass(frozen=True)
class SparseDepth:
    """Sparse metric depths in the image: ``uv_px`` (N, 2) pixel coordinates (u right, v down),
    ``depth_m`` (N,) optical-frame z in metres (non-finite or <= 0: ignored)."""

    uv_px: np.ndarray
    depth_m: np.ndarray

    def __post_init__(self) -> None:
        uv = np.asarray(self.uv_px, dtype=np.float64)
        depth_m = np.asarray(self.depth_m, dtype=np.float64).reshape(-1)
        if uv.ndim != 2 or uv.shape[1] != 2 or len(uv) != len(depth_m):
            raise InputError("uv_px.shape", uv.shape, f"expected (N, 2) with N = len(depth_m) = {len(depth_m)}")
        object.__setattr__(self, "uv_px", uv)
        object.__setattr__(self, "depth_m", depth_m)

    @classmethod
    def from_image(cls, depth_m: np.ndarray) -> "SparseDepth":
        """From an (H, W) sparse depth image in metres, NaN (or <= 0) where missing."""
        depth_m = np.asarray(depth_m)
        if depth_m.ndim != 2:
            raise InputError("depth_m.shape", depth_m.shape, "expected an (H, W) sparse depth image")
        with np.errstate(invalid="ignore"):
            v, u = np.nonzero(np.isfinite(depth_m) & (depth_m > 0))
        return cls(np.stack([u, v], axis=1).astype(np.float64), depth_m[v, u])

    @classmethod
    def from_points(cls, points_m: np.ndarray, T_camera_points: np.ndarray,
                    intrinsics: CameraIntrinsics) -> "SparseDepth":
        """From (N, 3) points in metres in their own frame (a lidar's): moved into the camera's optical
        frame by the (4, 4) ``T_camera_points``, projected with the pinhole ``intrinsics`` (K, W x H of
        the rectified image). One depth per pixel (the pixel ``rint(u, v)``, as ``sample`` reads it):
        the nearest where several points fall in it, since a sensor beside the camera also sees
        surfaces the camera's view is occluded from. ``uv_px`` is that point's exact projection.
        Points behind the camera (z <= 0), outside the image or not finite are dropped."""
        points = np.asarray(points_m, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 3:
            raise InputError("points_m.shape", points.shape, "expected (N, 3) x, y, z in metres")
        T = np.asarray(T_camera_points, dtype=np.float64)
        if T.shape != (4, 4) or not np.isfinite(T).all():
            raise InputError("T_camera_points", T.tolist() if T.size <= 16 else T.shape, "expected a finite (4, 4)")
        intrinsics.validate()
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # dropped below
            camera_m = points @ T[:3, :3].T + T[:3, 3]
            z_m = camera_m[:, 2]
            u = intrinsics.fx * camera_m[:, 0] / z_m + intrinsics.cx
            v = intrinsics.fy * camera_m[:, 1] / z_m + intrinsics.cy
            col, row = np.rint(u), np.rint(v)
            inside = (z_m > 0) & np.isfinite(u) & np.isfinite(v) & (col >= 0) & (col < intrinsics.width) \
                & (row >= 0) & (row < intrinsics.height)
        kept = np.flatnonzero(inside)
        pixel = row[kept].astype(np.int64) * intrinsics.width + col[kept].astype(np.int64)
        order = np.lexsort((z_m[kept], pixel))  # by pixel, nearest first within a pixel
        first = np.ones(len(order), dtype=bool)
        first[1:] = pixel[order[1:]] != pixel[order[:-1]]
        chosen = kept[order[first]]
        return cls(np.stack([u[chosen], v[chosen]], axis=1), z_m[chosen])

    @classmethod
    def concatenate(cls, parts: "list[SparseDepth]") -> "SparseDepth":
        """All points of several sparse depths (a depth image and a lidar cloud) as one."""
        return cls(np.concatenate([p.uv_px for p in parts]), np.concatenate([p.depth_m for p in parts]))

    def sample(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(values of (H, W) ``image`` at the nearest pixels, metric depths), both (M,), for the
        M points inside the image with a valid metric depth."""
        image = np.asarray(image)
        height, width = image.shape[:2]
        uv = np.rint(np.where(np.isfinite(self.uv_px), self.uv_px, -1.0)).astype(np.int64)
        u, v = uv[:, 0], uv[:, 1]
        with np.errstate(invalid="ignore"):
            keep = (u >= 0) & (u < width) & (v >= 0) & (v < height) & np.isfinite(self.depth_m) & (self.depth_m > 0)
        return image[v[keep], u[keep]].astype(np.float64), self.depth_m[keep]


def sparse_depth_scale(depth: np.ndarray, sparse: SparseDepth, min_points: int = 20) -> ScaleMeasurement:
    """Metres per unit of an up-to-scale ``depth`` (H, W): the median of metric / predicted depth
    over the sparse points where both are finite and > 0; None when fewer than ``min_points``."""
    predicted, metric_m = sparse.sample(depth)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = metric_m / predicted
    ratio = ratio[np.isfinite(ratio) & (ratio > 0)]
    if len(ratio) < min_points:
        return ScaleMeasurement(None, reason=f"only {len(ratio)} sparse depths on valid pixels (need {min_points})",
                                diagnostics={"points": float(len(ratio))})
    scale = float(np.median(ratio))
    spread = float(np.median(np.abs(np.log(ratio / scale))))
    return ScaleMeasurement(scale, diagnostics={"points": float(len(ratio)), "log_ratio_mad": spread})


@dataclass(frozen=True)
class AffineFitConfig:
    """RANSAC + least-squares fit of ``reference = scale * x + shift`` (reference: metric inverse
    depth or depth); a point is an inlier within ``inlier_tolerance`` (relative) of its reference.
    10 %: relative-depth networks are rarely closer than that to the truth on most pixels (a
    5 % band left under 30 % of the pixels of the bundled nets on KITTI); the least-squares
    rounds then tighten the band to 3 sigma of the inliers' spread."""

    inlier_tolerance: float = 0.10
    max_points: int = 2000
    iterations: int = 200
    min_inliers: int = 20
    min_inlier_fraction: float = 0.3
    seed: int = 0

    def validate(self) -> "AffineFitConfig":
        check_range("inlier_tolerance", self.inlier_tolerance, 1e-4, 0.5)
        check_range("min_inlier_fraction", self.min_inlier_fraction, 0.0, 1.0)
        for name in ("max_points", "iterations", "min_inliers"):
            check_range(name, getattr(self, name), 2, 10**7)
        return self


AFFINE_SPACES = ("inverse_depth", "depth")


def _check_space(space: str) -> None:
    if space not in AFFINE_SPACES:
        raise InputError("space", space, f"expected one of {AFFINE_SPACES}")


def affine_to_depth(x: np.ndarray, scale: float, shift: float, space: str = "inverse_depth") -> np.ndarray:
    """(H, W) float32 metres of an affine prediction ``x`` (H, W): ``1 / (scale * x + shift)`` in
    ``inverse_depth`` space (x a disparity), ``scale * x + shift`` in ``depth`` space; NaN where
    ``scale * x + shift`` is not > 0."""
    _check_space(space)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        value = scale * np.asarray(x, dtype=np.float64) + shift
        metric = 1.0 / value if space == "inverse_depth" else value
        depth_m = np.where(np.isfinite(value) & (value > 0), metric, np.nan)
    return depth_m.astype(np.float32)


def _in_space(depth_m: np.ndarray, space: str) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return 1.0 / depth_m if space == "inverse_depth" else depth_m


def fit_affine(x: np.ndarray, reference: np.ndarray, config: AffineFitConfig = AffineFitConfig()) -> ScaleMeasurement:
    """Scale s > 0 and shift t with ``reference ~ s * x + t``, both (N,), reference > 0 (metric
    inverse depth or depth). RANSAC over point pairs with a relative tolerance, then least squares
    of the relative error ``(s x + t) / reference - 1`` on the inliers, three times."""
    cfg = config.validate()
    x, y = (np.asarray(a, dtype=np.float64).reshape(-1) for a in (x, reference))
    with np.errstate(invalid="ignore"):
        keep = np.isfinite(x) & np.isfinite(y) & (y > 0)
    x, y = x[keep], y[keep]
    if len(x) > cfg.max_points:
        chosen = np.sort(np.random.default_rng(cfg.seed).choice(len(x), cfg.max_points, replace=False))
        x, y = x[chosen], y[chosen]
    if len(x) < cfg.min_inliers:
        return ScaleMeasurement(None, reason=f"only {len(x)} usable metric points (need {cfg.min_inliers})",
                                diagnostics={"points": float(len(x))})
    pairs = np.random.default_rng(cfg.seed).integers(0, len(x), size=(cfg.iterations, 2))
    dx = x[pairs[:, 1]] - x[pairs[:, 0]]
    ok = np.abs(dx) > 1e-9 * max(float(np.ptp(x)), 1e-12)
    s = (y[pairs[ok, 1]] - y[pairs[ok, 0]]) / dx[ok]
    t = y[pairs[ok, 0]] - s * x[pairs[ok, 0]]
    s, t = s[s > 0], t[s > 0]
    if len(s) == 0:
        return ScaleMeasurement(None, reason="no increasing affine map from the prediction to the metric reference",
                                diagnostics={"points": float(len(x))})
    counts = (np.abs((np.outer(x, s) + t) / y[:, None] - 1.0) <= cfg.inlier_tolerance).sum(axis=0)
    scale, shift = float(s[np.argmax(counts)]), float(t[np.argmax(counts)])
    tolerance = cfg.inlier_tolerance
    for _ in range(3):
        inliers = np.abs((scale * x + shift) / y - 1.0) <= tolerance
        if inliers.sum() < 2:
            break
        a = np.stack([x[inliers] / y[inliers], 1.0 / y[inliers]], axis=1)
        scale, shift = (float(v) for v in np.linalg.lstsq(a, np.ones(len(a)), rcond=None)[0])
        tolerance = tightened_tolerance(np.abs((scale * x[inliers] + shift) / y[inliers] - 1.0), cfg.inlier_tolerance)
    inliers = np.abs((scale * x + shift) / y - 1.0) <= cfg.inlier_tolerance
    diagnostics = {"inliers": float(inliers.sum()), "inlier_fraction": float(inliers.mean()), "points": float(len(x))}
    if scale <= 0 or inliers.sum() < cfg.min_inliers or inliers.mean() < cfg.min_inlier_fraction:
        return ScaleMeasurement(None, reason=(f"no consistent scale and shift: {int(inliers.sum())} inliers "
                                              f"({100 * inliers.mean():.0f} %; need {cfg.min_inliers} and "
                                              f"{100 * cfg.min_inlier_fraction:.0f} %)"), diagnostics=diagnostics)
    return ScaleMeasurement(scale, shift, diagnostics=diagnostics)


def sparse_affine_scale(x: np.ndarray, sparse: SparseDepth, config: AffineFitConfig = AffineFitConfig(),
                        space: str = "inverse_depth") -> ScaleMeasurement:
    """Scale and shift of an affine prediction ``x`` (H, W) in ``space`` from sparse metric depths."""
    _check_space(space)
    predicted, metric_m = sparse.sample(x)
    return fit_affine(predicted, _in_space(metric_m, space), config)


def _ground_fit(x: np.ndarray, intrinsics: CameraIntrinsics, normal: np.ndarray, camera_height_m: float,
                config: AffineFitConfig, min_depression_deg: float, space: str) -> ScaleMeasurement:
    """Affine fit of the pixels below the horizon to a ground of unit ``normal`` (3,), h below:
    a ray r (z = 1) meets it at depth ``h / -(normal . r)``."""
    rays = np.ones(x.shape[:2], dtype=np.float32)
    mask, ray_points = below_horizon_points(rays, intrinsics, normal, min_depression_deg)
    ground_depth_m = camera_height_m / -(ray_points[mask] @ normal)
    return fit_affine(x[mask], _in_space(ground_depth_m, space), config)


def ground_affine_scale(x: np.ndarray, intrinsics: CameraIntrinsics, up_optical, camera_height_m: float,
                        config: AffineFitConfig = AffineFitConfig(), ground: GroundPlaneConfig = GroundPlaneConfig(),
                        space: str = "inverse_depth") -> ScaleMeasurement:
    """Scale and shift of an affine prediction ``x`` (H, W) in ``space`` from the ground
    ``camera_height_m`` below the camera.

    Pixels below the horizon are fitted to the (inverse) depth of a ground with normal n; pixels
    off the ground are RANSAC outliers. n starts as ``up_optical``, then becomes the normal of the
    ground plane fitted to the depth of that first solution (``ground``: the plane fit), since
    roads slope and mounts tilt by a degree or two.
    """
    check_camera_height(camera_height_m)
    _check_space(space)
    ground.validate()
    x, intrinsics = strided(x, intrinsics, config.max_points)
    up = unit_up(up_optical)
    first = _ground_fit(x, intrinsics, up, camera_height_m, config, ground.min_depression_deg, space)
    if first.scale is None:
        return first
    mask, points = below_horizon_points(affine_to_depth(x, first.scale, first.shift, space), intrinsics, up,
                                        ground.min_depression_deg)
    plane, _ = fit_ground_plane(points.reshape(-1, 3)[sample_indices(mask, ground.max_points, ground.seed)],
                                up, ground)
    if plane is None:
        return first
    refined = _ground_fit(x, intrinsics, plane.normal, camera_height_m, config, ground.min_depression_deg, space)
    if refined.scale is None:
        return first
    diagnostics = dict(refined.diagnostics, tilt_deg=plane.tilt_deg)
    return ScaleMeasurement(refined.scale, refined.shift, diagnostics=diagnostics)
