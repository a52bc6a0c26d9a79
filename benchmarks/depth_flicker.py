"""Temporal flicker of each network's published depth on real video, with and without guided_filter.

On video the true depth of a pixel changes smoothly while the camera moves smoothly, so jitter
shows in the second difference over time: per pixel |l(t+1) - 2 l(t) + l(t-1)|, where l is the log
of the depth divided by its median (so an overall scale that wanders is not counted: the node's
relative outputs are median-normalised, a metric one's scale is a separate question), median over
the pixels every frame of the triplet has, then the mean over the triplets. The first difference
|l(t+1) - l(t)| is printed beside it; it also holds the real change as the camera moves. Lower is
steadier; a constant map scores 0, so this compares settings of one network, not networks with
the truth (there is none on EuRoC). The networks run as depth_node runs them (`flip_average:
auto`), through one `DepthEstimator` per network and setting.

    python benchmarks/depth_flicker.py                      (EuRoC's 95 frames and KITTI's 6)
    python benchmarks/depth_flicker.py --sets euroc --max-frames 40
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mono_depth_ros.inference.depth_estimator import DepthEstimator  # noqa: E402
from training.evaluate.real_sets import DEFAULT_DATA_ROOT, SetUnavailable, load_set  # noqa: E402

NETWORKS = ("eigen2014", "xian2018", "li2020_depth")
VIDEO_SETS = ("euroc", "kitti")
SETTINGS = ("never", "auto")


def normalised_log(depth: np.ndarray) -> np.ndarray:
    """(H, W) depth -> (H, W) log(depth / its median over the known pixels); NaN where unknown."""
    known = np.isfinite(depth) & (depth > 0)
    out = np.full(depth.shape, np.nan)
    if known.any():
        out[known] = np.log(depth[known] / np.median(depth[known]))
    return out


def flicker(depths: list[np.ndarray]) -> tuple[float, float]:
    """Consecutive (H, W) depth maps of one video -> (mean over triplets of the median |second
    difference in time| of normalised log depth, mean over pairs of the median |first difference|)."""
    logs = [normalised_log(d) for d in depths]
    second = [np.nanmedian(np.abs(c - 2 * b + a)) for a, b, c in zip(logs, logs[1:], logs[2:])]
    first = [np.nanmedian(np.abs(b - a)) for a, b in zip(logs, logs[1:])]
    return float(np.nanmean(second)) if second else float("nan"), float(np.nanmean(first)) if first else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--weights-dir", type=Path, default=Path("mono_depth_ros/weights"),
                        help="folder of <network>.pt")
    parser.add_argument("--sets", default=",".join(VIDEO_SETS), help="real video sets, comma-separated")
    parser.add_argument("--max-frames", type=int, default=None, help="frames per set (default: all)")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT, help="the real data folder")
    args = parser.parse_args(argv)
    sets = [s for s in args.sets.split(",") if s]
    unknown = [s for s in sets if s not in VIDEO_SETS]
    if unknown:
        parser.error(f"--sets: unknown {', '.join(unknown)} (expected {', '.join(VIDEO_SETS)}: the video sets)")
    missing = [n for n in NETWORKS if not (args.weights_dir / f"{n}.pt").is_file()]
    if missing:
        parser.error(f"--weights-dir {args.weights_dir}: no {', '.join(m + '.pt' for m in missing)}")
    print("Temporal flicker of normalised log depth (mean over frames of the pixel median; lower is steadier):\n"
          "second difference in time (jitter) / first difference (jitter and the camera's own motion)\n")
    print("| set | " + " | ".join(f"{n} unfiltered | {n} guided_filter auto" for n in NETWORKS) + " |")
    print("|---|" + "---|---|" * len(NETWORKS))
    for name in sets:
        try:
            real = load_set(name, args.data_root, args.max_frames)
        except SetUnavailable as exc:
            print(f"{name}: skipped ({exc})")
            continue
        cells = []
        for network in NETWORKS:
            for setting in SETTINGS:
                estimator = DepthEstimator.from_path(str(args.weights_dir / f"{network}.pt"), backend="onnxruntime",
                                                     cache_dir=tempfile.mkdtemp(), flip_average="auto",
                                                     guided_filter=setting)
                second, first = flicker([estimator.estimate(f.rgb).depth_m for f in real.frames])
                cells.append(f"{second:.4f} / {first:.4f}")
        print(f"| {name} ({len(real.frames)} frames) | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
