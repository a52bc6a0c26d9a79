"""How much of eigen2014's metric-scale error follows the focal length the network sees.

eigen2014 reads metres from one image. The renders it learns from vary their horizontal field of
view (55-90 deg, ``synth.realism``), so the same object at the same distance covers more or fewer
network pixels from one sequence to the next: a network that cannot see the focal length can only
learn an average. For every scored frame this prints the truth's median over the prediction's
(the scale error; 1 = right) beside the focal length in network-input pixels
(``fx * content_w / src_w`` of the node's own ``ImageFit``), and per world:
- ``slope``: the least-squares slope of log(scale error) on log(focal); 1 = the network ignores the
  focal length entirely, 0 = its metres already account for it;
- ``r2``: the share of the log scale error's variance the focal length explains;
- AbsRel raw, median-scaled (every frame at its right scale: the most any scale fix could give),
  and ``focal-corrected``: depth times exp(offset + slope log f), the line fitted on the other half
  of the sequences (two-fold, by sequence): what a focal correction could give without retraining,
  beside ``bias-corrected`` (one factor, the mean log error of the other half: the world's bias
  alone), so that the focal length's own share is the difference of the two.
A canonical-camera target (depth labels divided by f / f_ref in training, multiplied back at
inference) would remove this share at its source. The real frames (``--real``) are printed after,
as a diagnostic only: nothing here is chosen on them; ``--real`` also prints each real set's scale
error with its frames changed (``PROBES``: blurred, darkened, grey, flattened), to see whether
the frames' appearance moves it.

    python benchmarks/eigen_scale_focal.py                       (80 validation renders, 3 frames each)
    python benchmarks/eigen_scale_focal.py --real --json docs/eigen_scale_focal.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_real import load_sets  # noqa: E402
from mono_depth_ros.core.depth_metrics import DepthCaps, align_median, depth_errors  # noqa: E402
from training.data import folder_format as ff  # noqa: E402
from training.evaluate.predict import load_models, predict_depth  # noqa: E402
from training.evaluate.real_sets import DEFAULT_DATA_ROOT, SET_NAMES, STEREODEMO_DIR  # noqa: E402

DATA = Path("runs/demo/data")
#: the 80 validation sequences lit with round props (stage 33's curved_validation)
PATTERNS = ("cvval_*", "cvvalb_*")
CAPS = DepthCaps(0.1, 60.0)  # as training select scores the validation sequences


def _gamma(rgb: np.ndarray, g: float) -> np.ndarray:
    return np.clip(255.0 * (rgb / 255.0) ** g, 0, 255).astype(np.uint8)


#: how the real frames are changed to probe what moves the scale error: (H, W, 3) uint8 -> same
PROBES = {
    "blurred (sigma 4 px)": lambda rgb: cv2.GaussianBlur(rgb, (0, 0), 4.0),
    "darkened (gamma 1.8)": lambda rgb: _gamma(rgb, 1.8),
    "grey": lambda rgb: np.repeat(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2),
    "half contrast": lambda rgb: np.clip(0.5 * (rgb.astype(np.float32) - 128.0) + 128.0, 0, 255).astype(np.uint8),
}


def frame_row(models, rgb: np.ndarray, truth_m: np.ndarray, fx_px: float, valid: np.ndarray | None = None):
    """-> (focal in network pixels, truth, prediction) on the scored pixels, or None when fewer than 100."""
    pred = predict_depth(models, rgb)
    fit = models.fit_for(rgb.shape[:2])
    ok = np.isfinite(pred) & np.isfinite(truth_m) & (truth_m > CAPS.min_depth_m) & (truth_m < CAPS.max_depth_m) & (pred > 0)
    if valid is not None:
        ok &= valid
    if ok.sum() < 100:
        return None
    return fx_px * fit.content_w / fit.src_w, truth_m[ok].astype(np.float64), pred[ok].astype(np.float64)


def abs_rel(pred: np.ndarray, truth: np.ndarray, median_scaling: bool = False) -> float:
    """The project's AbsRel (``core.depth_metrics.depth_errors``, predictions clamped to ``CAPS``)."""
    return depth_errors(pred, truth, CAPS, median_scaling)["abs_rel"]


def scale_error(truth: np.ndarray, pred: np.ndarray) -> float:
    """The truth's median over the prediction's (``align_median``'s scale; 1 = right)."""
    return align_median(pred, truth)[1]


