"""ResNet-18/34/50 encoders (He et al. 2016) written in the project (torchvision is not usable).

``ResNetEncoder(depth).forward(x (B, C, H, W))`` returns 5 feature maps at strides 2, 4, 8, 16, 32:
``[stem (after conv1/bn/relu), layer1, layer2, layer3, layer4]``; ``.channels`` lists their widths.
``width`` scales every stage (64 = the standard network) and ``norm_layer`` replaces BatchNorm
(Li 2020 uses randomized layer normalisation), so the same code builds all encoders.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

NormFactory = Callable[[int], nn.Module]

_LAYERS = {18: ("basic", (2, 2, 2, 2)), 34: ("basic", (3, 4, 6, 3)), 50: ("bottleneck", (3, 4, 6, 3))}


def _conv3x3(in_ch: int, out_ch: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with an identity (or 1x1 projected) shortcut."""

    expansion = 1

    def __init__(self, in_ch: int, ch: int, stride: int, norm: NormFactory) -> None:
        super().__init__()
        self.conv1, self.bn1 = _conv3x3(in_ch, ch, stride), norm(ch)
        self.conv2, self.bn2 = _conv3x3(ch, ch), norm(ch)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _shortcut(in_ch, ch, stride, norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (strided), 1x1 expand (x4), with shortcut (ResNet v1.5: stride in the 3x3)."""

    expansion = 4

    def __init__(self, in_ch: int, ch: int, stride: int, norm: NormFactory) -> None:
        super().__init__()
        out_ch = ch * self.expansion
        self.conv1, self.bn1 = nn.Conv2d(in_ch, ch, 1, bias=False), norm(ch)
        self.conv2, self.bn2 = _conv3x3(ch, ch, stride), norm(ch)
        self.conv3, self.bn3 = nn.Conv2d(ch, out_ch, 1, bias=False), norm(out_ch)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _shortcut(in_ch, out_ch, stride, norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


def _shortcut(in_ch: int, out_ch: int, stride: int, norm: NormFactory) -> nn.Module | None:
    if stride == 1 and in_ch == out_ch:
        return None
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False), norm(out_ch))


class ResNetEncoder(nn.Module):
    """ResNet trunk without the classifier.

    Args:
        depth: 18, 34 or 50.
        in_channels: input channels (3 for RGB).
        width: channels of the stem and first stage (64 in the paper); stages double it.
        norm_layer: ``f(channels) -> nn.Module``; BatchNorm2d by default.
    """

    def __init__(self, depth: int = 18, in_channels: int = 3, width: int = 64,
                 norm_layer: NormFactory | None = None) -> None:
        super().__init__()
        if depth not in _LAYERS:
            raise ValueError(f"depth={depth!r}: must be one of {sorted(_LAYERS)}")
        if in_channels < 1 or width < 4:
            raise ValueError(f"in_channels={in_channels}, width={width}: must be >= 1 and >= 4")
        kind, counts = _LAYERS[depth]
        block = BasicBlock if kind == "basic" else Bottleneck
        norm = norm_layer or nn.BatchNorm2d
        self.depth = depth
        self.conv1 = nn.Conv2d(in_channels, width, 7, stride=2, padding=3, bias=False)
        self.bn1 = norm(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        stages, in_ch = [], width
        for index, count in enumerate(counts):
            ch = width * 2 ** index
            blocks = []
            for b in range(count):
                blocks.append(block(in_ch, ch, 2 if (b == 0 and index > 0) else 1, norm))
                in_ch = ch * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.channels = [width] + [width * 2 ** i * block.expansion for i in range(4)]
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """x (B, C, H, W) -> [s2 (B, c0, H/2, W/2), s4, s8, s16, s32] (sizes rounded up)."""
        stem = self.relu(self.bn1(self.conv1(x)))
        f1 = self.layer1(self.maxpool(stem))
        f2 = self.layer2(f1)
        f3 = self.layer3(f2)
        f4 = self.layer4(f3)
        return [stem, f1, f2, f3, f4]
