"""Pre- and post-processing shared by the nodes, export and evaluation (no torch, no rclpy).

Fitting: a camera image is fitted to the network input by ``mono_depth_ros.core.fit`` (one
mechanism for nodes, training and evaluation), ``resize_mode`` ``crop`` (default), ``pad`` or
``stretch``. The network's output is mapped back to the camera image with the same ImageFit:
bilinear, NaN where the network saw nothing (outside the crop); log depth is resampled in log
space, then exponentiated. Intrinsics follow exactly (``ImageFit.intrinsics`` forward,
``intrinsics_to_source`` back). Images must be at least ``MIN_IMAGE_SIDE_PX`` pixels on each side;
mono (H, W) / (H, W, 1) uint8 images are fed as grey RGB.

Output kinds -> ``DepthResult.depth_m``:
- ``metric_depth``: metres as predicted; ``is_metric`` True.
- ``log_depth``: ``exp(log depth)`` metres; ``is_metric`` True.
- ``depth_up_to_scale`` (Li 2020): the positive prediction as is, in the unknown unit the
  photometric loss settled on; ``is_metric`` False.
- ``relative_depth`` (Xian 2018, ranking loss: the score ``z`` is known only up to an affine map,
  larger = farther): published as ``(t + c) / (1 + c)`` with ``t = (z - z_min) / (z_median - z_min)``
  and ``c = RELATIVE_NEAR_OFFSET``, the minimum and the median taken over the pixels the network saw
  in this frame. Unitless, not clipped: 1 at the median, ``c / (1 + c)`` (0.26) at the nearest
  pixel, order kept. The score has no zero; ``c`` places one below the nearest pixel, at the
  distance that made these ratios closest to depth ratios on the synthetic validation sequences
  (``benchmarks/sweep_relative_offset.py``: median-scaled AbsRel 12 % lower than with ``c = 0``,
  the nearest pixel at 0, which earlier rounds published). Ratios of this quantity are still
  approximate depth ratios; turn it into metres with an explicit rule (the depth node's
  ``nonmetric_median_depth_m``, or a scale source, which fits scale and shift).
  ``is_metric`` False.
- ``relative_inverse_depth`` (MiDaS, Depth Anything: a disparity ``d``, larger = nearer, known
  only up to scale and shift): published as ``median(d) / d``, the median over the pixels the
  network saw. Unitless, 1 at the median, larger = farther; NaN where ``d`` is not finite or
  ``d <= MIN_DISPARITY_FRACTION * max(d)`` (zero, negative, or farther than 1000x the nearest
  pixel: sky). It takes the unknown shift as 0, so ratios are approximate; the same explicit rule
  turns it into metres. Disparity is resampled to the camera image before it is inverted.
  ``is_metric`` False.
Metric outputs keep only ``spec.depth_range_m`` (a card's valid range) when it is set. Non-finite
and non-positive values become NaN (invalid). ``guided_filter`` (``guided_filter_depth``) then
smooths the camera-resolution depth along the image's edges; a relative output is divided by its
filtered median (on a grid about the network's size), so it stays 1 at the median.

The input follows the spec (the model card): ``channel_order`` RGB or BGR, ``value_range`` [0, 1]
or [0, 255] before ``(x - mean) / std``, ``layout`` NCHW or NHWC; the depth output is (1, 1, h, w)
or (1, h, w) as ``spec.output_shape`` says.

Ego-motion (Li 2020): the motion network is fed exactly what training feeds it: both RGB frames
fitted as the depth network's input and the depth network's output at the network resolution
(``DepthResult.net_depth``), not a depth map resampled to the camera and back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.fit import ImageFit, plan_fit, plan_tiles
from mono_depth_ros.core.image import rgb8_to_tensor
from mono_depth_ros.inference.spec import ModelSpec

MIN_IMAGE_SIDE_PX = 16
#: training/methods/li2020.py clamps the depth fed to the motion network at this floor
MOTION_DEPTH_FLOOR = 1e-3
#: disparity at or below this fraction of the frame's largest is invalid (beyond 1000x the nearest depth)
MIN_DISPARITY_FRACTION = 1e-3
#: relative_depth's published zero, below its nearest pixel: ``(t + c) / (1 + c)`` (module doc);
#: chosen on the synthetic validation sequences by benchmarks/sweep_relative_offset.py
RELATIVE_NEAR_OFFSET = 0.35


@dataclass(frozen=True, eq=False)
class DepthResult:
    """depth_m (H, W) float32 at camera resolution, NaN invalid or unseen; is_metric says if it is
    metres; net_depth (h, w) float32: the same quantity at the network input, of the direct pass
    (without the flip average: what the motion network is fed, as in training); fit: how the image
    was fitted to the network; unfiltered_m: depth_m before ``guided_filter`` (None when it was not
    filtered): what the ego-motion refinement warps with, as its rules were measured."""

    depth_m: np.ndarray
    is_metric: bool
    net_depth: np.ndarray | None = None
    fit: ImageFit | None = None
    unfiltered_m: np.ndarray | None = None

    @property
    def network_depth_m(self) -> np.ndarray:
        """(H, W) depth at camera resolution as the network gave it (``unfiltered_m`` or ``depth_m``)."""
        return self.depth_m if self.unfiltered_m is None else self.unfiltered_m


def as_rgb8(image: np.ndarray, name: str = "rgb") -> np.ndarray:
    """(H, W, 3) uint8 RGB, or (H, W) / (H, W, 1) uint8 mono -> (H, W, 3) uint8 RGB.

    Raises InputError on another dtype/shape or a side below MIN_IMAGE_SIDE_PX.
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise InputError(name, getattr(image, "dtype", type(image).__name__),
                         "expected a uint8 (H, W, 3) RGB or (H, W) mono image")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise InputError(name, image.shape, "expected a uint8 (H, W, 3) RGB or (H, W) mono image")
    if min(image.shape[:2]) < MIN_IMAGE_SIDE_PX:
        raise InputError(name, image.shape, f"image must be at least {MIN_IMAGE_SIDE_PX}x{MIN_IMAGE_SIDE_PX} pixels")
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    return image


