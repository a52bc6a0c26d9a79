"""The camera a node knows from camera_info: validated intrinsics and rectification of its images.

depth_node and a standalone ego_motion_node see the same ``image_raw`` a driver publishes, lens
distortion included; both rectify it the same way (maps cached per camera_info, core/rectify.py)
before their networks see it, so depth, clouds and motion describe the rectified pinhole camera.
An image that is already rectified (``rectify`` auto with a topic named ``image_rect*``, image_proc's
output, whose camera_info is the driver's raw one; or ``rectify`` never) is not rectified again: its
intrinsics are camera_info's P with no distortion (``core.rectify.image_rect_intrinsics``).
The camera_info callback (executor thread) and the worker thread share it under a lock.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np

from mono_depth_ros.core.camera import CameraIntrinsics, intrinsics_from_camera_info
from mono_depth_ros.core.rectify import RECTIFIED_TOPIC_PREFIX, RectifierCache, UnknownDistortionModel, \
    image_rect_intrinsics, rectified_intrinsics, topic_is_rectified
from mono_depth_ros.nodes.depth_config import check_plausible_intrinsics
from mono_depth_ros.nodes.params import camera_info_sibling


def input_topics(node: Any, image_topic: str, camera_info_topic: str, use_compressed: bool) -> tuple[str, str]:
    """(image topic to subscribe, camera_info topic), resolved as image_transport does: the base
    image topic's name first (namespace, remaps), then the transport suffix (``/compressed``; a
    remap of that full name still applies) and the camera_info sibling of the resolved base, so a
    remapped image brings its camera_info and its name (``image_rect``?) along."""
    base = node.resolve_topic_name(image_topic)
    image = node.resolve_topic_name(f"{base}/compressed") if use_compressed else base
    info = camera_info_topic or camera_info_sibling(base)
    return image, node.resolve_topic_name(info)


def image_is_rectified(rectify: str, image_topic: str) -> bool:
    """Whether images of ``image_topic`` (resolved, remaps applied) are taken as already rectified:
    ``rectify`` never, or auto with a topic named as image_proc's output (``topic_is_rectified``)."""
    if rectify == "never":
        return True
    return rectify == "auto" and topic_is_rectified(image_topic)


class CameraModel:
    """Latest valid camera_info of a stream and the rectification it implies.

    ``warn(text)``: throttled warning sink (the node's logger) for a distortion that cannot be
    rectified (an unknown model, or a D length OpenCV does not take); such frames are counted and
    treated as undistorted. ``rectify`` (auto | always | never) and ``image_topic`` (resolved) decide
    whether the images are rectified here or already are (``image_is_rectified``).
    """

    def __init__(self, warn: Callable[[str], None], rectify: str = "auto", image_topic: str = "") -> None:
        self._warn = warn
        self._lock = threading.Lock()
        self._intrinsics: CameraIntrinsics | None = None
        self._rectifiers = RectifierCache()
        self.rectify_mode = rectify
        self.image_topic = image_topic
        self.already_rectified = image_is_rectified(rectify, image_topic)
        self.rectified_frames = 0
        self.unknown_distortion_frames = 0

    def describe(self) -> str:
        """One start-up line: which rectification applies to this node's images."""
        if self.already_rectified:
            why = "rectify never" if self.rectify_mode == "never" else (
                f"rectify auto: {self.image_topic} is named {RECTIFIED_TOPIC_PREFIX}* (rectify:=always to rectify it)")
            return (f"{why}: images taken as already rectified, intrinsics from camera_info's P (K without one), "
                    "D ignored")
        return (f"rectify {self.rectify_mode}: images of {self.image_topic} are rectified with camera_info's D "
                "when it is not zero" + (" (a topic named image_rect* would be taken as rectified)"
                                         if self.rectify_mode == "auto" else ""))

    def update(self, msg: Any) -> None:
        """Keep a CameraInfo message; InputError (with the reason) when it is invalid or implausible
        (K, or the intrinsics of the rectified image). A D that cannot be rectified is no reason."""
        intr = intrinsics_from_camera_info(msg)
        check_plausible_intrinsics(intr)
        try:
            check_plausible_intrinsics(self._target(intr))
        except UnknownDistortionModel:
            pass  # kept: frames are counted and treated as undistorted (see rectify)
        with self._lock:
            self._intrinsics = intr

    def _target(self, intr: CameraIntrinsics) -> CameraIntrinsics:
        """Intrinsics of the image the networks see; UnknownDistortionModel when D cannot be undone."""
        return image_rect_intrinsics(intr) if self.already_rectified else rectified_intrinsics(intr)

    @property
    def latest(self) -> CameraIntrinsics | None:
        """The latest valid camera_info as received (distortion included), or None."""
        with self._lock:
            return self._intrinsics

    def matching(self, width: int, height: int) -> tuple[CameraIntrinsics | None, CameraIntrinsics | None]:
        """(intrinsics of the rectified image if the latest camera_info is ``width`` x ``height``,
        the camera_info dropped because its size differs); a mismatching one is forgotten."""
        with self._lock:
            intr = self._intrinsics
            if intr is not None and (intr.width, intr.height) != (width, height):
                self._intrinsics = None
                return None, intr
        if intr is None:
            return None, None
        if self.already_rectified:
            return image_rect_intrinsics(intr), None
        try:
            return self._rectifiers.get(intr).rectified, None  # what rectify() made of the image (cached)
        except UnknownDistortionModel:
            return intr, None

    def rectify(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(H, W[, 3]) image -> (it rectified with the latest camera_info of its size, (H, W) bool
        mask of the rectified pixels that saw the raw image or None when all did). As it is (None)
        without a camera_info of its size, when already rectified, or with a D that cannot be undone."""
        with self._lock:
            intr = self._intrinsics
        if self.already_rectified or intr is None or (intr.width, intr.height) != (rgb.shape[1], rgb.shape[0]):
            return rgb, None
        try:
            rectifier = self._rectifiers.get(intr)
        except UnknownDistortionModel as exc:
            self.unknown_distortion_frames += 1
            self._warn(f"camera_info: {exc}; image treated as undistorted ({self.unknown_distortion_frames} frames)")
            return rgb, None
        if rectifier.is_identity:
            return rgb, None
        self.rectified_frames += 1
        return rectifier.apply(rgb), rectifier.valid  # None when every rectified pixel saw the raw image

    def stats(self) -> dict[str, Any]:
        """What /diagnostics shows of the camera model."""
        return {"rectify": "already rectified" if self.already_rectified else self.rectify_mode,
                "rectified_frames": self.rectified_frames,
                "unknown_distortion_model_frames": self.unknown_distortion_frames}

    def problem(self) -> str | None:
        """A line for /diagnostics' message once frames had a distortion that could not be undone."""
        if not self.unknown_distortion_frames:
            return None
        return f"{self.unknown_distortion_frames} x unknown_distortion_model (treated as undistorted)"
