"""Randomized layer normalisation of Li et al. 2020 (official ``randomized_layer_norm``).

Per sample and channel, statistics over the spatial axes (B, C, H, W) -> (B, C, 1, 1). In training
the mean and the variance are each multiplied by gaussian noise ``N(1, noise_stddev * ramp)``
(``ramp`` in 0..1 is set by the training schedule via ``set_noise_ramp``), which regularises the
depth network; in eval mode it is a plain (deterministic) normalisation with learned affine.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class RandomizedLayerNorm(nn.Module):
    """x (B, C, H, W) -> same shape. ``noise_stddev`` 0.5 as in the official code."""

    def __init__(self, channels: int, noise_stddev: float = 0.5, eps: float = 1e-3) -> None:
        super().__init__()
        if noise_stddev < 0:
            raise ValueError(f"noise_stddev={noise_stddev!r}: must be >= 0")
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.noise_stddev = float(noise_stddev)
        self.noise_ramp = 1.0
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        stddev = self.noise_stddev * self.noise_ramp
        if not self.training or stddev == 0:
            # the same maths as a fused kernel (ONNX InstanceNormalization), for speed at inference
            return F.instance_norm(x, weight=self.weight, bias=self.bias, eps=self.eps)
        mean = x.mean(dim=(2, 3), keepdim=True)
        var = (x - mean).pow(2).mean(dim=(2, 3), keepdim=True)
        if stddev > 0:
            mean = mean * (1.0 + stddev * torch.randn_like(mean))
            var = (var * (1.0 + stddev * torch.randn_like(var))).clamp_min(0.0)
        y = (x - mean) * torch.rsqrt(var + self.eps)
        return y * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)

    def extra_repr(self) -> str:
        return f"{self.weight.numel()}, noise_stddev={self.noise_stddev}, eps={self.eps}"
