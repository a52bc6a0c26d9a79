"""Where eigen2014 loses the real frames: its coarse network's output alone against the coarse +
fine output it publishes (a diagnostic; it decides nothing).

Eigen et al. 2014's coarse network (here an ImageNet-trained EfficientNet-Lite0 encoder and two
fully connected layers) predicts the global layout; the fine network (small convolutions trained
from scratch, on the synthetic renders only) refines it with local image detail. Both outputs are
log depth at the same grid. Each goes through the node's processing (PyTorch backend, test-time
flip and guided filter as the node's ``auto``) and is scored like ``bench_real.py``: median-scaled
AbsRel and WHDR on the pixels both have, on every real set with depth and on the synthetic
validation sequences (``valb_*``, every third, two frames each), beside the vertical ramp.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/eigen_coarse_vs_fine.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.sweep_guided_filter import frames_of  # noqa: E402
from mono_depth_ros.core.depth_metrics import DepthCaps, baseline_depth, common_mask, depth_scores  # noqa: E402
from mono_depth_ros.inference.depth_estimator import DepthEstimator  # noqa: E402
from mono_depth_ros.inference.weights import default_weights_path  # noqa: E402
from training.data.datasets import DatasetFolder  # noqa: E402
from training.evaluate.real_sets import DEFAULT_DATA_ROOT, STEREODEMO_DIR, SetUnavailable, load_set  # noqa: E402

STAGES = ("fine", "coarse")
SETS = ("kinect", "kitti", "euroc", "middlebury", "oakd")


class Eigen2014Outputs:
    """The bundled eigen2014 through the node's processing, its fine or its coarse output."""

    def __init__(self) -> None:
        self.est = DepthEstimator.from_path(default_weights_path("eigen2014"), backend="torch", spec_name="eigen2014",
                                            flip_average="auto", guided_filter="auto")
        self.module = self.est.backend._module

    def __call__(self, rgb: np.ndarray, stage: str) -> np.ndarray:
        """(H, W) float64 published depth of ``rgb`` (H, W, 3) from the ``stage`` output."""
        self.module.forward = lambda x: type(self.module).forward(self.module, x, stage)
        try:
            return self.est.estimate(rgb).depth_m.astype(np.float64)
        finally:
            del self.module.forward


def score(frames, depth_of: Eigen2014Outputs, caps: DepthCaps) -> dict[str, list[float]]:
    """{fine, coarse, ramp: [mean abs_rel_med, mean whdr]} over (rgb, truth) pairs."""
    rows: dict[str, list] = {name: [] for name in (*STAGES, "ramp")}
    for index, (rgb, truth) in enumerate(frames):
        preds = {s: depth_of(rgb, s) for s in STAGES}
        mask = common_mask(truth, preds.values(), caps)
        if mask.sum() < 100:
            continue
        preds["ramp"] = baseline_depth("ramp", truth, mask)
        for name, pred in preds.items():
            s = depth_scores(pred, truth, mask, caps, seed=index)
            rows[name].append((s["abs_rel_med"], s["whdr"]))
    return {name: np.mean(v, axis=0).tolist() for name, v in rows.items() if v}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT, help="../shared/data/real")
    parser.add_argument("--validation", type=Path, default=Path("runs/demo/data"),
                        help="folder of the synthetic validation sequences (valb_*); skipped where absent")
    args = parser.parse_args(argv)
    depth_of, caps = Eigen2014Outputs(), DepthCaps()
    print(f"{'set':<12} " + " ".join(f"{name + ' AbsRel / WHDR':>24}" for name in (*STAGES, "ramp")))
    for name in SETS:
        try:
            real = load_set(name, args.data_root, None, STEREODEMO_DIR)
        except SetUnavailable as exc:
            print(f"{name:<12} skipped: {exc}")
            continue
        rows = score([(f.rgb, f.depth_m) for f in real.frames if f.depth_m is not None], depth_of, caps)
        print(f"{name:<12} " + " ".join(f"{r[0]:>15.3f} / {r[1]:.3f}" for r in rows.values()))
    folders = sorted(args.validation.glob("valb_*"))[::3]
    if folders:
        frames = [(f.rgb(i), f.depth_m(i)) for f in map(DatasetFolder, folders) for i in frames_of(f, 2)]
        rows = score(frames, depth_of, caps)
        print(f"{'validation':<12} " + " ".join(f"{r[0]:>15.3f} / {r[1]:.3f}" for r in rows.values())
              + f"   ({len(frames)} frames of {len(folders)} valb_* sequences)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
