"""Metric scale for depth networks whose output is not metric, from the scene.

Output kinds (``OUTPUT_KINDS``, the model card's names) and how the published depth p (the
network's DepthResult.depth_m) relates to metres z:

- ``metric_depth``, ``log_depth``: z = p (already metres).
- ``depth_up_to_scale`` (li2020): z = s * p.
- ``relative_depth`` (xian2018's ranking score): z = s * p + t, affine in depth.
- ``relative_inverse_depth`` (MiDaS, Depth Anything; p = median(d) / d for the disparity d):
  1 / z = s / p + t, affine in inverse depth.

Metric sources (``SCALE_SOURCES``):

- ``camera_height``: back-project the prediction, fit the ground plane by RANSAC among planes
  whose normal is within ``max_tilt_deg`` of the up axis and that lie below the camera, refine by
  least squares; scale = known camera height / plane distance. For an affine output the ground
  itself is the metric reference: a pixel whose ray ``r`` (z = 1) meets a ground of normal ``n``
  ``h`` metres below has depth ``h / -(n . r)``; scale and shift are fitted to the pixels that
  agree (n = up, then the normal of the plane fitted to that first solution).
- ``depth_topic``: sparse metric depths (lidar or a depth image projected into the camera):
  s = median of ratios; affine: s and t fitted (RANSAC + least squares) in the kind's space.

Everything is in the camera optical frame (REP 103: x right, y down, z forward; a level camera's
up is (0, -1, 0)). No rule raises on a scene it cannot use: it returns a ``ScaleMeasurement`` with
``scale`` None and the reason. ``ScaleEstimator`` is the per-frame entry point of a node, and
smooths the scale of depth_up_to_scale over time (``ScaleSmoother``). Deterministic (seeded).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.pointcloud import backproject_depth

# the depth kinds of inference.spec.OUTPUT_KINDS (core does not import inference)
OUTPUT_KINDS = ("metric_depth", "log_depth", "depth_up_to_scale", "relative_depth", "relative_inverse_depth")
METRIC_KINDS = ("metric_depth", "log_depth")
AFFINE_KINDS = {"relative_depth": "depth", "relative_inverse_depth": "inverse_depth"}  # kind -> affine space
SCALE_SOURCES = ("none", "camera_height", "depth_topic")


class MetricScaleUnavailable(RuntimeError):
    """Metric depth was asked for but this frame has no metric scale (the message says why)."""


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
    ray points that far below the horizon (the ground, and not its noisy far end)."""

    max_tilt_deg: float = 15.0
    inlier_tolerance: float = 0.05
    min_depression_deg: float = 2.0
    max_points: int = 3000
    iterations: int = 200
    min_inliers: int = 100
    min_inlier_fraction: float = 0.15
    seed: int = 0

    def validate(self) -> "GroundPlaneConfig":
        _check_range("max_tilt_deg", self.max_tilt_deg, 0.0, 60.0)
        _check_range("inlier_tolerance", self.inlier_tolerance, 1e-4, 0.5)
        _check_range("min_depression_deg", self.min_depression_deg, 0.0, 45.0)
        _check_range("min_inlier_fraction", self.min_inlier_fraction, 0.0, 1.0)
        for name in ("max_points", "iterations", "min_inliers"):
            _check_range(name, getattr(self, name), 3, 10**7)
        return self


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
        _check_range("inlier_tolerance", self.inlier_tolerance, 1e-4, 0.5)
        _check_range("min_inlier_fraction", self.min_inlier_fraction, 0.0, 1.0)
        for name in ("max_points", "iterations", "min_inliers"):
            _check_range(name, getattr(self, name), 2, 10**7)
        return self


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and low <= value <= high):
        raise InputError(name, value, f"must be a number in [{low}, {high}]")


def _unit_up(up_optical) -> np.ndarray:
    up = np.asarray(up_optical, dtype=np.float64).reshape(-1)
    norm = float(np.linalg.norm(up)) if up.size == 3 else 0.0
    if up.size != 3 or not np.all(np.isfinite(up)) or norm < 1e-6:
        raise InputError("up_optical", up_optical, "expected a finite non-zero 3-vector (optical frame)")
    return up / norm


def _check_camera_height(camera_height_m: float) -> None:
    if not (math.isfinite(camera_height_m) and camera_height_m > 0):
        raise InputError("camera_height_m", camera_height_m, "must be finite and > 0")


# ------------------------------------------------------------------------- ground plane
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


