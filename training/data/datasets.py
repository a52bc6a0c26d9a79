"""Torch datasets over an extracted dataset folder (never bags).

Every dataset takes ``output_hw`` = (H, W) and fits frames to it with
:func:`mono_depth_ros.core.fit.plan_fit` (``resize_mode`` crop | pad | stretch, the nodes'
default crop): images area/bilinear, depth nearest, intrinsics through ``ImageFit.intrinsics``.
With ``augment`` the paper's augmentation (:mod:`training.data.augment`) replaces the plain fit;
``camera_augment`` adds this project's camera-robustness augmentation (not from the papers).
Random draws are seeded by ``(seed, epoch, index)``; the method sets ``epoch`` every epoch. Samples are the batch dataclasses of :mod:`training.data.batches` without
the batch dimension; :func:`training.data.batches.collate` stacks them.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from training.data import folder_format as ff
from mono_depth_ros.core.fit import DEFAULT_RESIZE_MODE, plan_fit
from training.data.augment import (camera_augment, eigen_augment, li2020_crop_resize_flip, mean_abs_difference,
                                   mirror_pose)
from training.data.batches import DepthBatch, FramesBatch, RelativeDepthBatch
from training.data.stereo import stereo_relative_depth

LOG = logging.getLogger(__name__)


class DatasetFolder:
    """Random access to one extracted folder: rgb, depth, right, intrinsics, poses, splits."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.records = ff.read_manifest(self.path / "manifest.csv")
        if not self.records:
            raise FileNotFoundError(f"path={str(self.path)!r}: no manifest.csv with frames (run extract)")
        self.by_index = {r.index: r for r in self.records}
        self.intrinsics, self.baseline_m = ff.read_intrinsics(self.path / "intrinsics.yaml")
        self.cameras = ff.read_cameras(self.path / "intrinsics.yaml")  # per calibration (manifest column camera)
        self.poses = ff.read_poses_tum(self.path / "poses_tum.txt")

    def indices(self, split: str) -> list[int]:
        """Frame indices of ``split`` ("train" | "val" | "test" | "all"), sorted."""
        if split == "all":
            return sorted(self.by_index)
        return [i for i in ff.read_split(self.path, split) if i in self.by_index]

    def rgb(self, index: int) -> np.ndarray:
        """(H, W, 3) uint8."""
        return ff.read_rgb(self.path / self.by_index[index].rgb)

    def depth_m(self, index: int) -> np.ndarray | None:
        """(H, W) float32 metres, NaN invalid; None when the frame has no depth."""
        rec = self.by_index[index]
        return ff.read_depth(self.path / rec.depth) if rec.depth else None

    def right(self, index: int) -> np.ndarray | None:
        rec = self.by_index[index]
        return ff.read_rgb(self.path / rec.right) if rec.right else None

    def intrinsics_of(self, index: int) -> CameraIntrinsics | None:
        """Intrinsics of the calibration in force for frame ``index`` (camera_info may change mid-bag)."""
        camera = self.by_index[index].camera
        return self.cameras[camera] if 0 <= camera < len(self.cameras) else None

    def pose(self, index: int) -> np.ndarray | None:
        """(4, 4) optical-frame pose in odom, or None."""
        return self.poses.get(self.by_index[index].stamp_ns)


def _fit(image: np.ndarray, output_hw: tuple[int, int], mode: str, nearest: bool = False) -> np.ndarray:
    """Fit ``image`` (H, W[, C]) to ``output_hw`` with the nodes' one mechanism (``plan_fit``)."""
    return plan_fit(image.shape[:2], output_hw, mode).apply(image, nearest=nearest)


def _at_size(plane: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """A depth/target plane (nearest) at the rgb's ``hw`` when recorded at another resolution."""
    if plane.shape[:2] == tuple(hw):
        return plane
    return cv2.resize(plane, (int(hw[1]), int(hw[0])), interpolation=cv2.INTER_NEAREST)


def _rgb_tensor(rgb: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 -> (3, H, W) float32 in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1))).float().div_(255.0)


def _map_tensor(arr: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(arr))[None]


def _check_hw(output_hw) -> tuple[int, int]:
    h, w = (int(v) for v in output_hw)
    if h < 8 or w < 8:
        raise ValueError(f"output_hw={output_hw}: height and width must be >= 8")
    return h, w


