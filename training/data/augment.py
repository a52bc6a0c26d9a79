"""Training-time augmentation: the papers' (Eigen 2014, Li 2020's official code) and this
project's camera-robustness augmentation.

Every geometric step goes through :func:`mono_depth_ros.core.fit.plan_fit` (the one way an image
is fitted to a network input, as in the nodes) and, where intrinsics are known, through
``CameraIntrinsics.cropped`` / ``ImageFit.intrinsics``, so images and intrinsics stay consistent.
Random draws come from a ``numpy.random.Generator`` that the datasets seed with
``(seed, epoch, index)``: new draws every epoch, reproducible runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.fit import plan_fit
from training.data.folder_format import is_grey

# Eigen et al. 2014 crop the 240x320 (half NYU) frame to 228x304: the translation margin
EIGEN_FRAME_OVER_CROP = (240 / 228, 320 / 304)


def eigen_augment(rgb: np.ndarray, depth_m: np.ndarray, output_hw: tuple[int, int],
                  rng: np.random.Generator, resize_mode: str = "crop") -> tuple[np.ndarray, np.ndarray]:
    """Eigen 2014 augmentation of one (rgb, metric depth) pair.

    The frame is fitted (``resize_mode``) to the paper's frame size (the output size times
    240/228 x 320/304) times a scale s in [1, 1.5], depth divided by s (the scene looks s times
    closer); rotated by r in [-5, 5] degrees; randomly cropped to ``output_hw`` (translation, also
    at s = 1 as in the paper's 240x320 -> 228x304 crop); colours scaled by c in [0.8, 1.2]^3 (a grey
    frame by c's first value in all channels: it stays grey); flipped horizontally with probability 0.5.

    Args:
        rgb: (h, w, 3) uint8; depth_m: (h', w') float32 metres, NaN invalid (any size: it is first
            resized to the rgb's size).
        output_hw: (H, W) of the result.
    Returns:
        rgb (H, W, 3) uint8 and depth_m (H, W) float32 (NaN where invalid or rotated in from outside).
    """
    out_h, out_w = output_hw
    if depth_m.shape != rgb.shape[:2]:
        depth_m = cv2.resize(depth_m, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_NEAREST)
    scale = rng.uniform(1.0, 1.5)
    big_h = max(out_h, int(np.ceil(out_h * EIGEN_FRAME_OVER_CROP[0] * scale)))
    big_w = max(out_w, int(np.ceil(out_w * EIGEN_FRAME_OVER_CROP[1] * scale)))
    fit = plan_fit(rgb.shape[:2], (big_h, big_w), resize_mode)
    rgb = fit.apply(rgb)
    depth = fit.apply(depth_m, nearest=True) / np.float32(scale)
    angle_deg = rng.uniform(-5.0, 5.0)
    rot = cv2.getRotationMatrix2D(((big_w - 1) / 2.0, (big_h - 1) / 2.0), angle_deg, 1.0)
    rgb = cv2.warpAffine(rgb, rot, (big_w, big_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    depth = cv2.warpAffine(depth, rot, (big_w, big_h), flags=cv2.INTER_NEAREST,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=float("nan"))
    top = int(rng.integers(0, big_h - out_h + 1))
    left = int(rng.integers(0, big_w - out_w + 1))
    rgb = rgb[top:top + out_h, left:left + out_w].astype(np.float32)
    depth = depth[top:top + out_h, left:left + out_w]
    gains = rng.uniform(0.8, 1.2, size=3).astype(np.float32)
    if is_grey(rgb):  # a mono camera's frame has no colour to scale
        gains[:] = gains[0]
    rgb = np.clip(rgb * gains, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        rgb, depth = rgb[:, ::-1], depth[:, ::-1]
    return np.ascontiguousarray(rgb), np.ascontiguousarray(depth, dtype=np.float32)


@dataclass(frozen=True)
class CropBox:
    """The source region ``[y0:y0+h, x0:x0+w]``."""

    x0: int
    y0: int
    w: int
    h: int

    def apply(self, image: np.ndarray) -> np.ndarray:
        return image[self.y0:self.y0 + self.h, self.x0:self.x0 + self.w]


def random_crop_box(src_hw: tuple[int, int], min_hw: tuple[int, int], rng: np.random.Generator) -> CropBox:
    """Li 2020 official ``random_crop_and_size``: crop height uniform in [min_h, H], width uniform
    in [min_w, W] (independently: the aspect ratio changes), offset uniform; ``min_hw`` is clipped
    to the source size (the official minimum is the network input size)."""
    src_h, src_w = (int(v) for v in src_hw)
    min_h, min_w = min(int(min_hw[0]), src_h), min(int(min_hw[1]), src_w)
    h = int(rng.integers(min_h, src_h + 1))
    w = int(rng.integers(min_w, src_w + 1))
    return CropBox(int(rng.integers(0, src_w - w + 1)), int(rng.integers(0, src_h - h + 1)), w, h)


def flip_intrinsics(intr: CameraIntrinsics) -> CameraIntrinsics:
    """Intrinsics of the horizontally flipped image (pixel x -> W - 1 - x)."""
    return CameraIntrinsics(intr.width, intr.height, intr.fx, intr.fy, intr.width - 1 - intr.cx, intr.cy,
                            intr.distortion_model, intr.d, None)


def mirror_pose(pose: np.ndarray) -> np.ndarray:
    """The optical-frame pose (4, 4) of a horizontally flipped image's camera: x negated in the
    camera and the world, M P M with M = diag(-1, 1, 1, 1), a proper rotation again. Relative motions
    follow: inv(M P_b M) M P_a M = M inv(P_b) P_a M (rotations about y and z and x translations
    change sign)."""
    mirror = np.diag([-1.0, 1.0, 1.0, 1.0])
    return mirror @ pose @ mirror


def li2020_crop_resize_flip(frames: list[np.ndarray], intr: CameraIntrinsics | None, output_hw: tuple[int, int],
                            rng: np.random.Generator, resize_mode: str = "crop", flip: bool = True
                            ) -> tuple[list[np.ndarray], CameraIntrinsics | None, bool]:
    """Li 2020 official ``random_crop_and_resize_pipeline`` for all frames of a sample alike:
    random crop (:func:`random_crop_box`), fit to ``output_hw`` (``resize_mode``), random
    horizontal flip; the intrinsics follow every step.

    Args: frames: T images (H, W, 3) uint8 of one size; intr: their intrinsics or None.
    Returns: T images (h, w, 3) at ``output_hw``, the intrinsics at ``output_hw`` (or None), and
    whether they were flipped (poses then follow with :func:`mirror_pose`).
    """
    box = random_crop_box(frames[0].shape[:2], output_hw, rng)
    fit = plan_fit((box.h, box.w), output_hw, resize_mode)
    out = [fit.apply(np.ascontiguousarray(box.apply(f))) for f in frames]
    if intr is not None:
        if (intr.height, intr.width) != frames[0].shape[:2]:
            intr = intr.scaled(frames[0].shape[1], frames[0].shape[0])
        intr = fit.intrinsics(intr.cropped(box.x0, box.y0, box.w, box.h))
    flipped = bool(flip and rng.random() < 0.5)
    if flipped:
        out = [np.ascontiguousarray(f[:, ::-1]) for f in out]
        intr = flip_intrinsics(intr) if intr is not None else None
    return out, intr, flipped


def mean_abs_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean |a - b| of two uint8 images on the [0, 1] scale (the official duplicate filter's test)."""
    return float(np.mean(np.abs(a.astype(np.float32) - b.astype(np.float32)))) / 255.0


# colour_jitter = 1: per-channel gain 1 +- 0.2, saturation x [0.4, 1.4], hue turned by up to +- 90 deg
COLOUR_GAIN_SPAN, COLOUR_SATURATION_SPAN, COLOUR_HUE_SPAN_RAD = 0.2, (0.6, 0.4), np.pi / 2
# RGB -> YIQ (NTSC): Y is the luminance that grayscale keeps; I, Q carry the colour
_RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
_YIQ_TO_RGB = np.linalg.inv(_RGB_TO_YIQ)


def colour_matrix(rng: np.random.Generator, strength: float) -> np.ndarray:
    """(3, 3) float32 M for ``rgb @ M.T``: a random white balance, saturation and hue turn.

    Per-channel gains in 1 +- 0.2 * strength, then in YIQ the colour plane (I, Q) scaled by a
    saturation in [max(0, 1 - 0.6 * strength), 1 + 0.4 * strength] and turned by an angle in
    +- 90 deg * strength; luminance Y is kept. strength 0 gives the identity.
    """
    gains = rng.uniform(1.0 - COLOUR_GAIN_SPAN * strength, 1.0 + COLOUR_GAIN_SPAN * strength, 3)
    saturation = rng.uniform(max(0.0, 1.0 - COLOUR_SATURATION_SPAN[0] * strength),
                             1.0 + COLOUR_SATURATION_SPAN[1] * strength)
    angle = rng.uniform(-COLOUR_HUE_SPAN_RAD * strength, COLOUR_HUE_SPAN_RAD * strength)
    c, s = np.cos(angle) * saturation, np.sin(angle) * saturation
    turn = np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    return (_YIQ_TO_RGB @ turn @ _RGB_TO_YIQ @ np.diag(gains)).astype(np.float32)


# a camera's auto exposure puts the scene's mean luminance at middle grey: 18 % reflectance, linear
# (the reflected-light meter's calibration: ISO 2720's K, the photographers' grey card); about 118
# of 255 once sRGB-encoded
MIDDLE_GREY_LINEAR = 0.18
METERING_EV_SPAN = 1.0  # the metered exposure is off by up to +-1 EV (backlight, snow, a dark room)
METERING_GAIN_RANGE = (1.0 / 16.0, 16.0)


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    """[0, 1] sRGB-encoded values -> [0, 1] linear light (IEC 61966-2-1)."""
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4).astype(np.float32)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    """[0, 1] linear light -> [0, 1] sRGB-encoded values (IEC 61966-2-1)."""
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * x ** (1 / 2.4) - 0.055).astype(np.float32)