def _tightened(relative_residual: np.ndarray, tolerance: float) -> float:
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
    up = _unit_up(up_optical)
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
        tolerance = _tightened(np.abs(points[inliers] @ normal + distance) / abs(distance),
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


def _sample_indices(mask: np.ndarray, max_points: int, seed: int) -> np.ndarray:
    """Flat indices of True pixels of ``mask``, at most ``max_points``, sorted (seeded draw)."""
    flat = np.flatnonzero(mask)
    if len(flat) > max_points:
        flat = np.sort(np.random.default_rng(seed).choice(flat, max_points, replace=False))
    return flat


def _strided(image: np.ndarray, intrinsics: CameraIntrinsics, max_points: int
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
    up = _unit_up(up_optical)
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
    _check_camera_height(camera_height_m)
    depth, intrinsics = _strided(depth, intrinsics, cfg.max_points)
    mask, points = below_horizon_points(depth, intrinsics, up_optical, cfg.min_depression_deg)
    chosen = points.reshape(-1, 3)[_sample_indices(mask, cfg.max_points, cfg.seed)]
    plane, reason = fit_ground_plane(chosen, up_optical, cfg)
    if plane is None:
        return ScaleMeasurement(None, reason=reason, diagnostics={"points": float(len(chosen))})
    return ScaleMeasurement(camera_height_m / plane.distance, diagnostics={
        "inliers": float(plane.inlier_count), "inlier_fraction": plane.inlier_fraction,
        "points": float(plane.point_count), "tilt_deg": plane.tilt_deg, "plane_distance": plane.distance})


# ------------------------------------------------------------------------- sparse metric depth
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


# ------------------------------------------------------------------------- affine outputs
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
        tolerance = _tightened(np.abs((scale * x[inliers] + shift) / y[inliers] - 1.0), cfg.inlier_tolerance)
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
    _check_camera_height(camera_height_m)
    _check_space(space)
    ground.validate()
    x, intrinsics = _strided(x, intrinsics, config.max_points)
    up = _unit_up(up_optical)
    first = _ground_fit(x, intrinsics, up, camera_height_m, config, ground.min_depression_deg, space)
    if first.scale is None:
        return first
    mask, points = below_horizon_points(affine_to_depth(x, first.scale, first.shift, space), intrinsics, up,
                                        ground.min_depression_deg)
    plane, _ = fit_ground_plane(points.reshape(-1, 3)[_sample_indices(mask, ground.max_points, ground.seed)],
                                up, ground)
    if plane is None:
        return first
    refined = _ground_fit(x, intrinsics, plane.normal, camera_height_m, config, ground.min_depression_deg, space)
    if refined.scale is None:
        return first
    diagnostics = dict(refined.diagnostics, tilt_deg=plane.tilt_deg)
    return ScaleMeasurement(refined.scale, refined.shift, diagnostics=diagnostics)


# ------------------------------------------------------------------------- over time
class ScaleSmoother:
    """Exponential moving average of log(scale) over frames, with outlier rejection.

    Time constant ``time_constant_s`` (tau): a measurement dt seconds after the previous accepted
    one gets weight ``1 - exp(-dt / tau)``, so after a step in the true scale the estimate covers
    63 % of the (log) step in tau seconds and 95 % in 3 tau; tau = 0 follows every measurement.
    A measurement more than ``max_jump_ratio`` times off the estimate (either way) is rejected;
    ``reset_after`` consecutive rejections that agree among themselves within that ratio replace
    the estimate by their median (the scene or the mount changed). Without an accepted
    measurement for ``max_hold_s`` the estimate expires. Time comes from ``stamp_ns``, or
    ``default_period_s`` per call without stamps; a stamp going backwards (a bag loop) resets.
    """

    def __init__(self, time_constant_s: float = 1.0, max_jump_ratio: float = 1.5, reset_after: int = 5,
                 max_hold_s: float = 10.0, default_period_s: float = 0.1) -> None:
        _check_range("time_constant_s", time_constant_s, 0.0, 3600.0)
        _check_range("max_jump_ratio", max_jump_ratio, 1.001, 1000.0)
        _check_range("reset_after", reset_after, 1, 10**6)
        _check_range("max_hold_s", max_hold_s, 0.0, 1e9)
        _check_range("default_period_s", default_period_s, 1e-6, 3600.0)
        self.time_constant_s, self.max_log_jump = float(time_constant_s), math.log(max_jump_ratio)
        self.reset_after, self.max_hold_s, self.default_period_s = int(reset_after), max_hold_s, default_period_s
        self._now_s: float | None = None
        self.reset()

    def reset(self) -> None:
        """Forget the estimate (the clock too)."""
        self._log_scale: float | None = None
        self._accepted_s = -math.inf
        self._rejected: list[float] = []
        self._now_s = None

    @property
    def value(self) -> float | None:
        """The smoothed scale, or None before any accepted measurement / after it expired."""
        return None if self._log_scale is None else math.exp(self._log_scale)

    def _advance(self, stamp_ns: int | None) -> float:
        now_s = (self._now_s or 0.0) + self.default_period_s if stamp_ns is None else stamp_ns * 1e-9
        if self._now_s is not None and now_s < self._now_s:
            self.reset()
        if self._log_scale is not None and now_s - self._accepted_s > self.max_hold_s:
            self._log_scale, self._rejected = None, []
        self._now_s = now_s
        return now_s

    def update(self, scale: float | None, stamp_ns: int | None = None) -> bool:
        """Feed one frame's measured scale (None: none this frame); True when it was accepted."""
        now_s = self._advance(stamp_ns)
        if scale is None or not (math.isfinite(scale) and scale > 0):
            return False
        log_scale = math.log(scale)
        if self._log_scale is None:
            self._log_scale, self._accepted_s = log_scale, now_s
            return True
        if abs(log_scale - self._log_scale) > self.max_log_jump:
            self._rejected = (self._rejected + [log_scale])[-self.reset_after:]
            agree = np.ptp(self._rejected) <= self.max_log_jump
            if len(self._rejected) == self.reset_after and agree:
                self._log_scale, self._accepted_s = float(np.median(self._rejected)), now_s
                self._rejected = []
            return False
        dt_s = max(now_s - self._accepted_s, 0.0)
        weight = 1.0 if self.time_constant_s == 0 else 1.0 - math.exp(-dt_s / self.time_constant_s)
        self._log_scale += weight * (log_scale - self._log_scale)
        self._accepted_s, self._rejected = now_s, []
        return True


# ------------------------------------------------------------------------- per-frame entry point
@dataclass(frozen=True)
class ScaleConfig:
    """The network's ``output_kind`` (OUTPUT_KINDS), where metric scale comes from (``source``:
    SCALE_SOURCES), the camera height for ``camera_height``, the smoothing and the fits."""

    output_kind: str = "depth_up_to_scale"
    source: str = "camera_height"
    camera_height_m: float = 1.5
    min_sparse_points: int = 20
    time_constant_s: float = 1.0
    max_jump_ratio: float = 1.5
    reset_after: int = 5
    max_hold_s: float = 10.0
    ground: GroundPlaneConfig = field(default_factory=GroundPlaneConfig)
    affine: AffineFitConfig = field(default_factory=AffineFitConfig)

    def validate(self) -> "ScaleConfig":
        if self.output_kind not in OUTPUT_KINDS:
            raise InputError("output_kind", self.output_kind, f"expected one of {OUTPUT_KINDS}")
        if self.source not in SCALE_SOURCES:
            raise InputError("source", self.source, f"expected one of {SCALE_SOURCES}")
        if self.output_kind in AFFINE_KINDS and self.source == "none":
            raise InputError("source", self.source, f"{self.output_kind} (unknown scale and shift) has no depth "
                             "without a metric source: use camera_height or depth_topic")
        _check_camera_height(self.camera_height_m)
        _check_range("min_sparse_points", self.min_sparse_points, 1, 10**7)
        self.ground.validate()
        self.affine.validate()
        return self


def affine_input(output_kind: str, depth: np.ndarray) -> np.ndarray:
    """The quantity of a published ``depth`` (H, W) that is affine in metric (inverse) depth:
    ``1 / depth`` (= d / median(d)) for relative_inverse_depth, ``depth`` for relative_depth."""
    depth = np.asarray(depth, dtype=np.float32)
    if output_kind != "relative_inverse_depth":
        return depth
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.float32(1.0) / depth


@dataclass(frozen=True)
class ScaleResult:
    """A frame's scale. From the published depth p: z = scale * p (depth_up_to_scale), or the
    affine map of ``affine_input(p)`` in the kind's space (AFFINE_KINDS), or z = p (metric).
    ``scale`` None: none; ``source``: "network" (metric output), "camera_height", "depth_topic"
    or "none"; ``reason``: why not metric, or why this frame held the previous scale."""

    scale: float | None
    shift: float
    is_metric: bool
    source: str
    reason: str
    output_kind: str
    diagnostics: dict[str, float] = field(default_factory=dict)

    def depth(self, depth: np.ndarray) -> np.ndarray:
        """(H, W) float32 depth of the published ``depth``: metres when ``is_metric``, else the
        up-to-scale depth as is. MetricScaleUnavailable for an affine output without a solution."""
        if self.output_kind in AFFINE_KINDS:
            if self.scale is None:
                raise MetricScaleUnavailable(f"{self.output_kind} has no depth without scale and shift: "
                                             + self.reason)
            return affine_to_depth(affine_input(self.output_kind, depth), self.scale, self.shift,
                                   AFFINE_KINDS[self.output_kind])
        factor = 1.0 if self.scale is None or self.output_kind in METRIC_KINDS else self.scale
        return (np.asarray(depth, dtype=np.float32) * np.float32(factor)).astype(np.float32, copy=False)

    def metric_depth_m(self, depth: np.ndarray) -> np.ndarray:
        """(H, W) float32 metres (for a metric point cloud); MetricScaleUnavailable when not metric."""
        if not self.is_metric:
            raise MetricScaleUnavailable(f"no metric scale for this {self.output_kind} frame "
                                         f"(scale source {self.source!r}): {self.reason}")
        return self.depth(depth)


class ScaleEstimator:
    """Per-frame metric scale for a node: ``update(depth, intrinsics, up_optical, sparse,
    stamp_ns) -> ScaleResult``, ``depth`` being the network's published depth (DepthResult.depth_m).
    depth_up_to_scale is smoothed over time (ScaleSmoother); affine kinds are solved per frame,
    since their published depth is normalised per frame (and MiDaS-like networks vary anyway)."""

    def __init__(self, config: ScaleConfig = ScaleConfig()) -> None:
        self.config = config.validate()
        self.smoother = ScaleSmoother(config.time_constant_s, config.max_jump_ratio, config.reset_after,
                                      config.max_hold_s)

    def measure(self, depth: np.ndarray, intrinsics: CameraIntrinsics, up_optical=None,
                sparse: SparseDepth | None = None) -> ScaleMeasurement:
        """This frame's measurement by the configured rule, without smoothing."""
        cfg, space = self.config, AFFINE_KINDS.get(self.config.output_kind)
        if cfg.source == "camera_height":
            if up_optical is None:
                return ScaleMeasurement(None, reason="no up direction yet (camera pose unknown)")
            if space is not None:
                return ground_affine_scale(affine_input(cfg.output_kind, depth), intrinsics, up_optical,
                                           cfg.camera_height_m, cfg.affine, cfg.ground, space)
            return ground_plane_scale(depth, intrinsics, up_optical, cfg.camera_height_m, cfg.ground)
        if sparse is None:
            return ScaleMeasurement(None, reason="no sparse metric depth received yet")
        if space is not None:
            return sparse_affine_scale(affine_input(cfg.output_kind, depth), sparse, cfg.affine, space)
        return sparse_depth_scale(depth, sparse, cfg.min_sparse_points)

    def update(self, depth: np.ndarray, intrinsics: CameraIntrinsics, up_optical=None,
               sparse: SparseDepth | None = None, stamp_ns: int | None = None) -> ScaleResult:
        """Scale of the (H, W) published ``depth``; ``up_optical`` (3,) for camera_height, ``sparse``
        for depth_topic (None: not available this frame); ``stamp_ns`` times the smoothing."""
        cfg = self.config
        if cfg.output_kind in METRIC_KINDS:
            return ScaleResult(1.0, 0.0, True, "network", "", cfg.output_kind)
        if cfg.source == "none":
            return ScaleResult(None, 0.0, False, "none", "scale_source is none: depth up to scale", cfg.output_kind)
        m = self.measure(depth, intrinsics, up_optical, sparse)
        diagnostics = dict(m.diagnostics, measured_scale=math.nan if m.scale is None else m.scale)
        if cfg.output_kind in AFFINE_KINDS:
            return ScaleResult(m.scale, m.shift, m.scale is not None, cfg.source, m.reason, cfg.output_kind,
                               diagnostics)
        accepted = self.smoother.update(m.scale, stamp_ns)
        scale = self.smoother.value
        reason = m.reason if m.scale is not None or scale is None else f"holding the last scale: {m.reason}"
        if m.scale is not None and not accepted:
            reason = f"measured scale {m.scale:.4g} rejected as an outlier"
        diagnostics["accepted"] = float(accepted)
        return ScaleResult(scale, 0.0, scale is not None, cfg.source, reason, cfg.output_kind, diagnostics)
