"""Torch datasets over an extracted dataset folder (never bags).

Every dataset takes ``output_hw`` = (H, W) and resizes images (bilinear), depth (nearest) and
intrinsics (scaled). Samples are the batch dataclasses of :mod:`training.data.batches` without
the batch dimension; :func:`training.data.batches.collate` stacks them.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from mono_depth_ros.core.camera import CameraIntrinsics
from training.data import folder_format as ff
from training.data.augment import eigen_augment
from training.data.batches import DepthBatch, FramesBatch, RelativeDepthBatch
from training.data.stereo import stereo_relative_depth


class DatasetFolder:
    """Random access to one extracted folder: rgb, depth, right, intrinsics, poses, splits."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.records = ff.read_manifest(self.path / "manifest.csv")
        if not self.records:
            raise FileNotFoundError(f"path={str(self.path)!r}: no manifest.csv with frames (run extract)")
        self.by_index = {r.index: r for r in self.records}
        self.intrinsics, self.baseline_m = ff.read_intrinsics(self.path / "intrinsics.yaml")
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

    def pose(self, index: int) -> np.ndarray | None:
        """(4, 4) optical-frame pose in odom, or None."""
        return self.poses.get(self.by_index[index].stamp_ns)


def _resize_rgb(rgb: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    return cv2.resize(rgb, (hw[1], hw[0]), interpolation=cv2.INTER_AREA if rgb.shape[0] > hw[0] else cv2.INTER_LINEAR)


def _resize_nearest(arr: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    return cv2.resize(arr, (hw[1], hw[0]), interpolation=cv2.INTER_NEAREST)


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
                 augment: bool = False, seed: int = 0) -> None:
        self.folder = folder if isinstance(folder, DatasetFolder) else DatasetFolder(folder)
        self.output_hw = _check_hw(output_hw)
        self.indices = [i for i in self.folder.indices(split) if self.folder.by_index[i].depth]
        self.augment, self.seed, self.epoch = augment, seed, 0

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, item: int) -> DepthBatch:
        index = self.indices[item]
        rgb, depth_m = self.folder.rgb(index), self.folder.depth_m(index)
        if self.augment:
            rng = np.random.default_rng((self.seed, self.epoch, index))
            rgb, depth_m = eigen_augment(rgb, depth_m, self.output_hw, rng)
        else:
            rgb, depth_m = _resize_rgb(rgb, self.output_hw), _resize_nearest(depth_m, self.output_hw)
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
                 source: str = "auto", flip: bool = False, seed: int = 0) -> None:
        if source not in ("auto", "depth", "stereo"):
            raise ValueError(f"source={source!r}: expected 'auto', 'depth' or 'stereo'")
        self.folder = folder if isinstance(folder, DatasetFolder) else DatasetFolder(folder)
        self.output_hw, self.source, self.flip, self.seed = _check_hw(output_hw), source, flip, seed
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
        rgb, target = _resize_rgb(rgb, self.output_hw), _resize_nearest(target, self.output_hw)
        if self.flip and np.random.default_rng((self.seed, index)).random() < 0.5:
            rgb, target = rgb[:, ::-1], target[:, ::-1]
        valid = np.isfinite(target) & (target > 0)
        scale = float(np.median(target[valid])) if valid.any() else 1.0
        target = np.where(valid, target / scale, 0).astype(np.float32)
        return RelativeDepthBatch(_rgb_tensor(rgb), _map_tensor(target), _map_tensor(valid))


class Li2020Dataset(Dataset):
    """Runs of ``length`` consecutive frames (pairs: 2, triplets: 3) within one split chunk.

    Sample: :class:`FramesBatch`: rgb (T, 3, H, W), intrinsics (3, 3) scaled to ``output_hw``
    (zeros when unknown), intrinsics_known () bool, pose (T, 4, 4) optical-frame poses in odom
    (identity where unknown), pose_valid (T,) bool.
    """

    def __init__(self, folder: DatasetFolder | str | Path, split: str, output_hw: tuple[int, int],
                 length: int = 3, stride: int = 1) -> None:
        if length < 2:
            raise ValueError(f"length={length}: need at least 2 frames")
        self.folder = folder if isinstance(folder, DatasetFolder) else DatasetFolder(folder)
        self.output_hw, self.length, self.stride = _check_hw(output_hw), length, stride
        present = set(self.folder.indices(split))
        span = (length - 1) * stride
        self.starts = [i for i in sorted(present) if all(i + k * stride in present for k in range(1, length))
                       and span >= 0]
        intr = self.folder.intrinsics
        self.intrinsics: CameraIntrinsics | None = intr.scaled(self.output_hw[1], self.output_hw[0]) if intr else None

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, item: int) -> FramesBatch:
        frames = [self.starts[item] + k * self.stride for k in range(self.length)]
        rgb = torch.stack([_rgb_tensor(_resize_rgb(self.folder.rgb(i), self.output_hw)) for i in frames])
        poses = [self.folder.pose(i) for i in frames]
        pose = torch.from_numpy(np.stack([p if p is not None else np.eye(4) for p in poses])).float()
        k = torch.from_numpy(self.intrinsics.k).float() if self.intrinsics else torch.zeros(3, 3)
        return FramesBatch(rgb, k, torch.tensor(self.intrinsics is not None), pose,
                           torch.tensor([p is not None for p in poses]))
