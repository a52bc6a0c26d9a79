"""Small real recordings on disk -> dataset folder (see :mod:`training.data.folder_format`).

Two source layouts are understood, both from the project's real sanity-check data:

* ``kinect`` (TUM-style RGB-D, e.g. slambook2 ch5/rgbd): ``color/N.png`` (8-bit colour),
  ``depth/N.pgm`` (16-bit millimetres, 0 = invalid, REP 118 semantics kept), ``pose.txt`` with
  one ``tx ty tz qx qy qz qw`` line per frame (camera-to-world, optical frame; line k belongs to
  the k-th frame in numeric order). The files carry no time stamps, so stamps are SYNTHESISED
  at ``fps`` (30 Hz by default, the Kinect rate): frame k gets ``round(k * 1e9 / fps)`` ns.
* ``kitti`` (KITTI odometry): the colour cameras ``image_2/NNNNNN.png`` (left) and ``image_3/``
  (right, where present) when the folder has ``image_2``, else the grayscale ``image_0`` (left,
  replicated to RGB) and ``image_1``; right frames are paired with the left frame of the same
  number. ``poses.txt`` (3x4 row-major camera-0-to-world per line, line n = frame n) and
  ``times.txt`` (seconds, line n = frame n). ``calib.txt`` (P0..P3) gives the intrinsics, the
  baseline and the camera's offset from camera 0 (poses are moved to the imported camera:
  ``T_world_cam = T_world_cam0 @ [I | -K^-1 P[:, 3]]``); without it sequence 00's calibration
  is used. The stereo baseline goes to ``intrinsics.yaml``.

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
#: calib.txt of KITTI odometry sequence 00 (P0..P3, 3x4 row-major): used when a folder has none.
KITTI_SEQ00_CALIB = {
    "P0": (718.856, 0.0, 607.1928, 0.0, 0.0, 718.856, 185.2157, 0.0, 0.0, 0.0, 1.0, 0.0),
    "P1": (718.856, 0.0, 607.1928, -386.1448, 0.0, 718.856, 185.2157, 0.0, 0.0, 0.0, 1.0, 0.0),
    "P2": (718.856, 0.0, 607.1928, 45.38225, 0.0, 718.856, 185.2157, -0.1130887, 0.0, 0.0, 1.0, 0.003779761),
    "P3": (718.856, 0.0, 607.1928, -337.2877, 0.0, 718.856, 185.2157, 2.369057, 0.0, 0.0, 1.0, 0.004915215),
}
#: (left, right, projection of the left, of the right, description) of the two KITTI camera pairs
KITTI_COLOUR = ("image_2", "image_3", "P2", "P3", "colour cameras 2/3")
KITTI_GRAY = ("image_0", "image_1", "P0", "P1", "grayscale cameras 0/1")
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


def _kitti_rgb(path: Path, size_wh: tuple[int, int] | None) -> np.ndarray:
    """(H, W, 3) uint8 RGB of a colour frame, or of a grayscale one replicated to three channels."""
    img = _read_image(path, cv2.IMREAD_UNCHANGED)
    if img.dtype != np.uint8 or img.ndim not in (2, 3):
        raise InputError("image", str(path), f"expected an 8-bit grayscale or colour PNG, got {img.dtype} {img.shape}")
    if size_wh is not None and (img.shape[1], img.shape[0]) != size_wh:
        raise InputError("image", str(path), f"size {img.shape[1]}x{img.shape[0]} differs from {size_wh}")
    if img.ndim == 2:
        return np.repeat(img[:, :, None], 3, axis=2)
    return cv2.cvtColor(img, cv2.COLOR_BGRA2RGB if img.shape[2] == 4 else cv2.COLOR_BGR2RGB)


def kitti_calibration(src: Path) -> tuple[dict[str, np.ndarray], str]:
    """({"P0".."P3": (3, 4)}, source) from ``src/calib.txt``, else sequence 00's."""
    path = src / "calib.txt"
    if not path.is_file():
        return {k: np.asarray(v, np.float64).reshape(3, 4) for k, v in KITTI_SEQ00_CALIB.items()}, \
            "sequence 00 calibration (no calib.txt)"
    found: dict[str, np.ndarray] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        key, _, rest = line.partition(":")
        if key.strip() in KITTI_SEQ00_CALIB:
            try:
                values = np.asarray([float(v) for v in rest.split()], np.float64)
            except ValueError:
                values = np.zeros(0)
            if values.size != 12 or not np.isfinite(values).all() or values[0] <= 0 or values[5] <= 0:
                raise InputError(f"{path}:{number}", line.strip(), "expected 12 finite numbers (3x4 P, fx, fy > 0)")
            found[key.strip()] = values.reshape(3, 4)
    missing = sorted(set(KITTI_SEQ00_CALIB) - set(found))
    if missing:
        raise InputError("calib file", str(path), f"lacks {', '.join(missing)}")
    return found, "calib.txt"


