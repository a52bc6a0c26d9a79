"""Rotation and translation cycle consistency of forward/backward motion (Li 2020 official form)."""

from __future__ import annotations

import torch

from training.losses.geometry import combine, resample


def rotation_cycle_error(rot_1: torch.Tensor, rot_2: torch.Tensor) -> torch.Tensor:
    """mean |R1 R2 - I|^2 / (|R1 - I|^2 + |R2 - I|^2): zero when R2 = R1^-1, blind to magnitude.

    Args: rot_1, rot_2 (B, 3, 3). Returns scalar.
    """
    eye = torch.eye(3, dtype=rot_1.dtype, device=rot_1.device)
    err = ((rot_1 @ rot_2 - eye) ** 2).mean((-1, -2))
    scale_1 = ((rot_1 - eye) ** 2).mean((-1, -2))
    scale_2 = ((rot_2 - eye) ** 2).mean((-1, -2))
    return (err / (1e-24 + scale_1 + scale_2)).mean()


def motion_field_consistency(pixel_x: torch.Tensor, pixel_y: torch.Tensor, mask: torch.Tensor,
                             rot_1: torch.Tensor, trans_1: torch.Tensor, rot_2: torch.Tensor,
                             trans_2: torch.Tensor) -> dict[str, torch.Tensor]:
    """Cycle consistency: moving by motion 1 then by motion 2 (sampled where pixels land) is identity.

    Args:
        pixel_x, pixel_y: (B, H, W) where frame-1 pixels land in frame 2 (gradient stopped).
        mask: (B, H, W) weight of each pixel.
        rot_1, rot_2: (B, 3, 3) rotations 1->2 and 2->1.
        trans_1, trans_2: (B, 3, H, W) translation fields 1->2 (on frame 1) and 2->1 (on frame 2).
    Returns: {"rotation_error": scalar, "translation_error": scalar}.
    """
    trans_2_s = resample(trans_2, pixel_x.detach(), pixel_y.detach())
    t1 = trans_1.permute(0, 2, 3, 1)
    t2 = trans_2_s.permute(0, 2, 3, 1)
    r1 = rot_1[:, None, None]
    r2 = rot_2[:, None, None].expand(-1, t1.shape[1], t1.shape[2], 3, 3)
    _, trans_zero = combine(r1.expand_as(r2), t1, r2, t2)  # R1 t2 + t1, as the official code

    def norm2(v: torch.Tensor) -> torch.Tensor:
        return (v ** 2).sum(-1)

    translation_error = (mask * norm2(trans_zero) / (1e-24 + norm2(t1) + norm2(t2))).mean()
    return {"rotation_error": rotation_cycle_error(rot_2, rot_1), "translation_error": translation_error}