def plan_input(image_hw: tuple[int, int], input_hw: tuple[int, int], resize_mode: str) -> ImageFit:
    """The ImageFit of a camera image of ``image_hw`` onto a network input of ``input_hw``."""
    if min(image_hw) < MIN_IMAGE_SIDE_PX:
        raise InputError("image size", tuple(image_hw), f"must be at least {MIN_IMAGE_SIDE_PX}x{MIN_IMAGE_SIDE_PX}"
                         " pixels")
    return plan_fit(tuple(image_hw), tuple(input_hw), resize_mode)


def plan_windows(image_hw: tuple[int, int], input_hw: tuple[int, int], resize_mode: str) -> list[ImageFit]:
    """Every window a depth network runs on for an image of ``image_hw``: ``[plan_input(...)]``, or
    the ``core.fit.plan_tiles`` windows for ``resize_mode`` tile (merged by ``merge_tiles``)."""
    fit = plan_input(image_hw, input_hw, resize_mode)
    return plan_tiles(fit.src_hw, fit.net_hw) if resize_mode == "tile" else [fit]


def preprocess(rgb: np.ndarray, spec: ModelSpec, fit: ImageFit) -> np.ndarray:
    """(H, W, 3) uint8 RGB (or (H, W) mono) -> (1, 3, h, w) float32 (``(1, h, w, 3)`` for an NHWC
    card) at ``fit.net_hw``: ``(x - mean) / std`` with ``x`` the pixels in the card's channel order
    on its value range (``rgb / 255`` for [0, 1], ``rgb`` for [0, 255])."""
    image = fit.apply(as_rgb8(rgb))
    if spec.channel_order == "BGR":
        image = np.ascontiguousarray(image[:, :, ::-1])
    top = float(spec.value_range[1])  # mean/std on the [0, top] scale -> on rgb8_to_tensor's [0, 1]
    x = rgb8_to_tensor(image, np.asarray(spec.mean) / top, np.asarray(spec.std) / top)
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1)) if spec.layout == "NHWC" else x


