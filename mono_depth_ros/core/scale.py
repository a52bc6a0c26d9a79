"""Metric scale for depth networks whose output is not metric, from the scene.

Output kinds (``OUTPUT_KINDS``, the model card's names) and how the published depth p (the
network's DepthResult.depth_m) relates to metres z:

- ``metric_depth``, ``log_depth``: z = p (already metres); with a metric source, z = s * p as for
  ``depth_up_to_scale`` (the scene corrects the network's metres; frames without a scale keep s = 1).
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
smooths the scale of depth_up_to_scale (and of a metric output's correction) over time
(``ScaleSmoother``). Deterministic (seeded).

The rules live in core/ground_plane.py (the ground plane, ``ground_plane_scale``) and
core/affine_scale.py (sparse depth, affine outputs); their public names are importable from here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from mono_depth_ros.core.affine_scale import (AFFINE_SPACES, AffineFitConfig, SparseDepth, affine_to_depth,
                                              fit_affine, ground_affine_scale, sparse_affine_scale,
                                              sparse_depth_scale)
from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.ground_plane import (GroundPlane, GroundPlaneConfig, ScaleMeasurement,
                                              below_horizon_points, check_camera_height, check_range,
                                              fit_ground_plane, fit_level_ground, ground_plane_scale)

__all__ = ["OUTPUT_KINDS", "METRIC_KINDS", "AFFINE_KINDS", "AFFINE_SPACES", "SCALE_SOURCES",
           "MetricScaleUnavailable", "ScaleMeasurement", "GroundPlaneConfig", "GroundPlane", "AffineFitConfig",
           "SparseDepth", "ScaleSmoother", "ScaleConfig", "ScaleResult", "ScaleEstimator", "affine_input",
           "affine_to_depth", "below_horizon_points", "fit_affine", "fit_ground_plane", "fit_level_ground",
           "ground_affine_scale",
           "ground_plane_scale", "sparse_affine_scale", "sparse_depth_scale"]

# the depth kinds of inference.spec.OUTPUT_KINDS (core does not import inference)
OUTPUT_KINDS = ("metric_depth", "log_depth", "depth_up_to_scale", "relative_depth", "relative_inverse_depth")
METRIC_KINDS = ("metric_depth", "log_depth")
AFFINE_KINDS = {"relative_depth": "depth", "relative_inverse_depth": "inverse_depth"}  # kind -> affine space
SCALE_SOURCES = ("none", "camera_height", "depth_topic")


class MetricScaleUnavailable(RuntimeError):
    """Metric depth was asked for but this frame has no metric scale (the message says why)."""


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
        check_range("time_constant_s", time_constant_s, 0.0, 3600.0)
        check_range("max_jump_ratio", max_jump_ratio, 1.001, 1000.0)
        check_range("reset_after", reset_after, 1, 10**6)
        check_range("max_hold_s", max_hold_s, 0.0, 1e9)
        check_range("default_period_s", default_period_s, 1e-6, 3600.0)
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
        check_camera_height(self.camera_height_m)
        check_range("min_sparse_points", self.min_sparse_points, 1, 10**7)
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
    """A frame's scale. From the published depth p: z = scale * p (depth_up_to_scale, and a
    metric output: scale 1 as the network gives it, or the scene's correction with a metric source),
    or the affine map of ``affine_input(p)`` in the kind's space (AFFINE_KINDS).
    ``scale`` None: none; ``source``: "network" (a metric output's own metres), "camera_height",
    "depth_topic" or "none"; ``reason``: why not metric, why this frame held the previous scale, or
    why a metric network's own metres were kept."""

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
        factor = 1.0 if self.scale is None else self.scale
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

    def update(self, depth: np.ndarray, intrinsics: CameraIntrinsics | None, up_optical=None,
               sparse: SparseDepth | None = None, stamp_ns: int | None = None, missing: str = "") -> ScaleResult:
        """Scale of the (H, W) published ``depth``; ``up_optical`` (3,) for camera_height, ``sparse``
        for depth_topic (None: not available this frame); ``stamp_ns`` times the smoothing.
        ``missing``: why this frame lacks an input (no camera_info, no sparse depth in time): it is
        then measured as "no scale" with that reason (the smoothing still sees the frame)."""
        cfg = self.config
        metric = cfg.output_kind in METRIC_KINDS
        if metric and cfg.source == "none":
            return ScaleResult(1.0, 0.0, True, "network", "", cfg.output_kind)
        if cfg.source == "none":
            return ScaleResult(None, 0.0, False, "none", "scale_source is none: depth up to scale", cfg.output_kind)
        if missing or intrinsics is None:
            m = ScaleMeasurement(None, reason=missing or "no camera intrinsics")
        else:
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
        if metric and scale is None:  # a metric network without a scale from the scene: its own metres
            return ScaleResult(1.0, 0.0, True, "network", f"the network's own metres: {reason}", cfg.output_kind,
                               diagnostics)
        return ScaleResult(scale, 0.0, scale is not None, cfg.source, reason, cfg.output_kind, diagnostics)
