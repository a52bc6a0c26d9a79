"""Horizontal bands in a depth network's output: how much rougher its log-depth is down the image
than across it, beside the ground truth's, on synthetic validation frames and on the real frames.

The figure per frame is mean |second difference down the columns| / mean |second difference along
the rows| of log-depth, measured after the depth is brought (area) to 120 rows, about the networks'
output height, where the bands of a decoder that upsamples by nearest neighbour sit (li2020: a
period of about 8 rows). Above 1: rougher vertically; the synthetic truth is near 0.5 (floors,
walls and tables change smoothly down the image). A network that draws bands the scene does not
have reads well above its truth.

    python benchmarks/depth_banding.py                                   (the bundled weights)
    python benchmarks/depth_banding.py --weights-dir mono_depth_ros/weights --weights-dir /tmp/other \\
        --networks li2020_depth --val runs/demo/data/valb_*
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mono_depth_ros.inference.depth_estimator import DepthEstimator  # noqa: E402
from mono_depth_ros.inference.processing import GUIDED_FILTER_MODES  # noqa: E402
from training.data.folder_format import read_depth, read_manifest, read_rgb  # noqa: E402
from training.evaluate.real_sets import DEFAULT_DATA_ROOT, SET_NAMES, SetUnavailable, load_set  # noqa: E402

NETWORKS = ("eigen2014", "xian2018", "li2020_depth")
MEASURE_ROWS = 120


def banding_ratio(depth: np.ndarray) -> float:
    """(H, W) depth (any positive scale; NaN, 0 or negative unknown) -> mean |d2/dy2| / mean |d2/dx2| of
    log-depth at MEASURE_ROWS rows (area resize, unknown pixels excluded); NaN when too few are known."""
    depth = np.asarray(depth, dtype=np.float64)
    known = np.isfinite(depth) & (depth > 0)
    h, w = depth.shape
    out_w = max(3, round(w * MEASURE_ROWS / h))
    weight = cv2.resize(known.astype(np.float64), (out_w, MEASURE_ROWS), interpolation=cv2.INTER_AREA)
    summed = cv2.resize(np.where(known, np.log(np.where(known, depth, 1.0)), 0.0), (out_w, MEASURE_ROWS),
                        interpolation=cv2.INTER_AREA)
    ok = weight > 0.999  # cells whose every source pixel is known
    log_d = np.where(ok, summed / np.maximum(weight, 1e-12), np.nan)
    dyy = log_d[2:, :] - 2 * log_d[1:-1, :] + log_d[:-2, :]
    dxx = log_d[:, 2:] - 2 * log_d[:, 1:-1] + log_d[:, :-2]
    dyy, dxx = np.abs(dyy[np.isfinite(dyy)]), np.abs(dxx[np.isfinite(dxx)])
    if dyy.size < 100 or dxx.size < 100 or dxx.mean() == 0:
        return float("nan")
    return float(dyy.mean() / dxx.mean())


def validation_frames(folders: list[Path]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The middle frame of each extracted folder: [(rgb (H, W, 3) uint8, depth_m (H, W))]."""
    frames = []
    for folder in folders:
        if not (folder / "manifest.csv").is_file():
            raise SystemExit(f"error: --val {folder}: no manifest.csv (not an extracted folder: python -m training extract)")
        records = [r for r in read_manifest(folder / "manifest.csv") if r.depth]
        if not records:
            raise SystemExit(f"error: --val {folder}: no frame with depth in its manifest.csv")
        mid = records[len(records) // 2]
        frames.append((read_rgb(folder / mid.rgb), read_depth(folder / mid.depth)))
    return frames


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--weights-dir", action="append", default=None,
                        help="folder of <network>.pt (repeatable; default: the bundled weights)")
    parser.add_argument("--networks", default=",".join(NETWORKS), help="comma-separated, of " + ", ".join(NETWORKS))
    parser.add_argument("--val", nargs="*", type=Path, default=[],
                        help="extracted synthetic folders with depth (their middle frames)")
    parser.add_argument("--sets", default=",".join(SET_NAMES), help="real sets, comma-separated")
    parser.add_argument("--max-frames", type=int, default=10, help="frames per real set")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT, help="the real data folder")
    parser.add_argument("--guided-filter", choices=GUIDED_FILTER_MODES, default="never",
                        help="as depth_node's guided_filter (never: the networks' output as it is)")
    parser.add_argument("--figure", type=Path, default=None,
                        help="also draw, for the first frame of each real set: the image, each network's "
                             "depth (flipped, as the node) unfiltered and with guided_filter auto (log scale)")
    args = parser.parse_args(argv)
    networks = [n for n in args.networks.split(",") if n]
    bad = [n for n in networks if n not in NETWORKS]
    if bad:
        parser.error(f"--networks: unknown {', '.join(bad)} (expected {', '.join(NETWORKS)})")
    unknown = [s for s in args.sets.split(",") if s and s not in SET_NAMES]
    if unknown:
        parser.error(f"--sets: unknown {', '.join(unknown)} (expected {', '.join(SET_NAMES)})")
    dirs = args.weights_dir or ["mono_depth_ros/weights"]
    for d in dirs:
        missing = [n for n in networks if not (Path(d) / f"{n}.pt").is_file()]
        if missing:
            parser.error(f"--weights-dir {d}: no {', '.join(m + '.pt' for m in missing)}")
    groups: list[tuple[str, list[tuple[np.ndarray, np.ndarray | None]]]] = []
    if args.val:
        groups.append((f"synthetic validation ({len(args.val)} frames)", validation_frames(args.val)))
    for name in [s for s in args.sets.split(",") if s]:
        try:
            real = load_set(name, args.data_root, args.max_frames)
        except SetUnavailable as exc:
            print(f"{name}: skipped ({exc})")
            continue
        groups.append((f"{name} ({len(real.frames)} frames)", [(f.rgb, f.depth_m) for f in real.frames]))
    estimators = {(d, n): DepthEstimator.from_path(str(Path(d) / f"{n}.pt"), backend="onnxruntime",
                                                   cache_dir=tempfile.mkdtemp(), guided_filter=args.guided_filter)
                  for d in dirs for n in networks}
    columns = [f"{n} ({d})" for d in dirs for n in networks]
    print("Vertical / horizontal roughness of log-depth at 120 rows (median over frames; 1 = as rough both ways)\n")
    print("| frames | truth | " + " | ".join(columns) + " |")
    print("|---|---|" + "---|" * len(columns))
    for label, frames in groups:
        truth = [banding_ratio(d) for _, d in frames if d is not None]  # 0 / NaN: no depth there
        truth_text = f"{np.nanmedian(truth):.2f}" if truth and np.isfinite(truth).any() else "-"
        cells = []
        for d in dirs:
            for n in networks:
                ratios = [banding_ratio(estimators[(d, n)].estimate(rgb).depth_m) for rgb, _ in frames]
                cells.append(f"{np.nanmedian(ratios):.2f}")
        print(f"| {label} | {truth_text} | " + " | ".join(cells) + " |")
    if args.figure:
        draw_filter_figure(args.figure, [(label, frames[0][0]) for label, frames in groups if "validation" not in label],
                           {n: str(Path(dirs[0]) / f"{n}.pt") for n in networks})
        print(f"figure: {args.figure}")
    return 0


