"""One parent per frame: ego_motion_node's two transforms beside other nodes' (REP 105, tf2).

ego_motion_node sends odom_frame -> odom_child_frame on /tf and, with the camera's pose from
parameters, base_frame -> the image's frame_id on /tf_static. tf2 gives each frame one parent and
keeps whichever transform came last, so a second broadcaster makes the frame jump. :class:`TfGuard`
watches /tf_static and /tf for other nodes' transforms of those frames (this node's own are told
apart by their exact content, odometry.SentTransforms) and steps aside, once, with one WARNING:
the camera transform is withdrawn (or never published) when another node parents the image's frame
on /tf_static; /tf stops (~/odometry goes on) when another node publishes odom_child_frame's parent
on /tf (wheel odometry, an EKF), until publish_tf is set true again.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np
from tf2_msgs.msg import TFMessage

from mono_depth_ros.core.transforms import make_tf_message, make_transform_stamped, transform_msg_to_matrix
from mono_depth_ros.nodes.ego_motion_config import EgoMotionConfig
from mono_depth_ros.nodes.odometry import SentTransforms, StaticTfTree
from mono_depth_ros.nodes.outputs import OptionalPublisher
from mono_depth_ros.nodes.qos import make_qos, tf_qos, tf_static_listener_qos, tf_static_qos


class TfGuard:
    """This node's /tf and /tf_static transforms and the conflicts that stop them.

    ``config``: the node's current EgoMotionConfig (parameters change at run time); ``warn``: its
    logger's warning. ``static_tf`` holds other nodes' /tf_static (the camera chain for
    extrinsic_source tf_static / auto). ``camera_conflict`` / ``tf_conflict``: why this node's
    camera transform / its /tf is not published (None while it is)."""

    def __init__(self, node: Any, config: Callable[[], EgoMotionConfig], warn: Callable[[str], None],
                 publish_tf: bool) -> None:
        self._node, self._config, self._warn = node, config, warn
        self.static_tf = StaticTfTree()  # other nodes' /tf_static (this node's own are left out)
        self._sent = SentTransforms()  # what this node sent on /tf and /tf_static
        self._static_lock = threading.Lock()  # orders the camera transform's publish and its withdrawal
        self._static_frame: str | None = None  # image frame_id last sent on /tf_static
        self.camera_conflict: str | None = None  # why this node's camera transform is not on /tf_static
        self.tf_conflict: str | None = None  # another node's transform that made this node stop its /tf
        self.own_tf_seen = 0  # this node's own /tf transforms delivered back to it (told apart from others')
        cfg = config()
        if cfg.extrinsic_source != "parameters" or cfg.publish_camera_tf:  # its chain, or who else parents the camera
            node.create_subscription(TFMessage, "/tf_static", self._on_tf_static, tf_static_listener_qos())
        self.pub_tf = OptionalPublisher(node, TFMessage, "/tf", tf_qos(), publish_tf)
        self._tf_sub = None  # /tf of other nodes, watched while this node publishes odom_frame -> child_frame
        self.watch_tf()
        # advertised when the camera's pose from parameters is first published (never with a chain)
        self.pub_tf_static = OptionalPublisher(node, TFMessage, "/tf_static", tf_static_qos(), False)

    # ------------------------------------------------------------------ /tf: odom -> child frame
    def watch_tf(self) -> None:
        """Subscribe to /tf (best effort: matches every broadcaster) while this node publishes on it."""
        if self._config().publish_tf and self._tf_sub is None:
            self._tf_sub = self._node.create_subscription(TFMessage, "/tf", self._on_tf, make_qos("best_effort", 100))

    def publish_tf_again(self) -> None:
        """publish_tf set true again: publish, and watch for another broadcaster again."""
        self.tf_conflict = None

    def send_pose(self, T_odom_base: np.ndarray, stamp_ns: int) -> None:
        """odom_frame -> child_frame on /tf, unless publish_tf is off or another node publishes it."""
        cfg = self._config()
        if cfg.publish_tf and self.tf_conflict is None:
            transform = make_transform_stamped(T_odom_base, cfg.odom_frame, cfg.child_frame, stamp_ns)
            self._sent.add(transform)  # before it can come back on /tf
            self.pub_tf.publish(make_tf_message([transform], msg_cls=TFMessage))

    def _on_tf(self, msg: TFMessage) -> None:
        """Another node's parent of child_frame on /tf (wheel odometry, an EKF, a second camera's
        ego-motion): two broadcasters would make the frame jump between them. Stop ours, once."""
        cfg = self._config()
        if self.tf_conflict is not None or not cfg.publish_tf:
            return
        child = cfg.child_frame
        for transform in msg.transforms:
            if transform.child_frame_id.lstrip("/") != child:
                continue
            if transform in self._sent:
                self.own_tf_seen += 1  # this node's own, delivered back
                continue
            parent = transform.header.frame_id.lstrip("/")
            self.tf_conflict = f"another node publishes {parent} -> {child} on /tf"
            self.pub_tf.sync(False)
            self._warn(f"{self.tf_conflict}: this node stopped publishing {cfg.odom_frame} -> {child} (two "
                       "broadcasters make the frame jump between them) and keeps ~/odometry; set publish_tf false "
                       f"and fuse ~/odometry (robot_localization), or odom_child_frame:=vo_{child} to see both")
            return

    # ------------------------------------------------------------------ /tf_static: base -> camera
    def send_camera(self, T_base_optical: np.ndarray, frame_id: str, stamp_ns: int) -> None:
        """base_frame -> the image's frame_id on /tf_static (camera pose from parameters), once per frame_id,
        unless another node already gives that frame a parent there (then one WARNING and nothing)."""
        cfg = self._config()
        frame = frame_id.lstrip("/")
        if not cfg.publish_camera_tf or not frame or frame == self._static_frame:
            return
        other_parent = self.static_tf.parent_of(frame)
        if other_parent is not None:
            self._camera_conflict(frame, other_parent, published=False)
            return
        with self._static_lock:  # a conflict seen meanwhile by _on_tf_static must not be re-advertised
            if self.camera_conflict is not None:
                return
            self._static_frame = frame
            transform = make_transform_stamped(T_base_optical, cfg.base_frame, frame, stamp_ns)
            self._sent.add(transform)
            self.pub_tf_static.sync(True)
            self.pub_tf_static.publish(make_tf_message([transform], msg_cls=TFMessage))

    def _on_tf_static(self, msg: TFMessage) -> None:
        for transform in msg.transforms:
            if transform in self._sent:
                continue  # this node's own camera transform, delivered back
            self.static_tf.add(transform.header.frame_id, transform.child_frame_id,
                               transform_msg_to_matrix(transform))
            child = transform.child_frame_id.lstrip("/")
            if child == self._static_frame:
                self._camera_conflict(child, transform.header.frame_id.lstrip("/"), published=True)

    def _camera_conflict(self, frame: str, other_parent: str, published: bool) -> None:
        """Another node gives the image's ``frame`` a parent on /tf_static: this node's camera transform
        would be a second one (tf2 keeps whichever came last). Withdraw it (or never publish it), once."""
        cfg = self._config()
        base = cfg.base_frame
        with self._static_lock:
            if self.camera_conflict is not None:
                return
            self.camera_conflict = f"/tf_static parent of {frame} is {other_parent} (another node)"
        if published:
            text = (f"/tf_static gives {frame} two parents: {other_parent} (another node) and {base} (this node, "
                    "from camera_xyz_m/camera_rpy_rad); this node withdrew its transform")
        else:
            text = (f"/tf_static already gives {frame} the parent {other_parent} (another node): this node does not "
                    f"publish its {base} -> {frame} (a second parent would break the tree)")
        if cfg.extrinsic_source == "parameters":
            text += ("; the odometry still uses camera_xyz_m/camera_rpy_rad: extrinsic_source auto (or tf_static) "
                     f"uses the /tf_static chain {base} -> {frame}")
        else:
            text += f"; the odometry uses the /tf_static chain {base} -> {frame} once it is complete"
        self._warn(text)  # before the withdrawal: said even if destroying the publisher fails
        with self._static_lock:
            self.pub_tf_static.sync(False)

    # ------------------------------------------------------------------ /diagnostics
    def problems(self, extrinsic_from: str) -> list[str]:
        """The /diagnostics problems: this node's /tf stopped, its camera transform not published
        (not a problem once ``extrinsic_from`` is tf_static: auto then took the other node's chain)."""
        problems = []
        if self.tf_conflict:
            problems.append(f"{self.tf_conflict}: this node's /tf stopped (publish_tf false, fuse ~/odometry)")
        if self.camera_conflict and extrinsic_from == "parameters":
            problems.append(f"{self.camera_conflict}: this node's camera transform not published")
        return problems
