"""Small real recordings on disk -> dataset folder (see :mod:`training.data.folder_format`).

Two source layouts are understood, both from the project's real sanity-check data:

* ``kinect`` (TUM-style RGB-D, e.g. slambook2 ch5/rgbd): ``color/N.png`` (8-bit colour),
  ``depth/N.pgm`` (16-bit millimetres, 0 = invalid, REP 118 semantics kept), ``pose.txt`` with
  one ``tx ty tz qx qy qz qw`` line per frame (camera-to-world, optical frame; line k belongs to
  the k-th frame in numeric order). The files carry no time stamps, so stamps are SYNTHESISED
  at ``fps`` (30 Hz by default, the Kinect rate): frame k gets ``round(k * 1e9 / fps)`` ns.
* ``kitti`` (KITTI odometry): ``image_0/NNNNNN.png`` left grayscale (replicated to RGB),
  ``image_1/NNNNNN.png`` right grayscale where present (paired with the left frame of the same
  number), ``poses.txt`` (3x4 row-major camera-to-world per line, line n = frame n) and
  ``times.txt`` (seconds, line n = frame n). The stereo baseline goes to ``intrinsics.yaml``.

Every imported frame is put in the ``test`` split; ``train`` and ``val`` are written empty: these
folders are for sanity checks and must never be trained on. Frames are re-numbered 0..N-1 in
source order. Bad input raises :class:`~mono_depth_ros.core.errors.InputError` naming the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.transforms import quat_to_matrix, se3
from training.data import folder_format as ff

FORMATS = ("kinect", "kitti")
#: fx, fy, cx, cy of the Kinect data (slambook2 ch5/rgbd README values).
KINECT_INTRINSICS = (518.0, 519.0, 325.5, 253.5)
#: fx, fy, cx, cy of KITTI odometry sequence 00, camera 0 (P0 of calib.txt).
KITTI_INTRINSICS = (718.856, 718.856, 607.1928, 185.2157)
KITTI_BASELINE_M = 0.5372
KINECT_FPS = 30.0


@dataclass
class ImportReport:
    """What was written: counts, where intrinsics and stamps came from."""

    fmt: str
    frames: int = 0
    depth_frames: int = 0
    right_frames: int = 0
    poses: int = 0
    intrinsics_source: str = ""
    stamps_source: str = ""
    baseline_m: float | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"format: {self.fmt}", f"frames: {self.frames} (depth {self.depth_frames}, "
                 f"right {self.right_frames}, poses {self.poses}); all in split 'test'",
                 f"intrinsics: {self.intrinsics_source}", f"stamps: {self.stamps_source}"]
        if self.baseline_m is not None:
            lines.append(f"stereo baseline: {self.baseline_m} m")
        return "\n".join(lines + self.notes)


def parse_intrinsics(text: str | tuple | None) -> tuple[float, float, float, float] | None:
    """``"fx,fy,cx,cy"`` (or a 4-tuple, or None) -> 4 floats; InputError when malformed."""
    if text is None:
        return None
    try:
        values = tuple(float(v) for v in (text.split(",") if isinstance(text, str) else text))
    except (TypeError, ValueError):
        values = ()
    if len(values) != 4 or not all(math.isfinite(v) for v in values) or min(values[:2]) <= 0:
        raise InputError("intrinsics", text, "expected fx,fy,cx,cy: four finite numbers with fx, fy > 0")
    return values  # type: ignore[return-value]


def _require_dir(path: Path, what: str) -> Path:
    if not path.is_dir():
        raise InputError(what, str(path), "folder not found")
    return path


def _require_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise InputError(what, str(path), "file not found")
    return path


def _numbered(folder: Path, suffix: str) -> dict[int, Path]:
    """{frame number: path} of the files ``<digits><suffix>`` in ``folder`` (others ignored)."""
    return {int(p.stem): p for p in folder.iterdir() if p.suffix == suffix and p.stem.isdigit()}


def _read_table(path: Path, columns: int) -> np.ndarray:
    """(N, columns) float64 of a whitespace-separated text file; blank and '#' lines skipped."""
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            row = [float(v) for v in line.split()]
        except ValueError:
            row = []
        if len(row) != columns or not all(math.isfinite(v) for v in row):
            raise InputError(f"{path}:{number}", line.strip(), f"expected {columns} finite numbers")
        rows.append(row)
    return np.asarray(rows, np.float64).reshape(-1, columns)


def _read_image(path: Path, flags: int) -> np.ndarray:
    img = cv2.imread(str(path), flags)
    if img is None:
        raise InputError("image", str(path), "unreadable (not an image OpenCV can decode)")
    return img


def nearest_rotation(rot: np.ndarray) -> np.ndarray:
    """(3, 3) closest rotation (SVD) to a nearly orthonormal matrix, e.g. KITTI's 7-digit text."""
    u, _, vt = np.linalg.svd(rot)
    fixed = u @ vt
    if np.linalg.det(fixed) < 0:
        fixed = u @ np.diag([1.0, 1.0, -1.0]) @ vt
    return fixed


