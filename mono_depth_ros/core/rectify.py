"""Rectify (undistort) camera images with maps cached per camera_info.

Real drivers publish ``image_raw`` with a CameraInfo whose D is not zero. Depth networks are
pinhole models, so every image is first remapped to the pinhole image its camera_info implies,
exactly as image_proc's rectify node does (``cv2.initUndistortRectifyMap`` /
``cv2.fisheye.initUndistortRectifyMap`` with the camera's K and D):

- new camera matrix: P[:3, :3] of the camera_info when P is given (what ``camera_calibration``
  writes and image_proc uses), otherwise K;
- R is taken as identity (monocular). A stereo camera's rectifying rotation is not applied; the
  result is still an exact pinhole image of the camera's own optical frame, described by the
  returned intrinsics;
- the rectified image's intrinsics: that camera matrix, ``distortion_model="plumb_bob"`` and
  ``d = (0, 0, 0, 0, 0)`` (the ROS spelling of "no distortion"), P kept (its Tx included).

Supported ``distortion_model`` values (sensor_msgs/distortion_models.hpp) and D lengths:
``plumb_bob`` (4 or 5: k1 k2 p1 p2 [k3]), ``rational_polynomial`` (8: k1 k2 p1 p2 k3 k4 k5 k6),
``equidistant`` (4: k1 k2 k3 k4, the OpenCV fisheye model). An empty or all-zero D is a no-op
whatever the model says. Any other model with a non-zero D raises UnknownDistortionModel, which
callers catch to count it and carry on with the image as if undistorted.

Pixels of the rectified image whose source lies outside the raw image are 0 (``valid_mask``
says which).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

import cv2
import numpy as np

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.errors import InputError

DISTORTION_D_LENGTHS = {"plumb_bob": (4, 5), "rational_polynomial": (8,), "equidistant": (4,)}
RECTIFIED_MODEL = "plumb_bob"
RECTIFIED_D = (0.0, 0.0, 0.0, 0.0, 0.0)


class UnknownDistortionModel(InputError):
    """A camera_info names a distortion model this package cannot undo (D is not zero)."""

    def __init__(self, model: str) -> None:
        super().__init__("distortion_model", model,
                         f"unknown with a non-zero D; supported: {', '.join(DISTORTION_D_LENGTHS)}")
        self.model = model


def is_distorted(intr: CameraIntrinsics) -> bool:
    """True when ``intr.d`` has a non-zero coefficient."""
    return any(v != 0.0 for v in intr.d)


def rectified_intrinsics(intr: CameraIntrinsics) -> CameraIntrinsics:
    """Intrinsics of the rectified image of a camera with ``intr`` (``intr`` itself when D is zero).

    Raises UnknownDistortionModel / InputError as ``Rectifier.build`` does, without building maps.
    """
    if not is_distorted(intr):
        return intr
    _check_model(intr)
    new_k = _new_camera_matrix(intr)
    return replace(intr, fx=new_k[0, 0], fy=new_k[1, 1], cx=new_k[0, 2], cy=new_k[1, 2],
                   distortion_model=RECTIFIED_MODEL, d=RECTIFIED_D)


@dataclass(frozen=True, eq=False)
class Rectifier:
    """Remap from a raw image with ``source`` intrinsics to the pinhole image ``rectified``.

    ``map1``/``map2``: fixed-point maps for ``cv2.remap`` (None when ``source`` has no distortion);
    ``valid``: (H, W) bool, rectified pixels whose source lies inside the raw image.
    """

    source: CameraIntrinsics
    rectified: CameraIntrinsics
    map1: np.ndarray | None
    map2: np.ndarray | None
    valid: np.ndarray | None

    @property
    def is_identity(self) -> bool:
        return self.map1 is None

    @classmethod
    def build(cls, intr: CameraIntrinsics, rotation: np.ndarray | None = None,
              target: CameraIntrinsics | None = None) -> "Rectifier":
        """Compute the maps for ``intr`` (tens of ms for a VGA image; use RectifierCache).

        Monocular (default): undistort to ``rectified_intrinsics(intr)``. Stereo, as image_proc
        does with a camera_info's R and P: ``rotation`` (3, 3) rotates into the rectified frame and
        ``target`` is the rectified pinhole (P[:3, :3], D zero, same size).
        """
        intr.validate()
        if rotation is None and target is None:
            target = rectified_intrinsics(intr)
            if target is intr:
                return cls(intr, intr, None, None, None)
        target = target if target is not None else replace(intr, distortion_model=RECTIFIED_MODEL, d=RECTIFIED_D)
        rot = np.eye(3) if rotation is None else np.asarray(rotation, dtype=np.float64)
        size = (intr.width, intr.height)
        d = np.asarray(intr.d, dtype=np.float64)
        if intr.distortion_model == "equidistant":
            map_x, map_y = cv2.fisheye.initUndistortRectifyMap(intr.k, d, rot, target.k, size, cv2.CV_32FC1)
        else:
            map_x, map_y = cv2.initUndistortRectifyMap(intr.k, d if d.size else None, rot, target.k, size,
                                                       cv2.CV_32FC1)
        valid = ((map_x >= 0) & (map_x <= intr.width - 1) & (map_y >= 0) & (map_y <= intr.height - 1))
        map1, map2 = cv2.convertMaps(map_x, map_y, cv2.CV_16SC2)
        return cls(intr, target, map1, map2, valid)

    def apply(self, image: np.ndarray, nearest: bool = False) -> np.ndarray:
        """(H, W[, C]) raw image -> (H, W[, C]) rectified, same dtype; bilinear, or ``nearest``
        for depth and labels. Outside the raw image: 0. The input itself when no distortion."""
        if tuple(image.shape[:2]) != (self.source.height, self.source.width):
            raise InputError("image", image.shape, f"camera_info is for {self.source.width}x{self.source.height}"
                             " pixels")
        if self.map1 is None:
            return image
        interp = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
        return cv2.remap(image, self.map1, self.map2, interp, borderMode=cv2.BORDER_CONSTANT, borderValue=0)

    def valid_mask(self) -> np.ndarray:
        """(H, W) bool: rectified pixels that saw the raw image."""
        if self.valid is None:
            return np.ones((self.source.height, self.source.width), dtype=bool)
        return self.valid


class RectifierCache:
    """Rectifiers keyed by camera_info (size, K, D, model, P); the ``max_entries`` most recent kept.

    Thread-safe; ``get`` builds the maps once per distinct camera_info.
    """

    def __init__(self, max_entries: int = 4) -> None:
        if max_entries < 1:
            raise InputError("max_entries", max_entries, "must be >= 1")
        self._max = int(max_entries)
        self._items: OrderedDict[tuple, Rectifier] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0

    @staticmethod
    def key(intr: CameraIntrinsics) -> tuple:
        return (intr.width, intr.height, intr.fx, intr.fy, intr.cx, intr.cy, intr.distortion_model, intr.d,
                intr.p)

    def get(self, intr: CameraIntrinsics) -> Rectifier:
        """The Rectifier for ``intr``; raises UnknownDistortionModel / InputError like ``build``."""
        key = self.key(intr)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        rectifier = Rectifier.build(intr)
        with self._lock:
            self._items[key] = rectifier
            self._items.move_to_end(key)
            self.builds += 1
            while len(self._items) > self._max:
                self._items.popitem(last=False)
        return rectifier


def rectify(image: np.ndarray, intr: CameraIntrinsics,
            cache: RectifierCache | None = None) -> tuple[np.ndarray, CameraIntrinsics]:
    """(H, W[, C]) raw image + its intrinsics -> (rectified image, rectified intrinsics).

    With ``cache`` the maps are built once per camera_info. Raises UnknownDistortionModel for a
    model with non-zero D that is not supported, InputError for a D of the wrong length or an
    image whose size differs from the camera_info's.
    """
    rectifier = cache.get(intr) if cache is not None else Rectifier.build(intr)
    return rectifier.apply(image), rectifier.rectified


def _check_model(intr: CameraIntrinsics) -> None:
    lengths = DISTORTION_D_LENGTHS.get(intr.distortion_model)
    if lengths is None:
        raise UnknownDistortionModel(intr.distortion_model)
    if len(intr.d) not in lengths:
        raise InputError("d", intr.d, f"{intr.distortion_model} needs {' or '.join(map(str, lengths))}"
                         f" coefficients, got {len(intr.d)}")


def _new_camera_matrix(intr: CameraIntrinsics) -> np.ndarray:
    """(3, 3): P[:3, :3] when the camera_info has P, else K."""
    if intr.p is not None:
        p = intr.p_matrix
        if p[0, 0] > 0 and p[1, 1] > 0:
            return p[:, :3].copy()
    return intr.k
