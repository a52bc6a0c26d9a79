"""Fit a camera image to a network's input size, and map the network's output back.

One mechanism for the nodes, training and evaluation, so that what is evaluated is what runs.

Modes (``RESIZE_MODES``):
- ``crop``: the largest centred region of the image with the network's aspect ratio is resized to
  the network input; pixels outside it are not seen (NaN when mapped back).
- ``pad``: the whole image is resized with its aspect ratio kept and placed centred in the network
  input; the border is filled by edge replication. Mapping back drops the border.
- ``stretch``: the whole image is resized to the network input, aspect ratio not kept (the
  behaviour before ``resize_mode`` existed; intrinsics scale differently along x and y).
- ``tile``: for depth, the image is covered by ``crop``-shaped windows along its long side
  (``plan_tiles``; each overlaps its neighbour by at least ``TILE_MIN_OVERLAP``), each window runs
  through the network and the outputs are merged (``inference.processing.merge_tiles``). A single
  ImageFit of ``tile`` (``plan_fit``: what the motion network and training use) is the ``crop``
  window.

Intrinsics follow image_pipeline's crop and resize (``CameraIntrinsics.cropped`` / ``scaled``),
so the intrinsics of the network input are exact for every mode.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.errors import InputError

RESIZE_MODES = ("crop", "pad", "stretch", "tile")
DEFAULT_RESIZE_MODE = "crop"
TILE_MIN_OVERLAP = 0.25  # of a window's length along the tiled side: enough shared pixels to align
MAX_TILES = 7  # odd (plan_tiles uses odd counts)


@dataclass(frozen=True)
class ImageFit:
    """How an image of ``src_hw`` maps onto a network input of ``net_hw``.

    The source region ``[src_y0:src_y0+src_h, src_x0:src_x0+src_w]`` is resized to
    ``content_h x content_w`` pixels placed at ``(net_top, net_left)`` in the network input.
    """

    mode: str
    src_hw: tuple[int, int]
    net_hw: tuple[int, int]
    src_x0: int
    src_y0: int
    src_w: int
    src_h: int
    net_left: int
    net_top: int
    content_w: int
    content_h: int

    @property
    def is_identity(self) -> bool:
        return self.src_hw == self.net_hw and self.src_w == self.src_hw[1] and self.src_h == self.src_hw[0]

    def apply(self, image: np.ndarray, nearest: bool = False) -> np.ndarray:
        """(H, W[, C]) at ``src_hw`` -> (h, w[, C]) at ``net_hw``.

        Images shrink with area interpolation and grow bilinearly; ``nearest`` (depth, masks)
        uses nearest neighbour. The ``pad`` border replicates the edge.
        """
        if tuple(image.shape[:2]) != self.src_hw:
            raise InputError("image", image.shape, f"expected {self.src_hw[0]}x{self.src_hw[1]} pixels for this fit")
        region = image[self.src_y0:self.src_y0 + self.src_h, self.src_x0:self.src_x0 + self.src_w]
        content = _resize(region, (self.content_h, self.content_w), nearest)
        if (self.content_h, self.content_w) == self.net_hw:
            return np.ascontiguousarray(content)
        bottom = self.net_hw[0] - self.content_h - self.net_top
        right = self.net_hw[1] - self.content_w - self.net_left
        return cv2.copyMakeBorder(np.ascontiguousarray(content), self.net_top, bottom, self.net_left, right,
                                  cv2.BORDER_REPLICATE)

    def intrinsics(self, intr: CameraIntrinsics) -> CameraIntrinsics:
        """Intrinsics of the network input, given those of the source image (any resolution:
        they are first scaled to ``src_hw``)."""
        if (intr.height, intr.width) != self.src_hw:
            intr = intr.scaled(self.src_hw[1], self.src_hw[0])
        if (self.src_w, self.src_h) != (intr.width, intr.height):
            intr = intr.cropped(self.src_x0, self.src_y0, self.src_w, self.src_h)
        intr = intr.scaled(self.content_w, self.content_h)
        if self.net_left or self.net_top:
            # padding is a crop with negative offsets
            p = None
            if intr.p is not None:
                p_mat = intr.p_matrix.copy()
                p_mat[0, 2] += self.net_left
                p_mat[1, 2] += self.net_top
                p = tuple(p_mat.reshape(-1))
            intr = CameraIntrinsics(self.net_hw[1], self.net_hw[0], intr.fx, intr.fy, intr.cx + self.net_left,
                                    intr.cy + self.net_top, intr.distortion_model, intr.d, p)
        return intr

    def map_back(self, plane: np.ndarray) -> np.ndarray:
        """(h, w) float network output at ``net_hw`` -> (H, W) float32 at ``src_hw``, bilinear,
        NaN where the network saw nothing (resample log depth before exponentiating)."""
        plane = np.asarray(plane, dtype=np.float32)
        if plane.shape != self.net_hw:
            raise InputError("plane", plane.shape, f"expected the network output size {self.net_hw}")
        content = plane[self.net_top:self.net_top + self.content_h, self.net_left:self.net_left + self.content_w]
        region = _resize(np.ascontiguousarray(content), (self.src_h, self.src_w), nearest=False, smooth=False)
        if (self.src_h, self.src_w) == self.src_hw:
            return np.ascontiguousarray(region, dtype=np.float32)
        out = np.full(self.src_hw, np.nan, dtype=np.float32)
        out[self.src_y0:self.src_y0 + self.src_h, self.src_x0:self.src_x0 + self.src_w] = region
        return out

    def seen_mask(self) -> np.ndarray:
        """(H, W) bool at ``src_hw``: pixels the network input covers."""
        mask = np.zeros(self.src_hw, dtype=bool)
        mask[self.src_y0:self.src_y0 + self.src_h, self.src_x0:self.src_x0 + self.src_w] = True
        return mask


def plan_fit(src_hw: tuple[int, int], net_hw: tuple[int, int], mode: str = DEFAULT_RESIZE_MODE) -> ImageFit:
    """The ImageFit of an image of ``src_hw`` = (H, W) onto ``net_hw`` = (h, w) for ``mode``."""
    if mode not in RESIZE_MODES:
        raise InputError("resize_mode", mode, f"must be one of {', '.join(RESIZE_MODES)}")
    src_h, src_w = (int(v) for v in src_hw)
    net_h, net_w = (int(v) for v in net_hw)
    if min(src_h, src_w) < 1:
        raise InputError("image size", (src_h, src_w), "must be at least 1x1 pixels")
    if min(net_h, net_w) < 1:
        raise InputError("network input size", (net_h, net_w), "must be at least 1x1 pixels")
    full = ImageFit(mode, (src_h, src_w), (net_h, net_w), 0, 0, src_w, src_h, 0, 0, net_w, net_h)
    if mode == "stretch" or src_h * net_w == src_w * net_h:
        return full
    if mode in ("crop", "tile"):
        if src_w * net_h > src_h * net_w:  # source wider than the network: crop left and right
            crop_w = max(1, min(src_w, int(round(src_h * net_w / net_h))))
            return ImageFit(mode, (src_h, src_w), (net_h, net_w), (src_w - crop_w) // 2, 0, crop_w, src_h,
                            0, 0, net_w, net_h)
        crop_h = max(1, min(src_h, int(round(src_w * net_h / net_w))))
        return ImageFit(mode, (src_h, src_w), (net_h, net_w), 0, (src_h - crop_h) // 2, src_w, crop_h,
                        0, 0, net_w, net_h)
    if src_w * net_h > src_h * net_w:  # pad top and bottom
        content_h = max(1, min(net_h, int(round(net_w * src_h / src_w))))
        return ImageFit(mode, (src_h, src_w), (net_h, net_w), 0, 0, src_w, src_h, 0, (net_h - content_h) // 2,
                        net_w, content_h)
    content_w = max(1, min(net_w, int(round(net_h * src_w / src_h))))
    return ImageFit(mode, (src_h, src_w), (net_h, net_w), 0, 0, src_w, src_h, (net_w - content_w) // 2, 0,
                    content_w, net_h)


def plan_tiles(src_hw: tuple[int, int], net_hw: tuple[int, int],
               min_overlap: float = TILE_MIN_OVERLAP) -> list[ImageFit]:
    """``crop`` windows that together cover an image of ``src_hw`` = (H, W), left to right (or top
    to bottom for a tall image), for a network input of ``net_hw``.

    One window (the ``crop`` fit) when the image has the network's aspect ratio or is narrower
    along that side; else an odd n >= 3 of evenly spaced windows, the first and last at the image's
    ends, neighbours sharing at least ``min_overlap`` of a window, n <= MAX_TILES (beyond about 7:1
    against the network's aspect the MAX_TILES windows leave gaps, NaN when mapped back). n is odd so
    that the middle window is exactly ``plan_fit(src_hw, net_hw, "tile")``, the ``crop`` window: the
    merged depth keeps crop's scale, and the motion network gets that window's own depth output as
    in training (a 16:9 image takes 3 windows, not the 2 that would cover it).
    """
    centre = plan_fit(src_hw, net_hw, "tile")
    src_h, src_w = centre.src_hw
    wide = centre.src_w < src_w
    if not wide and centre.src_h == src_h:
        return [centre]
    full, window = (src_w, centre.src_w) if wide else (src_h, centre.src_h)
    step_max = window * (1.0 - min_overlap)
    n = min(MAX_TILES, 1 + int(np.ceil((full - window) / max(step_max, 1.0))))
    n += 1 - n % 2  # odd: the middle window is the crop window
    starts = [int(round(i * (full - window) / (n - 1))) for i in range(n)]
    starts[n // 2] = (full - window) // 2  # plan_fit's rounding
    if wide:
        return [ImageFit("tile", centre.src_hw, centre.net_hw, x0, 0, window, src_h, 0, 0, *centre.net_hw[::-1])
                for x0 in starts]
    return [ImageFit("tile", centre.src_hw, centre.net_hw, 0, y0, src_w, window, 0, 0, *centre.net_hw[::-1])
            for y0 in starts]


def _resize(image: np.ndarray, hw: tuple[int, int], nearest: bool, smooth: bool = True) -> np.ndarray:
    """Resize to (h, w): nearest, or area when shrinking (``smooth``) and bilinear otherwise."""
    h, w = int(hw[0]), int(hw[1])
    if image.shape[:2] == (h, w):
        return image
    if nearest:
        interp = cv2.INTER_NEAREST
    elif smooth and h * w < image.shape[0] * image.shape[1]:
        interp = cv2.INTER_AREA
    else:
        interp = cv2.INTER_LINEAR
    return cv2.resize(image, (w, h), interpolation=interp)
