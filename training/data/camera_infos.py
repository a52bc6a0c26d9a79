"""CameraInfo over a whole bag: per-frame intrinsics, distortion, rectification of frames and pairs.

Real recordings start with an all-zero CameraInfo (an uncalibrated driver), get recalibrated or
change resolution mid-bag, and carry lens distortion. :class:`CameraInfoTimeline` keeps every
valid CameraInfo of a topic by stamp (invalid ones are counted by reason, never fatal);
:class:`CameraModel` picks, for each frame, the CameraInfo in force (the latest at or before the
frame's stamp with the frame's size, else the first later one) and says how the frame is written:

- ``rectify="auto"``: rectified when D is non-zero (a stereo pair: when D is non-zero or R is not
  identity), except images of a topic named as image_proc's output (``image_rect*``): already
  rectified, written as recorded with the intrinsics of P and no distortion, as the nodes take
  them; ``"on"``: rectified when D is non-zero whatever the topic's name, and frames without a
  matching CameraInfo are not written; ``"off"``: raw images, intrinsics with the original D.
- a single camera is rectified with :mod:`mono_depth_ros.core.rectify` (as the nodes do), a stereo
  pair with both calibrations (:class:`training.data.stereo.StereoRectification`).
"""

from __future__ import annotations

import bisect
import collections
from dataclasses import dataclass
from typing import Callable

import numpy as np

from mono_depth_ros.core.camera import CameraIntrinsics, intrinsics_from_camera_info
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.rectify import RectifierCache, UnknownDistortionModel, image_rect_intrinsics, is_distorted
from mono_depth_ros.core.stamps import stamp_to_ns
from training.data.stereo import StereoRectification

RECTIFY_MODES = ("auto", "on", "off")


def _rotation(msg) -> np.ndarray:
    r = np.asarray(getattr(msg, "r", None) if hasattr(msg, "r") else getattr(msg, "R"), np.float64).reshape(-1)
    return r.reshape(3, 3) if r.size == 9 and np.any(r != 0) else np.eye(3)


@dataclass(frozen=True, eq=False)
class CameraInfoEntry:
    stamp_ns: int
    intrinsics: CameraIntrinsics
    r: np.ndarray  # (3, 3) rectification rotation of the camera_info (identity when absent)


