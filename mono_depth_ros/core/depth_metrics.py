"""Depth accuracy beside trivial baselines: the Eigen et al. 2014 error set, WHDR on sampled
ordinal point pairs, and the two baselines every figure of this project is printed beside
(``constant``: the truth's median everywhere; ``ramp``: a vertical ramp with the truth's median).

One implementation for ``training evaluate``, ``benchmarks/bench_real.py`` and the demo's table
(pure numpy; the node package's demo may not import ``training``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from mono_depth_ros.core.errors import InputError

#: the baselines printed beside every depth figure (``baseline_depth``)
DEPTH_BASELINES = ("constant", "ramp")

#: the vertical ramp baseline: depth growing from 1 at the bottom row to this at the top row
RAMP_TOP_OVER_BOTTOM = 2.0


def ramp_depth(hw: tuple[int, int]) -> np.ndarray:
    """(H, W) float64 from 1 at the bottom row to RAMP_TOP_OVER_BOTTOM at the top row: the
    "vertical ramp" baseline (farther toward the top, as a floor under an open view)."""
    rows = np.linspace(RAMP_TOP_OVER_BOTTOM, 1.0, hw[0])
    return np.repeat(rows[:, None], hw[1], axis=1)


DEPTH_METRIC_NAMES = ("abs_rel", "sq_rel", "rmse", "rmse_log", "silog", "delta1", "delta2", "delta3")


@dataclass(frozen=True)
class DepthCaps:
    """Ground truth outside [min_depth_m, max_depth_m] is ignored; predictions are clamped to it."""

    min_depth_m: float = 0.1
    max_depth_m: float = 80.0


def align_median(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, float]:
    """Scale ``pred`` so its median equals the ground truth's (monocular evaluation). Returns (scaled, s)."""
    scale = float(np.median(gt) / np.median(pred))
    return pred * scale, scale


def depth_errors(pred_m: np.ndarray, gt_m: np.ndarray, caps: DepthCaps = DepthCaps(),
                 median_scaling: bool = False) -> dict[str, float]:
    """Standard depth metrics of one image.

    Args:
        pred_m: (H, W) predicted depth (> 0), same size as gt_m.
        gt_m: (H, W) ground-truth depth in metres, NaN/0 invalid.
    Returns: abs_rel, sq_rel, rmse, rmse_log, silog (sqrt(mean d^2 - mean(d)^2) of log
        differences, x100 as in KITTI), delta1..3 (fraction with max ratio < 1.25^k), n_pixels,
        and median_scale when ``median_scaling``.
    """
    pred_m, gt_m = np.asarray(pred_m, np.float64), np.asarray(gt_m, np.float64)
    if pred_m.shape != gt_m.shape:
        raise InputError("pred_m.shape", pred_m.shape, f"must equal gt_m.shape={gt_m.shape}")
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(gt_m) & (gt_m > caps.min_depth_m) & (gt_m < caps.max_depth_m) & np.isfinite(pred_m)
    if not valid.any():
        raise InputError("gt_m", "no pixel in range", f"no valid ground truth in ({caps.min_depth_m}, {caps.max_depth_m}) m")
    pred, gt = pred_m[valid], gt_m[valid]
    out: dict[str, float] = {}
    if median_scaling:
        pred, out["median_scale"] = align_median(np.maximum(pred, 1e-9), gt)
    pred = np.clip(pred, caps.min_depth_m, caps.max_depth_m)
    ratio = np.maximum(pred / gt, gt / pred)
    log_diff = np.log(pred) - np.log(gt)
    out.update(abs_rel=float(np.mean(np.abs(pred - gt) / gt)), sq_rel=float(np.mean((pred - gt) ** 2 / gt)),
               rmse=float(np.sqrt(np.mean((pred - gt) ** 2))), rmse_log=float(np.sqrt(np.mean(log_diff ** 2))),
               silog=float(100 * np.sqrt(max(np.mean(log_diff ** 2) - np.mean(log_diff) ** 2, 0.0))),
               delta1=float(np.mean(ratio < 1.25)), delta2=float(np.mean(ratio < 1.25 ** 2)),
               delta3=float(np.mean(ratio < 1.25 ** 3)), n_pixels=float(valid.sum()))
    return out


