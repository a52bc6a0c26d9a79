"""Texture bank for the synthetic renderer: real photographs mixed with procedural noise.

Photographs come from ``skimage.data`` (shipped with scikit-image, no download). Each texture is
a square ``(S, S, 3) uint8`` tile; the renderer looks it up by surface coordinates in metres
divided by the texture's physical size, wrapping around (tiles repeat).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

TEXTURE_PX = 256

# name -> (skimage.data function, tint rgb multiplier); grey photos are tinted so walls differ.
PHOTOS: dict[str, tuple[str, tuple[float, float, float]]] = {
    "brick": ("brick", (1.15, 0.80, 0.65)),
    "grass": ("grass", (0.65, 1.05, 0.55)),
    "gravel": ("gravel", (0.95, 0.92, 0.88)),
    "camera": ("camera", (0.95, 0.95, 1.0)),
    "rocket": ("rocket", (1.0, 1.0, 1.0)),
    "coffee": ("coffee", (1.0, 1.0, 1.0)),
    "astronaut": ("astronaut", (1.0, 1.0, 1.0)),
    "chelsea": ("chelsea", (1.0, 1.0, 1.0)),
}


@dataclass(frozen=True)
class Texture:
    """A repeating texture tile.

    Attributes:
        pixels: (S, S, 3) uint8 tile.
        size_m: physical edge length of one tile in metres.
    """

    pixels: np.ndarray
    size_m: float


def _load_photo(name: str) -> np.ndarray:
    """(TEXTURE_PX, TEXTURE_PX, 3) float32 in [0, 1] from a skimage.data photograph."""
    from skimage import data as skdata  # imported lazily: skimage import is slow

    func, tint = PHOTOS[name]
    img = getattr(skdata, func)()
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    img = img[..., :3].astype(np.float32) / 255.0
    side = min(img.shape[:2])
    img = img[:side, :side]
    img = cv2.resize(img, (TEXTURE_PX, TEXTURE_PX), interpolation=cv2.INTER_AREA)
    return np.clip(img * np.asarray(tint, np.float32), 0.0, 1.0)


def value_noise(rng: np.random.Generator, size_px: int, octaves: int = 4) -> np.ndarray:
    """Tileable fractal value noise, (size_px, size_px) float32 in [0, 1]."""
    out = np.zeros((size_px, size_px), np.float32)
    amp_total = 0.0
    for octave in range(octaves):
        cells = 4 * 2**octave
        grid = rng.random((cells, cells)).astype(np.float32)
        # wrap so the tile repeats seamlessly, then upsample smoothly
        grid = np.pad(grid, ((0, 1), (0, 1)), mode="wrap")
        layer = cv2.resize(grid, (size_px + size_px // cells, size_px + size_px // cells),
                           interpolation=cv2.INTER_CUBIC)[:size_px, :size_px]
        amp = 0.5**octave
        out += amp * layer
        amp_total += amp
    out /= amp_total
    return np.clip((out - out.min()) / max(float(np.ptp(out)), 1e-6), 0.0, 1.0)


def make_texture(rng: np.random.Generator, photo: str | None, base_rgb: tuple[float, float, float],
                 size_m: float, noise_mix: float = 0.35) -> Texture:
    """Photograph (or flat ``base_rgb``) modulated by procedural noise.

    Args:
        photo: key of ``PHOTOS`` or None for a plain coloured, noisy surface.
        base_rgb: colour multiplier in [0, 1] applied to the tile.
        size_m: physical tile size in metres.
        noise_mix: 0 = pure photograph, 1 = pure noise.
    """
    noise = value_noise(rng, TEXTURE_PX)[..., None]
    if photo is None:
        img = np.ones((TEXTURE_PX, TEXTURE_PX, 3), np.float32)
    else:
        img = _load_photo(photo)
    img = img * ((1.0 - noise_mix) + noise_mix * 2.0 * noise)
    img = img * np.asarray(base_rgb, np.float32)
    pixels = np.clip(img * 255.0, 0, 255).astype(np.uint8)
    return Texture(pixels=pixels, size_m=float(size_m))


def sky_gradient(height_px: int) -> np.ndarray:
    """(height_px, 3) float32 colours for the sky, lighter towards the horizon."""
    v = np.linspace(0.0, 1.0, height_px, dtype=np.float32)[:, None]
    top = np.asarray([0.35, 0.55, 0.90], np.float32)
    horizon = np.asarray([0.80, 0.88, 0.97], np.float32)
    return (top * (1.0 - v) + horizon * v) * 255.0