class CameraInfoTimeline:
    """Every valid CameraInfo of one topic, sorted by stamp, consecutive duplicates collapsed."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.entries: list[CameraInfoEntry] = []
        self.invalid: collections.Counter[str] = collections.Counter()
        self._stamps: list[int] = []

    def add(self, msg, log_ns: int) -> None:
        try:
            intr = intrinsics_from_camera_info(msg)
        except InputError as exc:  # an uncalibrated driver publishes zeros: skip it, say so
            self.invalid[str(exc)] += 1
            return
        stamp = stamp_to_ns(msg.header.stamp) or log_ns
        self.entries.append(CameraInfoEntry(stamp, intr, _rotation(msg)))

    def finish(self) -> "CameraInfoTimeline":
        self.entries.sort(key=lambda e: e.stamp_ns)
        kept: list[CameraInfoEntry] = []
        for entry in self.entries:
            if not kept or kept[-1].intrinsics != entry.intrinsics or not np.array_equal(kept[-1].r, entry.r):
                kept.append(entry)
        self.entries, self._stamps = kept, [e.stamp_ns for e in kept]
        return self

    def at(self, stamp_ns: int, width: int, height: int) -> CameraInfoEntry | None:
        """The CameraInfo in force at ``stamp_ns`` for an image of ``width`` x ``height``."""
        index = bisect.bisect_right(self._stamps, stamp_ns)
        before = [e for e in self.entries[:index] if (e.intrinsics.width, e.intrinsics.height) == (width, height)]
        if before:
            return before[-1]
        after = [e for e in self.entries[index:] if (e.intrinsics.width, e.intrinsics.height) == (width, height)]
        return after[0] if after else None

    def sizes(self) -> list[tuple[int, int]]:
        return sorted({(e.intrinsics.width, e.intrinsics.height) for e in self.entries})


@dataclass(frozen=True, eq=False)
class FrameCamera:
    """How one frame is written: its raw and written intrinsics and the remaps to apply.

    ``rectify_left(image, nearest)`` / ``rectify_right`` are None when the images are written as
    recorded; ``r_left`` (3, 3) rotates the camera frame into the written (stereo-rectified) frame.
    """

    raw: CameraIntrinsics | None
    written: CameraIntrinsics | None
    rectify_left: Callable | None = None
    rectify_right: Callable | None = None
    baseline_m: float | None = None
    r_left: np.ndarray | None = None
    how: str = "as recorded"


class CameraModel:
    """Resolves the FrameCamera of each frame from the timelines (or fixed ``manual`` fx,fy,cx,cy)."""

    def __init__(self, left: CameraInfoTimeline | None, right: CameraInfoTimeline | None, mode: str = "auto",
                 manual: tuple[float, ...] | None = None, already_rectified: bool = False) -> None:
        """``already_rectified``: the images come rectified (an ``image_rect*`` topic); in ``auto``
        they are written as recorded with the intrinsics of P, not rectified a second time."""
        if mode not in RECTIFY_MODES:
            raise ValueError(f"rectify={mode!r}: expected one of {RECTIFY_MODES}")
        self.left, self.right, self.mode, self.manual = left, right, mode, manual
        self.already_rectified = already_rectified and mode == "auto"
        self.problems: collections.Counter[str] = collections.Counter()
        self._mono = RectifierCache(max_entries=8)
        self._cache: dict[tuple, FrameCamera] = {}

    def for_frame(self, stamp_ns: int, width: int, height: int,
                  right_hw: tuple[int, int] | None = None) -> FrameCamera | None:
        """None only when ``mode == "on"`` and the frame has no usable CameraInfo (not written)."""
        if self.manual is not None:
            return FrameCamera(None, CameraIntrinsics(width, height, *self.manual).validate(), how="--intrinsics")
        entry = self.left.at(stamp_ns, width, height) if self.left is not None else None
        if entry is None:
            if self.left is not None and self.left.entries:
                self.problems[f"no camera_info on {self.left.topic} for {width}x{height} images "
                              f"(camera_info sizes {self.left.sizes()})"] += 1
            return None if self.mode == "on" else FrameCamera(None, None)
        right = None
        if self.right is not None and right_hw is not None:
            right = self.right.at(stamp_ns, right_hw[1], right_hw[0])
        key = (id(entry), id(right))
        if key not in self._cache:
            self._cache[key] = self._build(entry, right)
        return self._cache[key]

    def _build(self, entry: CameraInfoEntry, right: CameraInfoEntry | None) -> FrameCamera:
        intr = entry.intrinsics
        baseline = _baseline(right.intrinsics) if right is not None else None
        if self.mode == "off":
            return FrameCamera(intr, intr, baseline_m=baseline)
        if self.already_rectified:
            return FrameCamera(intr, image_rect_intrinsics(intr), baseline_m=baseline,
                               how="already rectified (image_rect*): intrinsics of P")
        if right is not None and StereoRectification.needed(intr, right.intrinsics, entry.r, right.r):
            try:
                pair = StereoRectification.build(intr, right.intrinsics, entry.r, right.r)
            except (ValueError, InputError) as exc:
                self.problems[f"stereo pair not rectified: {exc}"] += 1
            else:
                return FrameCamera(intr, pair.left, lambda im, nearest=False: pair.apply(im, "left", nearest),
                                   lambda im, nearest=False: pair.apply(im, "right", nearest), pair.baseline_m,
                                   pair.r_left, f"stereo-rectified ({intr.distortion_model} D={list(intr.d)})")
        if not is_distorted(intr):
            return FrameCamera(intr, intr, baseline_m=baseline)
        try:
            rectifier = self._mono.get(intr)
        except (UnknownDistortionModel, InputError) as exc:
            self.problems[f"not rectified, written as recorded: {exc}"] += 1
            return FrameCamera(intr, intr, baseline_m=baseline)
        return FrameCamera(intr, rectifier.rectified, rectifier.apply, None, baseline, None,
                           f"rectified ({intr.distortion_model} D={list(intr.d)})")


def _baseline(right: CameraIntrinsics) -> float | None:
    p = right.p_matrix
    return float(-p[0, 3] / p[0, 0]) if p[0, 0] > 0 and p[0, 3] != 0 else None
