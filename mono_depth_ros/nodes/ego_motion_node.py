"""ego_motion_node: Li 2020 motion net on consecutive frames -> /tf odom -> base_link, ~/odometry.

Depth of each frame comes from the shared in-process :class:`DepthCache` when depth_node runs in
the same process (no second depth inference); otherwise the node runs its own Li 2020 depth
net. Motion is estimated in the camera optical frame and converted to base_link through the
extrinsic (parameters, or the /tf_static chain base_frame -> the image's frame_id; ``auto``: that
chain when another node publishes it, else parameters). A stamp that goes backwards or jumps by
more than ``max_frame_gap_s`` breaks the chain of frame pairs: no motion is estimated across it,
the pose is kept (REP 105: odom is continuous) and its covariance becomes unknown
(odometry.UNKNOWN_VARIANCE), as is the zero twist published then; /tf and ~/odometry never go
back in time (REP 105): poses older than the last published one are withheld (every frame of a
camera restarted with an earlier clock, until its stamps pass that pose), and /diagnostics is WARN
saying so while they are. ~/motion_field, ~/camera_info_estimated and /tf are advertised only
while their publish_* flag is on. With the camera pose from parameters, base_frame -> the image's
frame_id is published on /tf_static, so rviz2 (Fixed Frame odom) can place the cloud.

One parent per frame (tf_guard.TfGuard): when another node gives the image's frame a parent on
/tf_static, the node's own camera transform is not published (or is withdrawn, with a WARNING
naming both parents); when another node publishes odom_child_frame's parent on /tf (wheel
odometry, an EKF), the node stops its /tf with a WARNING and keeps ~/odometry. Latest-frame-only
processing as in depth_node: the motion is between the last two *processed* frames.

Scale: Li 2020's depth and translation are up to one common unit. With the shared depth of a
depth_node whose ``scale_source`` gives that depth a metric scale (``CachedDepth.metric_scale``)
and ``scale_from_depth`` true, each translation is multiplied by the scale of its second frame;
a frame without one (no ground found, no metric depth in time) holds the last scale seen, and
before the first one the ``scale`` parameter applies (diagnostics: ``metric``, ``scale``,
``scale_from``). Running its own depth net, the node uses ``scale``. ``scale`` 0 (default) means
none: the translation is in the network's own unit, and its covariance says unknown.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Mapping

import numpy as np
from rclpy.node import Node
from rcl_interfaces.msg import SetParametersResult
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from nav_msgs.msg import Odometry
from diagnostic_msgs.msg import DiagnosticArray

from mono_depth_ros.core.camera import camera_info_from_intrinsics
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.image import compressed_to_rgb8, image_to_rgb8
from mono_depth_ros.core.stamps import stamp_to_ns
from mono_depth_ros.core.transforms import make_odometry
from mono_depth_ros.inference.ego_motion_estimator import motion_flip_enabled
from mono_depth_ros.inference.pose_refinement import MOTION_CHOICES
from mono_depth_ros.nodes.camera_model import CameraModel, input_topics
from mono_depth_ros.nodes.depth_cache import CachedDepth, DepthCache
from mono_depth_ros.nodes.params import to_parameters
from mono_depth_ros.nodes.image_watch import InputSubscription, NoImageWatch
from mono_depth_ros.nodes.diagnostics import LatencyStats, RateMeter, RejectLog, diagnostic_array
from mono_depth_ros.nodes.ego_motion_config import EGO_PARAMS, EgoMotionConfig
from mono_depth_ros.nodes.frame_slot import FrameWorker, LatestSlot
from mono_depth_ros.nodes.model_loading import checked_precision, load_depth_estimator, load_motion_estimator, \
    runtime_options
from mono_depth_ros.nodes.odometry import UNKNOWN_VARIANCE, OdometryIntegrator, base_from_optical
from mono_depth_ros.nodes.outputs import OptionalPublisher, outputs_off_line, sync_outputs
from mono_depth_ros.nodes.depth_config import DEPTH_PARAMS
from mono_depth_ros.nodes.params import ConfigError, build_config, declare_parameters, updated_config, \
    warn_unknown_parameters
from mono_depth_ros.nodes.qos import make_qos
from mono_depth_ros.nodes.tf_guard import TfGuard


class EgoMotionNode(Node):
    """Visual odometry from the Li 2020 motion net. See module docstring.

    ``depth_cache``: the cache a DepthNode in this process fills; when given, no depth model is
    loaded here. ``motion_estimator``/``depth_estimator``: pre-loaded estimators (optional).
    """

    def __init__(self, node_name: str = "ego_motion_node", *, namespace: str | None = None,
                 context: Any = None, parameter_overrides: Mapping[str, Any] | None = None,
                 depth_cache: DepthCache | None = None, motion_estimator: Any = None,
                 depth_estimator: Any = None) -> None:
        super().__init__(node_name, namespace=namespace, context=context,
                         parameter_overrides=to_parameters(parameter_overrides))
        try:
            self._setup(node_name, depth_cache, motion_estimator, depth_estimator)
        except BaseException:
            self.destroy_node()  # a half-built node leaves no publishers or threads behind
            raise

    def _setup(self, node_name: str, depth_cache: DepthCache | None, motion_estimator: Any,
               depth_estimator: Any) -> None:
        self.config: EgoMotionConfig = build_config(EgoMotionConfig, EGO_PARAMS, declare_parameters(self, EGO_PARAMS))
        self.unknown_parameters = warn_unknown_parameters(self, EGO_PARAMS, DEPTH_PARAMS)
        cfg = self.config
        options = runtime_options(cfg.precision, cfg.calibration_dir, cfg.threads, self.get_logger().warning)
        self.motion = motion_estimator or load_motion_estimator(
            "motion_model_path", cfg.motion_model_path, cfg.backend, cfg.precision, cfg.resize_mode, options=options)
        self.effective_precision = checked_precision(self.motion, cfg.backend, cfg.precision,
                                                     self.get_logger().warning, calibration_dir=cfg.calibration_dir)
        self.motion.refinement = cfg.motion_refinement  # and on each parameter change
        self.motion.flip_average = motion_flip_enabled(cfg.motion_flip_average)
        self.motion.motion_intrinsics = cfg.motion_intrinsics
        self.refinement_intrinsics = "none"  # camera_info | learned | none known: the last frame's
        self.depth_cache = depth_cache
        self.depth_estimator = depth_estimator
        if depth_cache is not None:
            depth_cache.register_consumer(self._on_cached_frame)
        elif depth_estimator is None:
            self.depth_estimator = load_depth_estimator("depth_model_path", cfg.depth_model_path, "li2020_depth",
                                                        cfg.backend, cfg.precision, cfg.resize_mode, options=options)
        step_std = np.array([cfg.translation_std_m] * 3 + [cfg.rotation_std_rad] * 3)
        self.odometry = OdometryIntegrator(base_from_optical(cfg.camera_xyz_m, cfg.camera_rpy_rad), step_std)
        self.extrinsic_from = "parameters"  # or tf_static: where the camera's pose comes from now
        self._warned_not_metric = False
        self.image_sub_topic, self.info_sub_topic = input_topics(self, cfg.image_topic, cfg.camera_info_topic,
                                                                 cfg.use_compressed)
        self.camera = CameraModel(lambda text: self.get_logger().warning(text, throttle_duration_sec=5.0),
                                  cfg.rectify, self.image_sub_topic)
        self.slot = LatestSlot()
        self.input_rate, self.output_rate = RateMeter(), RateMeter()
        self.latency = LatencyStats()
        self.rejects = RejectLog(lambda text: self.get_logger().warning(text))
        self.frames_out = self.resets = self.depth_reused = 0
        self.depth_scale: float | None = None  # the last metric scale of the shared depth (held)
        self._prev: tuple[int, np.ndarray, np.ndarray, str] | None = None  # stamp_ns, rgb, depth_m, frame_id
        self._last_pose_stamp_ns: int | None = None  # newest stamp on /tf and ~/odometry
        self.poses_withheld = 0  # poses whose stamp was older than what was already published
        self._withheld_run = 0  # poses withheld since the last published one (/diagnostics WARN while > 0)
        self._withheld_stamp_ns = 0  # the stamp of the last withheld pose
        self.motion_choices = dict.fromkeys(MOTION_CHOICES, 0)  # frames per motion_refinement outcome
        self._init_io(cfg)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._worker = FrameWorker(f"{node_name}_worker", self.slot, self.process, self.rejects.reject)
        source = ("shared depth cache (frames rectified and fitted by depth_node)" if depth_cache is not None else
                  f"own li2020 depth net, resize_mode {cfg.resize_mode}; {self.camera.describe()}")
        self.get_logger().info(f"motion on {self.motion.backend_description}; depth from {source}")
        if cfg.scale == 0 and (depth_cache is None or not cfg.scale_from_depth):  # no way to metres
            self._warn_not_metric("")

    def _init_io(self, cfg: EgoMotionConfig) -> None:
        self.no_image_watch = None  # sharing depth_node's frames: depth_node watches the image topic
        self.inputs: list[InputSubscription] = []
        if self.depth_cache is None:  # shared mode: frames come from depth_node via the cache
            msg_type = CompressedImage if cfg.use_compressed else Image
            # input_reliability auto (default): each input's reliability from its publishers, as depth_node's
            self.inputs = [InputSubscription(self, t, topic, callback, cfg.input_reliability, cfg.input_depth,
                                             self.get_logger().info)
                           for t, topic, callback in ((msg_type, self.image_sub_topic, self._on_image),
                                                      (CameraInfo, self.info_sub_topic, self._on_camera_info))]
            self.no_image_watch = NoImageWatch(self, self.inputs[0], lambda: self.slot.received,
                                               on_tick=lambda: [sub.check() for sub in self.inputs])
        out_qos = make_qos(cfg.output_reliability, cfg.output_depth)
        self.pub_odom = self.create_publisher(Odometry, "~/odometry", out_qos)
        off = outputs_off(cfg)  # outputs exist only while their flag is on (see _on_set_parameters)
        # /tf and /tf_static, stepping aside when another node parents the same frame
        self.tf_guard = TfGuard(self, lambda: self.config, self.get_logger().warning, "/tf" not in off)
        self.pub_field = OptionalPublisher(self, Image, "~/motion_field", out_qos, "~/motion_field" not in off)
        self.pub_info = OptionalPublisher(self, CameraInfo, "~/camera_info_estimated", out_qos,
                                          "~/camera_info_estimated" not in off)
        if off:
            self.get_logger().info(outputs_off_line(off))
        self.pub_diag = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_timer(cfg.diagnostics_period_s, self._publish_diagnostics)

    def _on_image(self, msg: Any) -> None:
        self.input_rate.tick()
        self.slot.put((msg, time.monotonic()))

    def _on_camera_info(self, msg: CameraInfo) -> None:
        try:
            self.camera.update(msg)
        except InputError as exc:
            self.rejects.reject("invalid_camera_info", f"camera_info: {exc}")

    def _on_cached_frame(self, entry: CachedDepth) -> None:
        self.input_rate.tick()
        self.slot.put((entry, entry.receive_s))

    def _on_set_parameters(self, params: list) -> SetParametersResult:
        try:
            new_config = updated_config(self.config, EGO_PARAMS, {p.name: p.value for p in params})
        except ConfigError as exc:
            return SetParametersResult(successful=False, reason=str(exc))
        if new_config.publish_tf and any(p.name == "publish_tf" for p in params):
            self.tf_guard.publish_tf_again()
        self.config = new_config  # the translation scale is chosen per frame (_translation_scale)
        self.motion.refinement = new_config.motion_refinement
        self.motion.flip_average = motion_flip_enabled(new_config.motion_flip_average)
        self.motion.motion_intrinsics = new_config.motion_intrinsics
        off = outputs_off(new_config)
        if self.tf_guard.tf_conflict is not None:
            off["/tf"] = self.tf_guard.tf_conflict
        sync_outputs({"/tf": self.tf_guard.pub_tf, "~/motion_field": self.pub_field,
                      "~/camera_info_estimated": self.pub_info}, off, self.get_logger().info)
        self.tf_guard.watch_tf()
        return SetParametersResult(successful=True)

    def _frame_of(self, item: Any) -> tuple[Any, np.ndarray, np.ndarray]:
        """(header, rgb, depth) of a camera message (own depth net) or a shared cache entry; depth is
        a DepthResult (its network-resolution depth is what the motion net is fed) or (H, W) metres."""
        if isinstance(item, CachedDepth):
            self.depth_reused += 1
            if item.metric_scale is not None:
                self.depth_scale = item.metric_scale  # held until the next frame with a scale
            if item.result is not None and item.result.fit is not None:
                self.motion.resize_mode = item.result.fit.mode  # frames fitted as depth_node fits them
            return item.header, item.rgb, item.result if item.result is not None else item.depth_m
        stamp_to_ns(item.header.stamp)  # validates the stamp before any inference
        rgb = compressed_to_rgb8(item) if self.config.use_compressed else image_to_rgb8(item)
        rgb, seen = self.camera.rectify(rgb)  # both networks see the rectified image, as with depth_node
        return item.header, rgb, self.depth_estimator.estimate(rgb, seen=seen)  # DepthResult: fed as in training

    def _frame_intrinsics(self, item: Any, shape: tuple) -> Any:
        """The rectified camera's intrinsics for a frame (depth_node's, from its cache entry, or this
        node's camera_info when it matches the image size), else None (the learned ones are used)."""
        if isinstance(item, CachedDepth):
            return item.intrinsics
        return self.camera.matching(shape[1], shape[0])[0]

    def _camera_pose(self, frame_id: str, stamp_ns: int) -> bool:
        """T_base_optical for this frame: the /tf_static chain (tf_static; auto once another node publishes
        it, resolved once) or the parameters, then published; False while tf_static has no chain yet."""
        cfg = self.config
        if self.extrinsic_from == "parameters" and cfg.extrinsic_source != "parameters":
            T = self.tf_guard.static_tf.lookup(cfg.base_frame, frame_id)
            if T is not None:
                self.odometry.T_base_optical, self.extrinsic_from = T, "tf_static"
                self.get_logger().info(f"camera pose from the /tf_static chain "
                                       f"{self.tf_guard.static_tf.chain(cfg.base_frame, frame_id)} (another "
                                       "node's); this node publishes no camera transform")
            elif cfg.extrinsic_source == "tf_static":
                self.rejects.reject("extrinsic_unavailable", f"no /tf_static chain {cfg.base_frame} -> "
                                    f"{frame_id} yet")
                return False
        if self.extrinsic_from == "parameters":
            self.tf_guard.send_camera(self.odometry.T_base_optical, frame_id, stamp_ns)
        return True

    def process(self, msg: Any, receive_s: float) -> bool:
        """One frame: depth, motion against the previous frame, publish. InputError drops it."""
        header, rgb, depth_m = self._frame_of(msg)
        stamp_ns = stamp_to_ns(header.stamp)
        if not self._camera_pose(header.frame_id, stamp_ns):
            return False
        prev, self._prev = self._prev, (stamp_ns, rgb, depth_m, header.frame_id)
        if prev is None or not self._continuous(prev, stamp_ns, rgb.shape, header.frame_id):
            if prev is not None:  # a break: the pose is kept, the motion across it is unknown
                self.odometry.unknown_motion()
            self._publish_pose(self.odometry.T_odom_base.copy(), np.zeros(6), None, stamp_ns)  # no step: twist unknown
            return True
        dt_s = (stamp_ns - prev[0]) * 1e-9
        # the camera's intrinsics when camera_info matches: for motion_intrinsics and the refinement
        intrinsics = self._frame_intrinsics(msg, rgb.shape)
        if self.motion.refinement != "none":
            self.refinement_intrinsics = "camera_info" if intrinsics is not None else (
                "learned" if self.motion.refinement in ("photometric", "rest", "translation") else "none known: not refined")
        result = self.motion.estimate(prev[1], prev[2], rgb, depth_m, intrinsics)
        self.motion_choices[result.choice] += 1
        self.odometry.scale, scale_from = self._translation_scale()
        self.odometry.metric = scale_from != "none"
        if not self.odometry.metric:
            self._warn_not_metric("no metric scale from depth_node's depth yet (its scale_source); ")
        T_odom_base, twist = self.odometry.step(result.T_b_from_a, dt_s)
        self._publish_pose(T_odom_base, twist, dt_s, stamp_ns)
        self._publish_extras(header, result)
        self.frames_out += 1
        self.output_rate.tick()
        self.latency.add(time.monotonic() - receive_s)
        return True

    def _translation_scale(self) -> tuple[float, str]:
        """(metres per unit of the network's translation, from where): the depth's metric scale (held) with
        scale_from_depth, else the ``scale`` parameter, else none (1: the network's unit, not metric)."""
        if self.config.scale_from_depth and self.depth_scale is not None:
            return self.depth_scale, "depth"
        if self.config.scale > 0:
            return self.config.scale, "parameter"
        return 1.0, "none"

    def _warn_not_metric(self, why: str) -> None:
        """One WARNING (the first time) that the odometry's translation is not in metres."""
        if self._warned_not_metric:
            return
        self._warned_not_metric = True
        self.get_logger().warning(
            f"odometry translation is not metric: {why}the motion network's own unit (KITTI: x0.16 of metres); "
            f"~/odometry's translation covariance is {UNKNOWN_VARIANCE:g} (unknown), rotation keeps its own. For "
            "metres: scale:=<metres per unit>, or one process with depth_node method li2020 and scale_source "
            "camera_height or depth_topic (README, Nodes)")

    def _continuous(self, prev: tuple, stamp_ns: int, shape: tuple, frame_id: str) -> bool:
        """Whether this frame pairs with ``prev`` (stamp_ns, rgb, depth, frame_id): a stamp gap in
        (0, max_frame_gap_s], the same image size and the same frame_id (another camera on the topic, or a
        driver that renamed its frame, is not motion of this one)."""
        gap_s = (stamp_ns - prev[0]) * 1e-9
        prev_shape, prev_frame = prev[1].shape, prev[3]
        if gap_s <= 0 or gap_s > self.config.max_frame_gap_s or shape != prev_shape or frame_id != prev_frame:
            self.resets += 1
            self.get_logger().warning(
                f"odometry break: stamp gap {gap_s:+.3f} s (allowed (0, {self.config.max_frame_gap_s}] s)"
                + ("" if shape == prev_shape else f", image size changed {prev_shape} -> {shape}")
                + ("" if frame_id == prev_frame else f", frame_id changed {prev_frame!r} -> {frame_id!r}")
                + f": no motion estimated across it; the pose is kept, its covariance is now unknown "
                f"({UNKNOWN_VARIANCE:g})", throttle_duration_sec=5.0)
            return False
        return True

    def _publish_pose(self, T_odom_base: np.ndarray, twist: np.ndarray, dt_s: float | None, stamp_ns: int) -> None:
        """~/odometry and /tf, never older than what was published (REP 105: TF listeners must not
        see the past). After a backwards stamp the reset pose is withheld until stamps pass the
        last published one, or until the ROS clock itself went back (a looping bag with /clock)."""
        cfg = self.config
        last_ns = self._last_pose_stamp_ns
        if last_ns is not None and stamp_ns <= last_ns:
            now_ns = self.get_clock().now().nanoseconds
            if not 0 < now_ns < last_ns:
                self.poses_withheld += 1
                self._withheld_run, self._withheld_stamp_ns = self._withheld_run + 1, stamp_ns
                self.get_logger().warning(f"pose at {stamp_ns} ns not published: /tf already holds {last_ns} ns",
                                          throttle_duration_sec=5.0)
                return
        self._last_pose_stamp_ns, self._withheld_run = stamp_ns, 0
        odom = make_odometry(T_odom_base, stamp_ns, cfg.odom_frame, cfg.child_frame, twist=twist,
                             pose_cov=self.odometry.pose_cov, twist_cov=self.odometry.twist_cov(dt_s),
                             msg_cls=Odometry)
        self.pub_odom.publish(odom)
        self.tf_guard.send_pose(T_odom_base, stamp_ns)

    def _publish_extras(self, header: Any, result: Any) -> None:
        cfg = self.config
        if cfg.publish_motion_field and self.pub_field.get_subscription_count() > 0:
            field = np.ascontiguousarray(result.residual_translation, dtype=np.float32)
            height, width = field.shape[:2]
            self.pub_field.publish(Image(header=header, height=height, width=width, encoding="32FC3",
                                         is_bigendian=int(sys.byteorder == "big"), step=width * 12,
                                         data=field.tobytes()))
        if cfg.publish_camera_info_estimated and self.pub_info.get_subscription_count() > 0:
            self.pub_info.publish(camera_info_from_intrinsics(result.intrinsics, header, msg_cls=CameraInfo))

    def stats(self) -> dict[str, Any]:
        latency = self.latency.summary_ms()
        scale, scale_from = self._translation_scale()
        return {"backend": self.motion.backend_description, "input_rate_hz": self.input_rate.rate_hz(),
                "output_rate_hz": self.output_rate.rate_hz(), "frames_in": self.slot.received,
                "frames_out": self.frames_out, "drops_latest_only": self.slot.dropped,
                "rejected": self.rejects.total, "odometry_resets": self.resets,
                "poses_withheld_older_than_tf": self.poses_withheld, "poses_withheld_now": self._withheld_run,
                "precision": self.effective_precision,
                **({"input_reliability": self.inputs[0].reliability} if self.inputs else {}),
                "depth_reused": self.depth_reused, **self.camera.stats(), "latency_mean_ms": latency["mean"],
                "latency_p95_ms": latency["p95"], "metric": scale_from != "none", "scale": scale,
                "scale_from": scale_from, "extrinsic_from": self.extrinsic_from,
                "camera_tf_conflict": self.tf_guard.camera_conflict or "",
                "tf_conflict": self.tf_guard.tf_conflict or "",
                "motion_refinement": self.motion.refinement, "motion_flip_average": self.motion.flip_average,
                "motion_intrinsics": self.motion.motion_intrinsics,
                "refinement_intrinsics": self.refinement_intrinsics,
                # frames whose motion is the network's, the aligned one, its translation alone, or no motion
                **{f"motion_{choice}_frames": count for choice, count in self.motion_choices.items()}}

    def withheld_problem(self) -> str | None:
        """A line for /diagnostics while no pose goes out because the frames' stamps are older than
        the last published pose (a camera restarted with an earlier clock, a bag looping without /clock)."""
        run, stamp_ns, last_ns = self._withheld_run, self._withheld_stamp_ns, self._last_pose_stamp_ns
        if not run or last_ns is None:
            return None
        return (f"odometry withheld for the last {run} frames: their stamps (last {stamp_ns * 1e-9:.3f} s) are "
                f"{(last_ns - stamp_ns) * 1e-9:.3f} s older than the last published pose ({last_ns * 1e-9:.3f} s; "
                "REP 105: /tf never goes back); it resumes when the stamps pass it, or when the ROS clock goes back")

    def _publish_diagnostics(self) -> None:
        problems = [f"{n} x {reason}" for reason, n in sorted(self.rejects.counts.items())]
        camera_problem = self.camera.problem() if self.depth_cache is None else None  # shared: depth_node's
        if camera_problem:
            problems.append(camera_problem)
        withheld = self.withheld_problem()
        if withheld:
            problems.append(withheld)
        problems += self.tf_guard.problems(self.extrinsic_from)
        name = self.get_fully_qualified_name()  # two cameras' nodes differ by namespace only
        self.pub_diag.publish(diagnostic_array(self.get_clock().now().to_msg(), f"{name.lstrip('/')}: ego_motion",
                                               name, self.stats(), problems))

    def destroy_node(self) -> None:
        worker = getattr(self, "_worker", None)  # absent when __init__ failed half-way
        if worker is not None:
            worker.stop()
        super().destroy_node()


