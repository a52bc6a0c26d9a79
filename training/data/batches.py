"""Typed samples/batches and the collate function.

The same dataclass is used for one sample (no batch dimension) and a batch (leading B):
shapes below are for a batch; drop B for a sample. Images are float32 in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Sequence, TypeVar

import torch


@dataclass
class DepthBatch:
    """Metric depth supervision (Eigen 2014).

    rgb (B, 3, H, W) float32; depth_m (B, 1, H, W) float32 metres, 0 where invalid;
    valid (B, 1, H, W) bool.
    """

    rgb: torch.Tensor
    depth_m: torch.Tensor
    valid: torch.Tensor


@dataclass
class RelativeDepthBatch:
    """Relative depth supervision (Xian 2018).

    rgb (B, 3, H, W); target (B, 1, H, W) float32 relative depth (larger = farther, median 1,
    0 where invalid); valid (B, 1, H, W) bool.
    """

    rgb: torch.Tensor
    target: torch.Tensor
    valid: torch.Tensor


@dataclass
class FramesBatch:
    """Consecutive frames (Li 2020).

    rgb (B, T, 3, H, W); intrinsics (B, 3, 3) float32 pixels at (H, W), zeros when unknown;
    intrinsics_known (B,) bool; pose (B, T, 4, 4) float32 optical-frame poses in odom (identity
    where unknown); pose_valid (B, T) bool.
    """

    rgb: torch.Tensor
    intrinsics: torch.Tensor
    intrinsics_known: torch.Tensor
    pose: torch.Tensor
    pose_valid: torch.Tensor


BatchT = TypeVar("BatchT", DepthBatch, RelativeDepthBatch, FramesBatch)


def collate(samples: Sequence[BatchT]) -> BatchT:
    """Stack samples of one dataclass type into a batch of the same type (new leading B)."""
    if not samples:
        raise ValueError("samples: empty list, nothing to collate")
    cls = type(samples[0])
    if any(type(s) is not cls for s in samples):
        raise TypeError(f"samples: mixed types {sorted({type(s).__name__ for s in samples})}")
    return cls(**{f.name: torch.stack([getattr(s, f.name) for s in samples]) for f in fields(cls)})


def to_device(batch: BatchT, device: torch.device | str) -> BatchT:
    """Copy of ``batch`` with every tensor on ``device``."""
    return type(batch)(**{f.name: getattr(batch, f.name).to(device) for f in fields(batch)})
