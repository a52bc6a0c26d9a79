"""Pose integration for ego_motion_node (pure numpy, no rclpy).

The motion net gives ``T_b_from_a`` (4, 4) in the *optical* frame: it maps points in camera a's
optical frame into camera b's. The camera moved by ``inverse(T_b_from_a)`` (b's pose in a). With
the extrinsic ``T_base_optical`` (camera optical frame in base_link), the base moved by
``T_base_optical @ inverse(T_b_from_a) @ inverse(T_base_optical)``, and the odometry pose is
``T_odom_base(b) = T_odom_base(a) @ that``; the first frame defines odom (identity, zero covariance).
A break in the frames keeps the pose and makes its covariance unknown (REP 105: odom is continuous).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mono_depth_ros.core.transforms import T_BODY_FROM_OPTICAL, euler_to_matrix, matrix_to_quat, se3, se3_inverse


def base_from_optical(camera_xyz_m: tuple[float, ...], camera_rpy_rad: tuple[float, ...]) -> np.ndarray:
    """(4, 4) T_base_optical from the camera body pose in base_link (xyz, roll/pitch/yaw), REP 103."""
    T_base_camera = se3(euler_to_matrix(*camera_rpy_rad), camera_xyz_m)
    return T_base_camera @ T_BODY_FROM_OPTICAL


def up_in_optical(T_base_optical: np.ndarray) -> np.ndarray:
    """(3,) base_link's z axis (up, REP 103) in the optical frame of a (4, 4) ``T_base_optical``:
    the last row of its rotation. A level camera (rpy zero) gives (0, -1, 0)."""
    return np.array(T_base_optical[2, :3], dtype=np.float64)


def rotation_angle_rad(rot: np.ndarray) -> float:
    """Rotation angle of a (3, 3) rotation matrix in radians."""
    return float(np.arccos(np.clip((np.trace(rot) - 1.0) / 2.0, -1.0, 1.0)))


def rotvec_of(rot: np.ndarray) -> np.ndarray:
    """(3,) axis-angle vector of a (3, 3) rotation."""
    quat = matrix_to_quat(rot)
    sin_half = np.linalg.norm(quat[:3])
    if sin_half < 1e-12:
        return np.zeros(3)
    angle = 2.0 * np.arctan2(sin_half, quat[3])
    return quat[:3] / sin_half * angle


def body_twist_of(T_step: np.ndarray) -> np.ndarray:
    """(6,) (v, w) with ``T_step`` = exp(dt [v, w]): the constant body-frame twist (times the step's
    duration) that moves a frame by ``T_step`` (4, 4), both parts in the frame at the step's end as
    at its start (a screw motion's body velocity is constant). v = V(w)^-1 t, V = I + (1 - cos a) / a^2 W
    + (a - sin a) / a^3 W^2; the chord t alone lies between the start's and the end's headings."""
    w = rotvec_of(T_step[:3, :3])
    angle = float(np.linalg.norm(w))
    t = T_step[:3, 3]
    if angle < 1e-9:
        return np.concatenate([t, w])
    W = np.array([[0.0, -w[2], w[1]], [w[2], 0.0, -w[0]], [-w[1], w[0], 0.0]])
    V = np.eye(3) + (1.0 - np.cos(angle)) / angle ** 2 * W + (angle - np.sin(angle)) / angle ** 3 * (W @ W)
    return np.concatenate([np.linalg.solve(V, t), w])


#: variance of what nothing measured: (1000 m)^2 or (1000 rad)^2 (per second for a twist), so that a filter
#: fusing ~/odometry (robot_localization) gives it no weight. The zero twist of a first frame or of a break in
#: the frames, a translation without a metric scale, the pose after a break; variances saturate at it
#: (unknown plus anything is unknown).
UNKNOWN_VARIANCE = 1e6


@dataclass
class OdometryIntegrator:
    """Composes per-frame optical motions into T_odom_base with a growing covariance.

    ``step_std``: (6,) standard deviations per step (x, y, z [m], rot x, y, z [rad]); the pose
    covariance is the sum of the per-step variances (a random walk), each diagonal entry saturating
    at UNKNOWN_VARIANCE. ``metric``: whether the translations (times ``scale``) are metres; while
    they are not, their variance is UNKNOWN_VARIANCE (the rotations, scale-free, keep theirs).
    """

    T_base_optical: np.ndarray
    step_std: np.ndarray
    scale: float = 1.0
    metric: bool = True
    T_odom_base: np.ndarray = field(default_factory=lambda: np.eye(4))
    pose_cov: np.ndarray = field(default_factory=lambda: np.zeros((6, 6)))
    steps: int = 0

    def _grow(self, variances: np.ndarray) -> None:
        diag = np.minimum(np.diag(self.pose_cov) + variances, UNKNOWN_VARIANCE)
        self.pose_cov = np.diag(diag)

    def unknown_motion(self) -> None:
        """A break in the frames (a stamp gap, stamps going back, a new image size): the pose is kept
        (REP 105: odom is continuous) and the motion nobody measured makes its covariance unknown."""
        self._grow(np.full(6, UNKNOWN_VARIANCE))

    def step_variances(self) -> np.ndarray:
        """(6,) variances of one step's motion: ``step_std``^2, the translation's unknown unless metric.
        ``translation_std_m`` is in metres of the published translation, so it is not multiplied by
        ``scale``; it applies only to a metric translation."""
        variances = np.square(np.asarray(self.step_std, dtype=np.float64))
        if not self.metric:
            variances[:3] = UNKNOWN_VARIANCE
        return variances

    def step(self, T_b_from_a_optical: np.ndarray, dt_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Apply one motion; returns (T_odom_base (4, 4), twist (6,): the step's constant body twist,
        :func:`body_twist_of` / ``dt_s``, in the base frame (REP 105: the child frame), the same at the
        step's end as at its start).

        ``scale`` multiplies the translation (monocular scale ambiguity).
        """
        T_b_from_a = np.array(T_b_from_a_optical, dtype=np.float64)
        T_b_from_a[:3, 3] *= self.scale
        T_step_base = self.T_base_optical @ se3_inverse(T_b_from_a) @ se3_inverse(self.T_base_optical)
        self.T_odom_base = self.T_odom_base @ T_step_base
        self._grow(self.step_variances())
        self.steps += 1
        twist = body_twist_of(T_step_base) / max(dt_s, 1e-9)
        return self.T_odom_base.copy(), twist

    def twist_cov(self, dt_s: float | None) -> np.ndarray:
        """(6, 6) covariance of the twist of one step of length ``dt_s`` (child frame, m/s and rad/s).

        The twist is the step's motion / ``dt_s``, so its variance is the step's (``step_std``, a
        per-pair uncertainty) / ``dt_s``^2: at 30 Hz a 0.05 m step std is 1.5 m/s. Integrated over the
        steps it gives back the pose's random walk (n steps: n * step_std^2). A translation that is
        not metric has UNKNOWN_VARIANCE. ``dt_s`` None: no step (the first frame, a break), the
        published zero twist is unknown: UNKNOWN_VARIANCE.
        """
        if dt_s is None:
            return np.diag(np.full(6, UNKNOWN_VARIANCE))
        variances = np.square(np.asarray(self.step_std, dtype=np.float64) / max(dt_s, 1e-9))
        if not self.metric:
            variances[:3] = UNKNOWN_VARIANCE
        return np.diag(np.minimum(variances, UNKNOWN_VARIANCE))


def transform_key(transform: Any) -> tuple:
    """What identifies one sent geometry_msgs/TransformStamped when it comes back (DDS delivers a
    node's own messages to its subscriptions): frames, stamp and the exact float64 values."""
    t, q, stamp = transform.transform.translation, transform.transform.rotation, transform.header.stamp
    return (transform.header.frame_id.lstrip("/"), transform.child_frame_id.lstrip("/"), stamp.sec,
            stamp.nanosec, t.x, t.y, t.z, q.x, q.y, q.z, q.w)


class SentTransforms:
    """The keys (:func:`transform_key`) of the last ``size`` transforms this node sent, to tell its own
    from another node's on /tf or /tf_static without relying on the publisher's gid (rclpy 9+ only)."""

    def __init__(self, size: int = 512) -> None:
        self._order: deque = deque()
        self._keys: set = set()
        self._size = size
        self._lock = threading.Lock()

    def add(self, transform: Any) -> None:
        key = transform_key(transform)
        with self._lock:
            self._order.append(key)
            self._keys.add(key)
            while len(self._order) > self._size:
                self._keys.discard(self._order.popleft())

    def __contains__(self, transform: Any) -> bool:
        with self._lock:
            return transform_key(transform) in self._keys


class UpDirection:
    """base_frame's z axis (up) in a camera's optical frame: from the camera's roll/pitch/yaw
    parameters, or from the /tf_static chain base_frame -> the image's frame_id (``tree``); with
    ``fallback`` (extrinsic_source auto) the parameters while that chain is missing."""

    def __init__(self, camera_rpy_rad: tuple[float, ...], base_frame: str, tree: "StaticTfTree | None",
                 fallback: bool = False) -> None:
        self.base_frame, self.tree, self.fallback = base_frame, tree, fallback
        self._from_parameters = up_in_optical(base_from_optical((0.0, 0.0, 0.0), camera_rpy_rad))
        self.source = "parameters" if tree is None else ""  # what the last answer came from

    def of(self, frame_id: str) -> tuple[np.ndarray | None, str]:
        """((3,) up, "") or (None, why it is not known yet)."""
        if self.tree is not None:
            T_base_optical = self.tree.lookup(self.base_frame, frame_id)
            if T_base_optical is not None:
                self.source = "tf_static"
                return up_in_optical(T_base_optical), ""
            if not self.fallback:
                return None, f"no /tf_static {self.base_frame} -> {frame_id} yet (up direction unknown)"
        self.source = "parameters"
        return self._from_parameters, ""


class StaticTfTree:
    """Static transforms (child -> parent) from /tf_static; resolves ``T_target_source`` through the
    nearest common ancestor of the two frames (base_link -> camera_link -> camera_optical and
    base_link -> lidar give camera_optical <- lidar)."""

    MAX_DEPTH = 64  # guards against cycles

    def __init__(self) -> None:
        self._edges: dict[str, tuple[str, np.ndarray]] = {}

    def add(self, parent: str, child: str, T_parent_child: np.ndarray) -> None:
        self._edges[child.lstrip("/")] = (parent.lstrip("/"), np.asarray(T_parent_child, dtype=np.float64))

    def parent_of(self, child: str) -> str | None:
        """The parent ``child`` has in this tree (the last one given), or None."""
        edge = self._edges.get(child.lstrip("/"))
        return edge[0] if edge is not None else None

    def chain(self, target: str, source: str) -> str:
        """``source``'s frames up to ``target`` as text (``camera_link -> camera_optical``), for the log."""
        frames, frame = [source.lstrip("/")], source.lstrip("/")
        for _ in range(self.MAX_DEPTH):
            if frame == target.lstrip("/") or frame not in self._edges:
                break
            frame = self._edges[frame][0]
            frames.append(frame)
        return " -> ".join(reversed(frames))

    def _ancestors(self, frame: str) -> dict[str, np.ndarray]:
        """{ancestor (``frame`` itself included): (4, 4) T_ancestor_frame} up to the root."""
        frame = frame.lstrip("/")
        chain, T = {frame: np.eye(4)}, np.eye(4)
        for _ in range(self.MAX_DEPTH):
            if frame not in self._edges:
                break
            frame, T_parent_child = self._edges[frame]
            T = T_parent_child @ T
            if frame in chain:
                break
            chain[frame] = T
        return chain

    def lookup(self, target: str, source: str) -> np.ndarray | None:
        """(4, 4) T_target_source, or None when the two frames are not connected."""
        of_target = self._ancestors(target)
        for frame, T_frame_source in self._ancestors(source).items():  # nearest ancestor first
            if frame in of_target:
                return se3_inverse(of_target[frame]) @ T_frame_source
        return None