def _camera_offset(p: np.ndarray) -> np.ndarray:
    """(3,) t of ``P = K [I | t]``: a point in camera 0's frame is at ``X + t`` in this camera's."""
    return np.linalg.solve(p[:, :3], p[:, 3])


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
                 baseline_m: float | None = None,
                 progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import a KITTI odometry folder (``image_2/`` + optional ``image_3/`` colour, else ``image_0/``
    + optional ``image_1/`` grayscale; ``poses.txt``, ``times.txt``, optional ``calib.txt``) into
    ``out_dir``. Poses (camera 0 to world, re-orthonormalised: the text has 7 digits) are moved to
    the imported camera and stored as TUM quaternions; stamps are ``times.txt`` seconds.
    ``baseline_m`` None: from the calibration."""
    src, out, manual = Path(src), Path(out_dir), parse_intrinsics(intrinsics)
    left_dir, right_dir, p_left, p_right, camera = KITTI_COLOUR if (src / "image_2").is_dir() else KITTI_GRAY
    left = _numbered(_require_dir(src / left_dir, "left image folder"), ".png")
    right = _numbered(src / right_dir, ".png") if (src / right_dir).is_dir() else {}
    if not left:
        raise InputError("left image folder", str(src / left_dir), "holds no NNNNNN.png frames")
    if set(right) - set(left):
        raise InputError("right image folder", str(src / right_dir),
                         f"frames {sorted(set(right) - set(left))} have no left frame in {left_dir}")
    calib, calib_source = kitti_calibration(src)
    t_left, t_right = _camera_offset(calib[p_left]), _camera_offset(calib[p_right])
    if baseline_m is None:
        baseline_m = float(t_left[0] - t_right[0])
    if not (math.isfinite(baseline_m) and baseline_m > 0):
        raise InputError("baseline_m", baseline_m, "must be finite and > 0")
    numbers = sorted(left)
    pose_rows, times_s = _kitti_tables(src, numbers)
    report = ImportReport("kitti", stamps_source="times.txt", baseline_m=float(baseline_m),
                          notes=[f"camera: {camera} ({left_dir}), calibration: {calib_source}"])
    T_cam0_cam = se3(np.eye(3), -t_left)
    records, poses, size_wh = [], [], None
    for index, number in enumerate(numbers):
        rgb = _kitti_rgb(left[number], size_wh)
        size_wh = (rgb.shape[1], rgb.shape[0])
        name = f"{index:06d}"
        ff.write_rgb(out / "rgb" / f"{name}.png", rgb)
        right_rel = ""
        if number in right:
            right_rel = f"right/{name}.png"
            ff.write_rgb(out / right_rel, _kitti_rgb(right[number], size_wh))
            report.right_frames += 1
        stamp_ns = round(float(times_s[number]) * 1e9)
        records.append(ff.FrameRecord(index, stamp_ns, f"rgb/{name}.png", "", right_rel))
        row = pose_rows[number]
        poses.append((stamp_ns, se3(nearest_rotation(row[:, :3]), row[:, 3]) @ T_cam0_cam))
        if progress is not None:
            progress(1)
    k = calib[p_left]
    intr, report.intrinsics_source = _intrinsics(manual, (k[0, 0], k[1, 1], k[0, 2], k[1, 2]), *size_wh,
                                                 f"kitti {p_left} of the {calib_source}")
    _write_common(out, records, poses, intr, float(baseline_m), report.intrinsics_source)
    report.frames = report.poses = len(records)
    return report


def count_frames(fmt: str, src: str | Path) -> int | None:
    """Number of frames an import of ``src`` will write (for a progress bar); None if unknown."""
    kitti_left = "image_2" if (Path(src) / "image_2").is_dir() else "image_0"
    folder = Path(src) / ("color" if fmt == "kinect" else kitti_left)
    return len(_numbered(folder, ".png")) if folder.is_dir() else None


def import_frames(fmt: str, src: str | Path, out_dir: str | Path, **kwargs) -> ImportReport:
    """Dispatch to :func:`import_kinect` or :func:`import_kitti` by ``fmt``."""
    if fmt not in FORMATS:
        raise InputError("format", fmt, f"expected one of {FORMATS}")
    if not Path(src).is_dir():
        raise InputError("src", str(src), "source folder not found")
    return (import_kinect if fmt == "kinect" else import_kitti)(src, out_dir, **kwargs)
