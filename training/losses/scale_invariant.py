"""Eigen et al. 2014 scale-invariant log loss."""

from __future__ import annotations

import torch

from mono_depth_ros.core.errors import InputError
from training.losses._checks import check_4d, check_same_shape


def scale_invariant_log_loss(log_depth_pred: torch.Tensor, depth_m: torch.Tensor, valid: torch.Tensor,
                             lambda_si: float = 0.5) -> torch.Tensor:
    """Scale-invariant log loss (Eigen et al. 2014, eq. 4), masked to valid pixels.

    With d_i = log_depth_pred_i - log(depth_m_i) over the n valid pixels of each image:
    ``L = mean(d^2) - lambda_si * mean(d)^2``, averaged over images that have valid pixels.
    With lambda_si = 1 the loss is invariant to a global scale factor of the prediction.

    Args:
        log_depth_pred: (B, 1, H, W) predicted natural-log depth.
        depth_m: (B, 1, H, W) ground-truth depth in metres (any value where invalid).
        valid: (B, 1, H, W) bool mask of usable pixels (depth_m > 0 is also required).
        lambda_si: weight of the squared-mean term, in [0, 1].
    Returns:
        scalar tensor.
    """
    check_4d("log_depth_pred", log_depth_pred, 1)
    check_same_shape("log_depth_pred", log_depth_pred, "depth_m", depth_m)
    check_same_shape("log_depth_pred", log_depth_pred, "valid", valid)
    if not 0.0 <= lambda_si <= 1.0:
        raise InputError("lambda_si", lambda_si, "must be in [0, 1]")
    mask = (valid.bool() & (depth_m > 0)).to(log_depth_pred.dtype)
    log_gt = torch.log(torch.where(mask > 0, depth_m, torch.ones_like(depth_m)))
    diff = (log_depth_pred - log_gt) * mask
    count = mask.sum(dim=(1, 2, 3))
    has = count > 0
    if not bool(has.any()):
        raise InputError("valid", "all False", "no valid ground-truth pixel in the batch")
    n = count[has]
    mean_sq = (diff ** 2).sum(dim=(1, 2, 3))[has] / n
    mean = diff.sum(dim=(1, 2, 3))[has] / n
    return (mean_sq - lambda_si * mean ** 2).mean()
