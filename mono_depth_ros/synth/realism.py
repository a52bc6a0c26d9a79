"""What makes a synthetic frame look like a real camera's: camera rig sampled from real cameras,
and the sensor "look" (exposure, lighting, noise, blur, vignetting, grayscale sensors).

Everything is drawn from a seed once per sequence (``sample_rig``, ``sample_look``), except the
sensor noise, which is drawn per frame from (seed, frame index) so any frame renders alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

CAMERA_MODES = ("fixed", "real")
LOOK_MODES = ("clean", "real")

# (width / height) of real cameras: Kinect/TUM/NYU 4:3, EuRoC 752x480, OAK-D/RealSense 16:10 and 16:9
_INDOOR_ASPECTS = (4 / 3, 4 / 3, 16 / 10, 752 / 480, 16 / 9)
# KITTI 1241x376 (3.3:1) and its 1242x375 colour frames, dashcams 16:9 and 2:1, a 4:3 robot camera
_STREET_ASPECTS = (1241 / 376, 1241 / 376, 2.0, 16 / 9, 4 / 3)


@dataclass(frozen=True)
class CameraRig:
    """Camera mounting and lens drawn from real cameras.

    Attributes:
        aspect: width / height of the image.
        hfov_deg: horizontal field of view of the ideal pinhole.
        height_m: camera height above the floor / road.
        pitch_rad: constant pitch of the body (positive looks down, REP 103 y axis).
        roll_rad: constant roll of the body.
        yaw_rad: constant heading offset from the direction of travel (looking at a side wall).
    """

    aspect: float
    hfov_deg: float
    height_m: float
    pitch_rad: float = 0.0
    roll_rad: float = 0.0
    yaw_rad: float = 0.0

    def size_wh(self, height_px: int) -> tuple[int, int]:
        """(width, height) with the rig's aspect for an image ``height_px`` rows tall (even width)."""
        return max(8, 2 * int(round(height_px * self.aspect / 2))), int(height_px)


def fixed_rig(size_wh: tuple[int, int], scene: str = "indoor") -> CameraRig:
    """The historical camera: 66 deg horizontal FOV, 1.5 m high, level, the given aspect; for
    ``scene="desk"`` 1.2 m high, turned 70 deg left and 30 deg down, towards the desks."""
    if scene == "desk":
        return CameraRig(size_wh[0] / size_wh[1], 66.0, 1.2, float(np.radians(30.0)), 0.0, float(np.radians(70.0)))
    return CameraRig(size_wh[0] / size_wh[1], 66.0, 1.5)


def sample_rig(rng: np.random.Generator, scene: str) -> CameraRig:
    """A camera as mounted on real platforms.

    Indoors: hand-held or robot, 0.3-1.7 m high, 55-90 deg HFOV (Kinect 62, OAK-D mono 72,
    EuRoC ~80 before rectification), pitch -5..+20 deg down, roll +-6 deg, and in 60 % of rooms
    a heading 15-65 deg off the direction of travel (walls, shelves and tables seen close-up, as
    Kinect/TUM sequences do; not only down the room). Street: a car camera at
    1.65 m (+-0.1), or occasionally a hand-held one (1.3-1.7 m); 80-90 deg HFOV for the wide
    KITTI-like aspect, pitch +-3 deg, roll +-2 deg. Desk (close range): hand-held at 1.1-1.6 m
    (standing) or 1.05-1.25 m (seated, above any desk top), turned 45-90 deg left towards the desks, 15-45 deg down,
    roll +-6 deg, 55-90 deg HFOV.
    """
    if scene == "desk":
        aspect = float(rng.choice(_INDOOR_ASPECTS))
        height = rng.uniform(1.1, 1.6) if rng.random() < 0.6 else rng.uniform(1.05, 1.25)
        hfov = float(rng.uniform(55.0, 90.0))
        return CameraRig(aspect, hfov, float(height), float(np.radians(rng.uniform(15.0, 45.0))),
                         float(np.radians(rng.uniform(-6.0, 6.0))), float(np.radians(rng.uniform(45.0, 90.0))))
    if scene == "indoor":
        aspect = float(rng.choice(_INDOOR_ASPECTS))
        robot = rng.random() < 0.35
        height = rng.uniform(0.3, 0.7) if robot else rng.uniform(0.9, 1.7)
        pitch = np.radians(rng.uniform(-5.0, 20.0 if not robot else 8.0))
        hfov, roll = float(rng.uniform(55.0, 90.0)), float(np.radians(rng.uniform(-6.0, 6.0)))
        yaw = np.radians(rng.choice([-1.0, 1.0]) * rng.uniform(15.0, 65.0)) if rng.random() < 0.6 else 0.0
        return CameraRig(aspect, hfov, float(height), float(pitch), roll, float(yaw))
    aspect = float(rng.choice(_STREET_ASPECTS))
    height = rng.uniform(1.55, 1.75) if rng.random() < 0.8 else rng.uniform(1.3, 1.7)
    hfov = rng.uniform(80.0, 90.0) if aspect > 2.5 else rng.uniform(60.0, 85.0)
    return CameraRig(aspect, float(hfov), float(height), float(np.radians(rng.uniform(-3.0, 3.0))),
                     float(np.radians(rng.uniform(-2.0, 2.0))))


