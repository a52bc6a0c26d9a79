"""Bag -> dataset folder (see :mod:`training.data.folder_format`), streaming in constant memory.

CameraInfo topics are read first (they are small) so every frame gets the calibration in force
at its stamp (:mod:`training.data.camera_infos`): images with lens distortion are rectified with
:mod:`mono_depth_ros.core.rectify` (the nodes' function) and a stereo pair with its two
calibrations, so training sees the geometry the nodes see. Colour frames are then numbered in bag
order; frames whose header stamp does not increase are dropped. Depth (Image, ``compressedDepth``
PNG/RVL, or a 16-bit PNG ``compressed``) and right images are paired to each colour frame by
header stamp (nearest within ``tolerance_ms``) with a bounded look-ahead window. TF / odometry
messages (small) are kept and resolved at the end (odom -> ... -> the frame's own header
frame_id, or ``camera_frame``, interpolated at the image stamp). Finished frames are logged to
``manifest.partial.csv`` so a re-run skips them (:mod:`training.data.resume`: a folder holding
anything else is refused before writing).
Anything skipped is counted by reason in the :class:`ExtractReport`; nothing bad in one message
stops an extraction.
"""

from __future__ import annotations

import collections

from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from mono_depth_ros.core.compressed_depth import compressed_depth_to_depth_m, is_compressed_depth
from mono_depth_ros.core.depth import depth_from_image
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.image import compressed_to_rgb8, image_to_rgb8
from mono_depth_ros.core.rectify import topic_is_rectified
from mono_depth_ros.core.stamps import stamp_to_ns
from mono_depth_ros.core.transforms import se3
from training.data import folder_format as ff
from training.data import resume
from mono_depth_ros.bags.reader import open_bag
from training.data.camera_infos import CameraInfoTimeline, CameraModel, FrameCamera
from training.data.extract_report import ExtractReport
from training.data.tf_buffer import TransformBuffer, TransformLookupError
from training.data.topics import TopicSelection, select_topics

PARTIAL = resume.PARTIAL
MAX_PENDING = 64  # colour frames waiting for their depth/right partner (bounds memory)


def _header_stamp(msg, log_stamp_ns: int) -> int:
    stamp = stamp_to_ns(msg.header.stamp)
    return stamp if stamp > 0 else log_stamp_ns


def _to_rgb(msgtype: str, msg) -> np.ndarray:
    return compressed_to_rgb8(msg) if msgtype.endswith("CompressedImage") else image_to_rgb8(msg)


def _to_depth_m(msgtype: str, msg) -> np.ndarray:
    """(H, W) float32 metres, NaN invalid, of an Image, a compressedDepth or a 16-bit PNG message."""
    if not msgtype.endswith("CompressedImage"):
        return depth_from_image(msg)
    if is_compressed_depth(msg):
        return compressed_depth_to_depth_m(msg)
    raw = cv2.imdecode(np.frombuffer(bytes(msg.data), np.uint8), cv2.IMREAD_UNCHANGED)
    if raw is None or raw.dtype != np.uint16 or raw.ndim != 2:
        raise InputError("format", msg.format, "a compressed depth image must be compressedDepth or 16-bit PNG")
    depth_m = raw.astype(np.float32) * np.float32(1e-3)
    depth_m[raw == 0] = np.nan
    return depth_m


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