def summarise(rows: list[tuple[str, float, np.ndarray, np.ndarray]]) -> dict:
    """rows: (sequence, focal px, truth, prediction) -> the world's figures (module docstring)."""
    f = np.array([r[1] for r in rows])
    ratio = np.array([scale_error(r[2], r[3]) for r in rows])
    lf, lr = np.log(f), np.log(ratio)
    slope, _ = np.polyfit(lf, lr, 1)
    r2 = float(np.corrcoef(lf, lr)[0, 1] ** 2)
    seqs = sorted({r[0] for r in rows})
    fold = {s: i % 2 for i, s in enumerate(seqs)}
    corrected, biased = [], []
    for k in (0, 1):
        train = [i for i, r in enumerate(rows) if fold[r[0]] != k]
        slope_k, offset_k = np.polyfit(lf[train], lr[train], 1) if len(train) > 2 else (0.0, 0.0)
        bias_k = float(np.mean(lr[train])) if train else 0.0
        corrected += [abs_rel(r[3] * np.exp(offset_k + slope_k * np.log(r[1])), r[2]) for r in rows if fold[r[0]] == k]
        biased += [abs_rel(r[3] * np.exp(bias_k), r[2]) for r in rows if fold[r[0]] == k]
    return {"frames": len(rows), "focal_px": [float(f.min()), float(f.max())],
            "scale_error_median": float(np.exp(np.median(lr))), "log_scale_error_std": float(lr.std()),
            "slope": float(slope), "r2": r2,
            "abs_rel_raw": float(np.mean([abs_rel(r[3], r[2]) for r in rows])),
            "abs_rel_median_scaled": float(np.mean([abs_rel(r[3], r[2], median_scaling=True) for r in rows])),
            "abs_rel_bias_corrected": float(np.mean(biased)),
            "abs_rel_focal_corrected": float(np.mean(corrected))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--weights", type=Path, default=Path("mono_depth_ros/weights/eigen2014.pt"))
    parser.add_argument("--data", type=Path, default=DATA, help="folder holding the validation sequences")
    parser.add_argument("--frames", type=int, default=3, help="frames scored per sequence, spread over it")
    parser.add_argument("--real", action="store_true", help="also print the real sets (diagnostic only)")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)
    if not args.weights.is_file():
        parser.error(f"--weights {args.weights}: no such file")
    seqs = sorted(p for pattern in PATTERNS for p in args.data.glob(pattern) if (p / "manifest.csv").is_file())
    if not seqs:
        parser.error(f"--data {args.data}: no {' or '.join(PATTERNS)} sequences (benchmarks/train_demo_stage33.sh "
                     "renders them)")
    models = load_models([args.weights])
    models.flip_average, models.guided_filter = "auto", "auto"  # the depth node's defaults
    worlds: dict[str, list] = {}
    for seq in seqs:
        records = ff.read_manifest(seq / "manifest.csv")
        intrinsics, _ = ff.read_intrinsics(seq / "intrinsics.yaml")
        for rec in records[:: max(1, len(records) // args.frames)][: args.frames]:
            row = frame_row(models, ff.read_rgb(seq / rec.rgb), ff.read_depth(seq / rec.depth), intrinsics.fx)
            if row is not None:
                worlds.setdefault(seq.name.split("_")[1], []).append((seq.name, *row))
    results = {"weights": str(args.weights), "validation": {w: summarise(r) for w, r in sorted(worlds.items())}}
    if args.real:
        results["real"] = {}
        real_sets, skipped = load_sets(list(SET_NAMES), DEFAULT_DATA_ROOT, None, STEREODEMO_DIR)
        for name, why in skipped.items():
            print(f"skipped {name}: {why}")
        for real in real_sets:
            name = real.name
            scored = [f for f in real.frames if f.depth_m is not None]

            def scale_errors(change=None):
                rows = [row for f in scored for row in [frame_row(models, change(f.rgb) if change else f.rgb,
                                                                  f.depth_m, real.intrinsics.fx, f.valid)] if row]
                return rows, [scale_error(r[1], r[2]) for r in rows]

            rows, ratio = scale_errors()
            if rows:
                results["real"][name] = {"frames": len(rows), "focal_px": float(np.median([r[0] for r in rows])),
                                         "scale_error_median": float(np.median(ratio)),
                                         "probes": {label: float(np.median(scale_errors(change)[1]))
                                                    for label, change in PROBES.items()}}
    print(f"eigen2014 ({args.weights}), {sum(len(r) for r in worlds.values())} validation frames; scale error = "
          "truth's median / prediction's")
    print("| world | frames | focal (network px) | scale error | slope | r2 | AbsRel raw | median-scaled | "
          "bias-corrected | focal-corrected |\n|---|---|---|---|---|---|---|---|---|---|")
    for w, s in results["validation"].items():
        print(f"| {w} | {s['frames']} | {s['focal_px'][0]:.0f}-{s['focal_px'][1]:.0f} | {s['scale_error_median']:.2f} "
              f"| {s['slope']:.2f} | {s['r2']:.2f} | {s['abs_rel_raw']:.3f} | {s['abs_rel_median_scaled']:.3f} | "
              f"{s['abs_rel_bias_corrected']:.3f} | {s['abs_rel_focal_corrected']:.3f} |")
    for name, s in results.get("real", {}).items():
        probes = ", ".join(f"{label} {v:.2f}" for label, v in s["probes"].items())
        print(f"real {name}: {s['frames']} frames, focal {s['focal_px']:.0f} network px, scale error "
              f"{s['scale_error_median']:.2f} ({probes})")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
