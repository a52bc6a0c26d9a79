"""ego_motion_node parameters: the declared table and the frozen, validated config."""

from __future__ import annotations

from dataclasses import dataclass, replace

from mono_depth_ros.inference.ego_motion_estimator import DEFAULT_MOTION_FLIP_AVERAGE, DEFAULT_MOTION_INTRINSICS, \
    MOTION_INTRINSICS
from mono_depth_ros.inference.pose_refinement import DEFAULT_MOTION_REFINEMENT, MOTION_REFINEMENTS
from mono_depth_ros.inference.processing import FLIP_MODES
from mono_depth_ros.nodes.depth_config import BACKENDS, CALIBRATION_DIR_PARAM, PRECISIONS, RECTIFY_PARAM, \
    RESIZE_MODE_PARAM, THREADS_PARAM, check_calibration_dir, check_model_path
from mono_depth_ros.nodes.params import ConfigError, ParamSpec, check_frame_id, check_topic_name, \
    io_param_specs

EGO_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("image_topic", "camera/image_raw", "Input colour image topic (sensor_msgs/Image).",
              read_only=True),
    ParamSpec("use_compressed", False, "Subscribe <image_topic>/compressed instead.", read_only=True),
    ParamSpec("camera_info_topic", "", "CameraInfo of image_topic; empty = its sibling (<image namespace>/"
              "camera_info). Running its own depth net, the node rectifies a distorted image with it before "
              "both networks (as depth_node does); sharing depth_node's depth, that node has rectified it.",
              read_only=True),
    replace(RECTIFY_PARAM, description=RECTIFY_PARAM.description + " Sharing depth_node's depth: depth_node's."),
    ParamSpec("motion_model_path", "", "Li 2020 motion net (.pt/.onnx/.engine); empty = bundled "
              "demo weights.", read_only=True),
    ParamSpec("depth_model_path", "", "Li 2020 depth net, used when no li2020 depth is shared: no "
              "depth_node in the same process, or one running another method; empty = bundled demo "
              "weights.", read_only=True),
    ParamSpec("backend", "auto", "Inference backend.", choices=BACKENDS, read_only=True),
    ParamSpec("precision", "fp32", "Inference precision of both networks (as depth_node's; int8: OpenVINO, the "
              "motion network quantised on pairs of calibration_dir's frames).", choices=PRECISIONS, read_only=True),
    CALIBRATION_DIR_PARAM,
    THREADS_PARAM,
    replace(RESIZE_MODE_PARAM, description=RESIZE_MODE_PARAM.description + " Both networks (the motion network: "
            "tile's middle window, the crop). Sharing depth_node's depth: depth_node's."),
    ParamSpec("publish_tf", True, "Broadcast odom_frame -> odom_child_frame on /tf. Stops (one WARNING) when "
              "another node publishes that frame's parent on /tf (wheel odometry, an EKF): then set it false and "
              "fuse ~/odometry (robot_localization)."),
    ParamSpec("odom_frame", "odom", "Odometry (world) frame: the parent on /tf and ~/odometry's header.",
              read_only=True),
    ParamSpec("base_frame", "base_link", "Robot body frame (REP 103): the motion is reported for it, and the "
              "camera's pose is given in it (camera_xyz_m/camera_rpy_rad, or the /tf_static chain base_frame -> "
              "the image's frame_id).", read_only=True),
    ParamSpec("odom_child_frame", "", "The child frame published on /tf and as ~/odometry's child_frame_id; "
              "empty = base_frame. Another name (vo_base_link) shows this odometry beside another node's "
              "odom -> base_link without giving base_link a second parent.", read_only=True),
    ParamSpec("extrinsic_source", "auto", "The camera's pose in base_frame. parameters: camera_xyz_m, "
              "camera_rpy_rad (published on /tf_static with publish_camera_tf, unless another node already gives "
              "the image's frame a parent there: then one WARNING and none of ours). auto: the /tf_static chain "
              "base_frame -> the image's frame_id when another node (robot_state_publisher) publishes one, by the "
              "first frame or later (ours is then not published, or withdrawn), else as parameters. tf_static: "
              "only that chain (frames wait for it).",
              choices=("parameters", "auto", "tf_static"), read_only=True),
    ParamSpec("camera_xyz_m", (0.0, 0.0, 0.0), "Camera body frame (REP 103, x forward) position in "
              "base_frame, metres.", read_only=True),
    ParamSpec("publish_camera_tf", True, "With the camera's pose from parameters: publish base_frame -> the "
              "image's frame_id on /tf_static, unless another node gives that frame a parent.", read_only=True),
    ParamSpec("camera_rpy_rad", (0.0, 0.0, 0.0), "Camera body frame roll, pitch, yaw in base_frame, "
              "radians (the optical rotation is applied on top).", read_only=True),
    ParamSpec("scale", 0.0, "Metres per unit of the motion network's translation while no metric scale comes "
              "from the depth (scale_from_depth). 0: none known: translations are the network's own unit, not "
              "metric, and ~/odometry's translation covariance says unknown (1e6).", low=0.0, high=1e6),
    ParamSpec("scale_from_depth", True, "Sharing depth_node's li2020 depth in one process with its "
              "scale_source set: translations are multiplied by the depth's metric scale (li2020's depth and "
              "translation share one unit); frames without a scale hold the last one; `scale` before the first."),
    ParamSpec("max_frame_gap_s", 1.0, "A stamp gap larger than this (or backwards), or a new image size: no "
              "motion is estimated across it; the pose is kept and its covariance becomes unknown (1e6).",
              low=0.001, high=3600.0),
    ParamSpec("translation_std_m", 0.05, "Per-frame translation standard deviation in metres (covariance), "
              "used while the translation is metric (else unknown, 1e6).",
              low=0.0, high=100.0),
    ParamSpec("rotation_std_rad", 0.01, "Per-frame rotation standard deviation (covariance).",
              low=0.0, high=3.2),
    ParamSpec("motion_refinement", DEFAULT_MOTION_REFINEMENT,
              "rest (default): the simplest of no motion, the network's translation without its rotation, and the "
              "network's estimate that explains the frames well enough (no motion: 10 % better than the estimate; "
              "no rotation: at most 10 % worse): a camera at rest does not drift, a noisy rotation is dropped; "
              "a few ms. photometric: align the two frames at camera resolution "
              "(the depth places frame a's pixels) from the estimate, kept only where it lowers the photometric cost "
              "by 10 %, with the network's translation length, then the rest check (camera_info's intrinsics, or in "
              "one process depth_node's fallback_hfov_deg, else the learned ones); auto: photometric only with the "
              "camera's intrinsics (with the learned ones it measured worse); translation: as photometric for the "
              "translation's direction alone, the network's rotation kept (camera's intrinsics only, else rest); "
              "none: the network alone. "
              "/diagnostics: refinement_intrinsics. On synthetic validation rest has the lowest rotation error and ATE "
              "and auto is worse than the network alone, translation has the lowest rotation and direction errors "
              "but a higher ATE than rest; on the real KITTI pairs translation beats ORB + essential matrix in "
              "rotation, direction and ATE; the alignment costs tens of ms of CPU a frame (README).",
              choices=MOTION_REFINEMENTS),
    ParamSpec("motion_intrinsics", DEFAULT_MOTION_INTRINSICS,
              "camera (default): with the camera's intrinsics known (camera_info, or depth_node's in one process), "
              "the motion network's rotation is re-expressed for them (the network reports rotations in its "
              "intrinsics head's focal length, about the same for every lens: rotation about x and y scaled by "
              "f_head / f_camera); learned: the network's estimate as it is. Applied before motion_refinement; the "
              "default was chosen on synthetic validation (docs/motion_refinement.md).",
              choices=MOTION_INTRINSICS),
    ParamSpec("motion_flip_average", DEFAULT_MOTION_FLIP_AVERAGE,
              "always: also run the motion network on the mirrored pair and average the two estimates (twice its "
              "cost); auto (default): as chosen on synthetic validation, where the flip did not lower rotation and "
              "direction errors with motion_refinement rest, so auto does not flip; never: one pass (README).",
              choices=FLIP_MODES),
    ParamSpec("publish_motion_field", False, "Publish ~/motion_field (32FC3 residual translation)."),
    ParamSpec("publish_camera_info_estimated", True, "Publish ~/camera_info_estimated (learned intrinsics)."),
) + io_param_specs(output_depth=10, input_auto=True)