def normalize_relative(relative: np.ndarray, seen: np.ndarray | None = None,
                       offset: float = RELATIVE_NEAR_OFFSET) -> np.ndarray:
    """(h, w) relative score z (any affine, larger = farther) -> ``(t + offset) / (1 + offset)``
    float32 with ``t = (z - z_min) / (z_median - z_min)``: 1 at the median, ``offset / (1 + offset)``
    at the minimum; statistics over the finite pixels of ``seen`` (default all); NaN where z is
    not finite or where the frame has no spread."""
    relative = np.asarray(relative, dtype=np.float32)
    finite = np.isfinite(relative)
    stats = relative[finite & seen] if seen is not None else relative[finite]
    out = np.full(relative.shape, np.nan, dtype=np.float32)
    if stats.size == 0:
        return out
    z_min, z_med = float(stats.min()), float(np.median(stats))
    if not z_med > z_min:
        return out
    out[finite] = ((relative[finite] - z_min) / (z_med - z_min) + offset) / (1.0 + offset)
    return out


def normalize_inverse(disparity: np.ndarray, seen: np.ndarray | None = None) -> np.ndarray:
    """(h, w) disparity d (any scale, larger = nearer) -> ``d / median(d)`` float32, statistics over
    the valid pixels of ``seen`` (default all); NaN where d is not finite or
    ``d <= MIN_DISPARITY_FRACTION * max(d)`` (so ``1 / result`` is finite and positive)."""
    disparity = np.asarray(disparity, dtype=np.float32)
    out = np.full(disparity.shape, np.nan, dtype=np.float32)
    finite = np.isfinite(disparity)
    in_view = finite & seen if seen is not None else finite
    if not in_view.any() or not float(disparity[in_view].max()) > 0:
        return out
    with np.errstate(invalid="ignore"):
        valid = finite & (disparity > MIN_DISPARITY_FRACTION * float(disparity[in_view].max()))
    stats = disparity[valid & in_view]
    if stats.size == 0:
        return out
    out[valid] = disparity[valid] / np.float32(np.median(stats))
    return out


def _content_mask(fit: ImageFit) -> np.ndarray:
    """(h, w) bool: network input pixels that show the image (False on the pad border)."""
    mask = np.zeros(fit.net_hw, dtype=bool)
    mask[fit.net_top:fit.net_top + fit.content_h, fit.net_left:fit.net_left + fit.content_w] = True
    return mask


def _invalid_to_nan(depth: np.ndarray, depth_range_m: tuple[float, float] | None = None) -> np.ndarray:
    depth = depth.astype(np.float32, copy=False)
    with np.errstate(invalid="ignore"):
        depth[~np.isfinite(depth) | (depth <= 0)] = np.nan
        if depth_range_m is not None:
            depth[(depth < depth_range_m[0]) | (depth > depth_range_m[1])] = np.nan
    return depth


FLIP_MODES = ("auto", "always", "never")  # not on/off: YAML (ros2 -p, params files) reads those as booleans
DEFAULT_FLIP_AVERAGE = "auto"  # the depth node's default; measured on synthetic validation (README)


def flip_enabled(mode: str) -> bool:
    """Whether a depth network averages over the mirrored image (``flip_average``): ``auto`` (the
    measured best: README) and ``always`` flip every depth network; li2020's motion network is
    still fed the direct pass's depth (``DepthResult.net_depth``), as in training."""
    if mode not in FLIP_MODES:
        raise InputError("flip_average", mode, f"must be one of {', '.join(FLIP_MODES)}")
    return mode in ("auto", "always")


