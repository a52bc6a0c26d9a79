"""Demo metrics: trajectory ATE (Sim(3) aligned) and latency; depth scores are ``core.depth_metrics``'s."""

from __future__ import annotations

import numpy as np


def umeyama_sim3(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(scale, R (3, 3), t (3,)) minimising ||dst - (s R src + t)|| for (N, 3) point sets."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    xs, xd = src - mu_s, dst - mu_d
    cov = xd.T @ xs / len(src)
    U, D, Vt = np.linalg.svd(cov)
    S = np.eye(3)
    if np.linalg.det(U) * np.linalg.det(Vt) < 0:
        S[2, 2] = -1
    R = U @ S @ Vt
    var_s = (xs ** 2).sum() / len(src)
    scale = float(np.trace(np.diag(D) @ S) / var_s) if var_s > 1e-12 else 1.0
    return scale, R, mu_d - scale * R @ mu_s


def ate_rmse(est_xyz: np.ndarray, gt_xyz: np.ndarray) -> tuple[float, np.ndarray]:
    """RMSE of positions after Sim(3) alignment of ``est`` onto ``gt`` (both (N, 3), N >= 3);
    returns (rmse metres, aligned estimate (N, 3))."""
    est, gt = np.asarray(est_xyz, float), np.asarray(gt_xyz, float)
    if est.shape != gt.shape or len(est) < 3:
        return float("nan"), est
    scale, R, t = umeyama_sim3(est, gt)
    aligned = (scale * (R @ est.T)).T + t
    return float(np.sqrt(np.mean(np.sum((aligned - gt) ** 2, axis=1)))), aligned


def latency_summary_ms(latencies_s: list[float]) -> tuple[float, float]:
    """(mean, p95) in milliseconds; NaN when empty."""
    if not latencies_s:
        return float("nan"), float("nan")
    values = np.asarray(latencies_s) * 1e3
    return float(values.mean()), float(np.percentile(values, 95))