def outputs_off(cfg: EgoMotionConfig) -> dict[str, str]:
    """{output: why} of the optional outputs this configuration never publishes."""
    flags = (("/tf", "publish_tf"), ("~/motion_field", "publish_motion_field"),
             ("~/camera_info_estimated", "publish_camera_info_estimated"))
    return {topic: f"{flag} false" for topic, flag in flags if not getattr(cfg, flag)}


def main(args: list[str] | None = None) -> int:
    """Console script ``ego_motion_node`` (own depth net). Exit 2 on invalid parameter / model."""
    from mono_depth_ros.nodes.spin import run_nodes

    return run_nodes(lambda: [EgoMotionNode()], args if args is not None else sys.argv, usage)


def usage() -> str:
    """``ego_motion_node --help``."""
    from mono_depth_ros.nodes.params import console_help

    return console_help("ego_motion_node", """
Camera ego-motion from consecutive frames (Li 2020 depth + motion networks): /tf odom -> base_link
(REP 105), /tf_static base_link -> the image's frame, ~/odometry, ~/camera_info_estimated. An
invalid value stops it with one line naming the parameter (exit code 2). Defaults:
config/ego_motion.yaml; README, "Nodes".""", [("ego_motion_node", EGO_PARAMS)])


if __name__ == "__main__":
    sys.exit(main())