class _Extractor:
    """Holds the streaming state of one extraction."""

    def __init__(self, out: Path, sel: TopicSelection, tolerance_ns: int, depth_format: str,
                 report: ExtractReport, model: CameraModel, camera_frame: str | None = None) -> None:
        self.out, self.sel, self.tol, self.report, self.model = out, sel, tolerance_ns, report, model
        self.camera_frame = camera_frame  # --camera-frame: one camera whatever the frame_ids say
        self.depth_ext = ".npy" if depth_format == "npy" else ".png"
        self.done, torn, report.redone, log_name = resume.read_partial(out)
        if torn:
            report.notes.append(f"{log_name}: {torn} incomplete row(s) of an interrupted run dropped; "
                                "those frames are extracted again")
        self.records: dict[int, ff.FrameRecord] = {}
        self.pending: collections.deque = collections.deque()
        self.partners = {k: collections.deque() for k in ("depth", "right") if getattr(sel, k)}
        self.latest = {k: -1 for k in self.partners}
        self.next_index, self.last_stamp = 0, None
        self.frame_ids: dict[int, str] = {}  # index -> the image header's frame_id (empty: the previous one's)
        self.cameras: dict[tuple, int] = {}  # (frame_id, written, baseline_m, raw) -> camera index
        self.uncalibrated: dict[str, int] = {}  # frame_id without a calibration -> camera -1, -2, ...
        self.camera_of: dict[int, FrameCamera] = {}
        fresh = not (out / PARTIAL).is_file() or (out / PARTIAL).stat().st_size == 0
        self.partial = open(out / PARTIAL, "a")
        if fresh:
            self.partial.write(",".join(ff.MANIFEST_FIELDS) + "\n")

    def on_colour(self, msgtype: str, msg, log_ns: int) -> None:
        stamp = _header_stamp(msg, log_ns)
        self.report.messages += 1
        if self.last_stamp is not None and stamp <= self.last_stamp:
            self.report.dropped["header stamp not after the previous frame's (repeated or went backwards)"] += 1
            return
        self.last_stamp = stamp
        index, self.next_index = self.next_index, self.next_index + 1
        # each frame's pose is looked up in its own frame; an empty frame_id continues the previous one
        self.frame_ids[index] = msg.header.frame_id or self.frame_ids.get(index - 1, "")
        rec = self.done.get(index)
        if rec is not None and rec.stamp_ns != stamp:
            raise resume.ForeignFolderError(
                f"out={str(self.out)!r} holds frames of another recording: frame {index} is stamped "
                f"{rec.stamp_ns} ns there, {stamp} ns in this bag; give a new folder")
        if rec is not None and self._resume(rec):
            return
        self.report.redone += rec is not None
        self.pending.append((index, stamp, msgtype, msg))

    def on_partner(self, kind: str, msgtype: str, msg, log_ns: int) -> None:
        stamp = _header_stamp(msg, log_ns)
        self.partners[kind].append((stamp, msgtype, msg))
        self.latest[kind] = max(self.latest[kind], stamp)

    def flush(self, final: bool = False) -> None:
        while self.pending:
            stamp = self.pending[0][1]
            ready = all(self.latest[k] > stamp + self.tol for k in self.partners)
            if not (ready or final or len(self.pending) > MAX_PENDING):
                return
            self._finish(*self.pending.popleft())
        for buf in self.partners.values():  # drop partners nobody can still match
            while len(buf) > MAX_PENDING:
                buf.popleft()

    def _nearest(self, kind: str, stamp: int):
        buf = self.partners[kind]
        best = min(buf, key=lambda item: abs(item[0] - stamp), default=None)
        if best is None or abs(best[0] - stamp) > self.tol:
            self.report.unmatched[kind] += 1
            return None
        oldest_needed = self.pending[0][1] if self.pending else stamp
        while buf and buf[0][0] < oldest_needed - self.tol:
            buf.popleft()
        return best

    def _camera_index(self, cam: FrameCamera | None, index: int) -> int:
        """Frame ``index``'s camera: one per calibration and image frame_id (one frame for all with
        --camera-frame), so li2020's frame runs never pair two cameras that share a calibration.
        Without a calibration it is negative (unknown intrinsics): -1 for the first frame_id, -2
        for the next, so those runs do not pair two cameras either."""
        frame = self.camera_frame or self.frame_ids.get(index, "")
        if cam is None or cam.written is None:
            return self.uncalibrated.setdefault(frame, -1 - len(self.uncalibrated))
        key = (frame, cam.written, cam.baseline_m, cam.raw)
        index = self.cameras.setdefault(key, len(self.cameras))
        self.camera_of[index] = cam
        return index

    def _resume(self, rec: ff.FrameRecord) -> bool:
        """An earlier run wrote this frame: keep it, and give its camera the same index again.
        False when its files are gone or unreadable (the frame is extracted again)."""
        try:
            height, width = ff.read_rgb(self.out / rec.rgb).shape[:2]
            right_hw = ff.read_rgb(self.out / rec.right).shape[:2] if rec.right else None
        except FileNotFoundError:  # a file cut by a crash of the disk, not of this program (writes are atomic)
            return False
        cam = self.model.for_frame(rec.stamp_ns, width, height, right_hw)
        self.records[rec.index] = ff.FrameRecord(rec.index, rec.stamp_ns, rec.rgb, rec.depth, rec.right,
                                                 self._camera_index(cam, rec.index))
        self.report.skipped_existing += 1
        return True

    def _decode(self, kind: str, stamp: int, decode):
        match = self._nearest(kind, stamp) if kind in self.partners else None
        if match is None:
            return None, None
        try:
            return decode(match[1], match[2]), match[2]
        except Exception as exc:  # one bad partner message: the frame is written without it
            self.report.errors[(getattr(self.sel, kind), _reason(exc))] += 1
            return None, None

    def _finish(self, index: int, stamp: int, msgtype: str, msg) -> None:
        try:
            rgb = _to_rgb(msgtype, msg)
        except Exception as exc:
            self.report.errors[(self.sel.image, _reason(exc))] += 1
            return
        right, _ = self._decode("right", stamp, _to_rgb)
        depth_m, depth_msg = self._decode("depth", stamp, _to_depth_m)
        cam = self.model.for_frame(stamp, rgb.shape[1], rgb.shape[0], right.shape[:2] if right is not None else None)
        if cam is None:
            self.report.dropped["no camera_info for this frame (--rectify on)"] += 1
            return
        if depth_m is not None and depth_m.shape != rgb.shape[:2]:
            self.report.warnings[f"depth {depth_m.shape[1]}x{depth_m.shape[0]} is not registered to the "
                                 f"{rgb.shape[1]}x{rgb.shape[0]} image: depth not written"] += 1
            depth_m = None
        if depth_m is not None and depth_msg.header.frame_id != msg.header.frame_id:
            self.report.warnings[f"depth frame {depth_msg.header.frame_id!r} differs from image frame "
                                 f"{msg.header.frame_id!r}: is the depth registered to this camera?"] += 1
        if cam.rectify_left is not None:
            rgb = cam.rectify_left(rgb)
            depth_m = cam.rectify_left(depth_m, nearest=True) if depth_m is not None else None
        if right is not None and cam.rectify_right is not None:
            right = cam.rectify_right(right)
        name = f"{index:06d}"
        rec = ff.FrameRecord(index, stamp, f"rgb/{name}.png", f"depth/{name}{self.depth_ext}" if depth_m is not None
                             else "", f"right/{name}.png" if right is not None else "", self._camera_index(cam, index))
        ff.write_rgb(self.out / rec.rgb, rgb)
        if rec.depth:
            if self.depth_ext == ".png" and np.any(depth_m > ff.MAX_DEPTH_PNG_M):  # NaN compares False
                self.report.warnings[f"depth beyond {ff.MAX_DEPTH_PNG_M} m (the 16-bit mm PNG limit) written as "
                                     "invalid, in frames; --depth-format npy keeps it"] += 1
            ff.write_depth(self.out / rec.depth, depth_m)
        if rec.right:
            ff.write_rgb(self.out / rec.right, right)
        self.records[index] = rec
        self.partial.write(",".join(str(getattr(rec, f)) for f in ff.MANIFEST_FIELDS) + "\n")
        self.partial.flush()
        self.report.written += 1


