"""EgoMotionEstimator: two frames + their depths -> camera motion, motion field, intrinsics.

The motion network sees ``[rgb_a, depth_a, rgb_b, depth_b]`` at its input size, both frames
fitted with ``core.fit`` (``resize_mode``) and each depth as training feeds it: the depth
network's output at the network resolution (a ``DepthResult`` of the same fit; see
processing.py). A plain (H, W) depth map is fitted with nearest neighbour instead; invalid/NaN
depth is fed as 0. It returns the motion of frame b's camera relative to frame a's:
``T_b_from_a`` maps points in a's optical frame into b's. The learned intrinsics (at the network
input) are mapped back exactly to the camera image. ``refinement`` (``motion_refinement``:
``auto`` | ``photometric``) then aligns the two frames at the camera's resolution from
that estimate (pose_refinement.py): ``auto`` when the camera's intrinsics are given,
``photometric`` always (else with the learned intrinsics); ``rest`` (the default) only chooses
between the estimate, its translation without the rotation and no motion; ``none`` leaves the
network's estimate. Before the refinement, ``motion_intrinsics`` camera (the default; ``learned``
keeps the estimate) re-expresses the network's rotation for the camera's known focal length
(``finish_result``). ``flip_average``
(``motion_flip_average``) also runs the network on the mirrored pair and averages the two
estimates, the mirrored one mapped back (``run_motion``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.fit import DEFAULT_RESIZE_MODE, ImageFit
from mono_depth_ros.core.transforms import axis_angle_to_matrix, matrix_to_axis_angle, se3
from mono_depth_ros.inference.backends.base import BackendUnavailable
from mono_depth_ros.inference.calibration import MOTION_CALIBRATION_DEPTH
from mono_depth_ros.inference.loading import BackendModel, load_backend
from mono_depth_ros.inference.pose_refinement import DEFAULT_MOTION_REFINEMENT, check_refinement, \
    refine_direction, rest_check
from mono_depth_ros.inference.processing import FLIP_MODES, DepthResult, intrinsics_to_source, motion_input, \
    plan_input

#: ``motion_flip_average``'s default; ``auto`` runs li2020's motion network on the mirrored pair too
#: when AUTO_FLIPS_MOTION, chosen on the synthetic validation sequences (README)
DEFAULT_MOTION_FLIP_AVERAGE = "auto"
AUTO_FLIPS_MOTION = False

#: ``motion_intrinsics``: ``camera`` re-expresses the network's rotation for the camera's known
#: intrinsics (``with_camera_intrinsics``), ``learned`` keeps it. The default is chosen on synthetic
#: validation (docs/motion_refinement.md): ``camera`` for stage 17's li2020 on the 8 sequences,
#: ``learned`` for stage 19's on the broad set (rotation error 0.2685 against 0.2749 deg with ``rest``),
#: ``camera`` for stage 25's on its 80 validation sequences (0.2905 against 0.3120 deg, ATE lower)
MOTION_INTRINSICS = ("camera", "learned")
DEFAULT_MOTION_INTRINSICS = "camera"


def check_motion_intrinsics(mode: str) -> str:
    if mode not in MOTION_INTRINSICS:
        raise InputError("motion_intrinsics", mode, f"must be one of {', '.join(MOTION_INTRINSICS)}")
    return mode


@dataclass(frozen=True)
class EgoMotionResult:
    """T_b_from_a (4, 4) optical frame; residual_translation (H, W, 3) per-pixel extra translation
    of moving objects (camera resolution, NaN where unseen); intrinsics learned by the network
    (camera resolution); ``choice``: the network's estimate, or what ``motion_refinement`` replaced
    it with (pose_refinement.MOTION_CHOICES)."""

    T_b_from_a: np.ndarray
    residual_translation: np.ndarray
    intrinsics: CameraIntrinsics
    choice: str = "network"  # what motion_refinement made of the network's estimate (MOTION_CHOICES)


def motion_result(outputs: dict[str, np.ndarray] | tuple[np.ndarray, ...], fit: ImageFit) -> EgoMotionResult:
    """The motion network's outputs (rotation (1, 3), translation (1, 3), residual (1, 3, h, w),
    intrinsics (1, 3, 3)) -> EgoMotionResult at ``fit.src_hw``."""
    rotation, translation, residual, k = outputs
    T = se3(axis_angle_to_matrix(np.asarray(rotation[0], np.float64)), np.asarray(translation[0], np.float64))
    field = np.stack([fit.map_back(np.asarray(residual[0, c], np.float32)) for c in range(3)], axis=-1)
    k = np.asarray(k[0], np.float64)
    net_intr = CameraIntrinsics(fit.net_hw[1], fit.net_hw[0], k[0, 0], k[1, 1], k[0, 2], k[1, 2])
    return EgoMotionResult(T, field, intrinsics_to_source(fit, net_intr))


def unmirror_motion(outputs: tuple[np.ndarray, ...], net_w: int) -> tuple[np.ndarray, ...]:
    """The motion network's outputs for a horizontally mirrored input (pixel x -> net_w - 1 - x,
    camera X -> -X), expressed in the unmirrored frame: rotation (1, 3) axis-angle (rx, ry, rz) ->
    (rx, -ry, -rz) (a mirror maps an axis as a pseudovector), translation (1, 3) (tx, ty, tz) ->
    (-tx, ty, tz), residual (1, 3, h, w) mirrored back with its x component negated, intrinsics
    (1, 3, 3) cx -> net_w - 1 - cx. The mapping is its own inverse."""
    rotation, translation, residual, k = (np.array(o, dtype=np.float32) for o in outputs)
    rotation[..., 1:] *= -1.0
    translation[..., 0] *= -1.0
    residual = np.ascontiguousarray(residual[..., ::-1])
    residual[:, 0] *= -1.0
    k[:, 0, 2] = (net_w - 1) - k[:, 0, 2]
    return rotation, translation, residual, k


def run_motion(run: Callable[[np.ndarray], tuple[np.ndarray, ...]], x: np.ndarray,
               flip: bool = False) -> tuple[np.ndarray, ...]:
    """The motion network's outputs (rotation (1, 3), translation (1, 3), residual (1, 3, h, w),
    intrinsics (1, 3, 3)) for the input ``x`` (1, 8, h, w) (``motion_input``); ``run``: input ->
    those outputs. ``flip``: the mean of the direct estimate and the estimate of the mirrored pair
    (both frames and depths mirrored, as training's random flip shows them) mapped back by
    ``unmirror_motion``: a bias that is not mirror-symmetric cancels. Small rotations: axis-angle
    vectors are averaged."""
    direct = tuple(np.asarray(o, dtype=np.float32) for o in run(x))
    if not flip:
        return direct
    mirrored = unmirror_motion(tuple(run(np.ascontiguousarray(x[..., ::-1]))), x.shape[-1])
    return tuple(0.5 * (a + b) for a, b in zip(direct, mirrored))


def with_camera_intrinsics(result: EgoMotionResult, intrinsics: CameraIntrinsics | None,
                           translation: bool = False) -> EgoMotionResult:
    """The network's estimate re-expressed for the camera's known ``intrinsics`` (None, or another
    image size: unchanged). The motion network explains the image motion under the intrinsics of
    its intrinsics head (``result.intrinsics``; untrained in the bundled weights, whose training
    data had intrinsics, and about the same for every lens: README); an image shift of s pixels is
    a rotation of s / f, and a lateral translation of s Z / f, so with f_head / f_camera = k (per
    axis) the rotations about x and y scale by k_y and k_x, the translation's x and y by k_x and
    k_y (small-angle, about the image centre); the rotation about the optical axis and the forward
    translation do not depend on f. ``translation`` False (the shipped form, ``motion_intrinsics:
    camera``): the rotation alone; True also scales the lateral translation (rejected on
    validation; kept for benchmarks/sweep_motion_intrinsics.py). The residual field is left as it is."""
    k = result.intrinsics
    if intrinsics is None or (intrinsics.width, intrinsics.height) != (k.width, k.height):
        return result
    kx, ky = k.fx / intrinsics.fx, k.fy / intrinsics.fy
    T = result.T_b_from_a
    rotation = matrix_to_axis_angle(T[:3, :3]) * np.array([ky, kx, 1.0])
    moved = T[:3, 3] * (np.array([kx, ky, 1.0]) if translation else 1.0)
    return replace(result, T_b_from_a=se3(axis_angle_to_matrix(rotation), moved))


def finish_result(result: EgoMotionResult, rgb_a: np.ndarray, depth_a: DepthResult | np.ndarray,
                  rgb_b: np.ndarray, refinement: str, intrinsics: CameraIntrinsics | None = None,
                  motion_intrinsics: str = DEFAULT_MOTION_INTRINSICS) -> EgoMotionResult:
    """The network's estimate as the node publishes it: with ``motion_intrinsics`` camera and the
    camera's ``intrinsics`` known, its rotation re-expressed for them (``with_camera_intrinsics``,
    rotation only), then ``refine_result``."""
    if check_motion_intrinsics(motion_intrinsics) == "camera":
        result = with_camera_intrinsics(result, intrinsics)
    return refine_result(result, rgb_a, depth_a, rgb_b, refinement, intrinsics)


def refine_result(result: EgoMotionResult, rgb_a: np.ndarray, depth_a: DepthResult | np.ndarray, rgb_b: np.ndarray,
                  refinement: str, intrinsics: CameraIntrinsics | None = None) -> EgoMotionResult:
    """``result`` with T_b_from_a checked or refined against the frames: frame a, placed by
    ``depth_a`` (camera resolution), aligned onto b. ``intrinsics``: the images' (None: unknown,
    the learned ones are used). ``refinement`` ``rest``: the estimate, its translation alone or no
    motion (``rest_check``); ``photometric``: ``refine_direction``; ``auto``: ``refine_direction`` only
    when ``intrinsics`` are known (with the learned ones it measured worse); ``translation``:
    ``refine_direction`` of the translation alone (the network's rotation kept) when ``intrinsics``
    are known, else ``rest``; ``none``: unchanged."""
    mode = check_refinement(refinement)
    if mode == "none" or (mode == "auto" and intrinsics is None):
        return result
    if mode == "translation" and intrinsics is None:
        mode = "rest"
    # the network's own depth (not guided_filter's): the refinement rules were measured with it
    depth = depth_a.network_depth_m if isinstance(depth_a, DepthResult) else np.asarray(depth_a, np.float32)
    if mode == "rest":
        refined = rest_check(rgb_a, depth, rgb_b, result.T_b_from_a, intrinsics or result.intrinsics)
    else:
        refined = refine_direction(rgb_a, depth, rgb_b, result.T_b_from_a, intrinsics or result.intrinsics,
                                   keep_rotation=mode == "translation")
    return replace(result, T_b_from_a=refined.T_b_from_a, choice=refined.choice)


def motion_flip_enabled(mode: str) -> bool:
    """Whether the motion network averages over the mirrored pair (``motion_flip_average``, the
    words of ``flip_average``): ``always``; ``auto`` when AUTO_FLIPS_MOTION; ``never``."""
    if mode not in FLIP_MODES:
        raise InputError("motion_flip_average", mode, f"must be one of {', '.join(FLIP_MODES)}")
    return mode == "always" or (mode == "auto" and AUTO_FLIPS_MOTION)


def bundled_calibration_depth(resize_mode: str = DEFAULT_RESIZE_MODE) -> Callable[[np.ndarray], DepthResult]:
    """(H, W, 3) uint8 -> DepthResult of the bundled MOTION_CALIBRATION_DEPTH network (ONNX Runtime
    CPU fp32, loaded at the first call): the depths int8 calibration of the motion network feeds it
    with, as its depth network does at run time."""
    from mono_depth_ros.inference.depth_estimator import DepthEstimator
    from mono_depth_ros.inference.weights import default_weights_path

    loaded: list[DepthEstimator] = []

    def depth_of(rgb: np.ndarray) -> DepthResult:
        if not loaded:
            path = default_weights_path(MOTION_CALIBRATION_DEPTH)
            if not path.is_file():
                raise BackendUnavailable(f"int8 calibration of the motion network needs depths from {path} "
                                         "(not found)")
            loaded.append(DepthEstimator.from_path(path, backend="onnxruntime", precision="fp32", device="cpu",
                                                   resize_mode=resize_mode))
        return loaded[0].estimate(rgb)

    from mono_depth_ros.inference.engine_cache import file_sha256

    path = default_weights_path(MOTION_CALIBRATION_DEPTH)
    depth_of.cache_id = f"{MOTION_CALIBRATION_DEPTH}-{file_sha256(path)[:16]}" if path.is_file() else None
    return depth_of


class EgoMotionEstimator(BackendModel):
    """The Li 2020 motion network behind a backend; ``refinement`` (``motion_refinement``: ``rest``,
    the default, ``auto``, ``photometric`` or ``none``) is applied by ``estimate``."""

    refinement: str = DEFAULT_MOTION_REFINEMENT
    flip_average: bool = False  # motion_flip_average: also run the mirrored pair (run_motion)
    motion_intrinsics: str = DEFAULT_MOTION_INTRINSICS  # camera | learned (finish_result)

    @classmethod
    def from_path(cls, path: str | Path, backend: str = "auto", precision: str = "fp32",
                  spec_name: str | None = None, warmup: bool = True, resize_mode: str = DEFAULT_RESIZE_MODE,
                  refinement: str = DEFAULT_MOTION_REFINEMENT, flip_average: str = DEFAULT_MOTION_FLIP_AVERAGE,
                  motion_intrinsics: str = DEFAULT_MOTION_INTRINSICS, **options: Any) -> "EgoMotionEstimator":
        """Load the motion network; ``flip_average``: auto | always | never (``motion_flip_average``);
        ``motion_intrinsics``: camera | learned (``finish_result``);
        ``options`` go to ``create_backend``. With ``calibration_dir``
        (int8) the calibration pairs get their depths from ``bundled_calibration_depth`` unless
        ``calibration_depth`` is given."""
        if options.get("calibration_dir") and options.get("calibration_depth") is None:
            options["calibration_depth"] = bundled_calibration_depth(resize_mode)
        spec, runner, reason = load_backend(path, backend, precision, spec_name or "li2020_motion",
                                            expect_motion=True, warmup=warmup, **options)
        estimator = cls(spec, runner, reason, resize_mode)
        estimator.refinement = check_refinement(refinement)
        estimator.flip_average = motion_flip_enabled(flip_average)
        estimator.motion_intrinsics = check_motion_intrinsics(motion_intrinsics)
        return estimator

    def fit_for(self, image_hw: tuple[int, int]) -> ImageFit:
        """How a frame of ``image_hw`` = (H, W) is fitted to this network's input."""
        return plan_input(image_hw, self.input_hw, self.resize_mode)

    def _run(self, x: np.ndarray) -> tuple[np.ndarray, ...]:
        out = self.backend.infer({self.spec.input_names[0]: x})
        return tuple(out[n] for n in self.spec.output_names)

    def make_input(self, rgb_a: np.ndarray, depth_a: DepthResult | np.ndarray, rgb_b: np.ndarray,
                   depth_b: DepthResult | np.ndarray) -> np.ndarray:
        """(1, 8, h, w) float32 network input."""
        return motion_input(rgb_a, depth_a, rgb_b, depth_b, self.spec, self.fit_for(rgb_a.shape[:2]))

    def estimate(self, rgb_a: np.ndarray, depth_a: DepthResult | np.ndarray, rgb_b: np.ndarray,
                 depth_b: DepthResult | np.ndarray, intrinsics: CameraIntrinsics | None = None) -> EgoMotionResult:
        """Frames (H, W, 3) RGB or (H, W) mono uint8 and their depths (DepthResult, or (H, W)
        metres) -> EgoMotionResult at (H, W). ``intrinsics``: the camera's, used by the refinement
        (None: unknown; ``auto`` then does not refine, ``photometric`` uses the learned ones)."""
        fit = self.fit_for(rgb_a.shape[:2])
        x = motion_input(rgb_a, depth_a, rgb_b, depth_b, self.spec, fit)
        result = motion_result(run_motion(self._run, x, self.flip_average), fit)
        return finish_result(result, rgb_a, depth_a, rgb_b, self.refinement, intrinsics, self.motion_intrinsics)
