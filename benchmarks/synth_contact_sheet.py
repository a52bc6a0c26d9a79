"""Contact sheet of the synthetic worlds the bundled weights were trained on (``--realistic``):
rooms, streets and desks, each frame beside its ground-truth depth (near bright, far dark, log
scale per frame). Writes docs/images/synth_examples.png by default; ``--lighting both`` draws each
frame in flat light and lit with shadows (``training synth --lighting shadows``, stage 31) beside its
depth (docs/images/synth_lighting.png); ``--shapes both`` draws each frame all boxes and with round
props (``training synth --shapes curved``, stage 33), each beside its depth
(docs/images/synth_shapes.png).

    python benchmarks/synth_contact_sheet.py [--out PNG] [--per-scene 3] [--height 120] [--lighting flat|shadows|both]
                                             [--shapes boxes|curved|both]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mono_depth_ros.synth import SynthConfig, SyntheticSequence  # noqa: E402
from mono_depth_ros.synth.lighting import LIGHTING_MODES  # noqa: E402
from mono_depth_ros.synth.scene import SCENES  # noqa: E402
from mono_depth_ros.synth.shapes import SHAPE_MODES  # noqa: E402

REALISTIC = dict(layout="rich", textures="photos", camera="real", look="real")
SEEDS = {"indoor": 7001, "street": 8001, "desk": 10001}  # the first training seeds of stages 10 and 23


def depth_picture(depth_m: np.ndarray) -> np.ndarray:
    """(H, W) metres -> (H, W, 3) uint8 BGR, log depth between the frame's 2nd and 98th percentiles."""
    finite = np.isfinite(depth_m) & (depth_m > 0)
    log = np.log(np.where(finite, depth_m, np.nanmax(np.where(finite, depth_m, np.nan))))
    lo, hi = np.percentile(log[finite], [2, 98]) if finite.any() else (0.0, 1.0)
    scaled = 1.0 - np.clip((log - lo) / max(hi - lo, 1e-6), 0.0, 1.0)
    return cv2.applyColorMap((255 * scaled).astype(np.uint8), cv2.COLORMAP_MAGMA)


def row(scene: str, seed: int, height: int, width: int, lighting: str = "flat", shapes: str = "boxes") -> np.ndarray:
    """One frame of ``scene`` (the middle of a 30-frame sequence): image | depth (``lighting`` "both":
    flat image | lit image | depth; ``shapes`` "both": boxes image | its depth | curved image | its
    depth), padded to ``width``."""
    images = []
    for form in (("boxes", "curved") if shapes == "both" else (shapes,)):
        for light in (("flat", "shadows") if lighting == "both" else (lighting,)):
            seq = SyntheticSequence(SynthConfig(frames=30, seed=seed, size_wh=(4 * height // 3, height), scene=scene,
                                                moving_objects=1, lighting=light, shapes=form, **REALISTIC))
            frame = seq.frame(15)
            images.append(frame.rgb[:, :, ::-1])
        images.append(depth_picture(frame.depth_m))
    pair = np.hstack(images)
    out = np.zeros((height, width, 3), np.uint8)
    out[:, :min(width, pair.shape[1])] = pair[:, :width]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", default="docs/images/synth_examples.png", help="PNG to write")
    parser.add_argument("--per-scene", type=int, default=3, help="frames of each world")
    parser.add_argument("--height", type=int, default=120, help="rows of each frame")
    parser.add_argument("--lighting", choices=LIGHTING_MODES + ("both",), default="flat",
                        help="how the frames are lit (training synth --lighting); both: flat and lit side by side")
    parser.add_argument("--shapes", choices=SHAPE_MODES + ("both",), default="boxes",
                        help="the props' shapes (training synth --shapes); both: all boxes and with round props "
                             "side by side, each with its depth")
    args = parser.parse_args(argv)
    if args.per_scene < 1 or args.height < 16:
        parser.error(f"--per-scene {args.per_scene} / --height {args.height}: need >= 1 and >= 16")
    columns = (3 if args.lighting == "both" else 2) * (2 if args.shapes == "both" else 1)
    width = columns * int(args.height * 1241 / 376 + 2)  # the widest rig (KITTI's 3.3:1), image(s) and depth
    rows = [row(scene, SEEDS[scene] + k, args.height, width, args.lighting, args.shapes) for scene in SCENES
            for k in range(args.per_scene)]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(args.out, np.vstack(rows))
    print(f"wrote {args.out}: {len(rows)} frames ({', '.join(SCENES)}), {width}x{args.height * len(rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