def metering_gain(frame01: np.ndarray, ev_offset: float) -> float:
    """The linear gain that meters ``frame01`` ((H, W, 3) sRGB-encoded [0, 1]) like a camera's auto
    exposure: its mean linear luminance (Rec. 709 weights) to middle grey times ``2 ** ev_offset``,
    within METERING_GAIN_RANGE (a black frame is not amplified without bound)."""
    luminance = float(np.mean(srgb_to_linear(frame01) @ np.float32([0.2126, 0.7152, 0.0722])))
    return float(np.clip(MIDDLE_GREY_LINEAR * 2.0 ** ev_offset / max(luminance, 1e-6), *METERING_GAIN_RANGE))


def apply_metering_gain(frame01: np.ndarray, gain: float) -> np.ndarray:
    """``frame01`` ((H, W, 3) sRGB-encoded [0, 1]) exposed ``gain`` times longer: the gain applied in
    linear light, clipped at white, encoded again. Returns float32 [0, 1]."""
    return linear_to_srgb(srgb_to_linear(frame01) * np.float32(gain))


def camera_augment(frames: list[np.ndarray], rng: np.random.Generator,
                   colour_jitter: float = 0.0, exposure_metering: float = 0.0) -> list[np.ndarray]:
    """This project's robustness augmentation (not from the papers): what real cameras do to a frame.

    One draw for all frames of a sample: grayscale with probability 0.3 (KITTI / EuRoC frames are
    mono8 replicated to 3 channels), brightness x [0.7, 1.3], contrast x [0.7, 1.3] about the mean,
    gamma in [0.7, 1.5], gaussian blur (sigma in [0.3, 1.0]) with probability 0.3, and gaussian
    noise (sigma in [0, 4] grey levels; drawn anew per frame, as a sensor's). ``colour_jitter`` > 0
    first applies :func:`colour_matrix` of that strength (white balance, saturation, hue), so that
    a network cannot read depth from the renders' colours; at 0 the random stream is as before.
    ``exposure_metering`` (a probability; 0 off, and the random stream as before) meters that share
    of samples like a camera's auto exposure before anything else: one linear gain for all frames
    of the sample (``metering_gain`` of the first, at an offset uniform in +-METERING_EV_SPAN),
    applied in linear light, so that a render's mean luminance lands near middle grey as a real
    camera's does.
    A grey frame (three equal channels: a mono camera's) stays grey: no colour matrix, and the
    noise is the same in all channels, as for the grayscale draw.

    Args: frames: (H, W, 3) uint8 images. Returns: the same number of (H, W, 3) uint8 images.
    """
    gray = rng.random() < 0.3
    brightness, contrast = rng.uniform(0.7, 1.3), rng.uniform(0.7, 1.3)
    gamma = rng.uniform(0.7, 1.5)
    blur_sigma = rng.uniform(0.3, 1.0) if rng.random() < 0.3 else 0.0
    noise_sigma = rng.uniform(0.0, 4.0)
    seeds = rng.integers(0, 2**31, size=len(frames))
    colour = colour_matrix(rng, colour_jitter) if colour_jitter > 0 and not gray else None
    gain = None
    if exposure_metering > 0 and rng.random() < exposure_metering:
        gain = metering_gain(frames[0].astype(np.float32) / 255.0, rng.uniform(-METERING_EV_SPAN, METERING_EV_SPAN))
    out = []
    for frame, seed in zip(frames, seeds):
        mono = gray or is_grey(frame)
        x = frame.astype(np.float32) / 255.0
        if gain is not None:
            x = apply_metering_gain(x, gain)
        if colour is not None and not mono:
            x = np.clip(x @ colour.T, 0.0, 1.0)
        if gray:
            x = np.repeat((x @ np.float32([0.299, 0.587, 0.114]))[..., None], 3, axis=-1)
        mean = float(x.mean())
        x = np.clip((x - mean) * contrast + mean, 0.0, 1.0) * brightness
        x = np.clip(x, 0.0, 1.0) ** gamma
        if blur_sigma > 0:
            x = cv2.GaussianBlur(x, (0, 0), blur_sigma)
        if noise_sigma > 0:
            shape = x.shape[:2] + ((1,) if mono else (3,))  # a mono sensor's noise is the same in all channels
            x = x + np.random.default_rng(int(seed)).normal(0.0, noise_sigma / 255.0, shape).astype(np.float32)
        out.append(np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8))
    return out
