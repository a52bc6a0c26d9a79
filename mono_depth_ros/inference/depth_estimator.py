"""DepthEstimator: an image (H, W, 3) RGB or (H, W) mono uint8 -> DepthResult at the image's
resolution, on any backend. The image is fitted to the network with ``core.fit`` (``resize_mode``)
at the size the model card gives for it, fed as the card says, and the output mapped back (NaN
where the network saw nothing), see processing.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mono_depth_ros.core.fit import DEFAULT_RESIZE_MODE, ImageFit
from mono_depth_ros.inference.loading import BackendModel, load_backend
from mono_depth_ros.inference.processing import DepthResult, as_rgb8, estimate_depth, flip_enabled, plan_input, \
    plan_windows, raw_output


class DepthEstimator(BackendModel):
    """A depth network behind a backend, with its spec's pre/post-processing.

    Attributes: ``spec``, ``backend``, ``backend_description``, ``backend_reason`` (why ``auto``
    chose it), ``input_hw`` (the network's input size), ``resize_mode`` (crop | pad | stretch | tile),
    ``flip_average`` (bool: each frame also runs mirrored and the two outputs are averaged).
    """

    flip_average = False

    @classmethod
    def from_path(cls, path: str | Path, backend: str = "auto", precision: str = "fp32",
                  spec_name: str | None = None, warmup: bool = True, resize_mode: str = DEFAULT_RESIZE_MODE,
                  card: str | Path | None = None, flip_average: str = "never", **options: Any) -> "DepthEstimator":
        """Load a ``.pt`` checkpoint, ``.onnx`` or ``.engine``; ``card``: its model card YAML (default:
        ``<stem>.card.yaml`` beside it when present); ``flip_average``: auto | always | never
        (``processing.flip_enabled``). ``options`` go to ``create_backend`` (device, input_hw,
        threads, cache_dir, force_engine_rebuild, channels_last, compile)."""
        spec, runner, reason = load_backend(path, backend, precision, spec_name, expect_motion=False,
                                            warmup=warmup, card=card, **options)
        estimator = cls(spec, runner, reason, resize_mode)
        estimator.flip_average = flip_enabled(flip_average)
        return estimator

    def fit_for(self, image_hw: tuple[int, int]) -> ImageFit:
        """How an image of ``image_hw`` = (H, W) is fitted to this network's input."""
        return plan_input(image_hw, self.net_hw_for(image_hw), self.resize_mode)

    def infer_raw(self, rgb: np.ndarray, fit: ImageFit | None = None) -> np.ndarray:
        """(H, W, 3) / (H, W) uint8 -> the network's raw output (1, 1, h, w), or (1, h, w) for a
        card with output shape 1xHxW."""
        return raw_output(rgb, self.spec, fit or self.fit_for(rgb.shape[:2]), self._run, self.flip_average)

    def _run(self, net_input: np.ndarray) -> np.ndarray:
        return self.backend.infer({self.spec.input_names[0]: net_input})[self.spec.output_names[0]]

    def fits_for(self, image_hw: tuple[int, int]) -> list[ImageFit]:
        """Every window an image of ``image_hw`` runs through the network: one, or with
        ``resize_mode: tile`` the ``plan_tiles`` windows (one inference each)."""
        return plan_windows(image_hw, self.net_hw_for(image_hw), self.resize_mode)

    def estimate(self, rgb: np.ndarray, seen: np.ndarray | None = None) -> DepthResult:
        """(H, W, 3) RGB or (H, W) mono uint8 -> DepthResult (depth_m (H, W) float32, NaN invalid
        or unseen; is_metric; net_depth at the network input; fit). ``seen``: (H, W) bool of the
        pixels that show the scene (a rectified image's black border does not; None: all): depth
        is NaN elsewhere and a relative output is normalised over them only. With
        ``resize_mode: tile`` the windows' outputs are merged (``processing.merge_tiles``)."""
        rgb = as_rgb8(rgb)
        return estimate_depth(rgb, self.spec, self.fits_for(rgb.shape[:2]), self._run, self.flip_average, seen)
