"""A small, ROS-free TF buffer: static + time-stamped transforms, chain resolution, interpolation.

Edges are stored child -> parent (as in tf2). ``lookup(target, source, stamp_ns)`` returns
``T_target_source`` (4, 4): maps points in ``source`` into ``target``. Dynamic edges are
interpolated at the stamp (linear translation, slerp rotation); stamps outside an edge's time
range by more than ``tolerance_ns`` raise :class:`TransformLookupError`.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from mono_depth_ros.core.stamps import stamp_to_ns
from mono_depth_ros.core.transforms import matrix_to_quat, quat_to_matrix, se3, se3_inverse, transform_msg_to_matrix


class TransformLookupError(LookupError):
    """No transform between the frames at the stamp (names frames, stamp and why)."""


@dataclass
class _Edge:
    parent: str
    static: np.ndarray | None = None
    stamps_ns: list[int] = field(default_factory=list)
    transforms: list[np.ndarray] = field(default_factory=list)


def slerp_quat(q0: np.ndarray, q1: np.ndarray, alpha: float) -> np.ndarray:
    """Spherical interpolation of unit quaternions (x, y, z, w), shortest path."""
    q0, q1 = np.asarray(q0, float), np.asarray(q1, float)
    dot = float(np.dot(q0, q1))
    if dot < 0.0:
        q1, dot = -q1, -dot
    if dot > 0.9995:
        q = q0 + alpha * (q1 - q0)
        return q / np.linalg.norm(q)
    theta = np.arccos(np.clip(dot, -1.0, 1.0))
    return (np.sin((1 - alpha) * theta) * q0 + np.sin(alpha * theta) * q1) / np.sin(theta)


def interpolate_transform(T0: np.ndarray, T1: np.ndarray, alpha: float) -> np.ndarray:
    """(4, 4) pose a fraction ``alpha`` in [0, 1] of the way from ``T0`` to ``T1``."""
    q = slerp_quat(matrix_to_quat(T0[:3, :3]), matrix_to_quat(T1[:3, :3]), alpha)
    return se3(quat_to_matrix(q), (1 - alpha) * T0[:3, 3] + alpha * T1[:3, 3])


class TransformBuffer:
    """Holds every transform of a bag (they are small); resolves chains at any stamp."""

    def __init__(self, tolerance_ns: int = 0) -> None:
        self.tolerance_ns = int(tolerance_ns)
        self._edges: dict[str, _Edge] = {}

    def add(self, parent: str, child: str, T_parent_child: np.ndarray, stamp_ns: int | None) -> None:
        """Add an edge; ``stamp_ns=None`` means static."""
        parent, child = parent.lstrip("/"), child.lstrip("/")
        edge = self._edges.get(child)
        if edge is None or edge.parent != parent:
            edge = self._edges[child] = _Edge(parent)
        T = np.asarray(T_parent_child, float)
        if stamp_ns is None:
            edge.static = T
            return
        index = bisect.bisect_left(edge.stamps_ns, stamp_ns)
        if index < len(edge.stamps_ns) and edge.stamps_ns[index] == stamp_ns:
            edge.transforms[index] = T
        else:
            edge.stamps_ns.insert(index, int(stamp_ns))
            edge.transforms.insert(index, T)

    def add_tf_message(self, msg, static: bool) -> None:
        """Add every TransformStamped of a ``tf2_msgs/TFMessage``."""
        for ts in msg.transforms:
            stamp = None if static else stamp_to_ns(ts.header.stamp)
            self.add(ts.header.frame_id, ts.child_frame_id, transform_msg_to_matrix(ts), stamp)

    def add_odometry(self, msg) -> None:
        """Add a ``nav_msgs/Odometry`` as the edge header.frame_id -> child_frame_id."""
        self.add(msg.header.frame_id, msg.child_frame_id, transform_msg_to_matrix(msg.pose),
                 stamp_to_ns(msg.header.stamp))

    @property
    def frames(self) -> set[str]:
        return set(self._edges) | {e.parent for e in self._edges.values()}

    def _edge_at(self, child: str, edge: _Edge, stamp_ns: int) -> np.ndarray:
        if edge.static is not None and not edge.stamps_ns:
            return edge.static
        stamps = edge.stamps_ns
        index = bisect.bisect_left(stamps, stamp_ns)
        if index < len(stamps) and stamps[index] == stamp_ns:
            return edge.transforms[index]
        if index == 0 or index == len(stamps):
            nearest = 0 if index == 0 else len(stamps) - 1
            if abs(stamps[nearest] - stamp_ns) <= self.tolerance_ns:
                return edge.transforms[nearest]
            raise TransformLookupError(
                f"{edge.parent} -> {child} at stamp_ns={stamp_ns}: outside the recorded range "
                f"[{stamps[0]}, {stamps[-1]}] (tolerance {self.tolerance_ns} ns)")
        t0, t1 = stamps[index - 1], stamps[index]
        return interpolate_transform(edge.transforms[index - 1], edge.transforms[index], (stamp_ns - t0) / (t1 - t0))

    def _to_root(self, frame: str, stamp_ns: int) -> list[tuple[str, np.ndarray]]:
        """[(frame, T_frame_frame), (parent, T_parent_frame), ...] up to the root."""
        chain = [(frame, np.eye(4))]
        seen = {frame}
        while chain[-1][0] in self._edges:
            child, T_child = chain[-1]
            edge = self._edges[child]
            if edge.parent in seen:
                raise TransformLookupError(f"TF loop through {edge.parent!r}")
            seen.add(edge.parent)
            chain.append((edge.parent, self._edge_at(child, edge, stamp_ns) @ T_child))
        return chain

    def lookup(self, target: str, source: str, stamp_ns: int) -> np.ndarray:
        """(4, 4) ``T_target_source`` at ``stamp_ns``."""
        target, source = target.lstrip("/"), source.lstrip("/")
        for name in (target, source):
            if name not in self.frames:
                raise TransformLookupError(f"frame {name!r} is unknown; known frames: {sorted(self.frames)}")
        from_source = dict(self._to_root(source, stamp_ns))
        for frame, T_frame_target in self._to_root(target, stamp_ns):
            if frame in from_source:
                return se3_inverse(T_frame_target) @ from_source[frame]
        raise TransformLookupError(f"frames {target!r} and {source!r} are not connected")
