"""The dataset folder format written by ``extract`` and read by the datasets (never bags).

Layout::

    rgb/{index:06d}.png        8-bit RGB, or 8-bit grey (1 channel) for a grey frame (mono camera)
    depth/{index:06d}.png      16-bit millimetres, 0 = invalid   (or .npy float32 metres, NaN invalid)
    right/{index:06d}.png      the right stereo camera's frame, as rgb/ (optional)
    intrinsics.yaml            width, height, fx, fy, cx, cy, distortion_model, d, [baseline_m],
                               source, [raw: the recorded K and D when the images were rectified],
                               [cameras: one such entry per calibration when it changed mid-bag]
    poses_tum.txt              "stamp_s tx ty tz qx qy qz qw": optical-frame pose in odom
    manifest.csv               index,stamp_ns,rgb,depth,right,camera (paths relative to the folder;
                               camera: index into intrinsics.yaml's cameras; negative: no
                               calibration, -1 for the first image frame_id, -2 the next, ...)
    splits/{train,val,test}.txt  one index per line, contiguous chunks

The top level of intrinsics.yaml is camera 0 (the first calibration used), so readers that know
one camera only keep working.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import yaml

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.transforms import matrix_to_quat, quat_to_matrix, se3

MANIFEST_FIELDS = ("index", "stamp_ns", "rgb", "depth", "right", "camera")
MIN_HELD_OUT = 3  # frames of val and of test (a li2020 snippet is 3 frames)
MAX_DEPTH_PNG_M = 65.535
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class FrameRecord:
    """One manifest row; file paths relative to the folder, '' when absent."""

    index: int
    stamp_ns: int
    rgb: str
    depth: str = ""
    right: str = ""
    camera: int = 0


def _atomic(path: Path, write) -> None:
    """Write through a temporary name then rename, so a crash never leaves a half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    write(tmp)
    os.replace(tmp, path)


def is_grey(rgb: np.ndarray) -> bool:
    """Whether an (H, W, 3) image has three equal channels (a mono camera's frame), or is (H, W)."""
    return rgb.ndim == 2 or bool((rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all())


def write_rgb(path: Path, rgb: np.ndarray) -> None:
    """(H, W, 3) uint8 RGB -> PNG: 8-bit grey (one channel) when the three channels are equal (a
    mono8 / mono16 camera: a third of the bytes, and the file says what the camera saw), else RGB.
    Lossless either way: :func:`read_rgb` gives back the same (H, W, 3)."""
    out = rgb if rgb.ndim == 2 else rgb[..., 0] if is_grey(rgb) else cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    _atomic(path, lambda p: _imwrite(p, np.ascontiguousarray(out)))


def read_rgb(path: Path) -> np.ndarray:
    """PNG (RGB, or grey: its value in all three channels) -> (H, W, 3) uint8 RGB, the one input
    every reader (datasets, evaluate, int8 calibration's ``cv2.IMREAD_COLOR``) gets."""
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f"rgb image {str(path)!r} is missing or unreadable")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def write_depth(path: Path, depth_m: np.ndarray) -> None:
    """(H, W) metres (NaN/inf/<=0 invalid) -> 16-bit mm PNG (0 invalid, >65.535 m invalid) or .npy."""
    depth_m = np.asarray(depth_m, np.float32)
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(depth_m) & (depth_m > 0)
    if path.suffix == ".npy":
        out = np.where(valid, depth_m, np.nan).astype(np.float32)
        _atomic(path, lambda p: np.save(p, out))
        return
    valid &= depth_m <= MAX_DEPTH_PNG_M
    mm = np.where(valid, np.rint(np.where(valid, depth_m, 0) * 1000.0), 0).astype(np.uint16)
    _atomic(path, lambda p: _imwrite(p, mm))


def read_depth(path: Path) -> np.ndarray:
    """16-bit mm PNG or float32 .npy -> (H, W) float32 metres, NaN invalid."""
    if path.suffix == ".npy":
        return np.load(path).astype(np.float32)
    mm = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if mm is None or mm.dtype != np.uint16:
        raise FileNotFoundError(f"depth image {str(path)!r} is missing or not 16-bit")
    depth_m = mm.astype(np.float32) / np.float32(1000.0)
    depth_m[mm == 0] = np.nan
    return depth_m


def _imwrite(path: Path, img: np.ndarray) -> None:
    if not cv2.imwrite(str(path), img):
        raise OSError(f"could not write {str(path)!r}")


def _camera_dict(intr: CameraIntrinsics, baseline_m: float | None, source: str,
                 raw: CameraIntrinsics | None = None) -> dict:
    data = {"width": intr.width, "height": intr.height, "fx": intr.fx, "fy": intr.fy, "cx": intr.cx,
            "cy": intr.cy, "distortion_model": intr.distortion_model, "d": list(intr.d), "source": source}
    if baseline_m is not None:
        data["baseline_m"] = float(baseline_m)
    if raw is not None and raw != intr:
        data["raw"] = {"fx": raw.fx, "fy": raw.fy, "cx": raw.cx, "cy": raw.cy,
                       "distortion_model": raw.distortion_model, "d": list(raw.d)}
    return data


