"""Xian et al. 2018, "Monocular Relative Depth Perception with Web Stereo Data Supervision"
(ReDWeb): a ResNet encoder and a top-down decoder of feature fusion modules.

- FTB (feature transfer block): 1x1 conv to the decoder width, then a residual block
  ``x + conv3x3(relu(bn(conv3x3(relu(x)))))`` followed by ReLU.
- FFM (feature fusion module): ``up2(FTB2(FTB1(skip) + deeper))``; the deeper feature is already at
  the skip's resolution.
- AO (adaptive output module): 3x3 convs halving the channels, a 1-channel output, bilinear
  upsampling to the input size.

Output: relative depth (B,1,H,W), larger = farther, no scale (trained with a ranking loss).
Variants: ``paper`` (ResNet-50 encoder, decoder width 256), ``light`` (ResNet-18 at half width, decoder
width 64), ``lite0`` (EfficientNet-Lite0 encoder, decoder width 64: the only ImageNet-trained encoder
this project can obtain, from PyPI; the paper starts from an ImageNet-trained ResNet-50, see
``training.pretrained``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mono_depth_ros.models.efficientnet_lite import EfficientNetLite0Encoder
from mono_depth_ros.models.resnet import ResNetEncoder

# (encoder, decoder width, encoder width): ResNet depth or "efficientnet_lite0"; light: a ResNet-18 at
# half width (32) with decoder width 64, small enough to ship as demo weights
VARIANTS = {"paper": (50, 256, 64), "light": (18, 64, 32), "lite0": ("efficientnet_lite0", 64, None)}


class FeatureTransferBlock(nn.Module):
    """FTB: (B, in_ch, h, w) -> (B, width, h, w)."""

    def __init__(self, in_ch: int, width: int) -> None:
        super().__init__()
        self.project = nn.Conv2d(in_ch, width, 1)
        self.residual = nn.Sequential(
            nn.ReLU(), nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width),
            nn.ReLU(inplace=True), nn.Conv2d(width, width, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.project(x)
        return F.relu(x + self.residual(x))


class FeatureFusionModule(nn.Module):
    """FFM: fuse the skip feature (B, in_ch, h, w) with the deeper decoder feature (B, width, h', w')
    -> (B, width, 2h, 2w)."""

    def __init__(self, in_ch: int, width: int) -> None:
        super().__init__()
        self.ftb1 = FeatureTransferBlock(in_ch, width)
        self.ftb2 = FeatureTransferBlock(width, width)

    def forward(self, skip: torch.Tensor, deeper: torch.Tensor) -> torch.Tensor:
        if deeper.shape[-2:] != skip.shape[-2:]:
            deeper = F.interpolate(deeper, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        fused = self.ftb2(self.ftb1(skip) + deeper)
        return F.interpolate(fused, scale_factor=2.0, mode="bilinear", align_corners=False)


class AdaptiveOutput(nn.Module):
    """AO: (B, width, h, w) -> (B, 1, H, W): convs halving channels, then upsample to ``out_hw``."""

    def __init__(self, width: int) -> None:
        super().__init__()
        half, quarter = width // 2, max(width // 4, 8)
        self.body = nn.Sequential(
            nn.Conv2d(width, half, 3, padding=1, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True),
            nn.Conv2d(half, quarter, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(quarter, 1, 3, padding=1))

    def forward(self, x: torch.Tensor, out_hw: tuple[int, int]) -> torch.Tensor:
        return F.interpolate(self.body(x), size=out_hw, mode="bilinear", align_corners=False)


class Xian2018(nn.Module):
    """ReDWeb network. forward(rgb (B,3,H,W)) -> relative depth (B,1,H,W), larger = farther."""

    def __init__(self, variant: str = "paper") -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"variant={variant!r}: must be one of {sorted(VARIANTS)}")
        self.variant = variant
        depth, width, encoder_width = VARIANTS[variant]
        self.encoder = (EfficientNetLite0Encoder() if depth == "efficientnet_lite0"
                        else ResNetEncoder(depth, width=encoder_width))
        ch = self.encoder.channels
        self.top = FeatureTransferBlock(ch[4], width)
        self.fuse = nn.ModuleList([FeatureFusionModule(ch[i], width) for i in (3, 2, 1)])
        self.output = AdaptiveOutput(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = self.encoder(x)
        y = self.top(feats[4])  # stride 32
        for module, skip in zip(self.fuse, (feats[3], feats[2], feats[1])):
            y = module(skip, y)  # strides 16 -> 8 -> 4, each upsampled x2 after fusion
        return self.output(y, tuple(x.shape[-2:]))
