"""Ordinal agreement between a relative-depth prediction and ground truth (WHDR).

WHDR here: sample point pairs among valid pixels whose ground-truth depths differ by more than
a ratio ``1 + delta`` (clearly ordered pairs); the rate is the fraction of pairs where the
prediction orders the two points differently (ties count as disagreement). Both inputs only need
to be monotone in depth (larger = farther), so any scale or monotone transform is allowed.
"""

from __future__ import annotations

import numpy as np


def ordinal_disagreement_rate(pred: np.ndarray, gt_depth: np.ndarray, valid: np.ndarray | None = None,
                              n_pairs: int = 20000, delta: float = 0.05, seed: int = 0) -> float:
    """WHDR in [0, 1] of ``pred`` (H, W) against ``gt_depth`` (H, W) on ``valid`` (H, W) bool.

    Raises ValueError when fewer than 2 valid pixels or no clearly ordered pair exists.
    """
    pred, gt = np.asarray(pred, np.float64), np.asarray(gt_depth, np.float64)
    if pred.shape != gt.shape:
        raise ValueError(f"pred.shape={pred.shape}: must equal gt_depth.shape={gt.shape}")
    ok = np.isfinite(pred) & np.isfinite(gt) & (gt > 0)
    if valid is not None:
        ok &= np.asarray(valid, bool)
    idx = np.flatnonzero(ok)
    if idx.size < 2:
        raise ValueError(f"valid pixels={idx.size}: need at least 2")
    rng = np.random.default_rng(seed)
    a, b = rng.choice(idx, n_pairs), rng.choice(idx, n_pairs)
    gt_a, gt_b = gt.reshape(-1)[a], gt.reshape(-1)[b]
    ratio = gt_a / gt_b
    ordered = (ratio > 1 + delta) | (ratio < 1 / (1 + delta))
    if not ordered.any():
        raise ValueError("no clearly ordered ground-truth pair (scene is flat at this delta)")
    gt_sign = np.sign(gt_a - gt_b)[ordered]
    pred_sign = np.sign(pred.reshape(-1)[a] - pred.reshape(-1)[b])[ordered]
    return float(np.mean(pred_sign != gt_sign))
