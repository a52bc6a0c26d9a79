"""Loaders of the small real image sets used by ``benchmarks/bench_real.py``.

Every loader returns a :class:`RealSet`: RGB frames (grey sensors replicated to 3 channels),
depth where something measured it, pinhole intrinsics of the returned (rectified) images and
camera-to-world poses where the recording has them. Sets and what their "depth" is:

- ``kinect``: 5 Kinect RGB-D frames (16-bit mm depth, 0 invalid) with TUM-style poses.
- ``kitti``: KITTI odometry 00 frames 0-5 with ground-truth poses; depth only for frame 0, from
  OpenCV SGBM on its stereo pair (a stereo *reference*, not ground truth).
- ``euroc``: EuRoC V1_01_easy video, undistorted with the package's rectifier; no poses. Depth on
  the first frame: SGBM on its pair stereo-rectified with both cameras' calibration (a stereo
  *reference*, not ground truth), carried into the undistorted left image the networks see
  (:class:`EurocStereo`). The MAV stands still through these 95 frames (ORB: 0.007 deg a pair), so
  the other 18 right frames show the same view and are not scored again.
- ``middlebury``: the Middlebury 2014 Motorcycle pair at quarter resolution shipped by
  scikit-image, with its ground-truth disparity: ``Z = f * B / (d + doffs)``.
- ``oakd``: 12 OAK-D pairs of the stereodemo 0.7 wheel (unpacked by ``scripts/setup_env.sh``);
  depth is SGBM on the rectified pair, a relative reference only (no ground truth).

A set that cannot be loaded here raises :class:`SetUnavailable` with the reason.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.rectify import Rectifier
from mono_depth_ros.core.transforms import quat_to_matrix, se3
from training.data.import_euroc import read_sensor_extrinsics, read_sensor_yaml
from training.data.stereo import stereo_relative_depth

SET_NAMES = ("kinect", "kitti", "euroc", "middlebury", "oakd")
# the small real recordings beside a checkout on the project's machines (absent in a user's clone)
DEFAULT_DATA_ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
STEREODEMO_DIR = Path(sys.prefix) / "share" / "stereodemo" / "datasets" / "oak-d"
# Middlebury 2014 Motorcycle calibration divided by 4 (scikit-image ships the quarter-size pair).
MIDDLEBURY_F_PX, MIDDLEBURY_BASELINE_M, MIDDLEBURY_DOFFS_PX = 994.978, 0.193001, 31.086
MIDDLEBURY_CX_PX, MIDDLEBURY_CY_PX = 1244.772 / 4, 1019.507 / 4
KITTI_BASELINE_M = 0.5372


class SetUnavailable(Exception):
    """A real set cannot be loaded on this machine; ``str(exc)`` says why."""


@dataclass(frozen=True)
class RealFrame:
    """One image. rgb (H, W, 3) uint8; depth_m (H, W) float32 metres, NaN invalid, or None;
    pose (4, 4) camera-to-world (optical frame) or None; valid (H, W) bool pixels that saw the
    scene (False in the black border left by undistortion) or None for all."""

    name: str
    rgb: np.ndarray
    depth_m: np.ndarray | None = None
    pose: np.ndarray | None = None
    stamp_ns: int = 0
    valid: np.ndarray | None = None


@dataclass(frozen=True)
class RealSet:
    """Frames of one recording. ``depth_source``: "sensor", "ground truth", "SGBM reference" or
    "none"; ``video``: consecutive frames of one camera (ego-motion can be measured)."""

    name: str
    frames: tuple[RealFrame, ...]
    intrinsics: CameraIntrinsics
    depth_source: str
    video: bool
    note: str = ""

    @property
    def has_poses(self) -> bool:
        return self.video and all(f.pose is not None for f in self.frames)


def _read_grey_as_rgb(path: Path) -> np.ndarray:
    grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if grey is None:
        raise SetUnavailable(f"{path}: cannot read image")
    return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))


def _read_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SetUnavailable(f"{path}: cannot read image")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _require(folder: Path) -> Path:
    if not folder.is_dir():
        raise SetUnavailable(f"{folder} not found (real data only present on the project's machines)")
    return folder


def sgbm_depth_m(left_rgb: np.ndarray, right_rgb: np.ndarray, fx_px: float, baseline_m: float,
                 max_disparity_px: int) -> np.ndarray:
    """(H, W) float32 depth ``fx * B / d`` of the left image of a rectified pair from SGBM with a
    left-right check (training.data.stereo); NaN where the match is not confident."""
    stereo = stereo_relative_depth(left_rgb, right_rgb, max_disparity_px=max_disparity_px)
    with np.errstate(divide="ignore", invalid="ignore"):
        depth = (fx_px * baseline_m / stereo.disparity_px).astype(np.float32)
    depth[~np.isfinite(depth) | (depth <= 0)] = np.nan
    return depth


def load_kinect(root: Path, max_frames: int | None = None) -> RealSet:
    folder = _require(root / "rgbd_kinect_5frames")
    rows = [list(map(float, line.split())) for line in (folder / "pose.txt").read_text().splitlines() if line.strip()]
    frames = []
    for n, row in enumerate(rows[:max_frames], start=1):
        pose = se3(quat_to_matrix(row[3:7]), row[:3])
        depth_mm = cv2.imread(str(folder / "depth" / f"{n}.pgm"), cv2.IMREAD_UNCHANGED)
        depth = np.where(depth_mm > 0, depth_mm.astype(np.float32) / 1000.0, np.nan).astype(np.float32)
        # no stamps in the data: frames are numbered; 1 s apart stands in for time
        frames.append(RealFrame(f"kinect/{n}", _read_rgb(folder / "color" / f"{n}.png"), depth, pose,
                                (n - 1) * 10**9))
    intr = CameraIntrinsics(640, 480, 518.0, 519.0, 325.5, 253.5)
    return RealSet("kinect", tuple(frames), intr, "sensor", True, "Kinect depth (mm), TUM-style poses")


def load_kitti(root: Path, max_frames: int | None = None) -> RealSet:
    folder = _require(root / "kitti_odometry00_6frames")
    poses = [np.vstack([np.array(line.split(), float).reshape(3, 4), [0, 0, 0, 1]])
             for line in (folder / "poses.txt").read_text().splitlines() if line.strip()]
    times_s = [float(t) for t in (folder / "times.txt").read_text().split()]
    intr = CameraIntrinsics(1241, 376, 718.856, 718.856, 607.1928, 185.2157)
    frames = []
    for i, (pose, t_s) in enumerate(list(zip(poses, times_s))[:max_frames]):
        rgb = _read_grey_as_rgb(folder / "image_0" / f"{i:06d}.png")
        depth = None
        if i == 0:
            right = _read_grey_as_rgb(folder / "image_1" / "000000.png")
            depth = sgbm_depth_m(rgb, right, intr.fx, KITTI_BASELINE_M, max_disparity_px=128)
        frames.append(RealFrame(f"kitti/{i:06d}", rgb, depth, pose, int(round(t_s * 1e9))))
    return RealSet("kitti", tuple(frames), intr, "SGBM reference", True,
                   "depth of frame 0 only, from SGBM on its stereo pair (a reference, not ground truth)")


class EurocStereo:
    """SGBM depth of EuRoC's left camera from its unrectified stereo pair, in the left image as the
    package's rectifier undistorts it (what the networks see).

    The pair is stereo-rectified with both cameras' intrinsics, distortion and extrinsics
    (``cv2.stereoRectify``: the left camera turned by R1 onto the common image plane), matched by
    SGBM with a left-right check (:func:`sgbm_depth_m`), and each undistorted left pixel takes the
    depth where its ray meets the stereo-rectified image (same optical centre; z rescaled from the
    rotated frame to the unrotated one). NaN where SGBM is not confident.
    """

    MAX_DISPARITY_PX = 96  # 0.5 m at EuRoC's 0.11 m baseline and 458 px

    def __init__(self, left_yaml: Path, right_yaml: Path, undistorted: CameraIntrinsics) -> None:
        left, right = read_sensor_yaml(left_yaml), read_sensor_yaml(right_yaml)
        k_l, k_r = left.k, right.k
        d_l, d_r = (np.asarray(c.d, np.float64) for c in (left, right))
        right_from_left = np.linalg.inv(read_sensor_extrinsics(right_yaml)) @ read_sensor_extrinsics(left_yaml)
        size = (left.width, left.height)  # x_right = R x_left + T above
        r1, r2, p1, p2, *_ = cv2.stereoRectify(k_l, d_l, k_r, d_r, size, right_from_left[:3, :3],
                                               right_from_left[:3, 3:].copy(), flags=cv2.CALIB_ZERO_DISPARITY, alpha=0)
        self.baseline_m = float(np.linalg.norm(right_from_left[:3, 3]))
        self.fx_px = float(p1[0, 0])
        self.maps = [cv2.initUndistortRectifyMap(k, d, r, p, size, cv2.CV_32FC1)
                     for k, d, r, p in ((k_l, d_l, r1, p1), (k_r, d_r, r2, p2))]
        # each undistorted left pixel's ray, turned into the rectified frame and projected there
        u, v = np.meshgrid(np.arange(undistorted.width, dtype=np.float64), np.arange(undistorted.height, dtype=np.float64))
        rays = np.stack([(u - undistorted.cx) / undistorted.fx, (v - undistorted.cy) / undistorted.fy, np.ones_like(u)], -1)
        turned = rays @ r1.T
        self.z_ratio = (1.0 / turned[..., 2]).astype(np.float32)  # z_undistorted = z_rectified / turned_z
        self.lookup = ((p1[0, 0] * turned[..., 0] / turned[..., 2] + p1[0, 2]).astype(np.float32),
                       (p1[1, 1] * turned[..., 1] / turned[..., 2] + p1[1, 2]).astype(np.float32))

    def depth_m(self, left_raw: np.ndarray, right_raw: np.ndarray) -> np.ndarray:
        """(H, W) float32 metres in the undistorted left image of the raw (distorted) pair."""
        left, right = (cv2.remap(img, mx, my, cv2.INTER_LINEAR) for img, (mx, my) in zip((left_raw, right_raw), self.maps))
        depth = sgbm_depth_m(left, right, self.fx_px, self.baseline_m, self.MAX_DISPARITY_PX)
        carried = cv2.remap(depth, *self.lookup, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT,
                            borderValue=float("nan"))
        return carried * self.z_ratio


def load_euroc(root: Path, max_frames: int | None = None) -> RealSet:
    folder = _require(root / "euroc_v101_micro" / "cam0")
    rectifier = Rectifier.build(read_sensor_yaml(folder / "sensor.yaml"))
    right_folder = root / "euroc_v101_micro" / "cam1"
    stereo = EurocStereo(folder / "sensor.yaml", right_folder / "sensor.yaml", rectifier.rectified) \
        if (right_folder / "sensor.yaml").is_file() else None
    rows = [line.split(",") for line in (folder / "data.csv").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    frames, valid, has_depth = [], rectifier.valid_mask(), False
    for stamp, filename in rows[:max_frames]:
        raw = _read_grey_as_rgb(folder / "data" / filename.strip())
        right_path = right_folder / "data" / filename.strip()
        depth = None
        if stereo and not has_depth and right_path.is_file():  # the MAV is at rest: the first pair is the view
            depth = stereo.depth_m(raw, _read_grey_as_rgb(right_path))
            depth[~valid] = np.nan
            has_depth = True
        frames.append(RealFrame(f"euroc/{stamp}", rectifier.apply(raw), depth, None, int(stamp), valid))
    return RealSet("euroc", tuple(frames), rectifier.rectified, "SGBM reference" if has_depth else "none", True,
                   "undistorted (k1 = -0.28) with the package's rectifier; no ground truth"
                   + ("; depth on the first frame from SGBM on its stereo-rectified pair (the MAV is at rest "
                      "through the clip: its 19 pairs show one view)" if has_depth else ""))


def load_middlebury(root: Path | None = None, max_frames: int | None = None) -> RealSet:
    try:
        from skimage.data import stereo_motorcycle
    except ImportError as exc:
        raise SetUnavailable(f"scikit-image not installed ({exc})") from exc
    left, _right, disparity_px = stereo_motorcycle()
    with np.errstate(invalid="ignore"):
        depth = (MIDDLEBURY_F_PX * MIDDLEBURY_BASELINE_M / (disparity_px + MIDDLEBURY_DOFFS_PX)).astype(np.float32)
    depth[~np.isfinite(depth) | (depth <= 0)] = np.nan  # invalid disparity is inf/NaN
    intr = CameraIntrinsics(left.shape[1], left.shape[0], MIDDLEBURY_F_PX, MIDDLEBURY_F_PX,
                            MIDDLEBURY_CX_PX, MIDDLEBURY_CY_PX)
    return RealSet("middlebury", (RealFrame("middlebury/motorcycle", np.ascontiguousarray(left), depth),),
                   intr, "ground truth", False, "Middlebury 2014 Motorcycle (quarter size), Z = f*B/(d+doffs)")


def load_oakd(folder: Path = STEREODEMO_DIR, max_frames: int | None = None) -> RealSet:
    calib_path = folder / "stereodemo_calibration.json"
    if not calib_path.is_file():
        raise SetUnavailable(f"{calib_path} not found: scripts/setup_env.sh unpacks the stereodemo 0.7 wheel there")
    calib = json.loads(calib_path.read_text())
    intr = CameraIntrinsics(calib["width"], calib["height"], calib["fx"], calib["fy"], calib["cx0"], calib["cy"])
    x0, y0, x1, y1 = calib["left_image_rect_normalized"]  # region of the left image with valid pixels
    region = np.zeros((intr.height, intr.width), bool)
    region[int(round(y0 * intr.height)):int(round(y1 * intr.height)), int(round(x0 * intr.width)):
           int(round(x1 * intr.width))] = True
    frames = []
    for left_path in sorted(folder.glob("*_left.png"))[:max_frames]:
        left = _read_grey_as_rgb(left_path)
        right = _read_grey_as_rgb(left_path.with_name(left_path.name.replace("_left", "_right")))
        depth = sgbm_depth_m(left, right, intr.fx, calib["baseline_meters"], max_disparity_px=96)
        depth[~region] = np.nan
        frames.append(RealFrame(f"oakd/{left_path.name[:-9]}", left, depth, valid=region))
    return RealSet("oakd", tuple(frames), intr, "SGBM reference", False,
                   "OAK-D pairs (stereodemo); depth from SGBM, a relative reference only")


def load_set(name: str, data_root: Path, max_frames: int | None = None,
             stereodemo_dir: Path = STEREODEMO_DIR) -> RealSet:
    """The set ``name`` (one of SET_NAMES); ``data_root`` is ``../shared/data/real``.
    Raises SetUnavailable with the reason when its files or packages are missing."""
    if name == "oakd":
        return load_oakd(Path(stereodemo_dir), max_frames)
    loaders = {"kinect": load_kinect, "kitti": load_kitti, "euroc": load_euroc, "middlebury": load_middlebury}
    if name not in loaders:
        raise ValueError(f"set={name!r}: expected one of {', '.join(SET_NAMES)}")
    return loaders[name](Path(data_root), max_frames)