class Eigen2014Dataset(Dataset):
    """Single frames with metric depth + validity, with the paper's augmentation when ``augment``.

    Sample: :class:`DepthBatch` with rgb (3, H, W) [0, 1], depth_m (1, H, W) (0 where invalid),
    valid (1, H, W) bool. Frames without depth are left out.
    """

    def __init__(self, folder: DatasetFolder | str | Path, split: str, output_hw: tuple[int, int],
                 augment: bool = False, seed: int = 0, resize_mode: str = DEFAULT_RESIZE_MODE,
                 camera_augment: bool = False, colour_jitter: float = 0.0,
                 exposure_metering: float = 0.0) -> None:
        self.folder = folder if isinstance(folder, DatasetFolder) else DatasetFolder(folder)
        self.output_hw, self.colour_jitter = _check_hw(output_hw), colour_jitter
        self.exposure_metering = exposure_metering
        self.indices = [i for i in self.folder.indices(split) if self.folder.by_index[i].depth]
        self.augment, self.seed, self.epoch = augment, seed, 0
        self.resize_mode, self.camera_augment = resize_mode, camera_augment

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, item: int) -> DepthBatch:
        index = self.indices[item]
        rgb = self.folder.rgb(index)
        depth_m = _at_size(self.folder.depth_m(index), rgb.shape[:2])
        rng = np.random.default_rng((self.seed, self.epoch, index))
        if self.augment:
            rgb, depth_m = eigen_augment(rgb, depth_m, self.output_hw, rng, self.resize_mode)
        else:
            rgb, depth_m = _fit(rgb, self.output_hw, self.resize_mode), \
                _fit(depth_m, self.output_hw, self.resize_mode, nearest=True)
        if self.camera_augment:
            rgb = camera_augment([rgb], rng, self.colour_jitter, self.exposure_metering)[0]
        valid = np.isfinite(depth_m) & (depth_m > 0)
        return DepthBatch(_rgb_tensor(rgb), _map_tensor(np.where(valid, depth_m, 0).astype(np.float32)),
                          _map_tensor(valid))


class Xian2018Dataset(Dataset):
    """Single frames with a relative-depth target (larger = farther) and validity.

    Target from depth when the frame has depth (``source="auto"|"depth"``), otherwise (or with
    ``source="stereo"``) from the stereo pair: inverse disparity with left-right check.
    Sample: :class:`RelativeDepthBatch`: rgb (3, H, W), target (1, H, W) (0 where invalid,
    median-normalised), valid (1, H, W) bool.
    """

    def __init__(self, folder: DatasetFolder | str | Path, split: str, output_hw: tuple[int, int],
                 source: str = "auto", flip: bool = False, seed: int = 0, resize_mode: str = DEFAULT_RESIZE_MODE,
                 camera_augment: bool = False, colour_jitter: float = 0.0,
                 exposure_metering: float = 0.0) -> None:
        if source not in ("auto", "depth", "stereo"):
            raise ValueError(f"source={source!r}: expected 'auto', 'depth' or 'stereo'")
        self.folder = folder if isinstance(folder, DatasetFolder) else DatasetFolder(folder)
        self.output_hw, self.source, self.flip, self.seed = _check_hw(output_hw), source, flip, seed
        self.resize_mode, self.camera_augment, self.epoch = resize_mode, camera_augment, 0
        self.colour_jitter = colour_jitter
        self.exposure_metering = exposure_metering
        self.indices = [i for i in self.folder.indices(split) if self._usable(self.folder.by_index[i])]

    def _usable(self, rec: ff.FrameRecord) -> bool:
        return bool(rec.depth) if self.source == "depth" else bool(rec.right) if self.source == "stereo" \
            else bool(rec.depth or rec.right)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, item: int) -> RelativeDepthBatch:
        index = self.indices[item]
        rgb = self.folder.rgb(index)
        rec = self.folder.by_index[index]
        if rec.depth and self.source != "stereo":
            target = self.folder.depth_m(index)
        else:
            target = stereo_relative_depth(rgb, self.folder.right(index)).relative_depth
        target = _at_size(target, rgb.shape[:2])
        rgb, target = _fit(rgb, self.output_hw, self.resize_mode), _fit(target, self.output_hw, self.resize_mode, True)
        rng = np.random.default_rng((self.seed, self.epoch, index))
        if self.flip and rng.random() < 0.5:
            rgb, target = rgb[:, ::-1], target[:, ::-1]
        if self.camera_augment:
            rgb = camera_augment([np.ascontiguousarray(rgb)], rng, self.colour_jitter, self.exposure_metering)[0]
        valid = np.isfinite(target) & (target > 0)
        scale = float(np.median(target[valid])) if valid.any() else 1.0
        target = np.where(valid, target / scale, 0).astype(np.float32)
        return RelativeDepthBatch(_rgb_tensor(rgb), _map_tensor(target), _map_tensor(valid))