def _intrinsics_arg(text: str | tuple | None) -> tuple[float, ...] | None:
    if text is None or isinstance(text, tuple):
        return text
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 4 or min(values[0], values[1]) <= 0:
        raise ValueError(f"intrinsics={text!r}: expected fx,fy,cx,cy with fx, fy > 0")
    return values


def _timelines(source, sel: TopicSelection) -> tuple[CameraInfoTimeline | None, CameraInfoTimeline | None]:
    """First pass: every CameraInfo of the colour and right cameras (small messages)."""
    lines = {t: CameraInfoTimeline(t) for t in (sel.camera_info, sel.right_camera_info) if t}
    if lines:
        for topic, _, log_ns, msg in source.messages(list(lines)):
            lines[topic].add(msg, log_ns)
    for line in lines.values():
        line.finish()
    return lines.get(sel.camera_info), lines.get(sel.right_camera_info)


def extract_bag(bag: str | Path, out_dir: str | Path, *, image_topic: str | None = None,
                depth_topic: str | None = None, right_topic: str | None = None,
                camera_info_topic: str | None = None, odom_topic: str | None = None,
                camera_frame: str | None = None, odom_frame: str = "odom", tolerance_ms: float = 20.0,
                intrinsics: str | tuple | None = None, depth_format: str = "png", rectify: str = "auto",
                progress: Callable[[int, int], None] | None = None,
                on_selected: Callable[[TopicSelection, int], None] | None = None) -> ExtractReport:
    """Extract ``bag`` into the dataset folder ``out_dir`` (created; re-runs resume).

    ``rectify``: "auto" (rectify images whose camera_info has distortion), "on" (also drop frames
    without a camera_info), "off". ``on_selected(selection, image_count)`` is called once the topics
    are chosen (``image_count`` -1 when unknown), before anything is written; ``progress(1, skipped)``
    after each image message (``skipped``: image messages so far that were not written).
    Raises BagFormatError / AmbiguousTopicsError / ValueError (one line naming what is wrong)
    before creating ``out_dir``; ForeignFolderError when ``out_dir`` holds anything but this
    extraction (:mod:`training.data.resume`).
    """
    if depth_format not in ("png", "npy"):
        raise ValueError(f"depth_format={depth_format!r}: expected 'png' or 'npy'")
    manual_intr = _intrinsics_arg(intrinsics)
    out = Path(out_dir)
    with open_bag(bag) as source:
        if not source.topics:  # no connection at all (empty, or its only chunk cut off)
            why = f" ({source.notes[0]})" if source.notes else ""
            raise ValueError(f"bag={str(bag)!r}: no message could be read from it{why}")
        sel = select_topics(source.topics, source.describe(), image_topic, depth_topic, right_topic,
                            camera_info_topic, odom_topic)
        if source.topics[sel.image].count == 0:
            raise ValueError(f"bag={str(bag)!r}: the image topic {sel.image} has no messages")
        wanted = resume.settings(sel, rectify=rectify, depth_format=depth_format, intrinsics=manual_intr,
                                 tolerance_ms=float(tolerance_ms))
        resume.check_out_dir(out, wanted)
        left_info, right_info = _timelines(source, sel)
        model = CameraModel(left_info, right_info, rectify, manual_intr, already_rectified=topic_is_rectified(sel.image))
        if on_selected is not None:
            on_selected(sel, source.topics[sel.image].count)
        try:
            out.mkdir(parents=True, exist_ok=True)
            resume.write_settings(out, wanted)
        except OSError as exc:  # read-only location, a path through a file, ...
            raise OSError(f"out={str(out)!r}: cannot write there ({exc.strerror or exc})") from exc
        report = ExtractReport(sel, notes=list(sel.notes))
        tf = TransformBuffer(tolerance_ns=int(tolerance_ms * 1e6))
        ex = _Extractor(out, sel, int(tolerance_ms * 1e6), depth_format, report, model, camera_frame)
        try:
            _stream(source, sel, ex, tf, progress)
        finally:
            ex.partial.close()  # every finished frame is in it: a re-run resumes from there
        report.errors.update(source.errors)
        report.notes += source.notes
    if report.redone:
        report.notes.append(f"{report.redone} frame(s) logged by an earlier run had missing or unreadable "
                            "files: extracted again")
    for line in (left_info, right_info):
        for reason, n in (line.invalid.items() if line else ()):
            report.dropped[f"camera_info on {line.topic} skipped: {reason}"] += n
    report.warnings.update(model.problems)
    records = sorted(ex.records.values(), key=lambda r: r.index)
    ff.write_manifest(out / "manifest.csv", records)  # first: the frames are what matters most
    splits = ff.contiguous_splits([r.index for r in records])
    ff.write_splits(out, splits)
    report.splits = {k: len(v) for k, v in splits.items()}
    if 0 < len(records) < 4 * ff.MIN_HELD_OUT:
        report.notes.append(f"only {len(records)} frames: all in train, val and test are empty")
    _note_gaps(records, report)
    _write_intrinsics(out, ex, left_info, report)
    frames = camera_frames(ex.frame_ids, camera_frame, report)
    _write_poses(out, tf, odom_frame, frames, records, ex.camera_of, report)
    return report