@dataclass(frozen=True)
class EgoMotionConfig:
    """Validated ego_motion_node parameters (see EGO_PARAMS)."""

    image_topic: str
    use_compressed: bool
    camera_info_topic: str
    rectify: str
    motion_model_path: str
    depth_model_path: str
    backend: str
    precision: str
    calibration_dir: str
    threads: int
    resize_mode: str
    publish_tf: bool
    odom_frame: str
    base_frame: str
    odom_child_frame: str
    extrinsic_source: str
    camera_xyz_m: tuple[float, float, float]
    publish_camera_tf: bool
    camera_rpy_rad: tuple[float, float, float]
    scale: float
    scale_from_depth: bool
    max_frame_gap_s: float
    translation_std_m: float
    rotation_std_rad: float
    motion_refinement: str
    motion_intrinsics: str
    motion_flip_average: str
    publish_motion_field: bool
    publish_camera_info_estimated: bool
    input_reliability: str
    input_depth: int
    output_reliability: str
    output_depth: int
    diagnostics_period_s: float

    def validate(self) -> None:
        check_topic_name("image_topic", self.image_topic)
        if self.camera_info_topic:
            check_topic_name("camera_info_topic", self.camera_info_topic)
        for name in ("odom_frame", "base_frame"):
            check_frame_id(name, getattr(self, name))
        if self.odom_frame == self.base_frame:
            raise ConfigError("base_frame", self.base_frame, "must differ from odom_frame")
        if self.odom_child_frame:
            check_frame_id("odom_child_frame", self.odom_child_frame)
            if self.odom_child_frame == self.odom_frame:
                raise ConfigError("odom_child_frame", self.odom_child_frame, "must differ from odom_frame")
        check_model_path("motion_model_path", self.motion_model_path)
        check_model_path("depth_model_path", self.depth_model_path)
        check_calibration_dir("calibration_dir", self.calibration_dir)

    @property
    def child_frame(self) -> str:
        """The frame published as odom_frame's child (/tf, ~/odometry): odom_child_frame, else base_frame."""
        return self.odom_child_frame or self.base_frame
