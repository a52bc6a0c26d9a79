"""What a real camera's image processing costs each bundled network (a diagnostic; it decides nothing).

Real frames pass through a camera's processing before a node sees them: JPEG compression (a
``compressed`` image topic), sharpening, local tone mapping, noise, defocus, another gamma. The
renders have the sensor effects of ``--look real`` but none of these steps. Here the 80 validation
sequences rendered at 480 lines (``valhr_*``: the node fits them to the network as it fits a
640x480 camera; ``render_camera_resolution_validation`` in benchmarks/recipe_lib.sh), two frames
each, go through each step at full resolution, then through the node's processing (test-time flip
and guided filter ``auto``), and are scored like ``training evaluate`` and ``bench_real.py``:
median-scaled AbsRel and WHDR on the pixels every output has. eigen2014 is scored twice, its
published coarse + fine output and its coarse output alone (``benchmarks/eigen_coarse_vs_fine.py``:
the coarse output alone scores better on every real set, worse on the renders). Validation data
only; the real frames play no part.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/camera_processing.py --json docs/camera_processing.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.heldout_textures import OUTPUTS, Outputs, score_set  # noqa: E402
from mono_depth_ros.core.depth_metrics import DepthCaps  # noqa: E402


def jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    """(H, W, 3) uint8 rgb after a JPEG round trip at ``quality``."""
    ok, data = cv2.imencode(".jpg", np.ascontiguousarray(rgb[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return np.ascontiguousarray(cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1])


def sharpen(rgb: np.ndarray, amount: float = 1.0, sigma_px: float = 1.5) -> np.ndarray:
    """Unsharp mask, as camera pipelines apply it."""
    img = rgb.astype(np.float32)
    return np.clip(img + amount * (img - cv2.GaussianBlur(img, (0, 0), sigma_px)), 0, 255).astype(np.uint8)


def local_contrast(rgb: np.ndarray) -> np.ndarray:
    """CLAHE on the lightness (clip 2, 8x8 tiles): local tone mapping, as phone and HDR cameras do."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    lab[..., 0] = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(lab[..., 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


def noise(rgb: np.ndarray, sigma: float = 6.0) -> np.ndarray:
    """Gaussian noise of ``sigma`` grey levels (fixed seed)."""
    return np.clip(rgb + np.random.default_rng(0).normal(0.0, sigma, rgb.shape), 0, 255).astype(np.uint8)


def gamma(rgb: np.ndarray, g: float) -> np.ndarray:
    return np.clip(255.0 * (rgb / 255.0) ** g, 0, 255).astype(np.uint8)


STEPS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "none (as rendered)": lambda x: x,
    "JPEG quality 50": lambda x: jpeg(x, 50),
    "sharpening (unsharp 1.0, 1.5 px)": sharpen,
    "local tone mapping (CLAHE)": local_contrast,
    "noise (6 grey levels)": noise,
    "defocus (Gaussian 1.5 px)": lambda x: cv2.GaussianBlur(x, (0, 0), 1.5),
    "gamma 0.6": lambda x: gamma(x, 0.6),
    "sharpening, then JPEG 60": lambda x: jpeg(sharpen(x), 60),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("runs/demo/data"), help="folder of the valhr_* folders")
    parser.add_argument("--frames", type=int, default=2, help="at most this many frames a sequence")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    folders = sorted(p for p in args.data.glob("valhr_*") if (p / "manifest.csv").is_file())
    if len(folders) != 80:
        parser.error(f"--data: {len(folders)} valhr_* folders, not 80 (render_camera_resolution_validation "
                     "in benchmarks/recipe_lib.sh renders them)")
    outputs, caps = Outputs(), DepthCaps()
    results = {step: score_set(folders, outputs, args.frames, caps, transform=apply, desc=step)
               for step, apply in STEPS.items()}
    print(f"{'step':<34} " + " ".join(f"{name + ' AbsRel / WHDR':>28}" for name in OUTPUTS))
    for step, row in results.items():
        print(f"{step:<34} " + " ".join(f"{row[n]['abs_rel_med']:>19.4f} / {row[n]['whdr']:.4f}" for n in OUTPUTS))
    frames = results["none (as rendered)"][OUTPUTS[0]]["frames"]
    print(f"{frames} frames of {len(folders)} sequences")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "frames": frames}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