def _stream(source, sel: TopicSelection, ex: _Extractor, tf: TransformBuffer,
            progress: Callable[[int, int], None] | None) -> None:
    """Second pass: every message of the selected streams, in bag order."""
    kinds = {sel.depth: "depth", sel.right: "right"}
    info_topics = (sel.camera_info, sel.right_camera_info)
    for topic, msgtype, log_ns, msg in source.messages([t for t in sel.streams() if t not in info_topics]):
        if topic == sel.image:
            ex.on_colour(msgtype, msg, log_ns)
            if progress is not None:  # skipped so far: read, not written, not waiting for a partner
                progress(1, ex.report.messages - ex.report.frames - len(ex.pending))
        elif topic in kinds:
            ex.on_partner(kinds[topic], msgtype, msg, log_ns)
        elif topic in (sel.tf, sel.tf_static):
            tf.add_tf_message(msg, static=topic == sel.tf_static)
        elif topic == sel.odom:
            tf.add_odometry(msg)
        ex.flush()
    ex.flush(final=True)


def _note_gaps(records: list, report: ExtractReport, factor: float = 3.0) -> None:
    """Say where frames are missing (gaps over ``factor`` x the median interval): consecutive
    indices there are not consecutive in time."""
    stamps = np.array([r.stamp_ns for r in records], np.int64)
    if stamps.size < 3:
        return
    gaps = np.diff(stamps)
    median = float(np.median(gaps))
    big = np.flatnonzero(gaps > factor * median)
    if big.size:
        worst = big[np.argmax(gaps[big])]
        report.notes.append(f"{big.size} gap(s) longer than {factor:g}x the median frame interval "
                            f"({median / 1e6:.1f} ms); the largest, {gaps[worst] / 1e9:.3f} s, after frame "
                            f"{records[worst].index}")


