"""depth_node: camera image -> ~/depth/image, ~/depth/camera_info, ~/depth/colored, ~/points.

``~/depth/image`` and ``~/depth/camera_info`` are image_transport siblings (what
depth_image_proc and rviz2's DepthCloud expect); the camera_info is published with every depth
image, just before it, with the same header. Frames lost before the node (gaps in the input
stamps at the camera's rate, see diagnostics.StampGapMeter) are reported on /diagnostics
beside the node's own latest-frame-only drops; a restart of the camera (stamps back, a new timing,
a long pause) is counted as one (``stream_restarts``), not as frames lost. A stream that stops
arriving while its publisher is still there is a WARN while it lasts (``diagnostics.InputStall``);
a camera whose publisher left is not. Input QoS: ``input_reliability`` auto (default) chooses each
input subscription's reliability from its topic's publishers (nodes/image_watch.py).

Threading: the image callback only stores the newest message in a one-item slot (an older
unprocessed frame is dropped and counted); a worker thread processes the newest frame. So the
node never works through a backlog, whatever the camera rate. Outputs copy the input header.
Work for an output is skipped while nobody subscribes to it. ``~/points`` is advertised only
while the configuration can publish a cloud (``DepthNodeConfig.points_off_reason``; the start-up
log says why not), and follows run-time changes of ``publish_points`` / ``nonmetric_median_depth_m``.

Bad input (unknown encoding, data length != step*height, zero size, invalid camera_info,
stamps going backwards) is dropped and logged, throttled per reason, with the reason; counts
since start are in ``rejects.counts`` and on /diagnostics (``rejected_<reason>``), whose level is
WARN only while inputs were rejected in the last RECENT_REJECTS_S (or since the previous report).
An image size change mid-stream re-initialises cleanly: the camera_info of the old size is
discarded and the next matching one is used.
Non-metric models (xian2018, li2020; a card's relative_depth, relative_inverse_depth,
depth_up_to_scale): with ``scale_source`` none ~/depth holds the model's normalised depth (see
inference/processing.py), the read-only parameter ``depth_is_metric`` is false, and ~/points follow
the explicit rule ``nonmetric_median_depth_m`` (off by default: no cloud without a scale). With
``scale_source`` camera_height or depth_topic, the worker measures each frame's metric scale
(core/scale.py: the ground plane ``camera_height_m`` below the camera, up from ``camera_rpy_rad`` or
/tf_static; or the newest metric depth image (an image_transport ``.../compressedDepth`` topic by its
name) and/or lidar cloud, projected through /tf_static, within ``metric_depth_tolerance_s`` of the frame):
frames with a scale publish metres on ~/depth and ~/points, frames without publish the normalised
depth and no cloud; /diagnostics say which (``depth_is_metric``, ``scale``, ``scale_reason``) and
the log says when the scale comes or goes. ``depth_is_metric`` then says the configuration can
deliver metres. The callbacks only store the newest metric depth (cloud) and /tf_static; never blocking.

Lens distortion: with a camera_info of the image's size whose D is not zero, the image is
rectified (maps cached per camera_info, core/rectify.py) before inference; ~/depth, ~/points
and ~/depth/camera_info then describe the rectified image (D zero, K = the new camera matrix),
and rectified pixels that saw no raw pixel (the black border of a P wider than the lens) are NaN.
An image already rectified (``rectify``: auto and a topic named image_rect*, or never) is not
rectified again: its intrinsics are camera_info's P, D zero (nodes/camera_model.py).
A D of an unknown model or length is logged (throttled), counted on /diagnostics and treated as
undistorted. The image is fitted to the network with ``resize_mode`` (core/fit.py).
The network is ``method``'s, or the one a model card describes (``model_card``, or
``<model stem>.card.yaml`` beside ``model_path``; inference/card.py).
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any, Mapping

import numpy as np
import rclpy
from rclpy.node import Node
from rclpy.parameter import Parameter
from rcl_interfaces.msg import ParameterDescriptor, SetParametersResult
from sensor_msgs.msg import CameraInfo, CompressedImage, Image, PointCloud2
from diagnostic_msgs.msg import DiagnosticArray
from tf2_msgs.msg import TFMessage

from mono_depth_ros.core.camera import CameraIntrinsics, camera_info_from_intrinsics
from mono_depth_ros.core.depth import depth_to_image
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.image import build_image, compressed_to_rgb8, image_to_rgb8
from mono_depth_ros.core.pointcloud import depth_to_pointcloud2, warm_up_kernels
from mono_depth_ros.core.scale import ScaleEstimator, ScaleResult, SparseDepth
from mono_depth_ros.core.stamps import stamp_to_ns
from mono_depth_ros.core.transforms import transform_msg_to_matrix
from mono_depth_ros.inference.processing import guided_filter_setting
from mono_depth_ros.nodes.camera_model import CameraModel, input_topics
from mono_depth_ros.nodes.colormap import colorize_depth
from mono_depth_ros.nodes.depth_cache import CachedDepth, CompressedMetricDepth, DepthCache, LatestMetricCloud, \
    LatestMetricDepth
from mono_depth_ros.nodes.depth_config import DEPTH_PARAMS, DepthNodeConfig, fallback_focal_px, \
    is_compressed_depth_topic
from mono_depth_ros.nodes.diagnostics import InputStall, LatencyStats, RateMeter, RejectLog, ScaleReport, \
    StampGapMeter, diagnostic_array
from mono_depth_ros.nodes.frame_slot import FrameWorker, LatestSlot
from mono_depth_ros.nodes.image_watch import InputSubscription, NoImageWatch, compressed_name_problem
from mono_depth_ros.nodes.model_loading import checked_precision, load_depth_estimator, runtime_options
from mono_depth_ros.nodes.odometry import StaticTfTree, UpDirection
from mono_depth_ros.nodes.outputs import OptionalPublisher, outputs_off_line, sync_outputs
from mono_depth_ros.nodes.ego_motion_config import EGO_PARAMS
from mono_depth_ros.nodes.params import ConfigError, build_config, declare_parameters, to_parameters, \
    updated_config, warn_unknown_parameters
from mono_depth_ros.nodes.qos import make_qos, tf_static_listener_qos

POINTS_SCALE_SAMPLES = 32768  # nonmetric_median_depth_m: the median of at most this many cloud points
#: /diagnostics is WARN while inputs were rejected within this many seconds (or since the previous report)
RECENT_REJECTS_S = 5.0


class DepthNode(Node):
    """Monocular depth node. ``parameter_overrides``: ``{name: value}`` for in-process use.

    ``estimator``: an already loaded DepthEstimator to use instead of loading ``model_path``
    (sharing one model between nodes in a process). ``depth_cache``: shared with
    ego_motion_node in the same process so that depth is computed once per frame.
    Raises ConfigError (naming the parameter) when a parameter is invalid or the model cannot load.
    """

    def __init__(self, node_name: str = "depth_node", *, namespace: str | None = None,
                 context: Any = None, parameter_overrides: Mapping[str, Any] | None = None,
                 estimator: Any = None, depth_cache: DepthCache | None = None) -> None:
        super().__init__(node_name, namespace=namespace, context=context,
                         parameter_overrides=to_parameters(parameter_overrides))
        try:
            self._setup(node_name, estimator, depth_cache)
        except BaseException:
            self.destroy_node()  # a half-built node leaves no publishers or threads behind
            raise

    def _setup(self, node_name: str, estimator: Any, depth_cache: DepthCache | None) -> None:
        self.config: DepthNodeConfig = build_config(
            DepthNodeConfig, DEPTH_PARAMS, declare_parameters(self, DEPTH_PARAMS))
        self.unknown_parameters = warn_unknown_parameters(self, DEPTH_PARAMS, EGO_PARAMS)
        cfg = self.config
        options = runtime_options(cfg.precision, cfg.calibration_dir, cfg.threads, self.get_logger().warning)
        self.estimator = estimator or load_depth_estimator(
            "model_path", cfg.model_path, cfg.spec_name, cfg.backend, cfg.precision, cfg.resize_mode, cfg.model_card,
            cfg.flip_average, method=cfg.method, options=options)
        self.effective_precision = checked_precision(self.estimator, cfg.backend, cfg.precision,
                                                     self.get_logger().warning, calibration_dir=cfg.calibration_dir)
        spec = self.estimator.spec
        # a shared (injected) estimator too: the filter is this node's choice, applied in estimate()
        self.estimator.guided_filter = guided_filter_setting(cfg.guided_filter, spec.name)
        self.model_label = f"{spec.name} ({spec.label})" if spec.source != "built-in" else cfg.method
        self.is_metric = spec.is_metric
        self._init_stats()
        self._init_scale(cfg, spec.output_kind)
        self.declare_parameter("depth_is_metric", self.is_metric or self.scale_estimator is not None,
                               ParameterDescriptor(description="Whether ~/depth can be in metres: a metric model, "
                                                   "or a scale_source (per frame: depth_is_metric on /diagnostics).",
                                                   read_only=True))
        self.depth_cache = depth_cache
        warm_up_kernels()  # compile (0.8 s) or load (0.2 s) the cloud kernels now, not on the first frame
        self._init_io(cfg)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._worker = FrameWorker(f"{node_name}_worker", self.slot, self.process, self.rejects.reject)
        self.get_logger().info(
            f"{self.model_label} on {self.estimator.backend_description}; input {self.image_sub_topic} "
            f"({self.image_input.describe()}), camera_info {self.info_sub_topic}; {self.camera.describe()}; "
            f"guided_filter {self._guided_label()}")

    def _guided_label(self) -> str:
        """``off`` or ``radius 4% of the longer side, eps 0.01`` (the log and /diagnostics)."""
        setting = self.estimator.guided_filter
        return "off" if setting is None else f"radius {setting[0]:.0%} of the longer side, eps {setting[1]:g}"

    def _init_scale(self, cfg: DepthNodeConfig, output_kind: str) -> None:
        """The metric scale of a non-metric model with a scale_source (``scale_estimator`` None: the
        network's own units), and one start-up line saying what ~/depth and ~/points will hold."""
        scale_config = cfg.scale_config(output_kind)
        self.scale_estimator = ScaleEstimator(scale_config) if scale_config is not None else None
        self.scale_report = ScaleReport(cfg.scale_source, self.get_logger().info, self.get_logger().warning)
        self.static_tf = StaticTfTree()
        self.up = UpDirection(cfg.camera_rpy_rad, cfg.base_frame,
                              self.static_tf if cfg.extrinsic_source != "parameters" else None,
                              fallback=cfg.extrinsic_source == "auto")
        depth_cls = CompressedMetricDepth if is_compressed_depth_topic(cfg.metric_depth_topic) else LatestMetricDepth
        self.metric_depth = depth_cls(cfg.metric_depth_topic) if cfg.metric_depth_topic else None
        self.metric_cloud = LatestMetricCloud(cfg.metric_cloud_topic, self.static_tf, self.rejects.reject) \
            if cfg.metric_cloud_topic else None
        level, text = cfg.output_summary(f"model {self.model_label} ({output_kind})", self.is_metric)
        if text:
            (self.get_logger().warning if level == "warning" else self.get_logger().info)(text)

    def _init_stats(self) -> None:
        self.slot = LatestSlot()
        self.input_rate = RateMeter()
        self.output_rate = RateMeter()
        self.latency = LatencyStats()
        self.inference_latency = LatencyStats()
        self.cpu_outside_inference = LatencyStats()  # worker-thread CPU a frame, inference excluded
        self.rejects = RejectLog(lambda text: self.get_logger().warning(text))
        self.frames_out = 0
        self.frames_attempted = 0  # frames some output (or the shared cache) wanted
        self.upstream = StampGapMeter()  # frames lost before this node (transport, driver)
        self.stall = InputStall()  # a stream that stopped arriving while its publisher is still there
        self._lost_reported = 0
        self._last_stamp_ns: int | None = None
        self._image_hw: tuple[int, int] | None = None
        self._info_msg: CameraInfo | None = None  # ~/depth/camera_info, rebuilt when the intrinsics change
        self._info_for: CameraIntrinsics | None = None
        self.image_sub_topic, self.info_sub_topic = input_topics(self, self.config.image_topic,
                                                                 self.config.camera_info_topic,
                                                                 self.config.use_compressed)
        self.camera = CameraModel(lambda text: self.get_logger().warning(text, throttle_duration_sec=5.0),
                                  self.config.rectify, self.image_sub_topic)

    def _input(self, msg_type: Any, topic: str, callback: Any) -> InputSubscription:
        """A subscription of an input topic with input_reliability (auto: chosen per topic)."""
        cfg = self.config
        return InputSubscription(self, msg_type, topic, callback, cfg.input_reliability, cfg.input_depth,
                                 self.get_logger().info)

    def _init_io(self, cfg: DepthNodeConfig) -> None:
        out_qos = make_qos(cfg.output_reliability, cfg.output_depth)
        name_problem = compressed_name_problem(self.resolve_topic_name(cfg.image_topic), cfg.use_compressed)
        if name_problem:
            self.get_logger().warning(name_problem)
        self.image_input = self._input(CompressedImage if cfg.use_compressed else Image, self.image_sub_topic,
                                       self._on_image)
        self.no_image_watch = NoImageWatch(self, self.image_input, lambda: self.slot.received,
                                           on_tick=self._check_inputs)
        self.inputs = [self.image_input, self._input(CameraInfo, self.info_sub_topic, self._on_camera_info)]
        # image_transport siblings: <base>/image and <base>/camera_info (depth_image_proc, rviz2)
        self.pub_depth = self.create_publisher(Image, "~/depth/image", out_qos)
        self.pub_info = self.create_publisher(CameraInfo, "~/depth/camera_info", out_qos)
        self.pub_colored = self.create_publisher(Image, "~/depth/colored", out_qos)
        # only while a cloud is possible (a metric network, a scale source or the nonmetric rule)
        points_off = self._outputs_off(cfg)
        self.pub_points = OptionalPublisher(self, PointCloud2, "~/points", out_qos, "~/points" not in points_off)
        if points_off:
            self.get_logger().info(outputs_off_line(points_off))
        self.pub_diag = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self._diagnosed_s = time.monotonic()  # the last /diagnostics report (RECENT_REJECTS_S)
        self.create_timer(cfg.diagnostics_period_s, self._publish_diagnostics)
        depth_topic = self.scale_estimator is not None and cfg.scale_source == "depth_topic"
        if depth_topic and self.metric_depth is not None:  # image_transport's compressedDepth by its name
            depth_type = CompressedImage if isinstance(self.metric_depth, CompressedMetricDepth) else Image
            self.inputs.append(self._input(depth_type, cfg.metric_depth_topic, self.metric_depth.put))
        if depth_topic and self.metric_cloud is not None:
            self.inputs.append(self._input(PointCloud2, cfg.metric_cloud_topic, self.metric_cloud.put))
        up_from_tf = self.scale_estimator is not None and cfg.scale_source == "camera_height" \
            and cfg.extrinsic_source != "parameters"
        if up_from_tf or (depth_topic and self.metric_cloud is not None):
            self.create_subscription(TFMessage, "/tf_static", self._on_tf_static, tf_static_listener_qos())

    def _check_inputs(self) -> None:
        """input_reliability auto: the slow fallback to the subscriptions' graph events."""
        for sub in self.inputs:
            sub.check()

    def _sim_now_ns(self) -> int | None:
        """The ROS clock under use_sim_time (a replay's /clock: it stands still while the player is
        paused), else None."""
        clock = self.get_clock()
        return clock.now().nanoseconds if clock.ros_time_is_active else None

    # ---------------------------------------------------------------- callbacks (executor thread)
    def _on_image(self, msg: Any) -> None:
        self.input_rate.tick()
        self.stall.received(ros_now_ns=self._sim_now_ns())
        try:
            self.upstream.add(stamp_to_ns(msg.header.stamp))
        except InputError:
            pass  # the worker rejects the frame with the reason
        self.slot.put((msg, time.monotonic()))

    def _on_camera_info(self, msg: CameraInfo) -> None:
        try:
            self.camera.update(msg)
        except InputError as exc:
            self.rejects.reject("invalid_camera_info", f"camera_info: {exc}")

    def _on_tf_static(self, msg: TFMessage) -> None:
        for transform in msg.transforms:
            self.static_tf.add(transform.header.frame_id, transform.child_frame_id,
                               transform_msg_to_matrix(transform))

    def _on_set_parameters(self, params: list[Parameter]) -> SetParametersResult:
        try:
            new_config = updated_config(self.config, DEPTH_PARAMS, {p.name: p.value for p in params
                                                                    if p.name != "depth_is_metric"})
        except ConfigError as exc:
            return SetParametersResult(successful=False, reason=str(exc))
        self.config = new_config  # frozen: the worker reads one consistent snapshot per frame
        # one attribute, read once per frame by estimate(): the next frame takes the new setting
        self.estimator.guided_filter = guided_filter_setting(new_config.guided_filter, self.estimator.spec.name)
        sync_outputs({"~/points": self.pub_points}, self._outputs_off(new_config), self.get_logger().info)
        return SetParametersResult(successful=True)

    def _outputs_off(self, cfg: DepthNodeConfig) -> dict[str, str]:
        """{output: why} of the outputs this configuration can never publish."""
        why = cfg.points_off_reason(self.is_metric)
        return {"~/points": why} if why else {}

    # ---------------------------------------------------------------- worker thread
    def _wanted(self) -> dict[str, bool]:
        cfg = self.config
        cache_wants = self.depth_cache is not None and self.depth_cache.consumers > 0
        return {"depth": self.pub_depth.get_subscription_count() > 0,
                "info": self.pub_info.get_subscription_count() > 0,
                "colored": self.pub_colored.get_subscription_count() > 0,
                "points": cfg.publish_points and self.pub_points.get_subscription_count() > 0,
                "cache": cache_wants}

    def process(self, msg: Any, receive_s: float) -> bool:
        """Run one frame through the model and publish; returns False when nothing was wanted.

        Raises InputError for a frame that must be dropped.
        """
        cfg = self.config
        cpu_start_s = time.thread_time()  # this worker thread's CPU: what a frame costs, load or not
        stamp_ns = stamp_to_ns(msg.header.stamp)
        if self._last_stamp_ns is not None and stamp_ns < self._last_stamp_ns:
            # Drop this frame but restart the clock from it, so a looping bag (or a restarted
            # camera driver) is served again from its next frame instead of being dropped forever.
            last_ns, self._last_stamp_ns = self._last_stamp_ns, stamp_ns
            raise InputError("header.stamp", stamp_ns, f"goes backwards (last {last_ns} ns)")
        rgb = compressed_to_rgb8(msg) if cfg.use_compressed else image_to_rgb8(msg)
        self._check_size(rgb.shape[:2])
        self._last_stamp_ns = stamp_ns
        wanted = self._wanted()
        if not any(wanted.values()):
            return False
        self.frames_attempted += 1
        rgb, seen_raw = self.camera.rectify(rgb)
        start_s, infer_cpu_s = time.monotonic(), time.thread_time()
        # the rectified image's black border: no depth, no points, no scale, not in a relative
        # output's statistics
        result = self.estimator.estimate(rgb, seen=seen_raw)
        self.inference_latency.add(time.monotonic() - start_s)
        infer_cpu_s = time.thread_time() - infer_cpu_s
        depth_m = result.depth_m
        intr = None
        if any(wanted[k] for k in ("info", "depth", "points", "cache")) or self.scale_estimator is not None:
            intr = self._intrinsics_for(depth_m.shape[1], depth_m.shape[0], cfg,
                                        complain=wanted["info"] or wanted["points"])
        scale = self._scale_frame(depth_m, intr, msg.header, stamp_ns, cfg)
        if self.depth_cache is not None:
            up_to_scale = scale is not None and scale.is_metric and scale.output_kind == "depth_up_to_scale"
            self.depth_cache.put(CachedDepth(stamp_ns, depth_m, self.estimator.spec.name, result.is_metric,
                                             rgb=rgb, header=msg.header, receive_s=receive_s, result=result,
                                             metric_scale=scale.scale if up_to_scale else None, intrinsics=intr))
        self._publish(msg.header, rgb, depth_m, intr, scale, wanted, cfg)
        self.frames_out += 1
        self.output_rate.tick()
        self.latency.add(time.monotonic() - receive_s)
        self.cpu_outside_inference.add(time.thread_time() - cpu_start_s - infer_cpu_s)
        return True

    def _check_size(self, hw: tuple[int, int]) -> None:
        if self._image_hw is not None and hw != self._image_hw:
            self.get_logger().warning(f"image size changed from {self._image_hw[1]}x{self._image_hw[0]} to "
                                      f"{hw[1]}x{hw[0]}: re-initialising (camera_info of the old size dropped)")
        self._image_hw = hw

    def _scale_frame(self, depth_m: np.ndarray, intr: CameraIntrinsics | None, header: Any, stamp_ns: int,
                     cfg: DepthNodeConfig) -> ScaleResult | None:
        """This frame's metric scale (None without a scale source); logs when it comes or goes."""
        if self.scale_estimator is None:
            return None
        up, sparse, missing = None, None, ""
        if intr is None:
            missing = "no camera_info for this image size (set fallback_hfov_deg to assume one)"
        elif cfg.scale_source == "camera_height":
            up, missing = self.up.of(header.frame_id)
        else:
            sparse, missing = self._sparse_depth(stamp_ns, intr, header.frame_id, cfg.metric_depth_tolerance_s)
        result = self.scale_estimator.update(depth_m, intr, up, sparse, stamp_ns, missing)
        self.scale_report.add(result)  # logs when the scale comes or goes
        return result

    def _sparse_depth(self, stamp_ns: int, intr: CameraIntrinsics, frame_id: str,
                      tolerance_s: float) -> tuple[SparseDepth | None, str]:
        """The metric depths of every depth_topic source in time for this frame, or (None, why not)."""
        found, missing = [], []
        for source in (self.metric_depth, self.metric_cloud):
            if source is not None:
                sparse, why = source.for_frame(stamp_ns, intr, frame_id, tolerance_s)
                if sparse is not None:
                    found.append(sparse)
                else:
                    missing.append(why)
        if not found:
            return None, "; ".join(missing)
        return (found[0] if len(found) == 1 else SparseDepth.concatenate(found)), ""

    def _points_scale(self, depth_m: np.ndarray, cfg: DepthNodeConfig) -> float | None:
        """Factor that makes the median depth of the cloud's points (every ``point_stride_px``-th
        pixel) of a non-metric depth (scale_source none) ``nonmetric_median_depth_m`` (None when
        that rule is off or no pixel is valid). Clouds of more than ``POINTS_SCALE_SAMPLES`` points
        take the median of a regular sub-grid of at most that many (every k-th point both ways):
        a 640x480 cloud at stride 2 has 76 800 points, and the exact median cost 0.24 ms a frame."""
        if cfg.nonmetric_median_depth_m <= 0:
            return None
        n_points = -(-depth_m.shape[0] // cfg.point_stride_px) * -(-depth_m.shape[1] // cfg.point_stride_px)
        step = cfg.point_stride_px * max(1, math.ceil(math.sqrt(n_points / POINTS_SCALE_SAMPLES)))
        sample = depth_m[::step, ::step]
        with np.errstate(invalid="ignore"):
            values = sample[(sample > 0) & (sample < np.inf)]
        if not values.size:
            return None
        middle = values.size // 2  # the middle point (the upper one of two); np.partition is fast
        return cfg.nonmetric_median_depth_m / float(np.partition(values, middle)[middle])

    def _publish(self, header: Any, rgb: np.ndarray, depth_m: np.ndarray, intr: CameraIntrinsics | None,
                 scale: ScaleResult | None, wanted: dict[str, bool], cfg: DepthNodeConfig) -> None:
        """Outputs of one frame: metres when the network or this frame's scale is metric, else the
        normalised depth (~/points then only by nonmetric_median_depth_m, without a scale source)."""
        if scale is not None and scale.is_metric:  # a scale source's metres (a metric network's corrected)
            metric_m = scale.depth(depth_m)
        else:
            metric_m = depth_m if self.is_metric else None
        out_m = depth_m if metric_m is None else metric_m
        # camera_info goes out with every depth image, just before it, so that a subscriber
        # pairing them by stamp (depth_image_proc, rviz2's DepthCloud) never waits for it
        if intr is not None and (wanted["info"] or wanted["depth"]):
            self.pub_info.publish(self._camera_info(intr, header))
        if wanted["depth"]:
            self.pub_depth.publish(depth_to_image(out_m, header, encoding=cfg.depth_encoding, msg_cls=Image))
        if wanted["points"] and intr is not None:
            points_depth_m, points_scale = metric_m, 1.0
            if metric_m is None and scale is None:  # the non-metric rule (None: off, no cloud)
                points_depth_m, points_scale = depth_m, self._points_scale(depth_m, cfg)
            # a scale source without a metric scale for this frame publishes no cloud
            if points_depth_m is not None and points_scale is not None:
                colour = rgb if cfg.points_rgb and rgb.shape[:2] == depth_m.shape else None
                self.pub_points.publish(depth_to_pointcloud2(
                    points_depth_m, intr, header, rgb=colour, stride_px=cfg.point_stride_px,
                    max_range_m=cfg.max_range_m, msg_cls=PointCloud2, depth_scale=points_scale))
        if wanted["colored"]:  # last: a picture for people, the geometry goes out first
            self.pub_colored.publish(build_image(
                out_m.shape[0], out_m.shape[1], "rgb8", header,
                lambda view: colorize_depth(out_m, cfg.colormap_max_depth_m, out=view), msg_cls=Image))

    def _camera_info(self, intr: CameraIntrinsics, header: Any) -> CameraInfo:
        """~/depth/camera_info of ``intr`` with this frame's header: built once per intrinsics (a
        camera's do not change), then only the header is replaced. Reusing the message is safe:
        rclpy serialises it inside ``publish`` and nothing else keeps it."""
        if self._info_msg is None or self._info_for != intr:
            self._info_msg, self._info_for = camera_info_from_intrinsics(intr, header, msg_cls=CameraInfo), intr
        else:
            self._info_msg.header = header
        return self._info_msg

    def _intrinsics_for(self, width: int, height: int, cfg: DepthNodeConfig,
                        complain: bool = True) -> CameraIntrinsics | None:
        """Latest valid camera_info if it matches the depth size, else the fallback (or None;
        counted as a ``no_camera_info`` reject when ``complain``)."""
        intr, dropped = self.camera.matching(width, height)
        if dropped is not None:
            self.rejects.reject("camera_info_size_mismatch", f"camera_info is {dropped.width}x{dropped.height} "
                                f"but the image is {width}x{height}; waiting for a matching one")
        if intr is not None:
            return intr
        if cfg.fallback_hfov_deg > 0:
            focal_px = fallback_focal_px(width, cfg.fallback_hfov_deg)
            return CameraIntrinsics(width, height, focal_px, focal_px, width / 2.0, height / 2.0)
        if complain:
            self.rejects.reject("no_camera_info", "no valid camera_info for this image size: ~/points and "
                                "~/depth/camera_info skipped (set fallback_hfov_deg to assume one)")
        return None

    # ---------------------------------------------------------------- diagnostics / shutdown
    def stats(self) -> dict[str, Any]:
        """Counters and rates shown on /diagnostics (also used by the demo and benchmarks)."""
        latency, inference = self.latency.summary_ms(), self.inference_latency.summary_ms()
        return {"method": self.model_label, "backend": self.estimator.backend_description,
                "metric": self.is_metric, "input_rate_hz": self.input_rate.rate_hz(),
                "output_rate_hz": self.output_rate.rate_hz(), "frames_in": self.slot.received,
                "frames_out": self.frames_out, "drops_latest_only": self.slot.dropped,
                "lost_before_node": self.upstream.lost, "lost_before_node_pct": self.upstream.loss_percent(),
                "camera_rate_hz": self.upstream.rate_hz(), "stream_restarts": self.upstream.restarts,
                "precision": self.effective_precision, "guided_filter": self._guided_label(),
                "rejected": self.rejects.total,
                **{f"rejected_{reason}": n for reason, n in self.rejects.snapshot().items()},
                "input_reliability": self.image_input.reliability, **self.camera.stats(),
                "latency_mean_ms": latency["mean"],
                "latency_p95_ms": latency["p95"], "inference_mean_ms": inference["mean"],
                "cpu_outside_inference_ms": self.cpu_outside_inference.summary_ms()["mean"],
                "cpu_outside_inference_total_ms": self.cpu_outside_inference.total_s * 1e3,
                "cpu_outside_inference_frames": self.cpu_outside_inference.count,
                **(self.scale_report.stats() if self.scale_estimator is not None else
                   {"depth_is_metric": self.is_metric, "scale_source": "network" if self.is_metric else "none"}),
                **({"scale_up_from": self.up.source} if self.config.scale_source == "camera_height" else {})}

    def _publish_diagnostics(self) -> None:
        stats = self.stats()
        now_s = time.monotonic()
        # the level follows what was rejected lately (and anything since the last report, however late
        # this one is); the counts since start stay in the values
        window_s, self._diagnosed_s = max(RECENT_REJECTS_S, now_s - self._diagnosed_s), now_s
        problems = [f"{n} x {reason} in the last {window_s:.3g} s"
                    for reason, n in sorted(self.rejects.recent(window_s, now_s).items())]
        stall_values, stall_problem = self.stall.check(self.upstream.period_bound_ns(), self.image_input.publishers(),
                                                       ros_now_ns=self._sim_now_ns())
        stats.update(stall_values)
        if stall_problem:
            problems.append(stall_problem)
        # idle frames (nobody subscribed) are no problem, nor the first frame while it is computed:
        # the one worker runs one frame at a time, so two attempts without output mean one failed
        if self.frames_attempted >= 2 and not stats["frames_out"]:
            problems.append("no output yet")
        lost = self.upstream.lost
        if lost > self._lost_reported:
            problems.append(f"{lost - self._lost_reported} frames lost before the node since the last report "
                            f"({self.upstream.loss_percent():.1f} % of all; transport or camera driver; see "
                            "config/fastdds_large_data.xml)")
        self._lost_reported = lost
        scale_problem = self.scale_report.problem() if self.scale_estimator is not None else None
        if scale_problem:
            problems.append(scale_problem)
        camera_problem = self.camera.problem()
        if camera_problem:
            problems.append(camera_problem)
        name = self.get_fully_qualified_name()  # two cameras' nodes differ by namespace only
        self.pub_diag.publish(diagnostic_array(self.get_clock().now().to_msg(), f"{name.lstrip('/')}: depth", name,
                                               stats, problems))

    def destroy_node(self) -> None:
        worker = getattr(self, "_worker", None)  # absent when __init__ failed half-way
        if worker is not None:
            worker.stop()
        super().destroy_node()


def main(args: list[str] | None = None) -> int:
    """Console script ``depth_node``: exit 0 on shutdown, 2 on an invalid parameter / model."""
    from mono_depth_ros.nodes.spin import run_nodes

    return run_nodes(lambda: [DepthNode()], args if args is not None else sys.argv, usage)


def usage() -> str:
    """``depth_node --help``."""
    from mono_depth_ros.nodes.params import console_help

    return console_help("depth_node", """
Monocular depth from a camera image topic: ~/depth/image (REP 118) with its ~/depth/camera_info,
~/depth/colored, ~/points (PointCloud2) and /diagnostics. An invalid value stops it with one line
naming the parameter (exit code 2). Defaults: config/depth.yaml; README, "Nodes".
Example: ros2 run mono_depth_ros depth_node --ros-args -p image_topic:=/camera/image_raw""",
                        [("depth_node", DEPTH_PARAMS)])


if __name__ == "__main__":
    sys.exit(main())
