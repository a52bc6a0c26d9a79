"""depth_node parameters: the declared table and the frozen, validated config."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mono_depth_ros.core.fit import DEFAULT_RESIZE_MODE, RESIZE_MODES
from mono_depth_ros.core.scale import SCALE_SOURCES, ScaleConfig
from mono_depth_ros.inference.backends.registry import BACKENDS, PRECISIONS
from mono_depth_ros.inference.processing import DEFAULT_FLIP_AVERAGE, DEFAULT_GUIDED_FILTER, FLIP_MODES, \
    GUIDED_FILTER_MODES
from mono_depth_ros.nodes.params import ConfigError, ParamSpec, check_frame_id, check_topic_name, \
    io_param_specs

#: node ``method`` parameter -> ModelSpec name of its depth network
METHOD_SPECS = {"eigen2014": "eigen2014", "xian2018": "xian2018", "li2020": "li2020_depth"}
MODEL_SUFFIXES = (".pt", ".onnx", ".engine")
CARD_SUFFIXES = (".yaml", ".yml")
#: ``rectify``: auto (an image topic named image_rect* is already rectified, others are rectified
#: when camera_info's D is not zero) | always (rectified whenever D is not zero) | never (taken as rectified);
#: the words of flip_average, and YAML strings (on/off would arrive as booleans)
RECTIFY_MODES = ("auto", "always", "never")
DEFAULT_RECTIFY = "auto"

# parameters both nodes declare (ego_motion_config uses these rows: one default, one validation)
RECTIFY_PARAM = ParamSpec(
    "rectify", DEFAULT_RECTIFY, "Lens distortion of the input: auto (an image_topic whose last name starts with "
    "image_rect, image_proc's output, is already rectified; any other is rectified with camera_info's D when it is "
    "not zero), always (rectified whenever D is not zero, whatever the name), never (never rectified here). An already "
    "rectified image uses camera_info's P as its intrinsics (fx' = P[0,0], fy' = P[1,1], cx' = P[0,2], "
    "cy' = P[1,2]) and no distortion, as image_geometry does.",
    choices=RECTIFY_MODES, read_only=True)
RESIZE_MODE_PARAM = ParamSpec(
    "resize_mode", DEFAULT_RESIZE_MODE, "How the (rectified) image is fitted to the network "
    "input: crop (centre crop with the network's aspect ratio; depth outside it is NaN), pad "
    "(whole image, aspect kept, border padded), stretch (aspect not kept) or tile (crop-shaped windows "
    "across a wide image, merged: depth for every pixel at one inference per window).",
    choices=RESIZE_MODES, read_only=True)

# the runtime rows both nodes declare (see model_loading.runtime_options)
CALIBRATION_DIR_PARAM = ParamSpec(
    "calibration_dir", "", "A folder of frames from this camera, e.g. an extracted dataset folder (its rgb/*.png) "
    "or any folder of .png/.jpg images, for precision int8 on OpenVINO (and TensorRT): the model is quantised on "
    "them once and cached. Empty: int8 only for a model that is already quantised (a Q/DQ ONNX); backend auto then "
    "runs fp32. Ignored by the other precisions.", read_only=True)
THREADS_PARAM = ParamSpec(
    "threads", 0, "CPU threads of the inference runtime (OpenVINO INFERENCE_NUM_THREADS, ONNX Runtime intra-op "
    "threads, torch set_num_threads: process-wide, the last node to load sets it); 0 = the runtime's default "
    "(every core). On cores shared with other work, 1 or 2 keeps each frame's time steady.", low=0, read_only=True)

DEPTH_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("image_topic", "camera/image_raw", "Input colour image topic (sensor_msgs/Image); with "
              "use_compressed its base name (camera/image_raw, not camera/image_raw/compressed).",
              read_only=True),
    ParamSpec("camera_info_topic", "", "CameraInfo topic; empty = sibling of image_topic "
              "(<image namespace>/camera_info). Optional: without it the intrinsics come from fallback_hfov_deg "
              "(or no points/camera_info when that is 0).",
              read_only=True),
    ParamSpec("use_compressed", False, "Subscribe <image_topic>/compressed (sensor_msgs/"
              "CompressedImage, jpeg/png; image_transport's compressed) instead of the raw image; camera_info "
              "stays the base name's sibling.", read_only=True),
    RECTIFY_PARAM,
    ParamSpec("method", "eigen2014", "Depth method.", choices=tuple(METHOD_SPECS), read_only=True),
    ParamSpec("model_path", "", "Checkpoint (.pt), ONNX (.onnx) or TensorRT engine (.engine); "
              "empty = bundled demo weights of `method`.", read_only=True),
    ParamSpec("model_card", "", "Model card YAML of an .onnx/.engine (input size rule, normalisation, "
              "output kind); empty = <model stem>.card.yaml beside model_path when present. A card "
              "describes the network instead of `method`.", read_only=True),
    ParamSpec("backend", "auto", "Inference backend (auto: GPU tensorrt > onnxruntime > torch, then CPU openvino > "
              "onnxruntime > torch; logs why each was skipped).",
              choices=BACKENDS, read_only=True),
    ParamSpec("precision", "fp32", "Inference precision (fp16 on GPUs; with backend auto, fp16 runs as bf16 on CPUs; bf16: "
              "OpenVINO/torch; bf16_w8 / bf16_w4: OpenVINO bf16 with int8 / int4 fully connected weights; "
              "int8: OpenVINO, quantised on calibration_dir's frames, or a model already quantised).",
              choices=PRECISIONS, read_only=True),
    CALIBRATION_DIR_PARAM,
    THREADS_PARAM,
    ParamSpec("depth_encoding", "32FC1", "~/depth encoding: 32FC1 metres (NaN invalid) or 16UC1 "
              "millimetres (0 invalid), REP 118.", choices=("32FC1", "16UC1")),
    ParamSpec("publish_points", True, "Publish ~/points (organized PointCloud2, optical frame)."),
    ParamSpec("points_rgb", True, "Add packed rgb to ~/points (xyzrgb) instead of xyz only."),
    ParamSpec("point_stride_px", 2, "Keep every n-th pixel in u and v for ~/points.", low=1, high=64),
    ParamSpec("max_range_m", 50.0, "Points farther than this (Euclidean, metres) become NaN.",
              low=0.1, high=1000.0),
    ParamSpec("colormap_max_depth_m", 0.0, "Far limit of ~/depth/colored in metres; 0 = auto "
              "(percentiles of each frame).", low=0.0, high=1000.0),
    RESIZE_MODE_PARAM,
    ParamSpec("flip_average", DEFAULT_FLIP_AVERAGE, "Test-time flip: average the network's output with that "
              "of the mirrored image (2 passes a frame). auto (= always): on for every network; li2020's motion "
              "network is still fed the direct pass's depth, as it was trained; never: one pass.",
              choices=FLIP_MODES, read_only=True),
    ParamSpec("guided_filter", DEFAULT_GUIDED_FILTER, "Smooth the network's depth along the image's own edges "
              "(a guided filter of log depth, the grey image as guide; about 2.5 ms a 640x480 frame on 2 CPU cores): removes texture "
              "and bands the scene does not have. auto: eigen2014, xian2018 and li2020 (your own trained "
              "ones too), each with the setting that lowered AbsRel and WHDR on synthetic validation for the "
              "bundled weights (benchmarks/sweep_guided_filter.py), not a model card's; always: every network; never: the network's output as it is. li2020's motion "
              "network and the ego-motion refinement still get the unfiltered depth. Can be changed while "
              "running (ros2 param set), to compare in rviz2.",
              choices=GUIDED_FILTER_MODES),
    ParamSpec("nonmetric_median_depth_m", 0.0, "Scale rule of ~/points for a non-metric model "
              "(xian2018, li2020, a card's relative kinds) with scale_source none: each frame's depth is "
              "scaled so that the median depth of the cloud's points is this many metres; 0 = no ~/points. ~/depth is not scaled.",
              low=0.0, high=1000.0),
    ParamSpec("scale_source", "none", "Metric scale of a model's depth: none (a non-metric model's ~/depth holds "
              "the normalised depth), camera_height (the ground plane seen below the camera, camera_height_m "
              "under it) or depth_topic (sparse metric depth on metric_depth_topic and/or a lidar cloud on "
              "metric_cloud_topic). Frames with a scale publish metres on ~/depth and ~/points; frames without "
              "publish the normalised depth and no ~/points (diagnostics say why). A metric model's metres "
              "(eigen2014) are rescaled by it where a frame gives a scale, else kept as the network gives them.",
              choices=SCALE_SOURCES, read_only=True),
    ParamSpec("camera_height_m", 1.5, "scale_source camera_height: height of the camera above the ground, "
              "metres.", low=0.01, high=100.0, read_only=True),
    ParamSpec("metric_depth_topic", "", "scale_source depth_topic: metric depth image (sensor_msgs/Image, "
              "32FC1 m with NaN or 0 where missing, or 16UC1 mm with 0; REP 118) of this camera at its size, "
              "in the rectified image's pixel grid: a lidar projected into the image, an RGB-D sensor's "
              "registered depth. Sparse is fine. A topic whose last name is compressedDepth (image_transport's "
              "compressed_depth: /camera/depth/image_raw/compressedDepth) is read as sensor_msgs/CompressedImage "
              "and decoded (PNG or RVL).", read_only=True),
    ParamSpec("metric_cloud_topic", "", "scale_source depth_topic: metric point cloud (sensor_msgs/PointCloud2 "
              "with x, y, z fields, metres; a lidar) projected into the rectified image through the /tf_static "
              "transform from its frame_id to the image's. With metric_depth_topic too, both are used.",
              read_only=True),
    ParamSpec("metric_depth_tolerance_s", 0.1, "scale_source depth_topic: a frame uses the newest metric "
              "depth image (cloud) when their stamps differ by at most this many seconds.", low=0.0, high=10.0),
    ParamSpec("extrinsic_source", "auto", "scale_source camera_height: the up direction (base_frame z) in "
              "the image's optical frame. parameters: camera_rpy_rad. auto: the /tf_static chain base_frame -> "
              "the image's frame_id when another node (robot_state_publisher) publishes one, else camera_rpy_rad. "
              "tf_static: only that chain (no scale until it comes).",
              choices=("parameters", "auto", "tf_static"), read_only=True),
    ParamSpec("base_frame", "base_link", "Robot body frame (z up, REP 103) for extrinsic_source auto / tf_static.",
              read_only=True),
    ParamSpec("camera_rpy_rad", (0.0, 0.0, 0.0), "Camera body frame (x forward) roll, pitch, yaw in "
              "base_frame, radians (as ego_motion_node's); all zero = a level camera, up = (0, -1, 0) in "
              "the optical frame.", read_only=True),
    ParamSpec("fallback_hfov_deg", 0.0, "When no valid camera_info matches the image, assume a "
              "pinhole with this horizontal field of view; 0 = off (no points without camera_info).",
              low=0.0, high=179.0),
) + io_param_specs(output_depth=5, input_auto=True)


@dataclass(frozen=True)
class DepthNodeConfig:
    """Validated depth_node parameters (see DEPTH_PARAMS for meanings)."""

    image_topic: str
    camera_info_topic: str
    use_compressed: bool
    rectify: str
    method: str
    model_path: str
    model_card: str
    backend: str
    precision: str
    calibration_dir: str
    threads: int
    depth_encoding: str
    publish_points: bool
    points_rgb: bool
    point_stride_px: int
    max_range_m: float
    colormap_max_depth_m: float
    resize_mode: str
    flip_average: str
    guided_filter: str
    nonmetric_median_depth_m: float
    scale_source: str
    camera_height_m: float
    metric_depth_topic: str
    metric_cloud_topic: str
    metric_depth_tolerance_s: float
    extrinsic_source: str
    base_frame: str
    camera_rpy_rad: tuple[float, float, float]
    fallback_hfov_deg: float
    input_reliability: str
    input_depth: int
    output_reliability: str
    output_depth: int
    diagnostics_period_s: float

    def validate(self) -> None:
        check_topic_name("image_topic", self.image_topic)
        if self.camera_info_topic:
            check_topic_name("camera_info_topic", self.camera_info_topic)
        check_model_path("model_path", self.model_path)
        check_model_card("model_card", self.model_card, self.model_path)
        check_calibration_dir("calibration_dir", self.calibration_dir)
        for name in ("metric_depth_topic", "metric_cloud_topic"):
            if getattr(self, name):
                check_topic_name(name, getattr(self, name))
        if self.scale_source == "depth_topic" and not (self.metric_depth_topic or self.metric_cloud_topic):
            raise ConfigError("metric_depth_topic", "", "must name a metric depth image topic with scale_source "
                              "depth_topic (or set metric_cloud_topic)")
        check_frame_id("base_frame", self.base_frame)

    def scale_config(self, output_kind: str) -> ScaleConfig | None:
        """The core's scale configuration for a network of ``output_kind``; None with scale_source none
        (a metric network's metres as it gives them, a non-metric one's normalised depth). With a
        source, a metric network's metres are corrected by the scene's scale where it finds one."""
        if self.scale_source == "none":
            return None
        return ScaleConfig(output_kind=output_kind, source=self.scale_source,
                           camera_height_m=self.camera_height_m).validate()

    def output_summary(self, model: str, is_metric: bool) -> tuple[str, str]:
        """(log level, one start-up line) saying what ~/depth and ~/points hold for ``model``."""
        rule = (f"the ground {self.camera_height_m:g} m below the camera" if self.scale_source == "camera_height"
                else self.metric_sources_text)
        if is_metric:
            return ("info", f"{model} is metric; its metres are rescaled per frame to {rule} where a frame gives a "
                    "scale (held for a while), else published as the network gives them (/diagnostics: scale, "
                    "scale_source, scale_reason)") if self.scale_source != "none" else ("info", "")
        if self.scale_source != "none":
            return "info", (f"{model} is not metric: each frame is scaled to metres from {rule}; frames without "
                            "a scale publish the normalised depth and no ~/points (/diagnostics: depth_is_metric, "
                            "scale_reason)")
        points = (f" ~/points: scaled per frame to a median depth of {self.nonmetric_median_depth_m} m"
                  if self.nonmetric_median_depth_m > 0 and self.publish_points else "")  # else: points_off_reason
        return "warning", (f"{model} is NOT metric: ~/depth holds the model's normalised depth in arbitrary "
                           f"units; set scale_source, or scale it before measuring distances.{points}")

    def points_off_reason(self, is_metric: bool) -> str | None:
        """Why ~/points can never be published with this configuration (None: it can). A cloud needs
        metres: a metric network, a scale_source (frames with a scale), or the nonmetric rule."""
        if not self.publish_points:
            return "publish_points false"
        if is_metric or self.scale_source != "none" or self.nonmetric_median_depth_m > 0:
            return None
        return ("the network is not metric and scale_source is none: set scale_source, or "
                "nonmetric_median_depth_m > 0 to scale each frame to that median depth")

    @property
    def metric_sources_text(self) -> str:
        """What scale_source depth_topic reads, in words."""
        sources = ([f"the metric depth on {self.metric_depth_topic}"] if self.metric_depth_topic else []) + \
            ([f"the cloud on {self.metric_cloud_topic} (through /tf_static)"] if self.metric_cloud_topic else [])
        return " and ".join(sources)

    @property
    def spec_name(self) -> str:
        return METHOD_SPECS[self.method]



#: the last name of image_transport's compressed_depth topic (``<base>/compressedDepth``)
COMPRESSED_DEPTH_NAME = "compressedDepth"


def is_compressed_depth_topic(topic: str) -> bool:
    """True for a topic named as image_transport's compressed_depth transport: its last name is
    ``compressedDepth`` (sensor_msgs/CompressedImage, core/compressed_depth.py)."""
    return bool(topic) and topic.rstrip("/").rsplit("/", 1)[-1] == COMPRESSED_DEPTH_NAME


def check_model_path(name: str, path: str) -> None:
    """ConfigError when a non-empty model path is missing or has an unknown suffix."""
    if not path:
        return
    if Path(path).suffix not in MODEL_SUFFIXES:
        raise ConfigError(name, path, f"suffix must be one of {MODEL_SUFFIXES}")
    if not Path(path).is_file():
        raise ConfigError(name, path, "file not found")


def check_calibration_dir(name: str, folder: str) -> None:
    """ConfigError when a non-empty calibration folder does not exist (its frames are checked at load)."""
    if folder and not Path(folder).is_dir():
        raise ConfigError(name, folder, "not a folder (a folder of frames from this camera, e.g. an extracted "
                          "dataset folder)" if Path(folder).exists() else "folder not found")


def check_model_card(name: str, card: str, model_path: str) -> None:
    """ConfigError when a non-empty card is missing, not YAML, or has no model_path to describe."""
    if not card:
        return
    if Path(card).suffix not in CARD_SUFFIXES:
        raise ConfigError(name, card, f"suffix must be one of {CARD_SUFFIXES}")
    if not Path(card).is_file():
        raise ConfigError(name, card, "file not found")
    if Path(model_path).suffix not in (".onnx", ".engine"):
        raise ConfigError(name, card, "a card describes an .onnx or .engine model_path (a .pt, or the bundled "
                          "weights, carries its own)")


def fallback_focal_px(width: int, hfov_deg: float) -> float:
    """Focal length in pixels of a pinhole ``width`` pixels wide with horizontal FOV ``hfov_deg``."""
    return 0.5 * width / math.tan(math.radians(hfov_deg) / 2.0)


#: plausible pinhole fields of view: a focal length outside them is a calibration error
MIN_FOV_DEG, MAX_FOV_DEG = 1.0, 179.0


def check_plausible_intrinsics(intr: Any) -> None:
    """InputError when fx (fy) is implausible for the image width (height): a field of view
    outside [MIN_FOV_DEG, MAX_FOV_DEG] (fx = 1e-300 or 1e300 are calibration errors, and would
    overflow the back-projection)."""
    from mono_depth_ros.core.errors import InputError

    for name, focal, size in (("fx", intr.fx, intr.width), ("fy", intr.fy, intr.height)):
        low, high = 0.5 * size / math.tan(math.radians(MAX_FOV_DEG) / 2), 0.5 * size / math.tan(
            math.radians(MIN_FOV_DEG) / 2)
        if not low <= focal <= high:
            raise InputError(f"k ({name})", focal, f"implausible for {size} px: a field of view outside "
                             f"[{MIN_FOV_DEG:g}, {MAX_FOV_DEG:g}] deg needs {low:.3g} <= {name} <= {high:.3g}")