def align_affine(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Least-squares ``s * pred + t`` closest to ``gt`` (1-D arrays), with the order of ``pred``
    kept (``s`` >= 0: a reversed prediction stays reversed). Returns (aligned, s, t)."""
    p_mean, g_mean = float(pred.mean()), float(gt.mean())
    var = float(np.mean((pred - p_mean) ** 2))
    s = abs(float(np.mean((pred - p_mean) * (gt - g_mean))) / var) if var > 0 else 0.0
    t = g_mean - s * p_mean
    return s * pred + t, s, t


def whdr(pred: np.ndarray, gt_depth: np.ndarray, valid: np.ndarray | None = None, n_pairs: int = 10000,
         threshold: float = 0.02, seed: int = 0) -> float:
    """Weighted human disagreement rate on random point pairs (uniform weights): the one WHDR of
    this project (training evaluate, benchmarks, stereo checks).

    ``n_pairs`` pairs are drawn uniformly among all pixels with valid ground truth (finite, > 0)
    and a finite prediction (and ``valid`` (H, W) bool when given). ``pred`` (H, W) is any
    relative depth (larger = farther) known up to a positive affine transform (a network's
    relative output has an arbitrary scale and offset): it is first aligned to the ground truth by
    least squares (:func:`align_affine`), so ``whdr(a * pred + b, gt) == whdr(pred, gt)`` for
    a > 0. Each pair then gets a label +1/-1 where the depth ratio exceeds ``1 + threshold``
    either way, else 0 (equal), for the ground truth and for the aligned prediction alike; WHDR
    is the fraction of pairs whose labels differ (0 perfect, about 0.5 for a random prediction,
    near 1 for a reversed one).

    Raises InputError when fewer than 2 pixels are valid or the shapes differ.
    """
    pred, gt = np.asarray(pred, np.float64), np.asarray(gt_depth, np.float64)
    if pred.shape != gt.shape:
        raise InputError("pred.shape", pred.shape, f"must equal gt_depth.shape={gt.shape}")
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(gt) & (gt > 0) & np.isfinite(pred)
    if valid is not None:
        ok &= np.asarray(valid, bool)
    idx = np.flatnonzero(ok)
    if idx.size < 2:
        raise InputError("gt_depth", f"{idx.size} valid pixels", "need at least 2 valid pixels")
    aligned, _, _ = align_affine(pred.reshape(-1)[idx], gt.reshape(-1)[idx])
    gt_valid = gt.reshape(-1)[idx]
    aligned = np.maximum(aligned, 1e-6 * float(np.median(gt_valid)))  # the ratio test needs depths > 0
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, idx.size, n_pairs), rng.integers(0, idx.size, n_pairs)

    def labels(v: np.ndarray) -> np.ndarray:
        va, vb = v[a], v[b]
        return (va > (1 + threshold) * vb).astype(int) - (vb > (1 + threshold) * va).astype(int)

    return float(np.mean(labels(aligned) != labels(gt_valid)))


def baseline_depth(kind: str, gt_m: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(H, W) baseline ``kind`` ('constant' | 'ramp') with the median of ``gt_m[mask]``."""
    median = float(np.median(gt_m[mask]))
    if kind == "constant":
        return np.full(gt_m.shape, median)
    if kind == "ramp":
        ramp = ramp_depth(gt_m.shape)
        return ramp * (median / float(np.median(ramp[mask])))
    raise ValueError(f"baseline={kind!r}: expected one of {', '.join(DEPTH_BASELINES)}")


def depth_scores(pred: np.ndarray, gt_m: np.ndarray, mask: np.ndarray, caps: DepthCaps, seed: int = 0,
                 whdr_pairs: int = 10000) -> dict[str, float]:
    """abs_rel_raw, abs_rel_med (median-scaled), delta1_med, whdr of ``pred`` on ``mask`` (H, W);
    ``log_scale``: log of the truth's median over the prediction's (0 for a metric network whose
    scale is right; the mean over frames is a geometric mean of the ratios)."""
    pred_m = np.where(mask, pred, np.nan)
    gt = np.where(mask, gt_m, np.nan)
    raw = depth_errors(pred_m, gt, caps, median_scaling=False)
    med = depth_errors(pred_m, gt, caps, median_scaling=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_scale = float(np.log(np.nanmedian(gt) / np.nanmedian(pred_m)))
    return {"abs_rel_raw": raw["abs_rel"], "abs_rel_med": med["abs_rel"], "delta1_med": med["delta1"],
            "whdr": whdr(pred_m, gt, n_pairs=whdr_pairs, seed=seed), "pixels": float(mask.sum()),
            "log_scale": log_scale}


def common_mask(gt_m: np.ndarray, preds: Iterable[np.ndarray], caps: DepthCaps) -> np.ndarray:
    """(H, W) bool: ground truth inside the caps and every prediction finite and > 0."""
    with np.errstate(invalid="ignore"):
        mask = np.isfinite(gt_m) & (gt_m > caps.min_depth_m) & (gt_m < caps.max_depth_m)
        for pred in preds:
            mask &= np.isfinite(pred) & (pred > 0)
    return mask
