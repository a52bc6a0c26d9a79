"""Metres on a real camera from its mount: each network's depth made metric as depth_node's
``scale_source: camera_height`` makes it (the ground plane seen below the camera, at a known height
under it, along a known up direction), scored against the truth without any further scaling.

A user knows the mount (a tape measure, the robot's URDF); a real set's frames do not say it, so
``mount_from_truth`` reads it off the ground truth: the floor plane of the truth's own points (RANSAC
among planes within ``TRUTH_MAX_TILT_DEG`` of a level camera's up, the same fit the node runs),
whose distance is the camera height and whose normal is up. A frame whose truth shows no clear
floor (``TRUTH_MIN_INLIER_FRACTION``) is not scored. Nothing else of the truth reaches a network's metres.

Per frame and network: ``metres_from_mount`` runs the node's scale rule (core/scale.py: the scale of
an up-to-scale depth, the scale and shift of a relative one; a metric network's metres rescaled like
an up-to-scale depth) with the mount's height and up. A frame where the rule finds no ground in the
network's depth has no metres for that network (counted). Scored on the pixels every network sees
(``common_mask``), beside the oracle baselines of bench_real (a constant at the truth's median, a
vertical ramp with the truth's median), which know the scale the networks have to find.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.ground_plane import (GroundPlaneConfig, below_horizon_points, fit_ground_plane,
                                              sample_indices, strided)
from mono_depth_ros.core.scale import AFFINE_KINDS, ScaleConfig, ScaleEstimator, affine_input, affine_to_depth
from training.evaluate.depth_metrics import DepthCaps, depth_errors

LEVEL_UP_OPTICAL = (0.0, -1.0, 0.0)  # a level camera's up in its optical frame (REP 103: y down)
# the truth's floor may be this far from a level camera's up: hand-held Kinect and OAK-D frames
# look down by up to about 30 deg (the node's own fit allows 15 deg around the up it is given)
TRUTH_MAX_TILT_DEG = 35.0
# and carry at least this share of the truth's points below the horizon: a floor that is the main
# surface down there, not a table top or a patch of stereo noise that a looser fit would take for it
TRUTH_MIN_INLIER_FRACTION = 0.4


@dataclass(frozen=True)
class Mount:
    """A camera's mount as a user would give it to depth_node: ``height_m`` above the floor,
    ``up_optical`` (3,) unit up direction in the optical frame; ``tilt_deg`` from a level camera,
    ``inlier_fraction`` of the truth's points below the horizon on that floor."""

    height_m: float
    up_optical: np.ndarray
    tilt_deg: float
    inlier_fraction: float


def mount_from_truth(depth_m: np.ndarray, intrinsics: CameraIntrinsics) -> tuple[Mount | None, str]:
    """(Mount, "") of the floor in a truth depth (H, W) metres (NaN / <= 0 invalid), or (None, why)."""
    config = GroundPlaneConfig(max_tilt_deg=TRUTH_MAX_TILT_DEG, min_inlier_fraction=TRUTH_MIN_INLIER_FRACTION)
    depth, grid = strided(np.nan_to_num(np.asarray(depth_m, np.float32), nan=0.0), intrinsics, config.max_points)
    mask, points = below_horizon_points(depth, grid, LEVEL_UP_OPTICAL, config.min_depression_deg)
    plane, reason = fit_ground_plane(points.reshape(-1, 3)[sample_indices(mask, config.max_points, config.seed)],
                                     LEVEL_UP_OPTICAL, config)
    if plane is None:
        return None, reason
    return Mount(plane.distance, plane.normal, plane.tilt_deg, plane.inlier_fraction), ""


def metres_from_mount(depth: np.ndarray, output_kind: str, intrinsics: CameraIntrinsics,
                      mount: Mount, ground: GroundPlaneConfig | None = None) -> tuple[np.ndarray | None, str]:
    """((H, W) float32 metres, "") of a network's published ``depth`` (H, W) of ``output_kind`` by
    the node's camera_height rule with ``mount``, or (None, why the rule found no scale).
    ``ground``: the rule's ground fit (default: the node's)."""
    rule = ScaleEstimator(ScaleConfig(output_kind=output_kind, source="camera_height", camera_height_m=mount.height_m,
                                      ground=ground if ground is not None else GroundPlaneConfig()))
    found = rule.measure(depth, intrinsics, mount.up_optical)
    if found.scale is None:
        return None, found.reason
    if output_kind in AFFINE_KINDS:
        return affine_to_depth(affine_input(output_kind, depth), found.scale, found.shift,
                               AFFINE_KINDS[output_kind]), ""
    return (np.asarray(depth, np.float32) * np.float32(found.scale)).astype(np.float32), ""


def metric_scores(pred_m: np.ndarray, gt_m: np.ndarray, mask: np.ndarray, caps: DepthCaps) -> dict[str, float]:
    """AbsRel and delta1 of metres ``pred_m`` (H, W) against ``gt_m`` on ``mask``, no scaling, and
    ``log_scale``: log of the truth's median over the prediction's (0 = the right scale)."""
    pred = np.where(mask, pred_m, np.nan)
    gt = np.where(mask, gt_m, np.nan)
    errors = depth_errors(pred, gt, caps, median_scaling=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_scale = float(np.log(np.nanmedian(gt) / np.nanmedian(pred)))
    return {"abs_rel": errors["abs_rel"], "delta1": errors["delta1"], "log_scale": log_scale}
