"""Ground plane of a depth image, and the metric scale it gives from a known camera height.

Everything is in the camera optical frame (REP 103: x right, y down, z forward; a level camera's
up is (0, -1, 0)), in prediction units (any scale). ``fit_ground_plane``: RANSAC among planes whose
normal is within ``max_tilt_deg`` of the up axis and that lie below the camera, refined by least
squares; ``ground_plane_scale``: known camera height / plane distance. No rule raises on a scene
it cannot use: it returns a ``ScaleMeasurement`` with ``scale`` None and the reason (the type
every scale rule returns, see core/scale.py). Deterministic (seeded). The fits work on a strided
grid of about 8 x ``max_points`` pixels, so their cost does not grow with the image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.pointcloud import backproject_depth


@dataclass(frozen=True)
class ScaleMeasurement:
    """One frame's measurement. ``scale`` None means none (``reason`` says why). Up to scale:
    depth_m = scale * prediction; affine: see ``affine_to_depth`` (scale and shift).
    ``diagnostics``: numbers for /diagnostics."""

    scale: float | None
    shift: float = 0.0
    reason: str = ""
    diagnostics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class GroundPlaneConfig:
    """RANSAC ground-plane fit. Tolerances are relative to the plane distance (camera height in
    prediction units), so they hold at any scale; ``min_depression_deg`` keeps only pixels whose
    ray points that far below the horizon (the ground, and not its noisy far end).
    ``level_fallback``: where no plane within ``max_tilt_deg`` of up is found, trust the up
    direction as given and take the ground's distance alone (``fit_level_ground``), as the affine
    rule falls back to its first, level fit (decided on validation: sweep_ground_fit.py)."""

    max_tilt_deg: float = 15.0
    inlier_tolerance: float = 0.05
    min_depression_deg: float = 2.0
    max_points: int = 3000
    iterations: int = 200
    min_inliers: int = 100
    min_inlier_fraction: float = 0.15
    seed: int = 0
    level_fallback: bool = False

    def validate(self) -> "GroundPlaneConfig":
        check_range("max_tilt_deg", self.max_tilt_deg, 0.0, 60.0)
        check_range("inlier_tolerance", self.inlier_tolerance, 1e-4, 0.5)
        check_range("min_depression_deg", self.min_depression_deg, 0.0, 45.0)
        check_range("min_inlier_fraction", self.min_inlier_fraction, 0.0, 1.0)
        for name in ("max_points", "iterations", "min_inliers"):
            check_range(name, getattr(self, name), 3, 10**7)
        return self


def check_range(name: str, value: float, low: float, high: float) -> None:
    """InputError naming ``name`` unless ``value`` is a finite number in [low, high]."""
    if not (isinstance(value, (int, float)) and math.isfinite(value) and low <= value <= high):
        raise InputError(name, value, f"must be a number in [{low}, {high}]")


def unit_up(up_optical) -> np.ndarray:
    """(3,) float64 unit vector of ``up_optical``; InputError unless a finite non-zero 3-vector."""
    up = np.asarray(up_optical, dtype=np.float64).reshape(-1)
    norm = float(np.linalg.norm(up)) if up.size == 3 else 0.0
    if up.size != 3 or not np.all(np.isfinite(up)) or norm < 1e-6:
        raise InputError("up_optical", up_optical, "expected a finite non-zero 3-vector (optical frame)")
    return up / norm


def check_camera_height(camera_height_m: float) -> None:
    """InputError unless ``camera_height_m`` is finite and > 0."""
    if not (math.isfinite(camera_height_m) and camera_height_m > 0):
        raise InputError("camera_height_m", camera_height_m, "must be finite and > 0")


@dataclass(frozen=True)
class GroundPlane:
    """Plane ``normal . p + distance = 0`` (normal (3,) unit, on the up side; distance > 0: the
    camera is above it), in prediction units; ``tilt_deg``: angle between normal and up."""

    normal: np.ndarray
    distance: float
    inlier_count: int
    point_count: int
    tilt_deg: float

    @property
    def inlier_fraction(self) -> float:
        return self.inlier_count / max(self.point_count, 1)


def _oriented(normals: np.ndarray, up: np.ndarray) -> np.ndarray:
    """(K, 3) normals flipped to the up side."""
    return normals * np.where(normals @ up < 0, -1.0, 1.0)[:, None]


def _ransac_plane(points: np.ndarray, up: np.ndarray, cfg: GroundPlaneConfig,
                  rng: np.random.Generator) -> tuple[np.ndarray, float] | None:
    """Best (normal, distance) of ``cfg.iterations`` 3-point planes (N, 3), or None."""
    samples = points[rng.integers(0, len(points), size=(cfg.iterations, 3))]
    normals = np.cross(samples[:, 1] - samples[:, 0], samples[:, 2] - samples[:, 0])
    norms = np.linalg.norm(normals, axis=1)
    ok = norms > 1e-12
    normals = _oriented(normals[ok] / norms[ok, None], up)
    distances = -np.einsum("kj,kj->k", normals, samples[ok, 0])
    ok = (normals @ up >= math.cos(math.radians(cfg.max_tilt_deg))) & (distances > 0)
    if not ok.any():
        return None
    normals, distances = normals[ok], distances[ok]
    residual = np.abs(points @ normals.T + distances[None, :])  # (N, K)
    counts = (residual <= cfg.inlier_tolerance * distances[None, :]).sum(axis=0)
    best = int(np.argmax(counts))
    return normals[best], float(distances[best])


def tightened_tolerance(relative_residual: np.ndarray, tolerance: float) -> float:
    """Inlier tolerance for the next least-squares round: 3 sigma (from the MAD) of the current
    inliers' relative residuals, within [tolerance / 5, tolerance]. Kerbs and the feet of walls
    and cars inside the RANSAC tolerance would otherwise tilt or shift the fit."""
    sigma = 1.4826 * float(np.median(relative_residual))
    return float(np.clip(3.0 * sigma, 0.2 * tolerance, tolerance))


def fit_ground_plane(points: np.ndarray, up_optical, config: GroundPlaneConfig = GroundPlaneConfig()
                     ) -> tuple[GroundPlane | None, str]:
    """Ground plane of (N, 3) optical-frame points (any scale): (plane, "") or (None, reason).

    RANSAC keeps planes below the camera within ``max_tilt_deg`` of ``up_optical``; the best one
    is refined by least squares (total, via SVD) on its inliers, three times.
    """
    cfg = config.validate()
    up = unit_up(up_optical)
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    if len(points) < cfg.min_inliers:
        return None, f"no ground plane found: {len(points)} usable points below the horizon (need {cfg.min_inliers})"
    best = _ransac_plane(points, up, cfg, np.random.default_rng(cfg.seed))
    if best is None:
        return None, f"no ground plane found: no plane within {cfg.max_tilt_deg} deg of up below the camera"
    normal, distance = best
    tolerance = cfg.inlier_tolerance * distance
    for _ in range(3):
        residual = np.abs(points @ normal + distance)
        inliers = residual <= tolerance
        if inliers.sum() < 3:
            break
        centroid = points[inliers].mean(axis=0)
        normal = _oriented(np.linalg.svd(points[inliers] - centroid, full_matrices=False)[2][-1:], up)[0]
        distance = -float(normal @ centroid)
        tolerance = tightened_tolerance(np.abs(points[inliers] @ normal + distance) / abs(distance),
                               cfg.inlier_tolerance) * abs(distance)
    inliers = np.abs(points @ normal + distance) <= cfg.inlier_tolerance * abs(distance)
    tilt_deg = math.degrees(math.acos(min(1.0, float(normal @ up))))
    plane = GroundPlane(normal, distance, int(inliers.sum()), len(points), tilt_deg)
    if distance <= 0 or tilt_deg > cfg.max_tilt_deg:
        return None, f"no ground plane found: the refined plane is tilted {tilt_deg:.1f} deg or above the camera"
    if plane.inlier_count < cfg.min_inliers or plane.inlier_fraction < cfg.min_inlier_fraction:
        return None, (f"no ground plane found: best plane has {plane.inlier_count} inliers "
                      f"({100 * plane.inlier_fraction:.0f} % of {len(points)}; need {cfg.min_inliers} "
                      f"and {100 * cfg.min_inlier_fraction:.0f} %)")
    return plane, ""


def fit_level_ground(points: np.ndarray, up_optical, config: GroundPlaneConfig = GroundPlaneConfig()
                     ) -> tuple[GroundPlane | None, str]:
    """Ground of (N, 3) optical-frame points (any scale) whose normal is ``up_optical`` exactly:
    (plane, "") or (None, reason). Only its distance is fitted: the densest level below the camera,
    a window of relative half-width ``inlier_tolerance`` in log height (the height of a point below
    the camera is -p . up), re-centred on its inliers' median twice. For a depth whose floor is
    tilted against the known up (a network's reading of a real room), where the plane fit finds no
    plane within ``max_tilt_deg``."""
    cfg = config.validate()
    up = unit_up(up_optical)
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    heights = -(points @ up)
    heights = heights[np.isfinite(heights) & (heights > 0)]
    if len(heights) < cfg.min_inliers:
        return None, f"no level ground found: {len(heights)} usable points below the camera (need {cfg.min_inliers})"
    log_h = np.sort(np.log(heights))
    half = math.log1p(cfg.inlier_tolerance)
    ends = np.searchsorted(log_h, log_h + 2 * half, side="right")
    start = int(np.argmax(ends - np.arange(len(log_h))))
    centre = float(np.median(log_h[start:ends[start]]))
    for _ in range(2):
        centre = float(np.median(log_h[np.abs(log_h - centre) <= half]))
    count = int((np.abs(log_h - centre) <= half).sum())
    plane = GroundPlane(up, math.exp(centre), count, len(points), 0.0)
    if count < cfg.min_inliers or plane.inlier_fraction < cfg.min_inlier_fraction:
        return None, (f"no level ground found: its densest level has {count} points ({100 * plane.inlier_fraction:.0f} % "
                      f"of {len(points)}; need {cfg.min_inliers} and {100 * cfg.min_inlier_fraction:.0f} %)")
    return plane, ""


def sample_indices(mask: np.ndarray, max_points: int, seed: int) -> np.ndarray:
    """Flat indices of True pixels of ``mask``, at most ``max_points``, sorted (seeded draw)."""
    flat = np.flatnonzero(mask)
    if len(flat) > max_points:
        flat = np.sort(np.random.default_rng(seed).choice(flat, max_points, replace=False))
    return flat


def strided(image: np.ndarray, intrinsics: CameraIntrinsics, max_points: int
             ) -> tuple[np.ndarray, CameraIntrinsics]:
    """Every s-th pixel of an (H, W) image and the exact intrinsics of that grid (u = s * u'),
    with s leaving about 8 * max_points pixels: a fit of max_points needs no full image."""
    image = np.asarray(image)
    if image.shape[:2] != (intrinsics.height, intrinsics.width):
        raise InputError("depth.shape", image.shape,
                         f"expected (H, W) = ({intrinsics.height}, {intrinsics.width}) from the intrinsics")
    step = max(1, int(math.sqrt(image.shape[0] * image.shape[1] / (8 * max_points))))
    if step == 1:
        return image, intrinsics
    sub = image[::step, ::step]
    return sub, CameraIntrinsics(sub.shape[1], sub.shape[0], intrinsics.fx / step, intrinsics.fy / step,
                                 intrinsics.cx / step, intrinsics.cy / step)


def below_horizon_points(depth: np.ndarray, intrinsics: CameraIntrinsics, up_optical,
                         min_depression_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """((H, W) bool mask, (H, W, 3) float32 points) of an (H, W) depth: the mask is True where
    the depth is valid (finite, > 0) and the ray points ``min_depression_deg`` or more below the
    horizon of ``up_optical`` (only there can a ground below the camera be seen)."""
    up = unit_up(up_optical)
    depth = np.asarray(depth)
    points = backproject_depth(depth.astype(np.float32, copy=False), intrinsics)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        valid = np.isfinite(depth) & (depth > 0)
        drop = -(points @ up.astype(np.float32))  # (H, W) distance below the camera
        sin_depression = drop / np.linalg.norm(points, axis=2)
        mask = valid & (sin_depression >= math.sin(math.radians(min_depression_deg)))
    return mask, points


def ground_plane_scale(depth: np.ndarray, intrinsics: CameraIntrinsics, up_optical, camera_height_m: float,
                       config: GroundPlaneConfig = GroundPlaneConfig()) -> ScaleMeasurement:
    """Metres per unit of an up-to-scale ``depth`` (H, W) (NaN/inf/<=0 invalid) from the ground.

    ``up_optical``: (3,) up direction in the optical frame; ``camera_height_m``: the camera's
    height above the ground. scale = camera_height_m / distance of the fitted plane.
    """
    cfg = config.validate()
    check_camera_height(camera_height_m)
    depth, intrinsics = strided(depth, intrinsics, cfg.max_points)
    mask, points = below_horizon_points(depth, intrinsics, up_optical, cfg.min_depression_deg)
    chosen = points.reshape(-1, 3)[sample_indices(mask, cfg.max_points, cfg.seed)]
    plane, reason = fit_ground_plane(chosen, up_optical, cfg)
    level = plane is None and cfg.level_fallback
    if level:
        plane, why_not = fit_level_ground(chosen, up_optical, cfg)
        reason = f"{reason}; {why_not}" if plane is None else ""
    if plane is None:
        return ScaleMeasurement(None, reason=reason, diagnostics={"points": float(len(chosen))})
    return ScaleMeasurement(camera_height_m / plane.distance, diagnostics={
        "inliers": float(plane.inlier_count), "inlier_fraction": plane.inlier_fraction,
        "points": float(plane.point_count), "tilt_deg": plane.tilt_deg, "plane_distance": plane.distance,
        "level_fit": float(level)})