@dataclass(frozen=True)
class Look:
    """Sensor and lighting appearance of one sequence.

    Attributes:
        gain: exposure multiplier (under/over exposure).
        gamma: tone curve exponent applied to [0, 1] intensities.
        white_balance: (3,) per-channel multipliers.
        vignetting: relative fall-off at the image corner (0 = none).
        blur_px: Gaussian sigma of optics/motion blur in pixels (0 = sharp).
        noise_std: read noise standard deviation in 8-bit levels (plus shot noise ~ sqrt).
        grayscale: a mono sensor: all three channels carry the same luminance.
    """

    gain: float = 1.0
    gamma: float = 1.0
    white_balance: tuple[float, float, float] = (1.0, 1.0, 1.0)
    vignetting: float = 0.0
    blur_px: float = 0.0
    noise_std: float = 0.0
    grayscale: bool = False


def sample_look(rng: np.random.Generator, grayscale_fraction: float = 0.3) -> Look:
    """Exposure 0.55-1.6x, gamma 0.8-1.25, white balance +-12 %, vignetting 0-0.45, blur 0-1.2 px,
    noise 0.5-5 levels; ``grayscale_fraction`` of sequences are mono sensors."""
    return Look(gain=float(np.exp(rng.uniform(np.log(0.55), np.log(1.6)))), gamma=float(rng.uniform(0.8, 1.25)),
                white_balance=tuple(float(v) for v in rng.uniform(0.88, 1.12, 3)),
                vignetting=float(rng.uniform(0.0, 0.45)), blur_px=float(rng.choice([0.0, rng.uniform(0.3, 1.2)])),
                noise_std=float(rng.uniform(0.5, 5.0)), grayscale=bool(rng.random() < grayscale_fraction))


class LookApplier:
    """Applies a :class:`Look` to rendered (H, W, 3) uint8 frames; precomputes the vignette."""

    def __init__(self, look: Look, width: int, height: int, seed: int) -> None:
        self.look = look
        self.seed = int(seed)
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        half_w, half_h = (width - 1) / 2, (height - 1) / 2
        r2 = ((x - half_w) ** 2 + (y - half_h) ** 2) / (half_w**2 + half_h**2)  # 0 centre, 1 corner
        # cos^4-like fall-off, normalised so the corner loses ``vignetting``
        self._gain_map = ((1.0 - look.vignetting * r2) * look.gain)[..., None].astype(np.float32)
        self._wb = np.asarray(look.white_balance, np.float32)

    def __call__(self, rgb: np.ndarray, index: int) -> np.ndarray:
        """(H, W, 3) uint8 -> (H, W, 3) uint8 as the sensor would record frame ``index``."""
        look = self.look
        img = rgb.astype(np.float32) * (self._gain_map / 255.0)
        if look.grayscale:
            img = np.repeat(img @ np.array([[0.299], [0.587], [0.114]], np.float32), 3, axis=2)
        else:
            img = img * self._wb
        img = np.clip(img, 0.0, 1.0) ** np.float32(look.gamma)
        if look.blur_px > 0:
            img = cv2.GaussianBlur(img, (0, 0), look.blur_px)
        rng = np.random.default_rng((self.seed, int(index), 5))
        shape = img.shape[:2] + ((1,) if look.grayscale else (3,))
        sigma = np.sqrt((look.noise_std / 255.0) ** 2 + img[..., :shape[2]] * (look.noise_std / 255.0) / 20.0)
        img = img + rng.standard_normal(shape, dtype=np.float32) * sigma.astype(np.float32)
        return np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)