def _write_intrinsics(out: Path, ex: _Extractor, info: CameraInfoTimeline | None, report: ExtractReport) -> None:
    if not ex.cameras:
        report.intrinsics_source = ("none (no camera_info on the image's namespace; pass --camera-info-topic or "
                                    "--intrinsics fx,fy,cx,cy)" if info is None else f"none usable on {info.topic}")
        (out / "intrinsics.yaml").unlink(missing_ok=True)
        return
    cams = [ex.camera_of[i] for i in range(len(ex.cameras))]
    source = cams[0].how if cams[0].raw is None else f"camera_info {info.topic}"
    hows = sorted({c.how for c in cams})
    report.intrinsics_source = (f"{source}, {len(cams)} calibration(s), images {'; '.join(hows)}")
    ff.write_intrinsics(out / "intrinsics.yaml", cams[0].written, cams[0].baseline_m, source,
                        cams[0].raw if cams[0].rectify_left else None,
                        [(c.written, c.baseline_m, c.raw if c.rectify_left else None) for c in cams])


def camera_frames(frame_ids: dict[int, str], explicit: str | None, report: ExtractReport) -> dict[int, str]:
    """index -> the TF frame whose pose the frame gets: ``explicit`` (--camera-frame) for all, else
    the image's own header frame_id (an empty one: the previous frame's, or the first one given).
    A frame_id that changes mid-bag is said in one note (poses follow it)."""
    if explicit:
        return {index: explicit for index in frame_ids}
    first = next((f for _, f in sorted(frame_ids.items()) if f), "")
    out, last, runs = {}, first, []
    for index, frame in sorted(frame_ids.items()):
        last = frame or last
        out[index] = last
        if last and (not runs or runs[-1][1] != last):
            runs.append((index, last))
    if len(runs) > 1:
        shown = ", ".join(f"{frame!r} from frame {index}" for index, frame in runs[:6])
        more = f" and {len(runs) - 6} more" if len(runs) > 6 else ""
        report.notes.append(f"the image frame_id changed mid-bag ({shown}{more}): each frame's pose is that "
                            "of its own frame_id (--camera-frame sets one for all)")
    return out


def _write_poses(out: Path, tf: TransformBuffer, odom_frame: str, frame_of: dict[int, str],
                 records: list, cameras: dict, report: ExtractReport) -> None:
    poses = []
    if tf.frames:
        for rec in records:
            if not frame_of.get(rec.index):
                continue
            try:
                T = tf.lookup(odom_frame, frame_of[rec.index], rec.stamp_ns)
            except TransformLookupError as exc:
                report.pose_failures[str(exc)[:200]] += 1
                continue
            cam = cameras.get(rec.camera)
            if cam is not None and cam.r_left is not None:  # stereo-rectified: the rotated frame's pose
                T = T @ se3(cam.r_left.T, (0.0, 0.0, 0.0))
            poses.append((rec.stamp_ns, T))
    report.poses_written = len(poses)
    ff.write_poses_tum(out / "poses_tum.txt", poses)
