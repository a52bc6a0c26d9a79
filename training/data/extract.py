"""Bag -> dataset folder (see :mod:`training.data.folder_format`), streaming in constant memory.

Colour frames are numbered in bag order. Depth and right images are paired to each colour frame
by header stamp (nearest within ``tolerance_ms``) with a bounded look-ahead window. TF /
odometry messages (small) are kept and resolved at the end (odom -> ... -> camera frame,
interpolated at the image stamp). Finished frames are logged to ``manifest.partial.csv`` so a
re-run skips them. Undecodable messages are counted by reason and skipped.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from mono_depth_ros.core.camera import CameraIntrinsics, intrinsics_from_camera_info
from mono_depth_ros.core.depth import depth_from_image
from mono_depth_ros.core.image import compressed_to_rgb8, image_to_rgb8
from mono_depth_ros.core.stamps import stamp_to_ns
from training.data import folder_format as ff
from training.data.bag_reader import open_bag
from training.data.tf_buffer import TransformBuffer, TransformLookupError
from training.data.topics import TopicSelection, select_topics

PARTIAL = "manifest.partial.csv"
MAX_PENDING = 64  # colour frames waiting for their depth/right partner (bounds memory)


@dataclass
class ExtractReport:
    """What happened: counts and reasons (``errors``: (topic, reason) -> count)."""

    selection: TopicSelection
    frames: int = 0
    written: int = 0
    skipped_existing: int = 0
    unmatched: dict[str, int] = field(default_factory=lambda: collections.Counter())
    errors: dict[tuple[str, str], int] = field(default_factory=lambda: collections.Counter())
    poses_written: int = 0
    pose_failures: dict[str, int] = field(default_factory=lambda: collections.Counter())
    intrinsics_source: str = "none"

    def summary(self) -> str:
        lines = [f"frames: {self.frames} (written {self.written}, already done {self.skipped_existing})",
                 f"topics: {self.selection}", f"intrinsics: {self.intrinsics_source}",
                 f"poses: {self.poses_written}/{self.frames}"]
        lines += [f"unmatched {k}: {v}" for k, v in self.unmatched.items() if v]
        lines += [f"pose lookup failed ({v}x): {k}" for k, v in list(self.pose_failures.items())[:5]]
        lines += [f"undecodable on {t} ({n}x): {r}" for (t, r), n in self.errors.items()]
        return "\n".join(lines)


def _header_stamp(msg, log_stamp_ns: int) -> int:
    stamp = stamp_to_ns(msg.header.stamp)
    return stamp if stamp > 0 else log_stamp_ns


def _to_rgb(msgtype: str, msg) -> np.ndarray:
    return compressed_to_rgb8(msg) if msgtype.endswith("CompressedImage") else image_to_rgb8(msg)


class _Extractor:
    """Holds the streaming state of one extraction."""

    def __init__(self, out: Path, sel: TopicSelection, tolerance_ns: int, depth_format: str,
                 report: ExtractReport) -> None:
        self.out, self.sel, self.tol, self.report = out, sel, tolerance_ns, report
        self.depth_ext = ".npy" if depth_format == "npy" else ".png"
        self.done = {r.index: r for r in ff.read_manifest(out / PARTIAL)}
        self.records: dict[int, ff.FrameRecord] = dict(self.done)
        self.pending: collections.deque = collections.deque()
        self.partners = {k: collections.deque() for k in ("depth", "right") if getattr(sel, k)}
        self.latest = {k: -1 for k in self.partners}
        self.next_index = 0
        self.camera_frame: str | None = None
        fresh = not (out / PARTIAL).is_file() or (out / PARTIAL).stat().st_size == 0
        self.partial = open(out / PARTIAL, "a")
        if fresh:
            self.partial.write(",".join(ff.MANIFEST_FIELDS) + "\n")

    def on_colour(self, msgtype: str, msg, log_ns: int) -> None:
        stamp = _header_stamp(msg, log_ns)
        self.camera_frame = self.camera_frame or msg.header.frame_id
        index, self.next_index = self.next_index, self.next_index + 1
        self.report.frames += 1
        if index in self.done:
            self.report.skipped_existing += 1
            return
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

    def _finish(self, index: int, stamp: int, msgtype: str, msg) -> None:
        name = f"{index:06d}"
        try:
            rgb = _to_rgb(msgtype, msg)
        except Exception as exc:
            self.report.errors[(self.sel.image, f"{type(exc).__name__}: {exc}"[:100])] += 1
            return
        record = {"rgb": f"rgb/{name}.png", "depth": "", "right": ""}
        ff.write_rgb(self.out / record["rgb"], rgb)
        for kind in self.partners:
            match = self._nearest(kind, stamp)
            if match is None:
                continue
            try:
                if kind == "depth":
                    record["depth"] = f"depth/{name}{self.depth_ext}"
                    ff.write_depth(self.out / record["depth"], depth_from_image(match[2]))
                else:
                    record["right"] = f"right/{name}.png"
                    ff.write_rgb(self.out / record["right"], _to_rgb(match[1], match[2]))
            except Exception as exc:
                record[kind] = ""
                self.report.errors[(getattr(self.sel, kind), f"{type(exc).__name__}: {exc}"[:100])] += 1
        rec = ff.FrameRecord(index, stamp, record["rgb"], record["depth"], record["right"])
        self.records[index] = rec
        self.partial.write(f"{rec.index},{rec.stamp_ns},{rec.rgb},{rec.depth},{rec.right}\n")
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


def extract_bag(bag: str | Path, out_dir: str | Path, *, image_topic: str | None = None,
                depth_topic: str | None = None, right_topic: str | None = None,
                camera_info_topic: str | None = None, odom_topic: str | None = None,
                camera_frame: str | None = None, odom_frame: str = "odom", tolerance_ms: float = 20.0,
                intrinsics: str | tuple | None = None, depth_format: str = "png",
                progress: Callable[[int], None] | None = None) -> ExtractReport:
    """Extract ``bag`` into the dataset folder ``out_dir`` (created; re-runs resume)."""
    if depth_format not in ("png", "npy"):
        raise ValueError(f"depth_format={depth_format!r}: expected 'png' or 'npy'")
    manual_intr = _intrinsics_arg(intrinsics)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with open_bag(bag) as source:
        sel = select_topics(source.topics, source.describe(), image_topic, depth_topic, right_topic,
                            camera_info_topic, odom_topic)
        report = ExtractReport(sel)
        ex = _Extractor(out, sel, int(tolerance_ms * 1e6), depth_format, report)
        tf = TransformBuffer(tolerance_ns=int(tolerance_ms * 1e6))
        infos: dict[str, object] = {}
        kinds = {sel.depth: "depth", sel.right: "right"}
        for topic, msgtype, log_ns, msg in source.messages(sel.streams()):
            if topic == sel.image:
                ex.on_colour(msgtype, msg, log_ns)
                if progress is not None:
                    progress(1)
            elif topic in kinds:
                ex.on_partner(kinds[topic], msgtype, msg, log_ns)
            elif topic in (sel.camera_info, sel.right_camera_info):
                infos.setdefault(topic, msg)
            elif topic in (sel.tf, sel.tf_static):
                tf.add_tf_message(msg, static=topic == sel.tf_static)
            elif topic == sel.odom:
                tf.add_odometry(msg)
            ex.flush()
        ex.flush(final=True)
        ex.partial.close()
        report.errors.update(source.errors)
    records = sorted(ex.records.values(), key=lambda r: r.index)
    _write_intrinsics(out, sel, infos, manual_intr, records, report)
    _write_poses(out, tf, odom_frame, camera_frame or ex.camera_frame, records, report)
    ff.write_manifest(out / "manifest.csv", records)
    ff.write_splits(out, ff.contiguous_splits([r.index for r in records]))
    return report


def _write_intrinsics(out: Path, sel: TopicSelection, infos: dict, manual: tuple | None,
                      records: list, report: ExtractReport) -> None:
    intr, source_name = None, "none"
    if manual is not None and records:
        height, width = ff.read_rgb(out / records[0].rgb).shape[:2]
        intr, source_name = CameraIntrinsics(width, height, *manual).validate(), "argument"
    elif sel.camera_info in infos:
        intr, source_name = intrinsics_from_camera_info(infos[sel.camera_info]), f"camera_info {sel.camera_info}"
    baseline_m = None
    if sel.right_camera_info in infos:
        p = np.asarray(infos[sel.right_camera_info].p, float).reshape(3, 4)
        baseline_m = float(-p[0, 3] / p[0, 0]) if p[0, 0] > 0 and p[0, 3] != 0 else None
    report.intrinsics_source = source_name
    if intr is not None:
        ff.write_intrinsics(out / "intrinsics.yaml", intr, baseline_m, source_name)


def _write_poses(out: Path, tf: TransformBuffer, odom_frame: str, camera_frame: str | None,
                 records: list, report: ExtractReport) -> None:
    poses = []
    if camera_frame and tf.frames:
        for rec in records:
            try:
                poses.append((rec.stamp_ns, tf.lookup(odom_frame, camera_frame, rec.stamp_ns)))
            except TransformLookupError as exc:
                report.pose_failures[str(exc)[:160]] += 1
    report.poses_written = len(poses)
    ff.write_poses_tum(out / "poses_tum.txt", poses)