def write_intrinsics(path: Path, intr: CameraIntrinsics, baseline_m: float | None, source: str,
                     raw: CameraIntrinsics | None = None,
                     cameras: list[tuple[CameraIntrinsics, float | None, CameraIntrinsics | None]] | None = None,
                     ) -> None:
    """Camera 0 at the top level; ``raw``: the recorded intrinsics when the images were rectified;
    ``cameras``: every calibration as (written, baseline_m, raw) when there are several."""
    data = _camera_dict(intr, baseline_m, source, raw)
    if cameras and len(cameras) > 1:
        data["cameras"] = [_camera_dict(c, b, source, r) for c, b, r in cameras]
    _atomic(path, lambda p: p.write_text(yaml.safe_dump(data, sort_keys=False)))


def _intrinsics_of(data: dict) -> CameraIntrinsics:
    return CameraIntrinsics(int(data["width"]), int(data["height"]), data["fx"], data["fy"], data["cx"],
                            data["cy"], distortion_model=data.get("distortion_model", "plumb_bob"),
                            d=tuple(data.get("d", ()))).validate()


def read_cameras(path: Path) -> list[CameraIntrinsics]:
    """Every calibration of the folder (index = manifest ``camera``); [] when there is none."""
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text())
    return [_intrinsics_of(c) for c in data.get("cameras") or [data]]


def read_intrinsics(path: Path) -> tuple[CameraIntrinsics | None, float | None]:
    """(intrinsics or None when the file is absent, stereo baseline in metres or None)."""
    if not path.is_file():
        return None, None
    data = yaml.safe_load(path.read_text())
    return _intrinsics_of(data), data.get("baseline_m")


def format_stamp_s(stamp_ns: int) -> str:
    """Exact decimal seconds (9 digits) so stamps survive a text round trip."""
    return f"{stamp_ns // 1_000_000_000}.{stamp_ns % 1_000_000_000:09d}"


def parse_stamp_ns(text: str) -> int:
    sec, _, frac = text.partition(".")
    return int(sec) * 1_000_000_000 + int((frac + "000000000")[:9])


def write_poses_tum(path: Path, stamped_poses: list[tuple[int, np.ndarray]]) -> None:
    lines = []
    for stamp_ns, T in stamped_poses:
        q = matrix_to_quat(T[:3, :3])
        lines.append(format_stamp_s(stamp_ns) + " " + " ".join(f"{v:.9f}" for v in (*T[:3, 3], *q)))
    _atomic(path, lambda p: p.write_text("\n".join(lines) + ("\n" if lines else "")))


def read_poses_tum(path: Path) -> dict[int, np.ndarray]:
    """stamp_ns -> (4, 4) pose."""
    poses = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                parts = line.split()
                vals = [float(v) for v in parts[1:8]]
                poses[parse_stamp_ns(parts[0])] = se3(quat_to_matrix(vals[3:]), vals[:3])
    return poses


def write_manifest(path: Path, records: list[FrameRecord]) -> None:
    def write(p: Path) -> None:
        with open(p, "w", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(MANIFEST_FIELDS)
            for r in sorted(records, key=lambda r: r.index):
                writer.writerow((r.index, r.stamp_ns, r.rgb, r.depth, r.right, r.camera))
    _atomic(path, write)


def read_manifest(path: Path) -> list[FrameRecord]:
    if not path.is_file():
        return []
    with open(path, newline="") as stream:
        rows = list(csv.DictReader(stream))
    return [FrameRecord(int(r["index"]), int(r["stamp_ns"]), r["rgb"], r.get("depth") or "",
                        r.get("right") or "", int(r.get("camera") or 0)) for r in rows]


def contiguous_splits(indices: list[int], chunks: int = 10) -> dict[str, list[int]]:
    """Deterministic 80/10/10 split in contiguous chunks (consecutive frames stay together).

    The sorted indices are cut into ``chunks`` contiguous chunks; chunk 4 is validation and the
    last chunk is test, all others train. When that would leave val or test fewer than
    ``MIN_HELD_OUT`` frames, each gets ``MIN_HELD_OUT`` (val from 40 % of the way in, test at the
    end); below ``4 * MIN_HELD_OUT`` frames everything is train (nothing to validate on).
    """
    ordered = sorted(indices)
    if len(ordered) < 4 * MIN_HELD_OUT:
        return {"train": ordered, "val": [], "test": []}
    if len(ordered) // chunks < MIN_HELD_OUT:
        start = min(int(0.4 * len(ordered)), len(ordered) - 2 * MIN_HELD_OUT)
        val, test = ordered[start:start + MIN_HELD_OUT], ordered[-MIN_HELD_OUT:]
        return {"train": [i for i in ordered if i not in val and i not in test], "val": val, "test": test}
    parts = np.array_split(np.asarray(ordered, dtype=np.int64), chunks)
    out: dict[str, list[int]] = {name: [] for name in SPLITS}
    for number, part in enumerate(parts):
        name = "val" if number == 4 else "test" if number == chunks - 1 else "train"
        out[name].extend(int(v) for v in part)
    return out


def write_splits(folder: Path, splits: dict[str, list[int]]) -> None:
    for name, values in splits.items():
        _atomic(folder / "splits" / f"{name}.txt", lambda p, v=values: p.write_text("".join(f"{i}\n" for i in v)))


def read_split(folder: Path, name: str) -> list[int]:
    path = folder / "splits" / f"{name}.txt"
    if not path.is_file():
        raise FileNotFoundError(f"split={name!r}: {str(path)!r} not found (expected one of {SPLITS})")
    return [int(line) for line in path.read_text().split()]
