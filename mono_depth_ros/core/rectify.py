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

Supported ``distortion_model`` values (sensor_msgs/distortion_models.hpp) and D lengths, those
OpenCV takes (image_geometry hands D to OpenCV as it is): ``plumb_bob`` and ``rational_polynomial``
with 4, 5, 8, 12 or 14 coefficients (k1 k2 p1 p2 [k3 [k4 k5 k6 [s1 s2 s3 s4 [tau_x tau_y]]]]:
Isaac Sim publishes 12, some drivers 8 for plumb_bob with the rational ones zero), ``equidistant``
with 4 (k1 k2 k3 k4, the OpenCV fisheye model), or more when the extra ones are zero (older
realsense-ros publishes 5). An empty or all-zero D is a no-op whatever the model says. Any other
model or D length with a non-zero D raises UnknownDistortionModel, which callers catch to count it
and carry on with the image as if undistorted (never a reason to refuse K).

An image that is already rectified (image_proc's ``image_rect``, published with the raw camera's
camera_info) is described by ``image_rect_intrinsics``: P, no distortion, as image_geometry's
PinholeCameraModel does for rectified images.

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

OPENCV_D_LENGTHS = (4, 5, 8, 12, 14)  # what cv2.initUndistortRectifyMap takes
#: D lengths of each supported distortion_model (equidistant: more than 4 when the extra ones are 0)
DISTORTION_D_LENGTHS = {"plumb_bob": OPENCV_D_LENGTHS, "rational_polynomial": OPENCV_D_LENGTHS, "equidistant": (4,)}
RECTIFIED_MODEL = "plumb_bob"
RECTIFIED_TOPIC_PREFIX = "image_rect"  # image_proc's image_rect, image_rect_color (image_transport names)
RECTIFIED_D = (0.0, 0.0, 0.0, 0.0, 0.0)


class UnknownDistortionModel(InputError):
    """A camera_info's distortion this package cannot undo (D is not zero): an unknown
    ``distortion_model`` or a D length OpenCV does not take for it. ``model``: the model's name."""

    def __init__(self, model: str, d: tuple[float, ...] | None = None) -> None:
        if d is None:
            super().__init__("distortion_model", model,
                             f"unknown with a non-zero D; supported: {', '.join(DISTORTION_D_LENGTHS)}")
        else:
            lengths = " or ".join(map(str, DISTORTION_D_LENGTHS[model]))
            extra = " (more when the extra ones are 0)" if model == "equidistant" else ""
            super().__init__("d", d, f"{model} takes {lengths} coefficients{extra}, got {len(d)}")
        self.model = model


def is_distorted(intr: CameraIntrinsics) -> bool:
    """True when ``intr.d`` has a non-zero coefficient."""
    return any(v != 0.0 for v in intr.d)


def opencv_distortion(intr: CameraIntrinsics) -> np.ndarray:
    """(N,) float64 D of ``intr`` as OpenCV's undistortion takes it for its model (equidistant:
    the 4 coefficients). Raises UnknownDistortionModel for an unknown model or a D length that
    model does not take; the one check of D for the nodes and training's bag extraction."""
    d = np.asarray(intr.d, dtype=np.float64)
    lengths = DISTORTION_D_LENGTHS.get(intr.distortion_model)
    if lengths is None:
        raise UnknownDistortionModel(intr.distortion_model)
    if intr.distortion_model == "equidistant" and d.size > 4 and not d[4:].any():
        return d[:4]  # older realsense-ros: a fifth coefficient, always 0
    if d.size not in lengths:
        raise UnknownDistortionModel(intr.distortion_model, intr.d)
    return d


def rectified_intrinsics(intr: CameraIntrinsics) -> CameraIntrinsics:
    """Intrinsics of the rectified image of a camera with ``intr`` (``intr`` itself when D is zero).

    Raises UnknownDistortionModel as ``Rectifier.build`` does, without building maps.
    """
    if not is_distorted(intr):
        return intr
    opencv_distortion(intr)
    return image_rect_intrinsics(intr)


def topic_is_rectified(topic: str) -> bool:
    """Whether ``topic``'s last name component says image_proc rectified it (``image_rect``,
    ``image_rect_color``; a transport suffix such as ``/compressed`` is not part of the name)."""
    parts = [p for p in topic.split("/") if p]
    if parts and parts[-1] in ("compressed", "compressedDepth", "theora", "zstd"):
        parts = parts[:-1]
    return bool(parts) and parts[-1].startswith(RECTIFIED_TOPIC_PREFIX)


def image_rect_intrinsics(intr: CameraIntrinsics) -> CameraIntrinsics:
    """Intrinsics of an image that is already rectified, given its camera's camera_info ``intr``
    (image_proc publishes ``image_rect`` with the driver's raw camera_info: D, K, R, P).

    As image_geometry's PinholeCameraModel for rectified images: fx' = P[0, 0], fy' = P[1, 1],
    cx' = P[0, 2], cy' = P[1, 2] (K when the camera_info has no P), no distortion (``RECTIFIED_D``),
    P kept (its Tx included). Whatever D says: it was removed upstream. With D zero, image_proc
    passes the raw image through unchanged ("if zero distortion, just pass the message along"), so
    it is described by K as it is: ``intr`` itself.
    """
    if not is_distorted(intr):
        return intr
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
        if is_distorted(intr):
            d = opencv_distortion(intr)
        else:  # a stereo side without distortion: its R alone (fisheye with k = 0 is still equidistant)
            d = np.zeros(4 if intr.distortion_model == "equidistant" else 0)
        if intr.distortion_model == "equidistant":
            map_x, map_y = cv2.fisheye.initUndistortRectifyMap(intr.k, d, rot, target.k, size, cv2.CV_32FC1)
        else:
            map_x, map_y = cv2.initUndistortRectifyMap(intr.k, d if d.size else None, rot, target.k, size,
                                                       cv2.CV_32FC1)
        valid = ((map_x >= 0) & (map_x <= intr.width - 1) & (map_y >= 0) & (map_y <= intr.height - 1))
        map1, map2 = cv2.convertMaps(map_x, map_y, cv2.CV_16SC2)
        return cls(intr, target, map1, map2, None if valid.all() else valid)  # None: no border (checked once)

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
    non-zero D of a model or length that is not supported, InputError for an image whose size
    differs from the camera_info's.
    """
    rectifier = cache.get(intr) if cache is not None else Rectifier.build(intr)
    return rectifier.apply(image), rectifier.rectified


def _new_camera_matrix(intr: CameraIntrinsics) -> np.ndarray:
    """(3, 3): P[:3, :3] when the camera_info has P, else K."""
    if intr.p is not None:
        p = intr.p_matrix
        if p[0, 0] > 0 and p[1, 1] > 0:
            return p[:, :3].copy()
    return intr.k
