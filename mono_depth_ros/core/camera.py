"""Pinhole camera intrinsics and sensor_msgs/CameraInfo, with resize/crop updates.

Resize and crop follow image_pipeline (image_proc's resize and crop_decimate): resizing scales
``fx, cx`` (and P's ``fx', cx', Tx``) by ``new_w / old_w`` and ``fy, cy, Ty`` by ``new_h / old_h``;
cropping subtracts the offsets from ``cx, cy``. That is the "pixel corner" convention (a point
at image coordinate u maps to ``u * s``). The exact map for pixel-centre sampling would be
``cx' = (cx + 0.5) * s - 0.5``; the difference is below half a pixel, and we match
image_pipeline so that our CameraInfo agrees with the ROS tools downstream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from mono_depth_ros.core._msgs import default_cls, float_array_field, nested_cls
from mono_depth_ros.core.errors import InputError


@dataclass(frozen=True)
class CameraIntrinsics:
    """Pinhole intrinsics of an image of ``width`` x ``height`` pixels.

    ``d``: distortion coefficients of ``distortion_model``; ``p``: 12 row-major floats of the
    3x4 projection matrix, or None meaning ``[K | 0]``.
    """

    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    distortion_model: str = "plumb_bob"
    d: tuple[float, ...] = field(default=())
    p: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("fx", "fy", "cx", "cy"):
            object.__setattr__(self, name, float(getattr(self, name)))
        object.__setattr__(self, "d", tuple(float(v) for v in np.asarray(self.d).reshape(-1)))
        if self.p is not None:
            object.__setattr__(self, "p", tuple(float(v) for v in np.asarray(self.p).reshape(-1)))

    @property
    def k(self) -> np.ndarray:
        """(3, 3) float64 camera matrix."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    @property
    def p_matrix(self) -> np.ndarray:
        """(3, 4) float64 projection matrix (``[K | 0]`` when ``p`` is None)."""
        if self.p is None:
            return np.hstack([self.k, np.zeros((3, 1))])
        return np.asarray(self.p, dtype=np.float64).reshape(3, 4)

    def validate(self) -> "CameraIntrinsics":
        """Raise InputError on non-positive size, zero/negative/non-finite focal, bad values."""
        for name in ("width", "height"):
            value = getattr(self, name)
            if int(value) != value or value <= 0:
                raise InputError(name, value, "must be a positive integer")
        for name in ("fx", "fy"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise InputError(name, value, "focal length must be finite and > 0")
        for name in ("cx", "cy"):
            if not math.isfinite(getattr(self, name)):
                raise InputError(name, getattr(self, name), "must be finite")
        if not all(math.isfinite(v) for v in self.d):
            raise InputError("d", self.d, "distortion coefficients must be finite")
        if self.p is not None:
            if len(self.p) != 12 or not all(math.isfinite(v) for v in self.p):
                raise InputError("p", self.p, "must be 12 finite numbers (3x4 row-major)")
        return self

    def scaled(self, width: int, height: int) -> "CameraIntrinsics":
        """Intrinsics of this image resized to ``width`` x ``height`` (image_pipeline convention)."""
        for name, value in (("width", width), ("height", height)):
            if int(value) != value or value <= 0:
                raise InputError(name, value, "resize target must be a positive integer")
        sx, sy = width / self.width, height / self.height
        p = None
        if self.p is not None:
            p_mat = self.p_matrix.copy()
            p_mat[0] *= sx  # fx', skew, cx', Tx
            p_mat[1] *= sy  # fy', cy', Ty
            p = tuple(p_mat.reshape(-1))
        return replace(self, width=int(width), height=int(height), fx=self.fx * sx,
                       fy=self.fy * sy, cx=self.cx * sx, cy=self.cy * sy, p=p)

    def cropped(self, x_offset: int, y_offset: int, width: int, height: int) -> "CameraIntrinsics":
        """Intrinsics of the crop ``[y_offset:y_offset+height, x_offset:x_offset+width]``."""
        checks = (("x_offset", x_offset, 0, self.width - 1), ("y_offset", y_offset, 0, self.height - 1),
                  ("width", width, 1, self.width - x_offset), ("height", height, 1, self.height - y_offset))
        for name, value, low, high in checks:
            if int(value) != value or not low <= value <= high:
                raise InputError(name, value, f"crop must lie inside the {self.width}x{self.height}"
                                 f" image: need {low} <= {name} <= {high}")
        p = None
        if self.p is not None:
            p_mat = self.p_matrix.copy()
            p_mat[0, 2] -= x_offset
            p_mat[1, 2] -= y_offset
            p = tuple(p_mat.reshape(-1))
        return replace(self, width=int(width), height=int(height), cx=self.cx - x_offset,
                       cy=self.cy - y_offset, p=p)


def _field(msg: Any, name: str) -> Any:
    """Field ``name`` (ROS 2 lowercase) or its ROS 1 uppercase spelling (``K``, ``D``, ``P``)."""
    if hasattr(msg, name):
        return getattr(msg, name)
    return getattr(msg, name.upper())


def intrinsics_from_camera_info(msg: Any) -> CameraIntrinsics:
    """CameraIntrinsics of the image a ``sensor_msgs/CameraInfo`` describes.

    Applies ROI then binning as image_geometry does (K is for the full-resolution sensor).
    Raises InputError on zero size, zero/NaN/Inf focal lengths or principal point.
    """
    k = np.asarray(_field(msg, "k"), dtype=np.float64).reshape(-1)
    if k.size != 9:
        raise InputError("k", k.tolist(), "must have 9 elements")
    for index, name in ((0, "k[0] (fx)"), (4, "k[4] (fy)"), (2, "k[2] (cx)"), (5, "k[5] (cy)")):
        if not math.isfinite(k[index]) or (index in (0, 4) and k[index] <= 0):
            raise InputError(name, float(k[index]), f"invalid camera matrix k={k.tolist()}")
    p = np.asarray(_field(msg, "p"), dtype=np.float64).reshape(-1)
    p_tuple = tuple(p) if p.size == 12 and np.any(p != 0) else None
    intr = CameraIntrinsics(width=int(msg.width), height=int(msg.height), fx=k[0], fy=k[4],
                            cx=k[2], cy=k[5], distortion_model=str(msg.distortion_model),
                            d=tuple(np.asarray(_field(msg, "d"), dtype=np.float64)), p=p_tuple)
    intr.validate()
    roi = getattr(msg, "roi", None)
    if roi is not None and int(roi.width) > 0 and int(roi.height) > 0 and (
            int(roi.width), int(roi.height)) != (intr.width, intr.height):
        intr = intr.cropped(int(roi.x_offset), int(roi.y_offset), int(roi.width), int(roi.height))
    bin_x, bin_y = max(int(getattr(msg, "binning_x", 0)), 1), max(int(getattr(msg, "binning_y", 0)), 1)
    if bin_x > 1 or bin_y > 1:
        intr = intr.scaled(intr.width // bin_x, intr.height // bin_y)
    return intr


def camera_info_from_intrinsics(intr: CameraIntrinsics, header: Any,
                                msg_cls: type | None = None) -> Any:
    """``sensor_msgs/CameraInfo`` for ``intr`` (R = identity, no binning, full-image ROI). A
    plumb_bob model without coefficients gets its five zeros, as image_proc's rectified output."""
    intr.validate()
    cls = msg_cls or default_cls("sensor_msgs", "CameraInfo")
    roi_cls = nested_cls(cls, "roi")
    roi = roi_cls(x_offset=0, y_offset=0, height=0, width=0, do_rectify=False)
    d = intr.d if len(intr.d) or intr.distortion_model != "plumb_bob" else (0.0,) * 5
    return cls(header=header, height=intr.height, width=intr.width,
               distortion_model=intr.distortion_model, d=float_array_field(d, cls),
               k=float_array_field(intr.k, cls), r=float_array_field(np.eye(3), cls),
               p=float_array_field(intr.p_matrix, cls), binning_x=0, binning_y=0, roi=roi)
