"""Smoothness, sparsity and anti-collapse regularisers (Li et al. 2020, official code's forms)."""

from __future__ import annotations

import torch

from training.losses._checks import check_4d, check_same_shape


def edge_aware_smoothness(smoothed: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Joint bilateral smoothness: mean |d smoothed| * exp(-mean_c |d reference|) along x and y.

    Args: smoothed (B, C1, H, W); reference (B, C2, H, W) (e.g. the rgb image). Returns scalar.
    """
    check_4d("smoothed", smoothed)
    check_4d("reference", reference)
    if smoothed.shape[-2:] != reference.shape[-2:] or smoothed.shape[0] != reference.shape[0]:
        check_same_shape("smoothed[:, :1]", smoothed[:, :1], "reference[:, :1]", reference[:, :1])
    sdx = smoothed[..., :, 1:] - smoothed[..., :, :-1]
    sdy = smoothed[..., 1:, :] - smoothed[..., :-1, :]
    wx = torch.exp(-(reference[..., :, 1:] - reference[..., :, :-1]).abs().mean(1, keepdim=True))
    wy = torch.exp(-(reference[..., 1:, :] - reference[..., :-1, :]).abs().mean(1, keepdim=True))
    return (sdx * wx).abs().mean() + (sdy * wy).abs().mean()


def disparity_smoothness(depth: torch.Tensor, rgb: torch.Tensor) -> torch.Tensor:
    """Edge-aware smoothness of the disparity 1/depth normalised by its per-image mean.

    Args: depth (B, 1, H, W) > 0; rgb (B, 3, H, W). Returns scalar.
    """
    check_4d("depth", depth, 1)
    disp = 1.0 / depth
    return edge_aware_smoothness(disp / disp.mean((1, 2, 3), keepdim=True), rgb)


def normalize_motion_map(residual: torch.Tensor, total: torch.Tensor) -> torch.Tensor:
    """residual / sqrt(3 * mean(total^2)) per image (official ``normalize_motion_map``).

    Args: residual, total (B, 3, H, W) (total may also be (B, 3, 1, 1)). Returns (B, 3, H, W).
    """
    norm = (total ** 2).mean((1, 2, 3), keepdim=True) * 3.0
    return residual / torch.sqrt(norm + 1e-12)


def l1_smoothness(field: torch.Tensor, wrap_around: bool = True) -> torch.Tensor:
    """mean sqrt(dx^2 + dy^2) of a (B, C, H, W) field with cyclic differences.

    ``wrap_around`` imposes continuity across the image border (official: used when the drift
    weight is 0, pushing spatial gradients of translation into the rotation).
    """
    check_4d("field", field)
    dx = field - torch.roll(field, 1, dims=3)
    dy = field - torch.roll(field, 1, dims=2)
    if not wrap_around:
        dx, dy = dx[..., 1:, 1:], dy[..., 1:, 1:]
    return torch.sqrt(1e-24 + dx ** 2 + dy ** 2).mean()


def sqrt_sparsity(field: torch.Tensor) -> torch.Tensor:
    """L1/2-style sparsity of a (B, C, H, W) field: mean 2 m sqrt(|f| / m + 1), m = stop-grad
    per-image per-channel mean |f| (official ``sqrt_sparsity``)."""
    check_4d("field", field)
    mag = field.abs()
    mean = mag.mean((2, 3), keepdim=True).detach()
    return (2 * mean * torch.sqrt(mag / (mean + 1e-24) + 1)).mean()


def depth_variance_loss(depth: torch.Tensor) -> torch.Tensor:
    """1 / mean((depth / mean(depth) - 1)^2): grows without bound as depth collapses to a constant."""
    check_4d("depth", depth, 1)
    return 1.0 / ((depth / depth.mean() - 1.0) ** 2).mean().clamp_min(1e-12)


def log_depth_mean_loss(depth: torch.Tensor, target_mean: float = 1.0) -> torch.Tensor:
    """(log mean(depth) - log target_mean)^2: anchors the free monocular scale during burn-in so
    the depth cannot drift towards 0 or infinity (where warps degenerate) before structure forms."""
    check_4d("depth", depth, 1)
    return (torch.log(depth.mean()) - torch.log(torch.tensor(target_mean, dtype=depth.dtype))) ** 2
