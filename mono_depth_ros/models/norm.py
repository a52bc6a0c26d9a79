"""Randomized layer normalisation of Li et al. 2020 (official ``randomized_layer_norm``).

Per sample and channel, statistics over the spatial axes (B, C, H, W) -> (B, C, 1, 1). In training
the mean and the variance are each multiplied by ``1 + n`` where ``n`` is drawn from a normal
``N(0, s)`` truncated to ``[-2 s, 2 s]`` with ``s = noise_stddev * ramp`` (the official code's
``tf.random.truncated_normal``: with s = 0.5 the factor stays in [0, 2], so a variance is never
negative and never amplified without bound). ``ramp`` in 0..1 is set by the training schedule via
``set_noise_ramp``. In eval mode it is a plain (deterministic) normalisation with learned affine.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def truncated_normal_like(x: torch.Tensor, stddev: float) -> torch.Tensor:
    """Noise of ``x``'s shape: N(0, stddev) truncated to [-2 stddev, 2 stddev] (TF's truncated_normal:
    values outside are redrawn). No gradient flows through it."""
    out = torch.empty_like(x)
    if stddev <= 0:
        return out.zero_()
    with torch.no_grad():
        nn.init.trunc_normal_(out, mean=0.0, std=stddev, a=-2.0 * stddev, b=2.0 * stddev)
    return out


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
        mean = mean * (1.0 + truncated_normal_like(mean, stddev))
        var = var * (1.0 + truncated_normal_like(var, stddev))
        y = (x - mean) * torch.rsqrt(var + self.eps)
        return y * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)

    def extra_repr(self) -> str:
        return f"{self.weight.numel()}, noise_stddev={self.noise_stddev}, eps={self.eps}"