def draw_filter_figure(path: Path, images: list[tuple[str, np.ndarray]], weights: dict[str, str]) -> None:
    """One row an image: the image, then each network's depth (flipped, as depth_node's default) without
    and with guided_filter auto."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # as depth_node runs them: flipped; one pass gives both maps (DepthResult.unfiltered_m)
    estimators = {n: DepthEstimator.from_path(w, backend="onnxruntime", cache_dir=tempfile.mkdtemp(),
                                              flip_average="auto", guided_filter="auto") for n, w in weights.items()}
    cols = 1 + 2 * len(estimators)
    ratios = [rgb.shape[0] / rgb.shape[1] for _, rgb in images]
    fig, axes = plt.subplots(len(images), cols, figsize=(2.4 * cols, 0.5 + sum(2.4 * r + 0.3 for r in ratios)),
                             squeeze=False, gridspec_kw={"height_ratios": ratios})
    cmap = matplotlib.colormaps["turbo"].with_extremes(bad="black")
    for r, (label, rgb) in enumerate(images):
        axes[r, 0].imshow(rgb)
        axes[r, 0].set_title(label.split(" ")[0], fontsize=8)
        c = 1
        for name, est in estimators.items():
            result = est.estimate(rgb)
            lo, hi = np.nanpercentile(result.network_depth_m, [2, 98])
            norm = matplotlib.colors.LogNorm(max(lo, 1e-6), max(hi, lo * 1.01, 1e-6))
            for depth, what in ((result.network_depth_m, "unfiltered"), (result.depth_m, "guided_filter auto")):
                axes[r, c].imshow(depth, cmap=cmap, norm=norm)
                axes[r, c].set_title(f"{name}: {what}", fontsize=8)
                c += 1
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("near (blue) to far (red), log scale, each network's own range; black: not seen", fontsize=9)
    from benchmarks.bench_real import _save_png  # the benchmarks' one PNG writer (256 colours)

    _save_png(fig, path)


if __name__ == "__main__":
    sys.exit(main())
