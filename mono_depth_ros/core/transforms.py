"""SE(3) / quaternion helpers and TransformStamped, TFMessage, Odometry builders.

Quaternions are (x, y, z, w), as in ROS messages. Frames follow REP 103: a body frame is
x forward, y left, z up; a camera optical frame is z forward, x right, y down.
``T_a_from_b`` maps points expressed in frame b into frame a.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from mono_depth_ros.core._msgs import default_cls, float_array_field, nested_cls
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.stamps import make_header

#: maps optical-frame vectors into the body frame: optical z -> body x, x -> -y, y -> -z.
R_BODY_FROM_OPTICAL = np.array([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])
T_BODY_FROM_OPTICAL = np.eye(4)
T_BODY_FROM_OPTICAL[:3, :3] = R_BODY_FROM_OPTICAL
R_BODY_FROM_OPTICAL.flags.writeable = False
T_BODY_FROM_OPTICAL.flags.writeable = False


def _finite(name: str, value: Any, shape: tuple[int, ...]) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != shape:
        raise InputError(f"{name}.shape", arr.shape, f"expected {shape}")
    if not np.all(np.isfinite(arr)):
        raise InputError(name, arr.tolist(), "must be finite")
    return arr


def quat_to_matrix(quat_xyzw: Sequence[float]) -> np.ndarray:
    """(3, 3) rotation of a quaternion (x, y, z, w); normalised first, zero norm raises."""
    q = _finite("quat_xyzw", quat_xyzw, (4,))
    norm = np.linalg.norm(q)
    if norm < 1e-12:
        raise InputError("quat_xyzw", q.tolist(), "zero-norm quaternion")
    x, y, z, w = q / norm
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def matrix_to_quat(rot: np.ndarray) -> np.ndarray:
    """(4,) unit quaternion (x, y, z, w), w >= 0, of a (3, 3) rotation matrix (Shepperd)."""
    r = _finite("rot", rot, (3, 3))
    if not np.allclose(r @ r.T, np.eye(3), atol=1e-5) or np.linalg.det(r) < 0:
        raise InputError("rot", r.tolist(), "not a rotation matrix (R R^T != I or det < 0)")
    trace = np.trace(r)
    diag = np.diag(r)
    if trace > diag.max():
        s = 2.0 * np.sqrt(1.0 + trace)
        q = [(r[2, 1] - r[1, 2]) / s, (r[0, 2] - r[2, 0]) / s, (r[1, 0] - r[0, 1]) / s, s / 4]
    else:
        i = int(np.argmax(diag))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * np.sqrt(1.0 + r[i, i] - r[j, j] - r[k, k])
        q = [0.0, 0.0, 0.0, (r[k, j] - r[j, k]) / s]
        q[i], q[j], q[k] = s / 4, (r[j, i] + r[i, j]) / s, (r[k, i] + r[i, k]) / s
    q = np.asarray(q) / np.linalg.norm(q)
    return -q if q[3] < 0 else q


def se3(rot: np.ndarray, trans: Sequence[float]) -> np.ndarray:
    """(4, 4) homogeneous transform of a (3, 3) rotation and a (3,) translation."""
    T = np.eye(4)
    T[:3, :3] = _finite("rot", rot, (3, 3))
    T[:3, 3] = _finite("trans", trans, (3,))
    return T


def se3_inverse(T: np.ndarray) -> np.ndarray:
    """Inverse of a (4, 4) rigid transform: [R^T | -R^T t]."""
    T = _finite("T", T, (4, 4))
    rot_t = T[:3, :3].T
    return se3(rot_t, -rot_t @ T[:3, 3])


def axis_angle_to_matrix(rotvec: Sequence[float]) -> np.ndarray:
    """(3, 3) rotation of an axis-angle vector (3,) in radians (Rodrigues)."""
    v = _finite("rotvec", rotvec, (3,))
    angle = np.linalg.norm(v)
    if angle < 1e-12:
        return np.eye(3)
    kx, ky, kz = v / angle
    K = np.array([[0.0, -kz, ky], [kz, 0.0, -kx], [-ky, kx, 0.0]])
    return np.eye(3) + np.sin(angle) * K + (1.0 - np.cos(angle)) * (K @ K)


def matrix_to_axis_angle(R: np.ndarray) -> np.ndarray:
    """Axis-angle vector (3,) in radians of a (3, 3) rotation (the inverse of axis_angle_to_matrix;
    angle in [0, pi])."""
    R = _finite("R", R, (3, 3))
    angle = float(np.arccos(np.clip((np.trace(R) - 1.0) / 2.0, -1.0, 1.0)))
    skew = np.array([R[2, 1] - R[1, 2], R[0, 2] - R[2, 0], R[1, 0] - R[0, 1]])
    if angle < 1e-6:
        return 0.5 * skew  # sin(angle) ~ angle
    if np.pi - angle < 1e-3:  # sin(angle) ~ 0: the axis from the symmetric part, R + I = 2 a a^T
        sym = (R + np.eye(3)) / 2.0
        i = int(np.argmax(np.diag(sym)))
        axis = sym[:, i] / np.sqrt(max(sym[i, i], 1e-12))
        if np.dot(axis, skew) < 0:
            axis = -axis
        return angle * axis / np.linalg.norm(axis)
    return angle * skew / (2.0 * np.sin(angle))


def euler_to_matrix(roll: float, pitch: float, yaw: float) -> np.ndarray:
    """(3, 3) rotation Rz(yaw) @ Ry(pitch) @ Rx(roll), radians (tf2 ``setRPY`` convention)."""
    r, p, y = _finite("roll_pitch_yaw", (roll, pitch, yaw), (3,))
    cr, sr, cp, sp, cy, sy = np.cos(r), np.sin(r), np.cos(p), np.sin(p), np.cos(y), np.sin(y)
    rx = np.array([[1, 0, 0], [0, cr, -sr], [0, sr, cr]])
    ry = np.array([[cp, 0, sp], [0, 1, 0], [-sp, 0, cp]])
    rz = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]])
    return rz @ ry @ rx


def optical_motion_to_body(T_optical: np.ndarray) -> np.ndarray:
    """Express a (4, 4) motion given in optical-frame coordinates in body-frame coordinates.

    ``T_body = T_BODY_FROM_OPTICAL @ T_optical @ inverse(T_BODY_FROM_OPTICAL)``.
    """
    T = _finite("T_optical", T_optical, (4, 4))
    return T_BODY_FROM_OPTICAL @ T @ T_BODY_FROM_OPTICAL.T


def _transform_fields(T: np.ndarray, transform_cls: type) -> Any:
    vec_cls = nested_cls(transform_cls, "translation")
    quat_cls = nested_cls(transform_cls, "rotation")
    x, y, z = (float(v) for v in T[:3, 3])
    qx, qy, qz, qw = (float(v) for v in matrix_to_quat(T[:3, :3]))
    return transform_cls(translation=vec_cls(x=x, y=y, z=z), rotation=quat_cls(x=qx, y=qy, z=qz, w=qw))


def make_transform_stamped(T: np.ndarray, parent_frame: str, child_frame: str, stamp_ns: int,
                           msg_cls: type | None = None) -> Any:
    """``geometry_msgs/TransformStamped`` of ``T_parent_from_child`` (4, 4)."""
    T = _finite("T", T, (4, 4))
    cls = msg_cls or default_cls("geometry_msgs", "TransformStamped")
    header = make_header(stamp_ns, parent_frame, header_cls=nested_cls(cls, "header"))
    return cls(header=header, child_frame_id=str(child_frame),
               transform=_transform_fields(T, nested_cls(cls, "transform")))


def make_tf_message(transforms: Sequence[Any], msg_cls: type | None = None) -> Any:
    """``tf2_msgs/TFMessage`` holding the given TransformStamped messages."""
    cls = msg_cls or default_cls("tf2_msgs", "TFMessage")
    return cls(transforms=list(transforms))


def _covariance(name: str, cov: Any) -> np.ndarray:
    if cov is None:
        return np.zeros(36)
    return _finite(name, cov, (6, 6)).reshape(36)


def make_odometry(T: np.ndarray, stamp_ns: int, frame_id: str, child_frame_id: str,
                  twist: Sequence[float] | None = None, pose_cov: np.ndarray | None = None,
                  twist_cov: np.ndarray | None = None, msg_cls: type | None = None) -> Any:
    """``nav_msgs/Odometry``: pose ``T_frame_from_child`` (4, 4), twist (6,) = (vx, vy, vz, wx,
    wy, wz) in the child frame, 6x6 covariances (x, y, z, rot x, rot y, rot z), zero if None."""
    T = _finite("T", T, (4, 4))
    twist_arr = np.zeros(6) if twist is None else _finite("twist", twist, (6,))
    cls = msg_cls or default_cls("nav_msgs", "Odometry")
    pose_wc_cls, twist_wc_cls = nested_cls(cls, "pose"), nested_cls(cls, "twist")
    pose_cls, twist_cls = nested_cls(pose_wc_cls, "pose"), nested_cls(twist_wc_cls, "twist")
    point_cls, quat_cls = nested_cls(pose_cls, "position"), nested_cls(pose_cls, "orientation")
    vec_cls = nested_cls(twist_cls, "linear")
    qx, qy, qz, qw = (float(v) for v in matrix_to_quat(T[:3, :3]))
    px, py, pz = (float(v) for v in T[:3, 3])
    pose = pose_cls(position=point_cls(x=px, y=py, z=pz), orientation=quat_cls(x=qx, y=qy, z=qz, w=qw))
    vx, vy, vz, wx, wy, wz = (float(v) for v in twist_arr)
    twist_msg = twist_cls(linear=vec_cls(x=vx, y=vy, z=vz), angular=vec_cls(x=wx, y=wy, z=wz))
    return cls(header=make_header(stamp_ns, frame_id, header_cls=nested_cls(cls, "header")),
               child_frame_id=str(child_frame_id),
               pose=pose_wc_cls(pose=pose, covariance=float_array_field(_covariance("pose_cov", pose_cov), cls)),
               twist=twist_wc_cls(twist=twist_msg,
                                  covariance=float_array_field(_covariance("twist_cov", twist_cov), cls)))


def transform_msg_to_matrix(transform_msg: Any) -> np.ndarray:
    """(4, 4) of a TransformStamped, Transform, PoseStamped or Pose message (duck-typed)."""
    msg = transform_msg
    for wrapper in ("transform", "pose"):
        if hasattr(msg, wrapper):
            msg = getattr(msg, wrapper)
    if hasattr(msg, "translation"):
        t, q = msg.translation, msg.rotation
    elif hasattr(msg, "position"):
        t, q = msg.position, msg.orientation
    else:
        raise InputError("transform_msg", type(transform_msg).__name__, "has no transform or pose")
    return se3(quat_to_matrix((q.x, q.y, q.z, q.w)), (t.x, t.y, t.z))