def _check_counts(table: np.ndarray, path: Path, numbers: list[int], what: str) -> None:
    """``table`` row n belongs to frame n: it needs more rows than the highest frame number."""
    if len(table) <= numbers[-1]:
        raise InputError(what, str(path), f"has {len(table)} entries but frames go up to number "
                                          f"{numbers[-1]} (one line per frame expected)")


def _write_common(out: Path, records: list[ff.FrameRecord], poses: list[tuple[int, np.ndarray]],
                  intr: CameraIntrinsics, baseline_m: float | None, source: str) -> None:
    """intrinsics.yaml, poses_tum.txt, manifest.csv and splits (everything in 'test')."""
    ff.write_intrinsics(out / "intrinsics.yaml", intr, baseline_m, source)
    ff.write_poses_tum(out / "poses_tum.txt", poses)
    ff.write_manifest(out / "manifest.csv", records)
    ff.write_splits(out, {"train": [], "val": [], "test": [r.index for r in records]})


def _intrinsics(values: tuple | None, default: tuple, width: int, height: int,
                default_source: str) -> tuple[CameraIntrinsics, str]:
    source = "argument --intrinsics" if values is not None else default_source
    return CameraIntrinsics(width, height, *(values or default)).validate(), source


def _kinect_sources(src: Path) -> tuple[list[int], dict[int, Path], dict[int, Path], np.ndarray]:
    """(frame numbers, color paths, depth paths, pose table (N, 7)), all checked for consistency."""
    color = _numbered(_require_dir(src / "color", "color folder"), ".png")
    depth = _numbered(_require_dir(src / "depth", "depth folder"), ".pgm")
    pose_path = _require_file(src / "pose.txt", "pose file")
    if not color:
        raise InputError("color folder", str(src / "color"), "holds no N.png frames")
    if sorted(color) != sorted(depth):
        raise InputError("depth folder", str(src / "depth"),
                         f"frame numbers {sorted(depth)} do not match color/ {sorted(color)}")
    table = _read_table(pose_path, 7)
    if len(table) != len(color):
        raise InputError("pose file", str(pose_path), f"has {len(table)} poses for {len(color)} frames")
    return sorted(color), color, depth, table


