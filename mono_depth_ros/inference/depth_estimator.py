"""DepthEstimator: an image (H, W, 3) RGB or (H, W) mono uint8 -> DepthResult at the image's
resolution, on any backend. The image is fitted to the network with ``core.fit`` (``resize_mode``)
at the size the model card gives for it, fed as the card says, and the output mapped back (NaN
where the network saw nothing), see processing.py."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mono_depth_ros.core.fit import DEFAULT_RESIZE_MODE, MAX_TILES, ImageFit
from mono_depth_ros.inference.loading import BackendModel, load_backend
from mono_depth_ros.inference.processing import DepthResult, as_rgb8, estimate_depth, flip_enabled, \
    guided_filter_setting, plan_input, plan_windows, raw_output

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class TileCoverage:
    """What ``plan_windows`` windows of one image size let the network see.

    ``windows``: how many; ``window_hw``: (h, w) camera pixels of each (resized to ``net_hw``);
    ``seen_fraction``: of the image's pixels inside at least one window; ``unseen``: (start, stop)
    pixel ranges along the tiled side (columns of a wide image, rows of a tall one) that no window
    covers (NaN in every frame of this size); ``min_overlap``: the smallest fraction of a window
    shared with its neighbour (0 with gaps or a single window)."""

    image_hw: tuple[int, int]
    windows: int
    window_hw: tuple[int, int]
    net_hw: tuple[int, int]
    seen_fraction: float
    unseen: tuple[tuple[int, int], ...]
    min_overlap: float
    wide: bool

    def describe(self, passes_per_window: int = 1) -> str:
        """One log line (sizes width x height, as camera images are named), e.g. ``resize_mode tile:
        a 100x400 image runs 7 windows of 100x75 px (14 inferences a frame, each window resized to
        the network's 160x120 input), neighbours sharing >= 27% of a window: the network sees
        100.0% of its pixels``; with gaps, how many columns (rows) in which ranges stay NaN."""
        (h, w), (wh, ww) = self.image_hw, self.window_hw
        passes = self.windows * passes_per_window
        line = (f"resize_mode tile: a {w}x{h} image runs {self.windows} window{'s' if self.windows > 1 else ''} "
                f"of {ww}x{wh} px ({passes} inference{'s' if passes > 1 else ''} a frame, each window resized to "
                f"the network's {self.net_hw[1]}x{self.net_hw[0]} input)")
        if self.windows > 1 and not self.unseen:
            line += f", neighbours sharing >= {self.min_overlap:.0%} of a window"
        line += f": the network sees {self.seen_fraction:.1%} of its pixels"
        if self.unseen:
            what, axis = ("columns", "x") if self.wide else ("rows", "y")
            spans = ", ".join(f"{a}-{b - 1}" for a, b in self.unseen[:4]) + (", ..." if len(self.unseen) > 4 else "")
            line += (f"; {sum(b - a for a, b in self.unseen)} {what} in {len(self.unseen)} gaps between its windows "
                     f"({axis} {spans}) are NaN in every frame of this size (tile stops at {MAX_TILES} windows; "
                     "resize_mode pad sees the whole image, smaller)")
        return line


def tile_coverage(windows: list[ImageFit]) -> TileCoverage:
    """The TileCoverage of ``plan_windows(...)`` for one image (windows along one side, as
    ``core.fit.plan_tiles`` places them)."""
    first = windows[0]
    src_h, src_w = first.src_hw
    wide = any(f.src_w < src_w for f in windows)
    length = src_w if wide else src_h
    spans = sorted((f.src_x0, f.src_x0 + f.src_w) if wide else (f.src_y0, f.src_y0 + f.src_h) for f in windows)
    covered = np.zeros(length, dtype=bool)
    for a, b in spans:
        covered[a:b] = True
    edges = np.flatnonzero(np.diff(np.concatenate([[1], covered.astype(np.int8), [1]])))
    unseen = tuple((int(a), int(b)) for a, b in zip(edges[::2], edges[1::2]))
    across = (first.src_h if wide else first.src_w) / (src_h if wide else src_w)  # crop/tile: the full other side
    overlaps = [(prev_b - a) / (b - a) for (_, prev_b), (a, b) in zip(spans, spans[1:])]
    return TileCoverage((src_h, src_w), len(windows), (first.src_h, first.src_w), first.net_hw,
                        float(covered.mean() * across), unseen, max(0.0, min(overlaps, default=0.0)), wide)


class DepthEstimator(BackendModel):
    """A depth network behind a backend, with its spec's pre/post-processing.

    Attributes: ``spec``, ``backend``, ``backend_description``, ``backend_reason`` (why ``auto``
    chose it), ``input_hw`` (the network's input size), ``resize_mode`` (crop | pad | stretch | tile),
    ``flip_average`` (bool: each frame also runs mirrored and the two outputs are averaged),
    ``guided_filter`` ((radius fraction, eps) of ``processing.guided_filter_depth`` applied to every
    output, or None).
    """

    flip_average = False
    guided_filter: tuple[float, float] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._coverage_logged: set[tuple[int, int]] = set()  # image sizes whose tile coverage was logged

    @classmethod
    def from_path(cls, path: str | Path, backend: str = "auto", precision: str = "fp32",
                  spec_name: str | None = None, warmup: bool = True, resize_mode: str = DEFAULT_RESIZE_MODE,
                  card: str | Path | None = None, flip_average: str = "never", guided_filter: str = "never",
                  **options: Any) -> "DepthEstimator":
        """Load a ``.pt`` checkpoint, ``.onnx`` or ``.engine``; ``card``: its model card YAML (default:
        ``<stem>.card.yaml`` beside it when present); ``flip_average``: auto | always | never
        (``processing.flip_enabled``); ``guided_filter``: auto | always | never
        (``processing.guided_filter_setting``). ``options`` go to ``create_backend`` (device, input_hw,
        threads, cache_dir, force_engine_rebuild, channels_last, compile)."""
        spec, runner, reason = load_backend(path, backend, precision, spec_name, expect_motion=False,
                                            warmup=warmup, card=card, **options)
        estimator = cls(spec, runner, reason, resize_mode)
        estimator.flip_average = flip_enabled(flip_average)
        estimator.guided_filter = guided_filter_setting(guided_filter, spec.name)
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
        ``resize_mode: tile`` the ``plan_tiles`` windows (one inference each). With tile, the first
        image of each size logs its coverage once (``TileCoverage``): INFO, or WARNING
        when some of its pixels are in no window (NaN in every frame of that size)."""
        windows = plan_windows(image_hw, self.net_hw_for(image_hw), self.resize_mode)
        if self.resize_mode == "tile":
            if tuple(image_hw) not in self._coverage_logged:
                self._coverage_logged.add(tuple(image_hw))
                coverage = tile_coverage(windows)
                LOG.log(logging.WARNING if coverage.unseen else logging.INFO, "%s",
                        coverage.describe(2 if self.flip_average else 1))
        return windows

    def estimate(self, rgb: np.ndarray, seen: np.ndarray | None = None) -> DepthResult:
        """(H, W, 3) RGB or (H, W) mono uint8 -> DepthResult (depth_m (H, W) float32, NaN invalid
        or unseen; is_metric; net_depth at the network input; fit). ``seen``: (H, W) bool of the
        pixels that show the scene (a rectified image's black border does not; None: all): depth
        is NaN elsewhere and a relative output is normalised over them only. With
        ``resize_mode: tile`` the windows' outputs are merged (``processing.merge_tiles``)."""
        rgb = as_rgb8(rgb)
        return estimate_depth(rgb, self.spec, self.fits_for(rgb.shape[:2]), self._run, self.flip_average, seen,
                              self.guided_filter)
