"""Differentiable camera geometry for view synthesis: rotations, depth warping, resampling."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from mono_depth_ros.core.errors import InputError
from training.losses._checks import check_4d


def axis_angle_to_matrix(rotvec: torch.Tensor) -> torch.Tensor:
    """Rodrigues' formula. rotvec (..., 3) axis * angle in radians -> (..., 3, 3) rotation matrix.

    Uses Taylor expansions near zero so the gradient at the identity is finite.
    """
    if rotvec.shape[-1] != 3:
        raise InputError("rotvec.shape", tuple(rotvec.shape), "last dimension must be 3")
    theta2 = (rotvec ** 2).sum(-1, keepdim=True)
    small = theta2 < 1e-8
    safe2 = torch.where(small, torch.ones_like(theta2), theta2)
    theta = torch.sqrt(safe2)
    a = torch.where(small, 1.0 - theta2 / 6.0, torch.sin(theta) / theta)
    b = torch.where(small, 0.5 - theta2 / 24.0, (1.0 - torch.cos(theta)) / safe2)
    x, y, z = rotvec.unbind(-1)
    zero = torch.zeros_like(x)
    skew = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero], -1).reshape(*rotvec.shape[:-1], 3, 3)
    eye = torch.eye(3, dtype=rotvec.dtype, device=rotvec.device).expand_as(skew)
    return eye + a[..., None] * skew + b[..., None] * (skew @ skew)


@dataclass
class TransformedDepth:
    """Frame-1 pixels moved into frame 2: pixel_x, pixel_y (B, H, W) frame-2 pixel coordinates;
    depth (B, H, W) z in frame 2's camera; mask (B, H, W) bool: in front of the camera and
    inside the image."""

    pixel_x: torch.Tensor
    pixel_y: torch.Tensor
    depth: torch.Tensor
    mask: torch.Tensor


def transform_depth_map(depth: torch.Tensor, rotation: torch.Tensor, translation: torch.Tensor,
                        intrinsics: torch.Tensor) -> TransformedDepth:
    """Move every pixel of frame 1 by a rigid rotation and a per-pixel translation.

    p1 = depth * K^-1 [u, v, 1]^T;  p2 = R p1 + t(u, v);  [x, y] = (K p2)_xy / (K p2)_z.

    Args:
        depth: (B, 1, H, W) positive depth of frame 1.
        rotation: (B, 3, 3) rotation of frame 1's points into frame 2's camera.
        translation: (B, 3, H, W) translation field (background + residual) or (B, 3).
        intrinsics: (B, 3, 3) pinhole K in pixels at (H, W).
    """
    check_4d("depth", depth, 1)
    b, _, h, w = depth.shape
    if translation.dim() == 2:
        translation = translation[:, :, None, None].expand(b, 3, h, w)
    if rotation.shape != (b, 3, 3) or intrinsics.shape != (b, 3, 3):
        raise InputError("rotation.shape", (tuple(rotation.shape), tuple(intrinsics.shape)),
                         f"rotation and intrinsics must be ({b}, 3, 3)")
    ys, xs = torch.meshgrid(torch.arange(h, dtype=depth.dtype, device=depth.device),
                            torch.arange(w, dtype=depth.dtype, device=depth.device), indexing="ij")
    grid = torch.stack([xs, ys, torch.ones_like(xs)]).reshape(1, 3, -1)  # (1, 3, HW)
    rays = torch.linalg.inv(intrinsics) @ grid  # (B, 3, HW)
    points = rays * depth.reshape(b, 1, -1)
    moved = rotation @ points + translation.reshape(b, 3, -1)
    projected = intrinsics @ moved
    z = projected[:, 2]
    safe_z = torch.where(z.abs() < 1e-6, torch.full_like(z, 1e-6), z)
    px, py = projected[:, 0] / safe_z, projected[:, 1] / safe_z
    # the official test: the moved point lies within the outermost pixel centres (0..W-1, 0..H-1),
    # with 1e-3 px of slack so that rounding does not drop the border pixels of an identity warp
    eps = 1e-3
    mask = (z > 1e-6) & (px >= -eps) & (px <= w - 1 + eps) & (py >= -eps) & (py <= h - 1 + eps)
    return TransformedDepth(px.reshape(b, h, w), py.reshape(b, h, w), z.reshape(b, h, w), mask.reshape(b, h, w))


def resample(image: torch.Tensor, pixel_x: torch.Tensor, pixel_y: torch.Tensor) -> torch.Tensor:
    """Bilinear sampling of image (B, C, H, W) at pixel coordinates (B, H', W') -> (B, C, H', W').

    Pixel centres are at integer coordinates; outside samples take the border value.
    """
    check_4d("image", image)
    h, w = image.shape[-2:]
    gx = 2.0 * pixel_x / max(w - 1, 1) - 1.0
    gy = 2.0 * pixel_y / max(h - 1, 1) - 1.0
    return F.grid_sample(image, torch.stack([gx, gy], -1), mode="bilinear", padding_mode="border",
                         align_corners=True)


def combine(rot_1: torch.Tensor, trans_1: torch.Tensor, rot_2: torch.Tensor, trans_2: torch.Tensor
            ) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply motion 2 then motion 1: x -> R1 (R2 x + t2) + t1.

    rot_*: (..., 3, 3); trans_*: (..., 3). Returns (R1 R2, R1 t2 + t1).
    """
    return rot_1 @ rot_2, (rot_1 @ trans_2[..., None])[..., 0] + trans_1
