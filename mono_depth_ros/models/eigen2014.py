"""Eigen, Puhrsch & Fergus 2014, "Depth Map Prediction from a Single Image using a Multi-Scale
Deep Network": a coarse global network and a fine local network; both output log depth.

Coarse: 5 convolutions (11x11/4 + pool, 5x5 + pool, 3x3, 3x3, 3x3 + pool) and 2 fully connected
layers (the last one's units are the output pixels). The paper's maps (its Fig. 1) are 55x74,
27x37, 13x18, 13x18 and 6x8 after coarse 5: coarse 5's convolution is unpadded (13x18 -> 11x16)
and its pooling rounds up (-> 6x8), so the first FC layer takes 256 x 6 x 8 = 12288 inputs. Fine: a 9x9/2 convolution + pool, the coarse
output concatenated as an extra channel, then two 5x5 convolutions. With the paper's 228x304
input both outputs are 55x74.

Variants: ``paper`` (input 228x304, channels 96-256-384-384-256, FC 12288 -> 4096, output 55x74),
``light`` for CPU (input 128x160, channels 32-64-96-96-64, padded coarse 5 (map 4x5), FC 512,
output 32x40 = 1/4 input) and ``lite0`` (input 120x160: the coarse network's convolutions are an
EfficientNet-Lite0 encoder, whose stride-32 map (320 x 4 x 5) feeds FC 512, output 30x40 = 1/4
input; the paper initialises its coarse convolutions from an ImageNet-trained network, and
EfficientNet-Lite0's ImageNet weights are the ones this project can obtain, see
``training.pretrained``; the fine network is ``light``'s).
Other input sizes work: the last coarse feature map is resized to the size the FC layer expects and
the coarse output is resized to the fine grid (both no-ops at the variant's own input size).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from mono_depth_ros.models.efficientnet_lite import EfficientNetLite0Encoder


@dataclass(frozen=True)
class EigenVariant:
    input_hw: tuple[int, int]
    conv_channels: tuple[int, int, int, int, int]
    fc_units: int
    fine_channels: int
    conv1_padding: int  # 0 in the paper; 4 in "light" so the output is exactly input/4
    conv5_padding: int  # 0 in the paper (13x18 -> 11x16 -> pooled 6x8); 1 in "light"
    encoder: str = "conv"  # "conv": the paper's five convolutions; "efficientnet_lite0" (conv_channels unused)


VARIANTS = {
    "paper": EigenVariant((228, 304), (96, 256, 384, 384, 256), 4096, 63, 0, 0),
    "light": EigenVariant((128, 160), (32, 64, 96, 96, 64), 512, 31, 4, 1),
    "lite0": EigenVariant((120, 160), (0, 0, 0, 0, 0), 512, 31, 4, 1, encoder="efficientnet_lite0"),
}


def _variant(name: str) -> EigenVariant:
    if name not in VARIANTS:
        raise ValueError(f"variant={name!r}: must be one of {sorted(VARIANTS)}")
    return VARIANTS[name]


class Eigen2014Coarse(nn.Module):
    """Global coarse-scale network: rgb (B,3,H,W) -> log depth (B,1,h,w) via 2 FC layers."""

    def __init__(self, v: EigenVariant) -> None:
        super().__init__()
        c1, c2, c3, c4, c5 = v.conv_channels
        self.out_hw = _conv1_out_hw(v.input_hw, v.conv1_padding)
        self.encoder: EfficientNetLite0Encoder | None = None
        if v.encoder == "efficientnet_lite0":  # its stride-32 map: ceil(input / 32) with k // 2 padding
            self.encoder = EfficientNetLite0Encoder()
            self.feature_hw = tuple(-(-s // 32) for s in v.input_hw)
        else:
            self.features = nn.Sequential(
                nn.Conv2d(3, c1, 11, stride=4, padding=v.conv1_padding), nn.ReLU(inplace=True), nn.MaxPool2d(2),
                nn.Conv2d(c1, c2, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(2),
                nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(c3, c4, 3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(c4, c5, 3, padding=v.conv5_padding), nn.ReLU(inplace=True),
                nn.MaxPool2d(2, ceil_mode=True))
            self.feature_hw = tuple(-(-(s // 4 + 2 * v.conv5_padding - 2) // 2) for s in self.out_hw)
        channels = self.encoder.channels[-1] if self.encoder is not None else c5
        n_features = channels * self.feature_hw[0] * self.feature_hw[1]
        self.fc = nn.Sequential(nn.Linear(n_features, v.fc_units), nn.ReLU(inplace=True), nn.Dropout(0.5),
                                nn.Linear(v.fc_units, self.out_hw[0] * self.out_hw[1]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.encoder(x)[-1] if self.encoder is not None else self.features(x)
        if tuple(f.shape[-2:]) != self.feature_hw:
            f = F.interpolate(f, size=self.feature_hw, mode="bilinear", align_corners=False)
        return self.fc(f.flatten(1)).view(x.shape[0], 1, *self.out_hw)


class Eigen2014Fine(nn.Module):
    """Local fine-scale network: rgb + coarse log depth -> refined log depth (B,1,h,w)."""

    def __init__(self, v: EigenVariant) -> None:
        super().__init__()
        pad = 0 if v.conv1_padding == 0 else 4
        c = v.fine_channels
        self.conv1 = nn.Sequential(nn.Conv2d(3, c, 9, stride=2, padding=pad), nn.ReLU(inplace=True), nn.MaxPool2d(2))
        self.conv2 = nn.Sequential(nn.Conv2d(c + 1, c + 1, 5, padding=2), nn.ReLU(inplace=True))
        self.conv3 = nn.Conv2d(c + 1, 1, 5, padding=2)

    def forward(self, x: torch.Tensor, coarse_log_depth: torch.Tensor) -> torch.Tensor:
        f = self.conv1(x)
        if coarse_log_depth.shape[-2:] != f.shape[-2:]:
            coarse_log_depth = F.interpolate(coarse_log_depth, size=f.shape[-2:], mode="bilinear", align_corners=False)
        return self.conv3(self.conv2(torch.cat([f, coarse_log_depth], dim=1)))


def _conv1_out_hw(input_hw: tuple[int, int], padding: int) -> tuple[int, int]:
    return tuple((s + 2 * padding - 11) // 4 + 1 for s in input_hw)  # type: ignore[return-value]


class Eigen2014(nn.Module):
    """Coarse + fine network. ``forward(rgb (B,3,H,W), stage)`` -> log depth (B,1,h,w).

    ``stage="coarse"`` returns the coarse network's output (training stage 1); ``"fine"`` the
    refined output (the coarse output enters the fine network as a constant during stage 2: the
    training code freezes it).
    """

    def __init__(self, variant: str = "paper") -> None:
        super().__init__()
        self.variant = variant
        v = _variant(variant)
        self.input_hw = v.input_hw
        self.coarse = Eigen2014Coarse(v)
        self.fine = Eigen2014Fine(v)

    def forward(self, x: torch.Tensor, stage: str = "fine") -> torch.Tensor:
        if stage not in ("fine", "coarse"):
            raise ValueError(f"stage={stage!r}: must be 'fine' or 'coarse'")
        coarse = self.coarse(x)
        if stage == "coarse":
            return coarse
        return self.fine(x, coarse)
