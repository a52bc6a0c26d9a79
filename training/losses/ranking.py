"""Xian et al. 2018 ranking loss on point pairs sampled online."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from mono_depth_ros.core.errors import InputError
from training.losses._checks import check_4d, check_same_shape


def ordinal_labels(target_a: torch.Tensor, target_b: torch.Tensor, ratio_threshold: float = 0.02) -> torch.Tensor:
    """Pair labels: +1 where target_a / target_b > 1 + t, -1 where target_b / target_a > 1 + t, else 0.

    Args: target_a, target_b: (...) positive relative depths (larger = farther).
    Returns: (...) float tensor in {-1, 0, 1}.
    """
    one = 1.0 + ratio_threshold
    pos = target_a > one * target_b
    neg = target_b > one * target_a
    return pos.to(target_a.dtype) - neg.to(target_a.dtype)


def sample_pairs(valid: torch.Tensor, pairs_per_image: int, generator: torch.Generator | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random pixel pairs among valid pixels of each image.

    Args: valid (B, 1, H, W) bool.
    Returns: (idx_a, idx_b, ok): (B, N) flat pixel indices and (B, N) bool (False for images
    with fewer than 2 valid pixels).
    """
    b = valid.shape[0]
    flat = valid.reshape(b, -1).float()
    ok_img = flat.sum(1) >= 2
    weights = torch.where(ok_img[:, None], flat, torch.ones_like(flat))
    idx_a = torch.multinomial(weights, pairs_per_image, replacement=True, generator=generator)
    idx_b = torch.multinomial(weights, pairs_per_image, replacement=True, generator=generator)
    return idx_a, idx_b, ok_img[:, None].expand(-1, pairs_per_image)


IGNORE_AMONG = ("all", "unequal")


def ranking_loss_pairs(z_a: torch.Tensor, z_b: torch.Tensor, labels: torch.Tensor, improved: bool = True,
                       ignore_fraction: float = 0.25, ignore_among: str = "all") -> torch.Tensor:
    """Ranking loss of predicted values at pair ends.

    Unequal pairs (label l = +-1): log(1 + exp(-l * (z_a - z_b))); equal pairs: (z_a - z_b)^2.
    ``improved`` (Xian 2018's improved ranking loss, focusing on hard pairs) drops the
    ``ignore_fraction`` smallest losses among ``ignore_among`` pairs: ``"all"`` (the paper's
    description: the easiest 25 % of all sampled pairs) or ``"unequal"`` (this project's earlier
    behaviour: equal pairs always kept). The result is the mean over kept pairs.

    Args: z_a, z_b, labels: (N,) tensors (labels in {-1, 0, 1}).
    Returns: scalar tensor.
    """
    if not (z_a.shape == z_b.shape == labels.shape) or z_a.dim() != 1:
        raise InputError("z_a.shape", tuple(z_a.shape), "z_a, z_b and labels must be equal 1-D shapes")
    if not 0.0 <= ignore_fraction < 1.0:
        raise InputError("ignore_fraction", ignore_fraction, "must be in [0, 1)")
    if ignore_among not in IGNORE_AMONG:
        raise InputError("ignore_among", ignore_among, f"must be one of {', '.join(IGNORE_AMONG)}")
    diff = z_a - z_b
    unequal = labels != 0
    loss_unequal = F.softplus(-labels[unequal] * diff[unequal])  # log(1 + exp(-l*d)), stable
    loss_equal = diff[~unequal] ** 2
    if improved and ignore_among == "unequal" and loss_unequal.numel() > 0:
        drop = int(ignore_fraction * loss_unequal.numel())
        loss_unequal = torch.sort(loss_unequal).values[drop:]
    total = torch.cat([loss_unequal, loss_equal])
    if improved and ignore_among == "all" and total.numel() > 0:
        total = torch.sort(total).values[int(ignore_fraction * total.numel()):]
    if total.numel() == 0:
        return diff.sum() * 0.0
    return total.mean()


def ranking_loss(pred: torch.Tensor, target: torch.Tensor, valid: torch.Tensor, pairs_per_image: int = 3000,
                 ratio_threshold: float = 0.02, improved: bool = True, ignore_fraction: float = 0.25,
                 generator: torch.Generator | None = None, ignore_among: str = "all") -> torch.Tensor:
    """Xian 2018 (improved) ranking loss with pairs sampled online per image.

    Args:
        pred: (B, 1, H, W) predicted relative depth (larger = farther; any monotone scale).
        target: (B, 1, H, W) ground-truth relative depth (> 0 where valid).
        valid: (B, 1, H, W) bool.
    Returns: scalar tensor (mean over images of the per-image loss).
    """
    check_4d("pred", pred, 1)
    check_same_shape("pred", pred, "target", target)
    check_same_shape("pred", pred, "valid", valid)
    if pairs_per_image < 1:
        raise InputError("pairs_per_image", pairs_per_image, "must be >= 1")
    idx_a, idx_b, ok = sample_pairs(valid.bool() & (target > 0), pairs_per_image, generator)
    b = pred.shape[0]
    flat_pred, flat_target = pred.reshape(b, -1), target.reshape(b, -1)
    losses = []
    for i in range(b):
        if not bool(ok[i, 0]):
            continue
        labels = ordinal_labels(flat_target[i, idx_a[i]], flat_target[i, idx_b[i]], ratio_threshold)
        losses.append(ranking_loss_pairs(flat_pred[i, idx_a[i]], flat_pred[i, idx_b[i]], labels,
                                         improved, ignore_fraction, ignore_among))
    if not losses:
        raise InputError("valid", "fewer than 2 valid pixels per image", "no image can be sampled")
    return torch.stack(losses).mean()
