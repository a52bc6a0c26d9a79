"""Where a depth network puts the bottom of a real frame: the median depth of the bottom third of
each Kinect frame over the median of its middle third, for the ground truth and for the networks of
each ``--weights-dir`` (ONNX Runtime, the node's DepthEstimator). Below 1: the bottom is nearer
(the floor or desk in front of a camera); a network whose ratio is near or above 1 where the truth's
is 0.6-0.9 has learned a layout in which the bottom of the image is far (the desk world of stages
23-25, whose camera looks past the desk edge at the floor: docs/training_history.md).

    python benchmarks/layout_bias.py --weights-dir mono_depth_ros/weights --weights-dir /tmp/old_weights
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mono_depth_ros.inference.depth_estimator import DepthEstimator  # noqa: E402
from training.evaluate.real_sets import DEFAULT_DATA_ROOT, load_kinect  # noqa: E402

NETWORKS = ("eigen2014", "xian2018", "li2020_depth")


def bottom_over_middle(depth: np.ndarray) -> float:
    """(H, W) depth (any positive scale, NaN/0 unknown) -> median(bottom third) / median(middle third)."""
    h = depth.shape[0]
    ok = np.isfinite(depth) & (depth > 0)
    bottom, middle = slice(2 * h // 3, h), slice(h // 3, 2 * h // 3)
    if not ok[bottom].any() or not ok[middle].any():
        return float("nan")
    return float(np.median(depth[bottom][ok[bottom]]) / np.median(depth[middle][ok[middle]]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--weights-dir", action="append", default=None,
                        help="folder of <network>.pt (repeatable; default: the bundled weights)")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT,
                        help="the real data folder (rgbd_kinect_5frames inside)")
    args = parser.parse_args(argv)
    dirs = args.weights_dir or ["mono_depth_ros/weights"]
    for d in dirs:
        missing = [n for n in NETWORKS if not (Path(d) / f"{n}.pt").is_file()]
        if missing:
            parser.error(f"--weights-dir {d}: no {', '.join(m + '.pt' for m in missing)}")
    frames = load_kinect(args.data_root).frames
    truth = [bottom_over_middle(np.where(f.depth_m > 0, f.depth_m, np.nan)) for f in frames]
    print("| depth | bottom / middle third, per Kinect frame | mean |\n|---|---|---|")
    print(f"| ground truth | {' '.join(f'{r:.2f}' for r in truth)} | {np.mean(truth):.2f} |")
    for d in dirs:
        for name in NETWORKS:
            est = DepthEstimator.from_path(str(Path(d) / f"{name}.pt"), backend="onnxruntime",
                                           cache_dir=tempfile.mkdtemp())
            ratios = [bottom_over_middle(est.estimate(f.rgb).depth_m.astype(np.float64)) for f in frames]
            print(f"| {name} ({d}) | {' '.join(f'{r:.2f}' for r in ratios)} | {np.mean(ratios):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
