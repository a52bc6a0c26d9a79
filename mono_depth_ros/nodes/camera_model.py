"""The camera a node knows from camera_info: validated intrinsics and rectification of its images.

depth_node and a standalone ego_motion_node see the same ``image_raw`` a driver publishes, lens
distortion included; both rectify it the same way (maps cached per camera_info, core/rectify.py)
before their networks see it, so depth, clouds and motion describe the rectified pinhole camera.
The camera_info callback (executor thread) and the worker thread share it under a lock.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np

from mono_depth_ros.core.camera import CameraIntrinsics, intrinsics_from_camera_info
from mono_depth_ros.core.rectify import RectifierCache, UnknownDistortionModel, rectified_intrinsics
from mono_depth_ros.nodes.depth_config import check_plausible_intrinsics


class CameraModel:
    """Latest valid camera_info of a stream and the rectification it implies.

    ``warn(text)``: throttled warning sink (the node's logger) for a distortion model that cannot
    be rectified; such frames are counted and treated as undistorted.
    """

    def __init__(self, warn: Callable[[str], None]) -> None:
        self._warn = warn
        self._lock = threading.Lock()
        self._intrinsics: CameraIntrinsics | None = None
        self._rectifiers = RectifierCache()
        self.rectified_frames = 0
        self.unknown_distortion_frames = 0

    def update(self, msg: Any) -> None:
        """Keep a CameraInfo message; InputError (with the reason) when it is invalid or implausible."""
        intr = intrinsics_from_camera_info(msg)
        check_plausible_intrinsics(intr)
        try:
            rectified_intrinsics(intr)  # a D of the wrong length is an invalid camera_info
        except UnknownDistortionModel:
            pass  # kept: frames are counted and treated as undistorted (see rectify)
        with self._lock:
            self._intrinsics = intr

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
        try:
            return self._rectifiers.get(intr).rectified, None  # what rectify() made of the image (cached)
        except UnknownDistortionModel:
            return intr, None

    def rectify(self, rgb: np.ndarray) -> np.ndarray:
        """(H, W[, 3]) image rectified with the latest camera_info of its size (as is without one)."""
        with self._lock:
            intr = self._intrinsics
        if intr is None or (intr.width, intr.height) != (rgb.shape[1], rgb.shape[0]):
            return rgb
        try:
            rectifier = self._rectifiers.get(intr)
        except UnknownDistortionModel as exc:
            self.unknown_distortion_frames += 1
            self._warn(f"camera_info: {exc}; image treated as undistorted ({self.unknown_distortion_frames} frames)")
            return rgb
        if not rectifier.is_identity:
            self.rectified_frames += 1
        return rectifier.apply(rgb)
