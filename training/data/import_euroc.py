"""A EuRoC MAV camera folder -> dataset folder (see :mod:`training.data.folder_format`), rectified.

Source layout (ASL / Kalibr format, e.g. ``V1_01_easy/mav0/cam0``): ``data.csv`` (``#timestamp
[ns],filename`` per frame), ``data/<stamp>.png`` (mono8) and ``sensor.yaml`` (``resolution``,
``intrinsics: [fu, fv, cu, cv]``, ``distortion_model``, ``distortion_coefficients``; an OpenCV
``%YAML:1.0`` header is accepted). ``src`` may be the camera folder itself, a folder holding
``cam0/`` or one holding ``mav0/cam0/``.

Frames are rectified with :mod:`mono_depth_ros.core.rectify` (the same maps as the nodes build
from the camera_info), replicated to RGB, and ``intrinsics.yaml`` holds the rectified pinhole
intrinsics (D all zero), so training sees the geometry the node sees. Distortion models:
Kalibr's ``radial-tangential`` is ROS ``plumb_bob`` (k1 k2 p1 p2), ``equidistant`` is
``equidistant`` (k1..k4). Stamps are data.csv's nanoseconds. EuRoC has no depth and the camera
pose lives in a separate ground-truth file, so no poses are written.

Splits are contiguous in time (a video: neighbouring frames are near duplicates, so a random split
would leak): the first ``train_fraction`` of the frames train, the last ``test_fraction`` test,
the frames between them val.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import yaml

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.rectify import Rectifier
from training.data import folder_format as ff
from training.data.import_frames import ImportReport, parse_intrinsics

FORMAT = "euroc"
#: Kalibr distortion model name -> sensor_msgs/CameraInfo distortion_model.
DISTORTION_MODELS = {"radial-tangential": "plumb_bob", "radtan": "plumb_bob", "equidistant": "equidistant",
                     "none": "plumb_bob"}
TRAIN_FRACTION, TEST_FRACTION = 0.7, 0.2


@dataclass
class EurocImportReport(ImportReport):
    """ImportReport plus the split sizes and the share of rectified pixels that saw the raw image."""

    splits: dict | None = None
    rectified_valid_fraction: float = 1.0

    def summary(self) -> str:
        sizes = ", ".join(f"{k} {len(v)}" for k, v in (self.splits or {}).items())
        return "\n".join([f"format: {self.fmt}", f"frames: {self.frames} (splits: {sizes})",
                          f"intrinsics: {self.intrinsics_source}", f"stamps: {self.stamps_source}",
                          f"rectified pixels that see the raw image: {100 * self.rectified_valid_fraction:.1f} %"]
                         + self.notes)


def camera_folder(src: str | Path) -> Path:
    """The folder holding data.csv and sensor.yaml: ``src``, ``src/cam0`` or ``src/mav0/cam0``."""
    src = Path(src)
    for candidate in (src, src / "cam0", src / "mav0" / "cam0"):
        if (candidate / "data.csv").is_file() and (candidate / "sensor.yaml").is_file():
            return candidate
    raise InputError("src", str(src), "no EuRoC camera folder (data.csv + sensor.yaml) here, in cam0/ or mav0/cam0/")


def _sensor_mapping(path: Path) -> dict:
    """The mapping in a EuRoC/Kalibr ``sensor.yaml`` (its OpenCV ``%YAML`` header dropped)."""
    text = "\n".join(line for line in path.read_text().splitlines() if not line.startswith("%"))
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError("sensor.yaml", str(path), f"not YAML ({exc})".splitlines()[0]) from None
    if not isinstance(data, dict):
        raise InputError("sensor.yaml", str(path), "top level must be a mapping")
    return data


def read_sensor_extrinsics(path: str | Path) -> np.ndarray:
    """(4, 4) ``T_BS`` of a EuRoC/Kalibr ``sensor.yaml``: the camera (sensor) frame in the body frame;
    InputError naming the key when it is not 16 finite numbers."""
    path = Path(path)
    value = (_sensor_mapping(path).get("T_BS") or {}).get("data")
    if not isinstance(value, list) or len(value) != 16 or not all(
            isinstance(v, (int, float)) and math.isfinite(v) for v in value):
        raise InputError(f"{path}:T_BS.data", value, "expected 16 finite numbers (a 4x4 row-major transform)")
    return np.asarray(value, np.float64).reshape(4, 4)


def read_sensor_yaml(path: str | Path) -> CameraIntrinsics:
    """Raw (distorted) intrinsics of a EuRoC/Kalibr ``sensor.yaml``; InputError naming the bad key."""
    path = Path(path)
    data = _sensor_mapping(path)

    def numbers(key: str, count: tuple[int, ...]) -> list[float]:
        value = data.get(key)
        if not isinstance(value, list) or len(value) not in count or not all(
                isinstance(v, (int, float)) and math.isfinite(v) for v in value):
            raise InputError(f"{path}:{key}", value, f"expected {' or '.join(map(str, count))} finite numbers")
        return [float(v) for v in value]

    if data.get("camera_model", "pinhole") != "pinhole":
        raise InputError(f"{path}:camera_model", data.get("camera_model"), "only 'pinhole' is supported")
    kalibr_model = str(data.get("distortion_model", "none"))
    if kalibr_model not in DISTORTION_MODELS:
        raise InputError(f"{path}:distortion_model", kalibr_model, f"expected one of {sorted(DISTORTION_MODELS)}")
    width, height = numbers("resolution", (2,))
    fx, fy, cx, cy = numbers("intrinsics", (4,))
    d = numbers("distortion_coefficients", (4,)) if kalibr_model != "none" else []
    intr = CameraIntrinsics(int(width), int(height), fx, fy, cx, cy, DISTORTION_MODELS[kalibr_model], tuple(d))
    return intr.validate()


def read_data_csv(path: str | Path) -> list[tuple[int, str]]:
    """[(stamp_ns, file name)] of a EuRoC ``data.csv``, checked to increase strictly."""
    path = Path(path)
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        stamp, _, name = (part.strip() for part in line.partition(","))
        if not stamp.isdigit() or not name:
            raise InputError(f"{path}:{number}", line.strip(), "expected 'timestamp_ns,filename'")
        rows.append((int(stamp), name))
    if not rows:
        raise InputError("data.csv", str(path), "lists no frames")
    stamps = [s for s, _ in rows]
    if any(b <= a for a, b in zip(stamps, stamps[1:])):
        raise InputError("data.csv", str(path), "timestamps must increase strictly")
    return rows


def contiguous_time_splits(count: int, train_fraction: float = TRAIN_FRACTION,
                           test_fraction: float = TEST_FRACTION) -> dict[str, list[int]]:
    """Indices 0..count-1 cut in time order: first ``train_fraction`` train, last ``test_fraction``
    test, the rest val (e.g. 95 frames -> 66 / 10 / 19)."""
    if not (0 < train_fraction and 0 <= test_fraction and train_fraction + test_fraction <= 1):
        raise InputError("fractions", (train_fraction, test_fraction), "need 0 < train, 0 <= test, train + test <= 1")
    n_train = max(1, round(count * train_fraction))
    n_test = min(round(count * test_fraction), count - n_train)
    indices = list(range(count))
    return {"train": indices[:n_train], "val": indices[n_train:count - n_test], "test": indices[count - n_test:]}


def count_frames(src: str | Path) -> int | None:
    """Frames an import of ``src`` will write (for a progress bar); None when not a EuRoC folder."""
    try:
        return len(read_data_csv(camera_folder(src) / "data.csv"))
    except (InputError, OSError):
        return None


def _gray(path: Path, size_wh: tuple[int, int]) -> np.ndarray:
    gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if gray is None:
        raise InputError("image", str(path), "missing or unreadable (not an image OpenCV can decode)")
    if (gray.shape[1], gray.shape[0]) != size_wh:
        raise InputError("image", str(path), f"size {gray.shape[1]}x{gray.shape[0]} differs from sensor.yaml "
                                             f"resolution {size_wh[0]}x{size_wh[1]}")
    return gray


def import_euroc(src: str | Path, out_dir: str | Path, *, intrinsics: str | tuple | None = None,
                 train_fraction: float = TRAIN_FRACTION, test_fraction: float = TEST_FRACTION,
                 progress: Callable[[int], None] | None = None) -> EurocImportReport:
    """Import a EuRoC camera folder into ``out_dir``: rectified RGB frames, rectified intrinsics,
    data.csv stamps, contiguous train/val/test splits.

    ``intrinsics`` ("fx,fy,cx,cy") replaces sensor.yaml's pinhole values; its distortion is kept.
    Each frame: (H, W) uint8 mono8 -> rectified (H, W) -> (H, W, 3) RGB (gray replicated).
    """
    cam, out, manual = camera_folder(src), Path(out_dir), parse_intrinsics(intrinsics)
    raw = read_sensor_yaml(cam / "sensor.yaml")
    source = f"{cam / 'sensor.yaml'}"
    if manual is not None:
        raw = replace(raw, fx=manual[0], fy=manual[1], cx=manual[2], cy=manual[3]).validate()
        source = f"argument --intrinsics with the distortion of {source}"
    rows = read_data_csv(cam / "data.csv")
    rectifier = Rectifier.build(raw)
    report = EurocImportReport(FORMAT, stamps_source=f"{cam / 'data.csv'} (ns)",
                               rectified_valid_fraction=float(rectifier.valid_mask().mean()))
    report.intrinsics_source = (f"{source}, rectified ({raw.distortion_model} d={list(raw.d)} removed with "
                                "mono_depth_ros.core.rectify)") if not rectifier.is_identity else source
    records = []
    for index, (stamp_ns, name) in enumerate(rows):
        gray = rectifier.apply(_gray(cam / "data" / name, (raw.width, raw.height)))
        frame = f"{index:06d}"
        ff.write_rgb(out / "rgb" / f"{frame}.png", np.repeat(gray[:, :, None], 3, axis=2))
        records.append(ff.FrameRecord(index, stamp_ns, f"rgb/{frame}.png"))
        if progress is not None:
            progress(1)
    report.splits = contiguous_time_splits(len(records), train_fraction, test_fraction)
    ff.write_intrinsics(out / "intrinsics.yaml", rectifier.rectified, None, report.intrinsics_source)
    ff.write_poses_tum(out / "poses_tum.txt", [])
    ff.write_manifest(out / "manifest.csv", records)
    ff.write_splits(out, report.splits)
    report.frames = len(records)
    report.notes.append("no depth and no poses (EuRoC keeps ground truth in state_groundtruth_estimate0)")
    return report