def flip_passes(run: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Test-time flip: (the mean of ``run(x)`` and the mirrored ``run`` of the mirrored input, the
    direct ``run(x)``).

    ``x``: the preprocessed (1, C, h, w) input; ``run``: input -> raw output (..., h', w'). Both
    passes see the same fitted frame, so the mean is taken in the network's own output space (log
    depth, relative depth, ...) before any post-processing.
    """
    direct = np.asarray(run(x), dtype=np.float32)
    mirrored = np.asarray(run(np.ascontiguousarray(x[..., ::-1])), dtype=np.float32)[..., ::-1]
    return 0.5 * (direct + mirrored), direct


GUIDED_FILTER_MODES = FLIP_MODES
DEFAULT_GUIDED_FILTER = "auto"
#: ``guided_filter``'s setting per network: (radius as a fraction of the image's longer side, eps in
#: squared grey levels of [0, 1]); ``auto`` filters the networks listed here, chosen on the synthetic
#: validation sequences by the rule in benchmarks/sweep_guided_filter.py; ``always`` filters every
#: depth network, with its own setting or GUIDED_FILTER_FALLBACK
#: (eigen2014's re-decided for stage 31's weights: (0.04, 1e-2) before; docs/guided_filter_sweep_stage31.json;
#: xian2018's for stage 33's: (0.02, 1e-3) before, docs/guided_filter_sweep_stage33.json; li2020's kept
#: for stage 34's, 37's and 38's, docs/guided_filter_sweep_stage34.json, _stage37.json, _stage38.json)
AUTO_GUIDED_FILTER: dict[str, tuple[float, float]] = {
    "eigen2014": (0.02, 1e-3), "xian2018": (0.01, 1e-3), "li2020_depth": (0.04, 1e-2)}
#: ``always`` for a network without its own setting (a model card's): the middle of the swept grid
GUIDED_FILTER_FALLBACK = (0.02, 1e-2)


def guided_filter_setting(mode: str, spec_name: str) -> tuple[float, float] | None:
    """(radius fraction, eps) a depth network's output is filtered with under ``guided_filter``
    ``mode`` (auto | always | never), or None."""
    if mode not in GUIDED_FILTER_MODES:
        raise InputError("guided_filter", mode, f"must be one of {', '.join(GUIDED_FILTER_MODES)}")
    if mode == "never" or (mode == "auto" and spec_name not in AUTO_GUIDED_FILTER):
        return None
    return AUTO_GUIDED_FILTER.get(spec_name, GUIDED_FILTER_FALLBACK)


#: guided_filter_depth fits its local models on the image brought (area) to at most this many pixels
#: along its longer side (He and Sun's fast guided filter, 2015): about the networks' output size
GUIDED_FILTER_WORK_PX = 256


def guided_filter_depth(depth: np.ndarray, rgb: np.ndarray, radius_fraction: float, eps: float) -> np.ndarray:
    """Edge-aware smoothing of a depth map (He, Sun, Tang: guided image filtering, 2010/2013).

    ``depth``: (H, W) float32, NaN or <= 0 invalid; ``rgb``: (H, W, 3) or (H, W) uint8, the same
    image, its grey levels in [0, 1] the guide. Log depth is fitted locally as ``a * grey + b`` in
    boxes of radius ``radius_fraction * max(H, W)`` pixels, ``eps`` the ridge on ``a`` (small: the
    image's edges stay edges of the depth; large: a plain box mean). The fits are made on the image
    brought to at most GUIDED_FILTER_WORK_PX pixels along its longer side and their coefficients
    resized back (the fast guided filter, He and Sun 2015), so a VGA frame costs about what a
    160-pixel one does; the invalid pixels take no part and stay NaN. Depth ratios are what it
    smooths: a metric map keeps its scale, a map known up to scale stays so. Returns (H, W) float32."""
    depth = np.asarray(depth, dtype=np.float32)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb.reshape(rgb.shape[:2])
    guide = grey.astype(np.float32) * np.float32(1.0 / 255.0)
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(depth) & (depth > 0)
    if not valid.any():
        return depth.copy()
    p = cv2.log(np.where(valid, depth, np.float32(1.0)))
    height, width = depth.shape
    k = math.ceil(max(height, width) / GUIDED_FILTER_WORK_PX)  # whole steps: area's fast path
    low_hw = (max(1, height // k), max(1, width // k))

    def down(x: np.ndarray) -> np.ndarray:  # the top-left whole multiple of k; the rest is < k pixels
        if k == 1:
            return x
        return cv2.resize(x[:low_hw[0] * k, :low_hw[1] * k], (low_hw[1], low_hw[0]), interpolation=cv2.INTER_AREA)

    r = max(1, int(round(radius_fraction * max(low_hw))))

    def box(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, -1, (2 * r + 1, 2 * r + 1), normalize=True, borderType=cv2.BORDER_REFLECT)

    with np.errstate(invalid="ignore", divide="ignore"):
        if valid.all():  # the usual frame: no weights to carry
            g, d, w = down(guide), down(p), None
        else:
            m = valid.astype(np.float32)
            w = down(m)  # the share of valid pixels under each low-resolution pixel: its weight
            g = np.nan_to_num(down(guide * m) / w)  # the guide and log depth over the valid pixels only
            d = np.nan_to_num(down(p * m) / w)
        n = box(w) if w is not None else None

        def mean(x: np.ndarray) -> np.ndarray:  # box mean over the valid pixels
            return box(x) if w is None else box(x * w) / n

        mean_i, mean_p = mean(g), mean(d)
        cov_ip = mean(g * d) - mean_i * mean_p
        var_i = mean(g * g) - mean_i * mean_i
        a = cov_ip / (np.maximum(var_i, 0.0) + eps)
        b = mean_p - a * mean_i
        a, b = np.nan_to_num(a), np.nan_to_num(b)  # boxes without a valid pixel
        a, b = np.nan_to_num(mean(a)), np.nan_to_num(mean(b))
    if k != 1:
        a = cv2.resize(a, (width, height), interpolation=cv2.INTER_LINEAR)
        b = cv2.resize(b, (width, height), interpolation=cv2.INTER_LINEAR)
    out = cv2.exp(cv2.multiply(a, guide) + b)
    out[~valid] = np.nan
    return out


def output_plane(raw: np.ndarray, spec: ModelSpec) -> np.ndarray:
    """The depth output (1, 1, h, w), or (1, h, w) / (h, w) for a card with ``output_shape`` 1xHxW /
    HxW -> (h, w) float32; InputError naming the expected shape otherwise."""
    raw = np.asarray(raw)
    lead = (1,) * spec.output_shape.count("1x")
    if raw.ndim != len(lead) + 2 or raw.shape[:len(lead)] != lead:
        want = f"({', '.join(['1'] * len(lead) + ['h', 'w'])})"
        raise InputError("raw", raw.shape, f"expected a {want} network output ({spec.label}: output "
                         f"shape {spec.output_shape})")
    return np.asarray(raw.reshape(raw.shape[-2:]), dtype=np.float32)


def _depth_planes(raw: np.ndarray, spec: ModelSpec, fit: ImageFit, camera: bool = True,
                  seen_net: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """(depth at ``fit.net_hw``, depth at ``fit.src_hw`` or None without ``camera``) of a raw output,
    per ``spec.output_kind``; invalid not yet NaN. A relative output's statistics (its min and
    median) are taken over the input pixels that show the image: not the pad border, nor where
    ``seen_net`` ((h, w) bool at ``fit.net_hw``, e.g. a rectified image's black border) is False."""
    plane = output_plane(raw, spec)
    content = _content_mask(fit) if seen_net is None else _content_mask(fit) & seen_net
    if plane.shape != fit.net_hw:  # an output grid coarser than the input (Eigen 2014: 1/4) spans the same view
        plane = cv2.resize(plane, (fit.net_hw[1], fit.net_hw[0]), interpolation=cv2.INTER_LINEAR)
    kind = spec.output_kind
    if kind == "log_depth":
        with np.errstate(over="ignore"):
            return np.exp(plane), (np.exp(fit.map_back(plane)) if camera else None)
    if kind in ("metric_depth", "depth_up_to_scale"):
        return plane.copy(), (fit.map_back(plane) if camera else None)
    if kind == "relative_depth":
        net = normalize_relative(plane, content)
        return net, (fit.map_back(net) if camera else None)  # affine in z: resampling commutes with it
    if kind == "relative_inverse_depth":
        ratio = normalize_inverse(plane, content)  # d / median(d), NaN where invalid
        with np.errstate(divide="ignore", invalid="ignore"):  # disparity resampled, then inverted
            return 1.0 / ratio, (1.0 / fit.map_back(ratio) if camera else None)
    raise InputError("spec.output_kind", kind, "is not a depth output")


def postprocess_depth(raw: np.ndarray, spec: ModelSpec, fit: ImageFit,
                      net_raw: np.ndarray | None = None, seen: np.ndarray | None = None) -> DepthResult:
    """Network output (1, 1, h', w') (or (1, h', w'), ``spec.output_shape``) -> DepthResult at
    ``fit.src_hw`` per ``spec.output_kind``. ``seen``: (H, W) bool at ``fit.src_hw``, the pixels
    that show the scene (a rectified image's black border does not): depth is NaN elsewhere, and a
    relative output is normalised over them only.

    An output smaller than the input (h', w') != ``fit.net_hw`` covers the same view: it is first
    resized bilinearly to ``fit.net_hw`` (before exp for log depth); ``net_depth`` is at ``fit.net_hw``,
    from ``net_raw`` when given (the direct pass of a flip average: what the motion network is fed,
    as in training), else from ``raw``.
    """
    seen_net = fit.apply(seen.astype(np.uint8), nearest=True).astype(bool) if seen is not None else None
    net, camera = _depth_planes(raw, spec, fit, seen_net=seen_net)
    if net_raw is not None:
        net = _depth_planes(net_raw, spec, fit, camera=False, seen_net=seen_net)[0]
    depth_range = spec.depth_range_m if spec.is_metric else None
    camera = _invalid_to_nan(camera, depth_range)
    if seen is not None:
        camera[~seen] = np.nan
    return DepthResult(camera, spec.is_metric, _invalid_to_nan(net, depth_range), fit)


_ALIGN_MIN_PIXELS = 50  # shared valid pixels below which a window is merged unaligned
_ALIGN_MAX_SAMPLES = 20000


def _feather(fit: ImageFit) -> np.ndarray:
    """(H, W) float32 blending weight of a window: 1 + its distance in pixels to the nearer of its
    two cut edges along the tiled side (a ramp across every overlap), 0 outside the window."""
    weight = np.zeros(fit.src_hw, dtype=np.float32)
    wide = fit.src_w < fit.src_hw[1]
    length = fit.src_w if wide else fit.src_h
    ramp = 1.0 + np.minimum(np.arange(length), np.arange(length)[::-1]).astype(np.float32)
    if wide:
        weight[fit.src_y0:fit.src_y0 + fit.src_h, fit.src_x0:fit.src_x0 + fit.src_w] = ramp[None, :]
    else:
        weight[fit.src_y0:fit.src_y0 + fit.src_h, fit.src_x0:fit.src_x0 + fit.src_w] = ramp[:, None]
    return weight


def _align(depth: np.ndarray, reference: np.ndarray, affine: bool) -> np.ndarray:
    """``depth`` mapped onto ``reference`` over the pixels where both are finite: the median
    log ratio (one scale) for depths, or a least-squares ``a * depth + b`` (``affine``, relative
    depth) with a > 0. Unchanged when they share fewer than _ALIGN_MIN_PIXELS pixels."""
    both = np.isfinite(depth) & np.isfinite(reference)
    if not affine:
        with np.errstate(invalid="ignore"):
            both &= (depth > 0) & (reference > 0)
    idx = np.flatnonzero(both)
    if idx.size < _ALIGN_MIN_PIXELS:
        return depth
    if idx.size > _ALIGN_MAX_SAMPLES:
        idx = idx[:: idx.size // _ALIGN_MAX_SAMPLES]
    d, r = depth.reshape(-1)[idx].astype(np.float64), reference.reshape(-1)[idx].astype(np.float64)
    if affine:
        a, b = np.linalg.lstsq(np.stack([d, np.ones_like(d)], axis=1), r, rcond=None)[0]
        return (depth * np.float32(a) + np.float32(b)).astype(np.float32) if a > 0 else depth
    return (depth * np.float32(np.exp(np.median(np.log(r) - np.log(d))))).astype(np.float32)


def raw_outputs(rgb: np.ndarray, spec: ModelSpec, fit: ImageFit, run: Callable[[np.ndarray], np.ndarray],
                flip: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """(the network's raw output for ``rgb`` fitted by ``fit``, the direct pass or None): with
    ``flip``, the test-time flip average and the direct pass; else ``run(preprocess(...))`` and
    None. ``run``: network input -> raw output (any backend)."""
    x = preprocess(rgb, spec, fit)
    return flip_passes(run, x) if flip else (run(x), None)


def raw_output(rgb: np.ndarray, spec: ModelSpec, fit: ImageFit, run: Callable[[np.ndarray], np.ndarray],
               flip: bool) -> np.ndarray:
    """The network's raw output of ``raw_outputs`` (the flip average with ``flip``)."""
    return raw_outputs(rgb, spec, fit, run, flip)[0]


def estimate_depth(rgb: np.ndarray, spec: ModelSpec, windows: list[ImageFit],
                   run: Callable[[np.ndarray], np.ndarray], flip: bool, seen: np.ndarray | None = None,
                   guided: tuple[float, float] | None = None) -> DepthResult:
    """DepthResult of ``rgb`` (H, W, 3) uint8 at its own size: each of ``windows`` (``plan_windows``)
    through ``run`` and ``postprocess_depth`` (``net_depth`` from the direct pass with ``flip``;
    ``seen`` (H, W) bool or None: the pixels that show the scene), merged by ``merge_tiles``, then
    with ``guided`` (``guided_filter_setting``) ``depth_m`` filtered along the image's edges
    (``guided_filter_depth``; ``net_depth``, what the motion network is fed, stays as the network
    gave it). The one path of the node's DepthEstimator and of ``training evaluate``'s torch networks."""
    if seen is not None:
        seen = np.asarray(seen, dtype=bool)  # a 0/1 mask of another dtype would index, not select
        if seen.shape != tuple(rgb.shape[:2]):
            raise InputError("seen", seen.shape, f"expected the image's {rgb.shape[0]}x{rgb.shape[1]} pixels")
    results = []
    for fit in windows:
        raw, direct = raw_outputs(rgb, spec, fit, run, flip)
        results.append(postprocess_depth(raw, spec, fit, net_raw=direct, seen=seen))
    merged = merge_tiles(results, spec)
    if guided is None:
        return merged
    filtered = guided_filter_depth(merged.depth_m, rgb, *guided)
    if spec.output_kind in ("relative_depth", "relative_inverse_depth"):
        # still the documented quantity, 1 at the median: taken, like the unfiltered one's statistics,
        # on a grid about the network's size (every k-th pixel: 0.2 ms, where a full median of a
        # 640x480 frame took 3 ms)
        k = math.ceil(max(filtered.shape) / GUIDED_FILTER_WORK_PX)
        sample = filtered[::k, ::k]
        sample = sample[np.isfinite(sample)]
        if sample.size:
            filtered /= np.float32(np.median(sample))
    return DepthResult(filtered, merged.is_metric, merged.net_depth, merged.fit, unfiltered_m=merged.depth_m)


def merge_tiles(results: list[DepthResult], spec: ModelSpec) -> DepthResult:
    """One DepthResult from those of ``core.fit.plan_tiles`` windows of the same image.

    Windows are aligned outward from the middle one, each to the mosaic of those already merged,
    by the ambiguity its output kind is defined up to (``_align``): a positive scale (median log
    ratio) for depth kinds, ``a * z + b`` with ``a > 0`` for ``relative_depth``; then blended with
    ``_feather`` weights, so seams are ramps. ``net_depth`` and ``fit`` are the middle window's
    (what a motion network pairs with). Shapes: every ``depth_m`` (H, W).

    The merged map is then put in the kind's published quantity over every seen pixel
    (``_renormalise``), as ``postprocess_depth`` does for one window. A positive scale keeps depth
    positive and in the middle window's units (a metric network's metres). A relative score has an
    order but no zero: each window's zero is placed from its own nearest pixel, so an outer window
    that sees something much nearer than the middle one (a car beside the street) can align below
    the middle's 0. The alignment is right, the zero was taken over too few pixels: clamping would break the
    order, and a score without a zero has no log or inverse space. So the merge is re-normalised
    by ``normalize_relative`` over all seen pixels (``RELATIVE_NEAR_OFFSET / (1 + RELATIVE_NEAR_OFFSET)``
    at the image's nearest pixel, 1 at its median; a positive affine map: order and seams kept), ``relative_inverse_depth`` by
    ``normalize_inverse`` of its inverse (1 at the image's median); then ``_invalid_to_nan`` (and a
    metric card's ``depth_range_m``) as for one window.
    """
    if len(results) == 1:
        return results[0]
    affine = spec.output_kind == "relative_depth"
    middle = len(results) // 2
    order = sorted(range(len(results)), key=lambda i: (abs(i - middle), i))
    total = np.zeros(results[0].depth_m.shape, dtype=np.float32)
    weights = np.zeros_like(total)
    for rank, i in enumerate(order):
        depth = results[i].depth_m
        if rank:
            with np.errstate(invalid="ignore", divide="ignore"):
                mosaic = np.where(weights > 0, total / weights, np.nan).astype(np.float32)
            depth = _align(depth, mosaic, affine)
        weight = np.where(np.isfinite(depth), _feather(results[i].fit), 0.0).astype(np.float32)
        total += np.nan_to_num(depth, nan=0.0, posinf=0.0, neginf=0.0) * weight
        weights += weight
    with np.errstate(invalid="ignore", divide="ignore"):
        merged = np.where(weights > 0, total / weights, np.nan).astype(np.float32)
    centre = results[middle]
    return DepthResult(_renormalise(merged, spec), centre.is_metric, centre.net_depth, centre.fit)


def _renormalise(merged: np.ndarray, spec: ModelSpec) -> np.ndarray:
    """(H, W) merged depth (NaN unseen) -> the same (H, W) in ``spec.output_kind``'s published
    quantity with statistics over its finite pixels (``merge_tiles``), invalid NaN."""
    if spec.output_kind == "relative_depth":
        merged = normalize_relative(merged)
    elif spec.output_kind == "relative_inverse_depth":
        with np.errstate(divide="ignore", invalid="ignore"):
            merged = 1.0 / normalize_inverse(1.0 / merged)
    return _invalid_to_nan(merged, spec.depth_range_m if spec.is_metric else None)


def motion_depth_plane(depth: DepthResult | np.ndarray, fit: ImageFit, name: str) -> np.ndarray:
    """(h, w) float32 depth fed to the motion network for a frame fitted by ``fit``; invalid -> 0.

    ``depth``: a DepthResult of the same fit (its ``net_depth`` is used as in training: floored at
    MOTION_DEPTH_FLOOR), or an (H, W) depth at camera resolution (nearest-neighbour fitted: a depth
    from elsewhere; invalid fed as 0).
    """
    if isinstance(depth, DepthResult) and depth.net_depth is not None and depth.fit == fit:
        # as training: the depth net's own output, floored (an underflow to 0 became NaN here)
        return np.maximum(np.nan_to_num(depth.net_depth, nan=MOTION_DEPTH_FLOOR), MOTION_DEPTH_FLOOR)
    if isinstance(depth, DepthResult):
        plane = fit.apply(np.asarray(depth.depth_m, dtype=np.float32), nearest=True)
    else:
        depth = np.asarray(depth, dtype=np.float32)
        if depth.shape != fit.src_hw:
            raise InputError(f"{name}.shape", depth.shape, f"must match the image size {fit.src_hw}")
        plane = fit.apply(depth, nearest=True)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(plane) & (plane > 0), plane, 0.0).astype(np.float32)


def motion_input(rgb_a: np.ndarray, depth_a: DepthResult | np.ndarray, rgb_b: np.ndarray,
                 depth_b: DepthResult | np.ndarray, spec: ModelSpec, fit: ImageFit) -> np.ndarray:
    """(1, 8, h, w) float32 ``[rgb_a, depth_a, rgb_b, depth_b]`` for the Li 2020 motion network."""
    if rgb_a.shape != rgb_b.shape:
        raise InputError("rgb_b.shape", rgb_b.shape, f"must match rgb_a.shape {rgb_a.shape}")
    planes = [preprocess(rgb_a, spec, fit)[0], motion_depth_plane(depth_a, fit, "depth_a")[None],
              preprocess(rgb_b, spec, fit)[0], motion_depth_plane(depth_b, fit, "depth_b")[None]]
    return np.concatenate(planes, axis=0)[None]


def intrinsics_to_source(fit: ImageFit, net_intr: CameraIntrinsics) -> CameraIntrinsics:
    """Intrinsics at the network input (``fit.net_hw``) -> those of the camera image (``fit.src_hw``).

    The exact inverse of ``fit.intrinsics`` (image_pipeline's crop and resize conventions).
    """
    sx, sy = fit.src_w / fit.content_w, fit.src_h / fit.content_h
    return CameraIntrinsics(fit.src_hw[1], fit.src_hw[0], net_intr.fx * sx, net_intr.fy * sy,
                            (net_intr.cx - fit.net_left) * sx + fit.src_x0,
                            (net_intr.cy - fit.net_top) * sy + fit.src_y0)
