"""Li et al. 2020, "Unsupervised Monocular Depth Learning in Dynamic Scenes": depth and motion nets.

Depth net: ResNet-18 U-Net with randomized layer normalisation in the encoder, decoder widths
(256, 128, 64, 32, 16) from stride 16 to full resolution, softplus output (depth > 0).
Motion net (official ``motion_prediction_net``): 7 stride-2 convolutions on
``[rgb_a, depth_a, rgb_b, depth_b]`` (8 channels), global average pooled bottleneck ->
background rotation (3, axis-angle rad) and translation (3); a residual translation field refined
coarse-to-fine through every encoder level back to full resolution (``_refine_motion_field``);
learnable rotation/translation scales; ``auto_mask`` (official default on): residual translations
whose norm is at or below the mean norm (over the batch and all pixels) are zeroed; the
learned-intrinsics head, kept physical (this project's constraint; the official head is
fx, fy = softplus(.) * (W, H), cx, cy = (. + 0.5) * (W, H), unbounded): fx = softplus(.) * W,
fy = fx * a with the pixel aspect a = max_pixel_aspect ** tanh(.) (square pixels up to
``max_pixel_aspect``, default 1.1), principal point cx, cy = sigmoid(.) * (W, H) inside the
image (both start at the official values: the centre, and a = 1).
Depth decoder upsampling (``decoder_upsample``): ``nearest`` (this project's first choice; the
official decoder uses 3x3 stride-2 transposed convolutions) or ``bilinear`` (ours: nearest copies
each coarse cell into a block that the following 3x3 convolutions do not fully smooth, which shows
as horizontal bands in the output, strongest at a period of 8 rows).
Variants: ``paper`` and ``light`` (narrower encoders for CPU), and ``lite0``: the depth net's encoder
is EfficientNet-Lite0 (strides 2-32, 16/24/40/112/320 channels, under the same decoder) so that it
can start from ImageNet as the paper's ResNet-18 does (its ImageNet weights are the ones this
project can obtain, see ``training.pretrained``); that encoder keeps its batch normalisation (the
ImageNet statistics), so the randomized layer norm acts in no layer; the motion net is ``light``'s.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from mono_depth_ros.models.efficientnet_lite import EfficientNetLite0Encoder
from mono_depth_ros.models.norm import RandomizedLayerNorm
from mono_depth_ros.models.resnet import ResNetEncoder

DEPTH_DECODER_WIDTHS = (256, 128, 64, 32, 16)
DECODER_UPSAMPLE_MODES = ("nearest", "bilinear")
DEPTH_VARIANTS = {"paper": 64, "light": 32, "lite0": "efficientnet_lite0"}  # ResNet-18 width, or the encoder
_LIGHT_MOTION = (16, 32, 64, 64, 128, 128, 256)
MOTION_VARIANTS = {"paper": (16, 32, 64, 128, 256, 512, 1024), "light": _LIGHT_MOTION, "lite0": _LIGHT_MOTION}
MIN_DEPTH = 1e-3  # softplus underflows to 0 in float32 for inputs below about -100
SCALE_MIN = 1e-3  # official create_scales(constraint_minimum=0.001)


class MotionOutput(NamedTuple):
    """rotation_rad (B,3) axis-angle; translation (B,3); residual_translation (B,3,H,W);
    intrinsics (B,3,3) pixels. Frame b's camera relative to frame a's."""

    rotation_rad: torch.Tensor
    translation: torch.Tensor
    residual_translation: torch.Tensor
    intrinsics: torch.Tensor


def _check_variant(variant: str, table: dict) -> None:
    if variant not in table:
        raise ValueError(f"variant={variant!r}: must be one of {sorted(table)}")


class Li2020DepthNet(nn.Module):
    """forward(rgb (B,3,H,W) in [0,1]) -> depth (B,1,H,W) >= MIN_DEPTH (scale set by the photometric loss)."""

    def __init__(self, variant: str = "paper", noise_stddev: float = 0.5, decoder_upsample: str = "nearest") -> None:
        super().__init__()
        _check_variant(variant, DEPTH_VARIANTS)
        if decoder_upsample not in DECODER_UPSAMPLE_MODES:
            raise ValueError(f"decoder_upsample={decoder_upsample!r}: must be one of {DECODER_UPSAMPLE_MODES}")
        self.variant = variant
        self.decoder_upsample = decoder_upsample
        width = DEPTH_VARIANTS[variant]
        self.encoder = (EfficientNetLite0Encoder() if width == "efficientnet_lite0" else
                        ResNetEncoder(18, width=width, norm_layer=lambda c: RandomizedLayerNorm(c, noise_stddev)))
        enc = self.encoder.channels
        skips = (enc[3], enc[2], enc[1], enc[0], 0)
        in_ch, self.up_convs, self.fuse_convs = enc[4], nn.ModuleList(), nn.ModuleList()
        for width, skip in zip(DEPTH_DECODER_WIDTHS, skips):
            self.up_convs.append(nn.Sequential(nn.Conv2d(in_ch, width, 3, padding=1), nn.ELU(inplace=True)))
            self.fuse_convs.append(nn.Sequential(nn.Conv2d(width + skip, width, 3, padding=1), nn.ELU(inplace=True)))
            in_ch = width
        self.head = nn.Conv2d(in_ch, 1, 3, padding=1)

    def set_noise_ramp(self, ramp: float) -> None:
        """Scale the layer-norm noise by ``ramp`` in [0, 1] (training schedule)."""
        for m in self.modules():
            if isinstance(m, RandomizedLayerNorm):
                m.noise_ramp = float(ramp)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = self.encoder(x)
        y = feats[4]
        skips = (feats[3], feats[2], feats[1], feats[0], None)
        for up, fuse, skip in zip(self.up_convs, self.fuse_convs, skips):
            size = skip.shape[-2:] if skip is not None else x.shape[-2:]
            y = F.interpolate(up(y), size=size, mode=self.decoder_upsample,
                              align_corners=False if self.decoder_upsample == "bilinear" else None)
            y = fuse(y if skip is None else torch.cat([y, skip], dim=1))
        return F.softplus(self.head(y)) + MIN_DEPTH


class MotionFieldRefiner(nn.Module):
    """Official ``_refine_motion_field``: upsample the field (B,3,h,w) to ``layer``'s size, predict
    a correction from [field, layer] with two conv paths, add it."""

    def __init__(self, layer_ch: int) -> None:
        super().__init__()
        ch = max(4, layer_ch)
        self.path1 = nn.Sequential(nn.Conv2d(3 + layer_ch, ch, 3, padding=1), nn.ReLU(inplace=True))
        self.path2 = nn.Sequential(nn.Conv2d(3 + layer_ch, ch, 3, padding=1), nn.ReLU(inplace=True),
                                   nn.Conv2d(ch, ch, 3, padding=1), nn.ReLU(inplace=True))
        self.out = nn.Conv2d(2 * ch, 3, 1, bias=False)

    def forward(self, field: torch.Tensor, layer: torch.Tensor) -> torch.Tensor:
        up = F.interpolate(field, size=layer.shape[-2:], mode="bilinear", align_corners=False)
        x = torch.cat([up, layer], dim=1)
        return up + self.out(torch.cat([self.path1(x), self.path2(x)], dim=1))


def auto_mask_residual(field: torch.Tensor) -> torch.Tensor:
    """Official ``auto_mask``: zero the residual translation (B,3,H,W) where its norm is not above
    the mean norm over the whole batch and all pixels (one threshold per batch, as the official
    ``reduce_mean(axis=[0, 1, 2])``). The mask carries no gradient; kept vectors keep theirs."""
    norm = torch.sqrt((field ** 2).sum(dim=1, keepdim=True))
    return field * (norm > norm.mean()).to(field.dtype)


class Li2020MotionNet(nn.Module):
    """forward(x (B,8,H,W) = [rgb_a, depth_a, rgb_b, depth_b]) -> MotionOutput."""

    def __init__(self, variant: str = "paper", auto_mask: bool = True, max_pixel_aspect: float = 1.1) -> None:
        super().__init__()
        _check_variant(variant, MOTION_VARIANTS)
        if max_pixel_aspect < 1.0:
            raise ValueError(f"max_pixel_aspect={max_pixel_aspect!r}: must be >= 1 (1: square pixels)")
        self.variant = variant
        self.auto_mask = bool(auto_mask)
        self.max_pixel_aspect = float(max_pixel_aspect)
        widths = MOTION_VARIANTS[variant]
        in_chs = (8,) + widths[:-1]
        self.convs = nn.ModuleList(nn.Sequential(nn.Conv2d(i, o, 3, stride=2, padding=1), nn.ReLU(inplace=True))
                                   for i, o in zip(in_chs, widths))
        self.background = nn.Conv2d(widths[-1], 6, 1)
        self.unrefined_residual = nn.Conv2d(6, 3, 1)
        self.refiners = nn.ModuleList(MotionFieldRefiner(c) for c in tuple(reversed(widths)) + (8,))
        self.focal = nn.Conv2d(widths[-1], 2, 1)
        self.offset = nn.Conv2d(widths[-1], 2, 1, bias=False)
        self.rotation_scale = nn.Parameter(torch.tensor(0.01))
        self.translation_scale = nn.Parameter(torch.tensor(0.01))

    def forward(self, x: torch.Tensor) -> MotionOutput:
        if x.dim() != 4 or x.shape[1] != 8:
            raise ValueError(f"x.shape={tuple(x.shape)}: expected (B, 8, H, W) = [rgb_a, depth_a, rgb_b, depth_b]")
        layers, y = [], x
        for conv in self.convs:
            y = conv(y)
            layers.append(y)
        bottleneck = y.mean(dim=(2, 3), keepdim=True)
        background = self.background(bottleneck)  # (B, 6, 1, 1)
        field = self.unrefined_residual(background)
        for refiner, layer in zip(self.refiners, list(reversed(layers)) + [x]):
            field = refiner(field, layer)
        rot_scale = F.relu(self.rotation_scale - SCALE_MIN) + SCALE_MIN
        trans_scale = F.relu(self.translation_scale - SCALE_MIN) + SCALE_MIN
        rotation = background[:, :3, 0, 0] * rot_scale
        translation = background[:, 3:, 0, 0] * trans_scale
        field = field * trans_scale
        if self.auto_mask:
            field = auto_mask_residual(field)
        return MotionOutput(rotation, translation, field, self._intrinsics(bottleneck, x.shape[-2:]))

    @torch.no_grad()
    def project_scales(self) -> None:
        """Clip the learnable rotation/translation scales to >= SCALE_MIN after an optimiser step:
        the official code's variable constraint (a projection, so the gradient below the bound is
        not zero as it would be through the ``relu`` in ``forward``, which is then the identity)."""
        self.rotation_scale.clamp_(min=SCALE_MIN)
        self.translation_scale.clamp_(min=SCALE_MIN)

    def _intrinsics(self, bottleneck: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
        """(B, C, 1, 1) -> K (B, 3, 3) in pixels of the input size."""
        h, w = float(hw[0]), float(hw[1])
        raw = self.focal(bottleneck)[:, :, 0, 0]
        fx = F.softplus(raw[:, 0]) * w
        fy = fx * torch.exp(math.log(self.max_pixel_aspect) * torch.tanh(raw[:, 1]))
        offset = torch.sigmoid(self.offset(bottleneck)[:, :, 0, 0])
        cx, cy = offset[:, 0] * w, offset[:, 1] * h
        zero, one = torch.zeros_like(fx), torch.ones_like(fx)
        rows = [torch.stack([fx, zero, cx], -1), torch.stack([zero, fy, cy], -1), torch.stack([zero, zero, one], -1)]
        return torch.stack(rows, dim=1)