class Li2020Dataset(Dataset):
    """Runs of ``length`` consecutive frames (pairs: 2, triplets: 3) within one split chunk.

    ``augment``: the official random crop-and-resize (+ flip) with intrinsics adjusted, the same
    for every frame of a run. ``duplicates_filter_threshold`` > 0: the official duplicate filter
    leaves out runs where two consecutive frames differ by a mean absolute RGB difference (on the
    [0, 1] scale, measured on the frames fitted to ``output_hw``) not above it (a robot standing
    still teaches nothing and pulls depth to infinity); ``dropped_duplicates`` counts them and
    ``run_differences`` holds every candidate run's smallest difference (empty without the filter).
    ``max_stride`` > ``stride`` (ours): each sample's stride is drawn evenly, per epoch and run,
    from ``stride``..``max_stride`` among those whose frames all exist in the same chunk and
    camera (runs are enumerated, and duplicates filtered, at ``stride``).

    Sample: :class:`FramesBatch`: rgb (T, 3, H, W), intrinsics (3, 3) at ``output_hw`` (zeros when
    unknown), intrinsics_known () bool, pose (T, 4, 4) optical-frame poses in odom (identity where
    unknown; mirrored with the images when the augmentation flips them), pose_valid (T,) bool.
    """

    def __init__(self, folder: DatasetFolder | str | Path, split: str, output_hw: tuple[int, int],
                 length: int = 3, stride: int = 1, augment: bool = False, seed: int = 0,
                 resize_mode: str = DEFAULT_RESIZE_MODE, camera_augment: bool = False,
                 duplicates_filter_threshold: float = 0.0, colour_jitter: float = 0.0,
                 exposure_metering: float = 0.0, max_stride: int | None = None) -> None:
        if length < 2:
            raise ValueError(f"length={length}: need at least 2 frames")
        if stride < 1 or (max_stride is not None and max_stride < stride):
            raise ValueError(f"stride={stride}, max_stride={max_stride}: need 1 <= stride <= max_stride")
        self.folder = folder if isinstance(folder, DatasetFolder) else DatasetFolder(folder)
        self.output_hw, self.length, self.stride = _check_hw(output_hw), length, stride
        self.augment, self.seed, self.epoch = augment, seed, 0
        self.resize_mode, self.camera_augment, self.colour_jitter = resize_mode, camera_augment, colour_jitter
        self.exposure_metering = exposure_metering
        present = set(self.folder.indices(split))
        camera = {i: self.folder.by_index[i].camera for i in present}  # nor a recalibration, nor a frame_id change
        self.max_stride = stride if max_stride is None else max_stride
        self._present, self._camera = present, camera
        starts = [i for i in sorted(present) if self._fits(i, stride)]
        self.duplicates_filter_threshold = duplicates_filter_threshold
        self.run_differences: list[float] = []
        self.starts = self._drop_duplicates(starts, duplicates_filter_threshold)
        self.dropped_duplicates = len(starts) - len(self.starts)
        if self.dropped_duplicates:
            LOG.info("%s: %d of %d runs left out as near-duplicates (mean |rgb difference| <= %g)",
                     self.folder.path, self.dropped_duplicates, len(starts), duplicates_filter_threshold)

    def _fits(self, start: int, stride: int) -> bool:
        """Whether the run from ``start`` at ``stride`` has all its frames, from one camera."""
        return all(start + k * stride in self._present and self._camera[start + k * stride] == self._camera[start]
                   for k in range(1, self.length))

    def stride_of(self, item: int) -> int:
        """The stride of sample ``item`` this epoch (``stride`` unless ``max_stride`` is larger)."""
        start = self.starts[item]
        if self.max_stride == self.stride:
            return self.stride
        fitting = [s for s in range(self.stride, self.max_stride + 1) if self._fits(start, s)]
        return int(np.random.default_rng((self.seed, self.epoch, start, 7)).choice(fitting))

    def _drop_duplicates(self, starts: list[int], threshold: float) -> list[int]:
        if threshold <= 0:
            return starts
        small: dict[int, np.ndarray] = {}

        def frame(i: int) -> np.ndarray:
            if i not in small:
                small[i] = _fit(self.folder.rgb(i), self.output_hw, self.resize_mode)
            return small[i]

        self.run_differences = [min(mean_abs_difference(frame(i + k * self.stride), frame(i + (k + 1) * self.stride))
                                    for k in range(self.length - 1)) for i in starts]
        return [i for i, difference in zip(starts, self.run_differences) if difference > threshold]

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, item: int) -> FramesBatch:
        stride = self.stride_of(item)
        frames = [self.starts[item] + k * stride for k in range(self.length)]
        images = [self.folder.rgb(i) for i in frames]
        intr = self.folder.intrinsics_of(frames[0])
        if intr is not None and (intr.height, intr.width) != images[0].shape[:2]:
            intr = intr.scaled(images[0].shape[1], images[0].shape[0])
        rng = np.random.default_rng((self.seed, self.epoch, frames[0]))
        flipped = False
        if self.augment:
            images, intr, flipped = li2020_crop_resize_flip(images, intr, self.output_hw, rng, self.resize_mode)
        else:
            fit = plan_fit(images[0].shape[:2], self.output_hw, self.resize_mode)
            images, intr = [fit.apply(im) for im in images], (fit.intrinsics(intr) if intr is not None else None)
        if self.camera_augment:
            images = camera_augment(images, rng, self.colour_jitter, self.exposure_metering)
        rgb = torch.stack([_rgb_tensor(im) for im in images])
        poses = [self.folder.pose(i) for i in frames]
        poses = [mirror_pose(p) if flipped and p is not None else p for p in poses]
        pose = torch.from_numpy(np.stack([p if p is not None else np.eye(4) for p in poses])).float()
        k = torch.from_numpy(intr.k).float() if intr is not None else torch.zeros(3, 3)
        return FramesBatch(rgb, k, torch.tensor(intr is not None), pose, torch.tensor([p is not None for p in poses]))
