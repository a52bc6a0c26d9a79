"""Input checks shared by the loss functions: clear typed errors naming the argument."""

from __future__ import annotations

import torch

from mono_depth_ros.core.errors import InputError


def check_4d(name: str, tensor: torch.Tensor, channels: int | None = None) -> None:
    """Raise InputError unless ``tensor`` is (B, C, H, W) floating point (C == channels if given)."""
    if not isinstance(tensor, torch.Tensor):
        raise InputError(name, type(tensor).__name__, "expected a torch.Tensor")
    if tensor.dim() != 4:
        raise InputError(f"{name}.shape", tuple(tensor.shape), "expected (B, C, H, W)")
    if channels is not None and tensor.shape[1] != channels:
        raise InputError(f"{name}.shape", tuple(tensor.shape), f"expected {channels} channel(s)")
    if not tensor.is_floating_point():
        raise InputError(f"{name}.dtype", tensor.dtype, "expected a floating point tensor")


def check_same_shape(name_a: str, a: torch.Tensor, name_b: str, b: torch.Tensor) -> None:
    if a.shape != b.shape:
        raise InputError(f"{name_b}.shape", tuple(b.shape), f"must equal {name_a}.shape={tuple(a.shape)}")
