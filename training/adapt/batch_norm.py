"""Batch-norm statistics from a camera's own frames (AdaBN: Li, Wang, Shi, Liu, Hou 2016,
*Revisiting Batch Normalization For Practical Domain Adaptation*).

A network trained on renders normalises every layer with the renders' means and variances. Given
frames of the user's camera (no labels), ``recompute_batch_norm`` replaces each BatchNorm layer's
running mean and variance with those of the layer's input over these frames, and changes nothing
else: no weight moves, nothing is learned, and the result is exported and run like any checkpoint.
The frames go through the node's own preprocessing (``inference.processing.preprocess`` with the
network's ``resize_mode`` fit), so the statistics are those the node's inputs will have.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import torch
from torch import nn

from mono_depth_ros.core.errors import InputError
from mono_depth_ros.inference.processing import plan_input, preprocess
from mono_depth_ros.inference.spec import ModelSpec


def batch_norm_layers(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    """Every BatchNorm layer of ``model``, in module order."""
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def network_inputs(frames: Iterable[np.ndarray], spec: ModelSpec, input_hw: tuple[int, int],
                   resize_mode: str) -> torch.Tensor:
    """(H, W, 3) / (H, W) uint8 frames (any sizes) -> (N, 3, h, w) float32, each as the node feeds it."""
    batch = [preprocess(rgb, spec, plan_input(rgb.shape[:2], input_hw, resize_mode)) for rgb in frames]
    if not batch:
        raise InputError("frames", "0", "batch-norm adaptation needs at least one frame")
    return torch.from_numpy(np.concatenate(batch, axis=0))


@torch.no_grad()
def recompute_batch_norm(model: nn.Module, inputs: torch.Tensor, batch_size: int = 32) -> int:
    """Replace every BatchNorm's running statistics with those of ``inputs`` (N, 3, h, w): the
    mean of each batch's mean and variance (PyTorch's cumulative average, ``momentum=None``), so
    with N <= ``batch_size`` exactly the statistics over all N frames. Returns how many layers
    changed; ``model`` is left in eval mode. Raises ``InputError`` for a network without BatchNorm."""
    layers = batch_norm_layers(model)
    if not layers:
        raise InputError("model", type(model).__name__, "has no BatchNorm layer to adapt")
    model.eval()
    saved = [layer.momentum for layer in layers]
    for layer in layers:
        layer.reset_running_stats()
        layer.momentum = None
        layer.train()
    try:
        for start in range(0, len(inputs), batch_size):
            model(inputs[start:start + batch_size])
    finally:
        for layer, momentum in zip(layers, saved):
            layer.momentum = momentum
        model.eval()
    return len(layers)
