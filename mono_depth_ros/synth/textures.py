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
    "coins": ("coins", (1.0, 0.95, 0.85)),
    "moon": ("moon", (0.9, 0.9, 0.9)),
    "page": ("page", (1.0, 0.98, 0.92)),
    "text": ("text", (0.95, 0.95, 1.0)),
    "clock": ("clock", (1.0, 0.95, 0.9)),
    "cell": ("cell", (0.85, 0.9, 1.0)),
    "hubble": ("hubble_deep_field", (1.0, 1.0, 1.0)),
    "ihc": ("immunohistochemistry", (1.0, 1.0, 1.0)),
    "retina": ("retina", (1.0, 1.0, 1.0)),
}
# never used as textures: skimage's stereo_motorcycle is the Middlebury pair of the real benchmark

# Held-out photographs (``textures="heldout"``): real photos from two other registry packages that
# no training render uses, for validation sequences whose surfaces look like nothing the networks
# were trained on, as a real camera's do. name -> (package, file, tint).
HELDOUT_PHOTOS: dict[str, tuple[str, str, tuple[float, float, float]]] = {
    "china": ("sklearn", "china.jpg", (1.0, 1.0, 1.0)),
    "flower": ("sklearn", "flower.jpg", (1.0, 1.0, 1.0)),
    "grace_hopper": ("matplotlib", "grace_hopper.jpg", (1.0, 1.0, 1.0)),
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


_PHOTO_CACHE: dict[str, np.ndarray] = {}


def _photo(name: str) -> np.ndarray:
    """(H, W, 3) float32 in [0, 1]: the skimage.data photograph ``name`` (cached per process)."""
    if name not in _PHOTO_CACHE:
        if name in HELDOUT_PHOTOS:
            img = _heldout_photo(*HELDOUT_PHOTOS[name][:2])
        else:
            from skimage import data as skdata  # imported lazily: skimage import is slow

            img = getattr(skdata, PHOTOS[name][0])()
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        _PHOTO_CACHE[name] = img[..., :3].astype(np.float32) / 255.0
    return _PHOTO_CACHE[name]


def _heldout_photo(package: str, file: str) -> np.ndarray:
    """(H, W, 3) uint8: a sample photograph shipped inside ``package`` (no download)."""
    if package == "sklearn":
        from sklearn.datasets import load_sample_image

        return load_sample_image(file)
    import matplotlib.cbook
    import matplotlib.image

    with matplotlib.cbook.get_sample_data(file) as f:
        return np.asarray(matplotlib.image.imread(f))


def _load_photo(name: str, crop_rng: np.random.Generator | None = None) -> np.ndarray:
    """(TEXTURE_PX, TEXTURE_PX, 3) float32 in [0, 1] from a skimage.data photograph: its top-left
    square, or with ``crop_rng`` a random square crop of 30-100 % of the short side, maybe mirrored."""
    tint = HELDOUT_PHOTOS[name][2] if name in HELDOUT_PHOTOS else PHOTOS[name][1]
    img = _photo(name)
    side = min(img.shape[:2])
    if crop_rng is None:
        img = img[:side, :side]
    else:
        crop = max(16, int(side * crop_rng.uniform(0.3, 1.0)))
        r0 = int(crop_rng.integers(0, img.shape[0] - crop + 1))
        c0 = int(crop_rng.integers(0, img.shape[1] - crop + 1))
        img = img[r0:r0 + crop, c0:c0 + crop]
        if crop_rng.random() < 0.5:
            img = img[:, ::-1]
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
                 size_m: float, noise_mix: float = 0.35, crop: bool = False) -> Texture:
    """Photograph (or flat ``base_rgb``) modulated by procedural noise.

    Args:
        photo: key of ``PHOTOS`` (or ``HELDOUT_PHOTOS``) or None for a plain coloured, noisy surface.
        base_rgb: colour multiplier in [0, 1] applied to the tile.
        size_m: physical tile size in metres.
        noise_mix: 0 = pure photograph, 1 = pure noise.
        crop: take a random crop of the photograph (drawn from ``rng``) instead of its corner.
    """
    noise = value_noise(rng, TEXTURE_PX)[..., None]
    if photo is None:
        img = np.ones((TEXTURE_PX, TEXTURE_PX, 3), np.float32)
    else:
        img = _load_photo(photo, rng if crop else None)
    img = img * ((1.0 - noise_mix) + noise_mix * 2.0 * noise)
    img = img * np.asarray(base_rgb, np.float32)
    pixels = np.clip(img * 255.0, 0, 255).astype(np.uint8)
    return Texture(pixels=pixels, size_m=float(size_m))


def sky_gradient(height_px: int, top_rgb=(0.35, 0.55, 0.90), horizon_rgb=(0.80, 0.88, 0.97)) -> np.ndarray:
    """(height_px, 3) float32 colours for the sky, lighter towards the horizon (image rows)."""
    v = np.linspace(0.0, 1.0, height_px, dtype=np.float32)[:, None]
    top = np.asarray(top_rgb, np.float32)
    horizon = np.asarray(horizon_rgb, np.float32)
    return (top * (1.0 - v) + horizon * v) * 255.0