def _kinect_frame(out: Path, name: str, color_path: Path, depth_path: Path) -> tuple[int, int]:
    """Write one rgb + depth pair; returns the frame's (width, height)."""
    rgb = cv2.cvtColor(_read_image(color_path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    mm = _read_image(depth_path, cv2.IMREAD_UNCHANGED)
    if mm.dtype != np.uint16 or mm.shape != rgb.shape[:2]:
        raise InputError("depth image", str(depth_path),
                         f"expected 16-bit {rgb.shape[1]}x{rgb.shape[0]}, got {mm.dtype} {mm.shape[::-1]}")
    ff.write_rgb(out / "rgb" / f"{name}.png", rgb)
    depth_m = mm.astype(np.float32) / np.float32(1000.0)  # REP 118: uint16 mm, 0 = invalid
    depth_m[mm == 0] = np.nan
    ff.write_depth(out / "depth" / f"{name}.png", depth_m)
    return rgb.shape[1], rgb.shape[0]


def import_kinect(src: str | Path, out_dir: str | Path, *, intrinsics: str | tuple | None = None,
                  fps: float = KINECT_FPS, progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import a TUM-style Kinect folder (``color/``, ``depth/``, ``pose.txt``) into ``out_dir``.

    Depth (H, W) uint16 mm -> metres (0 -> NaN) -> written back by ``folder_format.write_depth``
    (16-bit mm PNG, so the millimetre values survive exactly). Stamps are synthesised at ``fps``.
    """
    src, out, manual = Path(src), Path(out_dir), parse_intrinsics(intrinsics)
    if not (math.isfinite(fps) and fps > 0):
        raise InputError("fps", fps, "must be finite and > 0")
    numbers, color, depth, table = _kinect_sources(src)
    report = ImportReport("kinect", stamps_source=f"synthesised at {fps:g} Hz (the source has no stamps)")
    records, poses, size_wh = [], [], None
    for index, number in enumerate(numbers):
        name = f"{index:06d}"
        frame_wh = _kinect_frame(out, name, color[number], depth[number])
        if size_wh is not None and frame_wh != size_wh:
            raise InputError("color image", str(color[number]), f"size {frame_wh} differs from the first {size_wh}")
        size_wh = frame_wh
        stamp_ns = round(index * 1e9 / fps)
        records.append(ff.FrameRecord(index, stamp_ns, f"rgb/{name}.png", f"depth/{name}.png"))
        tx, ty, tz, qx, qy, qz, qw = table[index]
        poses.append((stamp_ns, se3(quat_to_matrix((qx, qy, qz, qw)), (tx, ty, tz))))
        if progress is not None:
            progress(1)
    intr, report.intrinsics_source = _intrinsics(manual, KINECT_INTRINSICS, *size_wh,
                                                 "kinect defaults (slambook2 rgbd README)")
    _write_common(out, records, poses, intr, None, report.intrinsics_source)
    report.frames = report.depth_frames = report.poses = len(records)
    return report


def _kitti_gray_as_rgb(path: Path, size_wh: tuple[int, int] | None) -> np.ndarray:
    """(H, W, 3) uint8: the grayscale frame replicated to three channels."""
    gray = _read_image(path, cv2.IMREAD_GRAYSCALE)
    if size_wh is not None and (gray.shape[1], gray.shape[0]) != size_wh:
        raise InputError("image", str(path), f"size {gray.shape[1]}x{gray.shape[0]} differs from {size_wh}")
    return np.repeat(gray[:, :, None], 3, axis=2)


def _kitti_tables(src: Path, numbers: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """(poses (N, 3, 4), times_s (N,)) with row n for frame n, checked against the frames."""
    pose_path = _require_file(src / "poses.txt", "poses file")
    times_path = _require_file(src / "times.txt", "times file")
    poses = _read_table(pose_path, 12)
    times = _read_table(times_path, 1)[:, 0]
    _check_counts(poses, pose_path, numbers, "poses file")
    _check_counts(times, times_path, numbers, "times file")
    if np.any(np.diff(times[numbers]) <= 0):
        raise InputError("times file", str(times_path), "stamps of the imported frames must increase")
    return poses.reshape(-1, 3, 4), times


def import_kitti(src: str | Path, out_dir: str | Path, *, intrinsics: str | tuple | None = None,
                 baseline_m: float = KITTI_BASELINE_M,
                 progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import a KITTI odometry folder (``image_0/``, optional ``image_1/``, ``poses.txt``,
    ``times.txt``) into ``out_dir``. Poses are camera-0-to-world (optical frame), re-orthonormalised
    (the text has 7 digits) and stored as TUM quaternions; stamps are ``times.txt`` seconds."""
    src, out, manual = Path(src), Path(out_dir), parse_intrinsics(intrinsics)
    left = _numbered(_require_dir(src / "image_0", "left image folder"), ".png")
    right = _numbered(src / "image_1", ".png") if (src / "image_1").is_dir() else {}
    if not left:
        raise InputError("left image folder", str(src / "image_0"), "holds no NNNNNN.png frames")
    if set(right) - set(left):
        raise InputError("right image folder", str(src / "image_1"),
                         f"frames {sorted(set(right) - set(left))} have no left frame in image_0")
    if not (math.isfinite(baseline_m) and baseline_m > 0):
        raise InputError("baseline_m", baseline_m, "must be finite and > 0")
    numbers = sorted(left)
    pose_rows, times_s = _kitti_tables(src, numbers)
    report = ImportReport("kitti", stamps_source="times.txt", baseline_m=float(baseline_m))
    records, poses, size_wh = [], [], None
    for index, number in enumerate(numbers):
        rgb = _kitti_gray_as_rgb(left[number], size_wh)
        size_wh = (rgb.shape[1], rgb.shape[0])
        name = f"{index:06d}"
        ff.write_rgb(out / "rgb" / f"{name}.png", rgb)
        right_rel = ""
        if number in right:
            right_rel = f"right/{name}.png"
            ff.write_rgb(out / right_rel, _kitti_gray_as_rgb(right[number], size_wh))
            report.right_frames += 1
        stamp_ns = round(float(times_s[number]) * 1e9)
        records.append(ff.FrameRecord(index, stamp_ns, f"rgb/{name}.png", "", right_rel))
        row = pose_rows[number]
        poses.append((stamp_ns, se3(nearest_rotation(row[:, :3]), row[:, 3])))
        if progress is not None:
            progress(1)
    intr, report.intrinsics_source = _intrinsics(manual, KITTI_INTRINSICS, *size_wh, "kitti defaults "
                                                 "(odometry sequence 00, camera 0)")
    _write_common(out, records, poses, intr, float(baseline_m), report.intrinsics_source)
    report.frames = report.poses = len(records)
    return report


def count_frames(fmt: str, src: str | Path) -> int | None:
    """Number of frames an import of ``src`` will write (for a progress bar); None if unknown."""
    folder = Path(src) / ("color" if fmt == "kinect" else "image_0")
    return len(_numbered(folder, ".png")) if folder.is_dir() else None


def import_frames(fmt: str, src: str | Path, out_dir: str | Path, **kwargs) -> ImportReport:
    """Dispatch to :func:`import_kinect` or :func:`import_kitti` by ``fmt``."""
    if fmt not in FORMATS:
        raise InputError("format", fmt, f"expected one of {FORMATS}")
    if not Path(src).is_dir():
        raise InputError("src", str(src), "source folder not found")
    return (import_kinect if fmt == "kinect" else import_kitti)(src, out_dir, **kwargs)
