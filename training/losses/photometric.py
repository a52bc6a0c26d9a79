"""SSIM and the occlusion-aware RGB(+SSIM) consistency of Li et al. 2020 (official code's form)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from mono_depth_ros.core.errors import InputError
from training.losses._checks import check_4d, check_same_shape
from training.losses.geometry import TransformedDepth, resample


def _gaussian_kernel(window: int, sigma: float, channels: int, like: torch.Tensor) -> torch.Tensor:
    coords = torch.arange(window, dtype=like.dtype, device=like.device) - (window - 1) / 2.0
    g = torch.exp(-coords ** 2 / (2 * sigma ** 2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).expand(channels, 1, window, window).contiguous()


def gaussian_blur(image: torch.Tensor, sigma_px: float) -> torch.Tensor:
    """Separable Gaussian blur of standard deviation ``sigma_px`` pixels, borders replicated, taps
    out to 3 sigma (as ``scipy.ndimage.gaussian_filter(mode="nearest", truncate=3)``).

    Args: image (B, C, H, W). Returns: (B, C, H, W). ``sigma_px`` <= 0 returns ``image``.
    """
    check_4d("image", image)
    if sigma_px <= 0:
        return image
    radius = int(3.0 * sigma_px + 0.5)
    taps = torch.arange(-radius, radius + 1, dtype=image.dtype, device=image.device)
    g = torch.exp(-taps ** 2 / (2.0 * sigma_px ** 2))
    g = g / g.sum()
    c = image.shape[1]
    rows = F.conv2d(F.pad(image, (radius, radius, 0, 0), mode="replicate"), g.view(1, 1, 1, -1).expand(c, 1, 1, -1),
                    groups=c)
    return F.conv2d(F.pad(rows, (0, 0, radius, radius), mode="replicate"), g.view(1, 1, -1, 1).expand(c, 1, -1, 1),
                    groups=c)


def ssim(x: torch.Tensor, y: torch.Tensor, window: int = 11, sigma: float = 1.5, data_range: float = 1.0,
         k1: float = 0.01, k2: float = 0.03) -> torch.Tensor:
    """Per-pixel SSIM (Wang et al. 2004) with a Gaussian window, 'valid' convolution.

    Population (biased) variances, c1 = (k1 * data_range)^2, c2 = (k2 * data_range)^2: the same
    as ``skimage.metrics.structural_similarity(..., gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False)`` away from the borders.

    Args: x, y (B, C, H, W). Returns: (B, C, H - window + 1, W - window + 1).
    """
    check_4d("x", x)
    check_same_shape("x", x, "y", y)
    if window % 2 != 1 or window > min(x.shape[-2:]):
        raise InputError("window", window, f"must be odd and <= image size {tuple(x.shape[-2:])}")
    kernel = _gaussian_kernel(window, sigma, x.shape[1], x)

    def blur(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(t, kernel, groups=x.shape[1])

    mu_x, mu_y = blur(x), blur(y)
    sxx = blur(x * x) - mu_x ** 2
    syy = blur(y * y) - mu_y ** 2
    sxy = blur(x * y) - mu_x * mu_y
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    return ((2 * mu_x * mu_y + c1) * (2 * sxy + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (sxx + syy + c2))


def weighted_ssim(x: torch.Tensor, y: torch.Tensor, weight: torch.Tensor, c1: float = math.inf, c2: float = 9e-6,
                  weight_epsilon: float = 0.01) -> tuple[torch.Tensor, torch.Tensor]:
    """SSIM dissimilarity with weighted 3x3 moments (Li 2020 official ``weighted_ssim``).

    ``c1 = inf`` drops the luminance term (the official setting, with c2 = 9e-6).

    Args: x, y (B, C, H, W); weight (B, 1, H, W) per-pixel weight of the moments.
    Returns: (loss (B, C, H-2, W-2) = clip((1 - ssim) / 2, 0, 1), pooled weight (B, 1, H-2, W-2)).
    """
    check_4d("x", x)
    check_same_shape("x", x, "y", y)
    check_4d("weight", weight, 1)
    if math.isinf(c1) and math.isinf(c2):
        raise InputError("c1", c1, "c1 and c2 both infinite make SSIM constant")
    pooled_weight = F.avg_pool2d(weight, 3, 1)
    weight_plus_eps = weight + weight_epsilon
    inv_pooled = 1.0 / (pooled_weight + weight_epsilon)

    def wavg(z: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(z * weight_plus_eps, 3, 1) * inv_pooled

    mu_x, mu_y = wavg(x), wavg(y)
    sxx, syy = wavg(x * x) - mu_x ** 2, wavg(y * y) - mu_y ** 2
    sxy = wavg(x * y) - mu_x * mu_y
    if math.isinf(c1):
        num, den = 2 * sxy + c2, sxx + syy + c2
    elif math.isinf(c2):
        num, den = 2 * mu_x * mu_y + c1, mu_x ** 2 + mu_y ** 2 + c1
    else:
        num = (2 * mu_x * mu_y + c1) * (2 * sxy + c2)
        den = (mu_x ** 2 + mu_y ** 2 + c1) * (sxx + syy + c2)
    return torch.clamp((1 - num / den) / 2, 0, 1), pooled_weight


def _weighted_average(x: torch.Tensor, w: torch.Tensor, epsilon: float = 1.0) -> torch.Tensor:
    """Per-image weighted mean over (H, W) of x, w (B, H, W) -> (B, 1, 1)."""
    return (x * w).sum((1, 2), keepdim=True) / (w.sum((1, 2), keepdim=True) + epsilon)


def rgbd_consistency_loss(transformed: TransformedDepth, rgb_1: torch.Tensor, depth_2: torch.Tensor,
                          rgb_2: torch.Tensor, occluded_pixel_weight: float = 0.0) -> dict[str, torch.Tensor]:
    """Occlusion-aware photometric consistency of frame 1 warped onto frame 2 (not symmetric).

    Frame 2's rgb and depth are sampled where frame 1's pixels land. Pixels count only where
    frame 1's moved point is closer to the camera than frame 2's depth there (otherwise it is
    occluded; the swapped call covers the other case). SSIM is weighted by a depth-proximity
    weight (stop-gradient) that peaks at 1 where the two depths agree.

    Args:
        transformed: frame 1 moved into frame 2 (B, H, W fields).
        rgb_1, rgb_2: (B, 3, H, W) images in [0, 1]; depth_2: (B, 1, H, W).
        occluded_pixel_weight: weight of the RGB error at in-view pixels that fail the occlusion
            test (official: 0, they are dropped).
    Returns: dict with scalars rgb_error, ssim_error, depth_error and maps
        depth_proximity_weight (B, H, W), frame1_closer_to_camera (B, H, W) float.
    """
    check_4d("rgb_1", rgb_1, 3)
    check_same_shape("rgb_1", rgb_1, "rgb_2", rgb_2)
    sampled = resample(torch.cat([rgb_2, depth_2], 1), transformed.pixel_x, transformed.pixel_y)
    rgb_2_s, depth_2_s = sampled[:, :3], sampled[:, 3]
    closer = (transformed.mask & (transformed.depth < depth_2_s)).to(rgb_1.dtype)
    depth_diff = depth_2_s - transformed.depth
    depth_error = (depth_diff.abs() * closer).mean()
    rgb_weight = closer
    if occluded_pixel_weight > 0:
        rgb_weight = closer + occluded_pixel_weight * (transformed.mask.to(rgb_1.dtype) - closer)
    rgb_error = ((rgb_2_s - rgb_1).abs() * rgb_weight[:, None]).mean()
    second_moment = _weighted_average(depth_diff ** 2, closer) + 1e-4
    proximity = (second_moment / (depth_diff ** 2 + second_moment)) * transformed.mask.to(rgb_1.dtype)
    proximity = proximity.detach()  # official: without the stop-gradient training does not start
    ssim_error, avg_weight = weighted_ssim(rgb_2_s, rgb_1, proximity[:, None])
    return {"rgb_error": rgb_error, "ssim_error": (ssim_error * avg_weight).mean(), "depth_error": depth_error,
            "depth_proximity_weight": proximity, "frame1_closer_to_camera": closer}
