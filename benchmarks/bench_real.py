"""Real-data benchmark: every bundled depth network on every real set, always beside baselines.

Depth (sets with depth): AbsRel raw and median-scaled, delta1 (median-scaled) and WHDR of each
network (through the node's DepthEstimator) beside a constant depth (the ground-truth median) and
a vertical ramp (depth growing toward the top), all on the same pixels, with the metric code of
``training evaluate``. Ego-motion (video sets): li2020's motion network (EgoMotionEstimator)
beside ORB + essential matrix and "no motion": rotation and translation-direction error per pair
and ATE with ground-truth step lengths where poses exist, photometric reconstruction error always.
A figure that does not beat a baseline is marked ``!`` and named in the verdict column.
See training/evaluate/real_bench.py for the exact definitions, real_sets.py for the sets.

    .venv/bin/python benchmarks/bench_real.py                       # everything, bundled weights
    .venv/bin/python benchmarks/bench_real.py --sets kitti,middlebury --methods li2020 --json out.json
    .venv/bin/python benchmarks/bench_real.py --model depth_anything_v2_vits.onnx   # + a user's ONNX (its card
                                                                                     # beside it, or --card)
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mono_depth_ros.core.fit import RESIZE_MODES  # noqa: E402
from mono_depth_ros.core.errors import InputError  # noqa: E402
from mono_depth_ros.inference.backends.registry import BACKENDS  # noqa: E402
from mono_depth_ros.inference.ego_motion_estimator import DEFAULT_MOTION_FLIP_AVERAGE, DEFAULT_MOTION_INTRINSICS, \
    MOTION_INTRINSICS  # noqa: E402
from mono_depth_ros.inference.processing import DEFAULT_FLIP_AVERAGE, DEFAULT_GUIDED_FILTER, FLIP_MODES, \
    GUIDED_FILTER_MODES  # noqa: E402
from mono_depth_ros.inference.pose_refinement import DEFAULT_MOTION_REFINEMENT, MOTION_REFINEMENTS  # noqa: E402
from training.evaluate.depth_metrics import DepthCaps  # noqa: E402
from training.evaluate.real_bench import (DEPTH_BASELINES, DEPTH_SPECS, LAYOUT_REFERENCE,  # noqa: E402
                                          MOTION_BASELINES, DepthCache, baseline_depth, common_mask,
                                          evaluate_depth_set, evaluate_motion_set, load_networks)
from training.evaluate.depth_metrics import layout_grid, layout_mean, layout_share  # noqa: E402
from training.evaluate.uncertainty import (DEFAULT_LEVEL, DEFAULT_REPLICATES, bootstrap_depth,  # noqa: E402
                                           bootstrap_pairs, call, difference_intervals)
from training.evaluate.real_sets import (DEFAULT_DATA_ROOT, SET_NAMES, STEREODEMO_DIR, RealSet,  # noqa: E402
                                        SetUnavailable, load_set)

FIGURE = REPO / "docs" / "images" / "real_depth_grid.png"
# (column, key, lower is better)
DEPTH_COLUMNS = (("AbsRel_raw", "abs_rel_raw", True), ("AbsRel_med", "abs_rel_med", True),
                 ("delta1_med", "delta1_med", False), ("WHDR", "whdr", True))
MOTION_COLUMNS = (("rot_err_deg", "rot_err_deg", True), ("dir_err_deg", "dir_err_deg", True),
                  ("ATE_m", "ate_m", True), ("ATE_start_m", "ate_start_m", True), ("photo_err", "photo_err", True),
                  ("rot_deg", "rot_deg", None), ("rot_vs_orb_deg", "rot_vs_orb_deg", None))


def losses(row: dict, baselines: dict[str, dict], columns, skip: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """{column: [baselines that score better]} for the columns where ``row`` loses."""
    out: dict[str, list[str]] = {}
    for column, key, lower in columns:
        if lower is None or key in skip or not np.isfinite(row.get(key, np.nan)):
            continue
        for name, base in baselines.items():
            value = base.get(key, np.nan)
            if np.isfinite(value) and (row[key] > value if lower else row[key] < value):
                out.setdefault(column, []).append(name)
    return out


def verdict(lost: dict[str, list[str]]) -> str:
    """'worse than ramp (AbsRel_med, WHDR); worse than constant (WHDR)' or 'beats baselines'."""
    by_base: dict[str, list[str]] = {}
    for column, names in lost.items():
        for name in names:
            by_base.setdefault(name, []).append(column)
    return "; ".join(f"worse than {b} ({', '.join(c)})" for b, c in by_base.items()) or "beats baselines"


def within_noise(intervals: dict[str, dict[str, list[float]]], columns) -> list[str]:
    """['WHDR vs ramp', ...]: the comparisons of one method whose interval of (method - baseline)
    holds 0 (``intervals``: {baseline: {metric: [low, high]}}), in column order."""
    out = []
    for column, key, _ in columns:
        for base, metrics in intervals.items():
            if key in metrics and call(metrics[key]) == "within noise":
                out.append(f"{column} vs {base}")
    return out


def interval_lines(intervals: dict[str, dict[str, dict[str, list[float]]]], columns, level: float) -> list[str]:
    """One printed line per method: each (method - baseline) difference's interval and its call."""
    lines = []
    for method, by_base in intervals.items():
        parts = []
        for base, metrics in by_base.items():
            for column, key, _ in columns:
                if key in metrics:
                    low, high = metrics[key]
                    parts.append(f"{column} - {base} [{low:+.3f}, {high:+.3f}] {call(metrics[key])}")
        if parts:
            lines.append(f"  {method}: " + "; ".join(parts))
    return [f"{100 * level:.0f}% interval of (method - baseline), paired bootstrap (lower is better):", *lines] \
        if lines else []


def format_table(rows: dict[str, dict], columns, judged: dict[str, dict[str, list[str]]]) -> str:
    header = ["method", *[c for c, _, _ in columns], "verdict"]
    lines = []
    for name, row in rows.items():
        cells = [name]
        for column, key, _ in columns:
            value = row.get(key, np.nan)
            text = "n/a" if not np.isfinite(value) else f"{value:.3f}"
            cells.append(text + ("!" if column in judged.get(name, {}) else ""))
        cells.append(verdict(judged[name]) if name in judged else "(baseline)")
        lines.append(cells)
    widths = [max(len(r[i]) for r in [header, *lines]) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *lines])


def judge_depth(result: dict, metric_methods: set[str]) -> dict[str, dict[str, list[str]]]:
    bases = {b: result["rows"][b] for b in DEPTH_BASELINES if b in result["rows"]}
    return {m: losses(row, bases, DEPTH_COLUMNS, () if m in metric_methods else ("abs_rel_raw",))
            for m, row in result["rows"].items() if m not in DEPTH_BASELINES}


def judge_motion(result: dict) -> dict[str, dict[str, list[str]]]:
    bases = {b: result["rows"][b] for b in MOTION_BASELINES}
    return {"li2020": losses(result["rows"]["li2020"], bases, MOTION_COLUMNS)}


def depth_grid(path: Path, sets: list[RealSet], methods: list[str], depth_of: DepthCache, caps: DepthCaps) -> None:
    """Per set one frame: input | each method (median-scaled to the reference) | reference depth."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cmap = matplotlib.colormaps["turbo"].with_extremes(bad="black")
    cols = 2 + len(methods)
    ratios = [s.frames[0].rgb.shape[0] / s.frames[0].rgb.shape[1] for s in sets]
    fig, axes = plt.subplots(len(sets), cols, figsize=(2.6 * cols, 0.4 + sum(2.6 * r + 0.35 for r in ratios)),
                             squeeze=False, gridspec_kw={"height_ratios": ratios})
    for r, real in enumerate(sets):
        frame = next((f for f in real.frames if f.depth_m is not None), real.frames[0])
        preds = {m: depth_of(m, frame) for m in methods}
        gt = frame.depth_m
        mask = common_mask(gt, preds.values(), caps) if gt is not None else None
        ref = gt if gt is not None else preds.get("li2020", next(iter(preds.values())))
        lo, hi = np.nanpercentile(ref, [2, 98])
        norm = matplotlib.colors.LogNorm(lo, hi)  # depth on a log scale: near and far both readable
        axes[r, 0].imshow(frame.rgb)
        axes[r, 0].set_title(f"{frame.name}", fontsize=8)
        for c, (m, pred) in enumerate(preds.items(), start=1):
            ok = mask if mask is not None and mask.sum() > 1 else np.isfinite(pred)
            target = float(np.median(ref[ok])) if gt is not None else float(np.nanmedian(ref))
            scaled = pred * (target / float(np.median(pred[ok])))
            axes[r, c].imshow(scaled, cmap=cmap, norm=norm)
            axes[r, c].set_title(f"{m} (median-scaled)", fontsize=8)
        if gt is not None:
            axes[r, -1].imshow(gt, cmap=cmap, norm=norm)
            axes[r, -1].set_title(f"{real.depth_source} [{lo:.1f}, {hi:.1f}] m", fontsize=8)
        else:
            axes[r, -1].text(0.5, 0.5, "no ground truth", ha="center", va="center", fontsize=9)
        for ax in axes[r]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle("near (blue) to far (red), log scale; black: no depth / not seen by the network", fontsize=9)
    _save_png(fig, path)


def layout_picture(path: Path, layout: dict[str, list], shares: dict[str, float],
                   grey: dict[str, np.ndarray]) -> None:
    """Top: each network's mean standardised log-depth map over the frames (``layout_share``'s mean
    map) beside the ground truth's. Bottom: each network's map of a plain grey image (``grey``:
    name -> ``layout_grid``), what it paints when there is nothing to read."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cmap = matplotlib.colormaps["turbo"].with_extremes(bad="black")
    fig, axes = plt.subplots(2, len(layout), figsize=(2.6 * len(layout), 5.4), squeeze=False)
    frames = len(next(iter(layout.values())))
    for col, (name, grids) in enumerate(layout.items()):
        mean, used = layout_mean(grids)
        axes[0, col].imshow(np.where(used.any(axis=0), mean, np.nan), cmap=cmap, vmin=-1.5, vmax=1.5)
        axes[0, col].set_title(f"{name}: mean of {frames} frames\n(layout share {shares[name]:.2f})", fontsize=8)
        if name in grey:
            axes[1, col].imshow(grey[name], cmap=cmap, vmin=-1.5, vmax=1.5)
            axes[1, col].set_title(f"{name}: a plain grey image", fontsize=8)
        else:
            axes[1, col].axis("off")
        for ax in axes[:, col]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle("standardised log depth on a 24x32 grid, near blue, far red", fontsize=8)
    _save_png(fig, path)


def _save_png(fig, path: Path) -> None:
    import matplotlib.pyplot as plt
    from PIL import Image  # a matplotlib dependency

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=90)
    plt.close(fig)
    # 256 colours: a third of the bytes of a true-colour PNG of photographs, for the repository
    image = Image.open(buffer).convert("RGB")
    image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)


def load_sets(names: list[str], data_root: Path, max_frames: int | None, stereodemo_dir: Path) -> tuple[list, dict]:
    sets, skipped = [], {}
    for name in names:
        try:
            sets.append(load_set(name, data_root, max_frames, stereodemo_dir))
        except SetUnavailable as exc:
            skipped[name] = str(exc)
    return sets, skipped


def run(sets: list[str] = SET_NAMES, methods: list[str] = tuple(DEPTH_SPECS), backend: str = "onnxruntime",
        weights_dir: Path | None = None, resize_mode: str | None = None, max_frames: int | None = None,
        data_root: Path = DEFAULT_DATA_ROOT, stereodemo_dir: Path = STEREODEMO_DIR, figure: Path | None = None,
        whdr_pairs: int = 10000, progress: bool = True, models: list[tuple[Path, Path | None]] = (),
        flip_average: str = DEFAULT_FLIP_AVERAGE, motion_refinement: str = DEFAULT_MOTION_REFINEMENT,
        motion_flip_average: str = DEFAULT_MOTION_FLIP_AVERAGE,
        motion_intrinsics: str = DEFAULT_MOTION_INTRINSICS, guided_filter: str = DEFAULT_GUIDED_FILTER,
        bootstrap: int = DEFAULT_REPLICATES, level: float = DEFAULT_LEVEL) -> dict:
    """Benchmark; returns {"networks", "skipped_sets", "sets": {name: {"depth", "ego_motion", ...}}}.
    ``models``: a user's (ONNX, card or None) scored beside ``methods`` under the card's name.
    ``bootstrap``: replicates of the paired bootstrap behind each set's "intervals" (0: none),
    ``level``: the share of the replicates an interval spans (training/evaluate/uncertainty.py)."""
    from tqdm import tqdm

    caps = DepthCaps()
    real_sets, skipped = load_sets(list(sets), Path(data_root), max_frames, Path(stereodemo_dir))
    nets = load_networks(methods, backend, weights_dir, {"resize_mode": resize_mode} if resize_mode else None,
                         models, flip_average, motion_refinement, motion_flip_average, motion_intrinsics,
                         guided_filter)
    depth_of = DepthCache(nets)
    units = sum(sum(f.depth_m is not None for f in s.frames) for s in real_sets if s.depth_source != "none")
    units += sum(len(s.frames) - 1 for s in real_sets if s.video and nets.motion is not None)
    bar = tqdm(total=units, desc="bench_real", unit="step", disable=not progress)
    results = {"networks": nets.descriptions, "skipped_sets": skipped, "resize_mode": resize_mode or "default",
               "flip_average": flip_average, "guided_filter": guided_filter, "motion_refinement": motion_refinement,
               "motion_flip_average": motion_flip_average, "motion_intrinsics": motion_intrinsics,
               "backend": backend, "bootstrap": bootstrap, "interval_level": level, "sets": {}}
    metric = {m for m, est in nets.depth.items() if est.spec.is_metric}
    results["metric_methods"] = sorted(metric)
    layout: dict[str, list] = {}
    for real in real_sets:
        entry = {"frames": len(real.frames), "depth_source": real.depth_source, "note": real.note}
        if real.depth_source != "none" and nets.depth:
            samples: list | None = [] if bootstrap else None  # each frame's pixels for the intervals
            entry["depth"] = evaluate_depth_set(real, list(nets.depth), depth_of, caps, whdr_pairs, bar.update,
                                                layout, samples)
            entry["depth"]["verdicts"] = {m: verdict(v) for m, v in judge_depth(entry["depth"], metric).items()}
            if bootstrap and samples:
                draws = bootstrap_depth(samples, caps, bootstrap)
                entry["depth"]["intervals"] = difference_intervals(draws, list(nets.depth), list(DEPTH_BASELINES),
                                                                   level)
        if real.video and nets.motion is not None and len(real.frames) >= 2:
            entry["ego_motion"] = evaluate_motion_set(real, nets, depth_of, bar.update)
            entry["ego_motion"]["verdicts"] = {m: verdict(v) for m, v in judge_motion(entry["ego_motion"]).items()}
            if bootstrap:
                draws = bootstrap_pairs(entry["ego_motion"]["per_pair"], bootstrap)
                entry["ego_motion"]["intervals"] = difference_intervals(draws, ["li2020"], list(MOTION_BASELINES),
                                                                        level)
        results["sets"][real.name] = entry
    bar.close()
    if layout and len(layout[LAYOUT_REFERENCE]) < 2:  # one map is its own mean: no share to give
        results["layout_share_skipped"] = (f"{len(layout[LAYOUT_REFERENCE])} frame with depth; "
                                           "the layout share needs at least 2")
    elif layout:
        results["layout_share"] = {"frames": len(layout[LAYOUT_REFERENCE]),
                                   "shares": {name: layout_share(grids) for name, grids in layout.items()}}
    if figure is not None and real_sets and nets.depth:
        depth_grid(Path(figure), real_sets, list(nets.depth), depth_of, caps)
        results["figure"] = str(figure)
        if "layout_share" in results:
            layout_figure = Path(figure).with_name(Path(figure).stem + "_layout.png")
            grey_rgb = np.full((480, 640, 3), 128, np.uint8)
            grey = {}
            for name, est in nets.depth.items():
                depth = est.estimate(grey_rgb).depth_m
                grey[name] = layout_grid(depth, np.isfinite(depth) & (depth > 0))
            layout_picture(layout_figure, layout, results["layout_share"]["shares"], grey)
            results["layout_figure"] = str(layout_figure)
    return results


def report(results: dict) -> str:
    """The printed tables of ``run``'s results."""
    out = ["networks: " + "; ".join(f"{k}: {v}" for k, v in results["networks"].items()),
           f"resize_mode: {results['resize_mode']}, flip_average: {results.get('flip_average', 'never')}, "
           f"guided_filter: {results.get('guided_filter', 'never')}, "
           f"motion_refinement: {results.get('motion_refinement', 'none')}"]
    for name, reason in results["skipped_sets"].items():
        out.append(f"skipped set {name}: {reason}")
    for name, entry in results["sets"].items():
        if "depth" in entry:
            d = entry["depth"]
            out.append(f"\n== {name}: depth ({d['frames']} frame(s), {entry['depth_source']}; scored pixels "
                       f"{100 * d['coverage']:.0f}% of valid; {entry['note']}) ==")
            out.append(format_table(d["rows"], DEPTH_COLUMNS, judge_depth(d, set(results["metric_methods"]))))
            out += interval_lines(d.get("intervals", {}), DEPTH_COLUMNS, results.get("interval_level", DEFAULT_LEVEL))
            scales = [f"{m} {np.exp(d['rows'][m]['log_scale']):.2f}" for m in results["metric_methods"]
                      if np.isfinite(d["rows"].get(m, {}).get("log_scale", np.nan))]
            if scales:  # how far a metric network's metres are off here (1.00: right)
                out.append("metric scale, median of the truth over the prediction's (geometric mean over frames; "
                           "1.00 = right): " + ", ".join(scales))
        if "ego_motion" in entry:
            e = entry["ego_motion"]
            out.append(f"\n== {name}: ego-motion ({e['pairs']} pairs, ORB failures {e['orb_failures']}; "
                       f"{'with ground-truth poses' if 'ate_m' in e['rows']['li2020'] else 'no ground truth'}) ==")
            out.append(format_table(e["rows"], MOTION_COLUMNS, judge_motion(e)))
            out += interval_lines(e.get("intervals", {}), MOTION_COLUMNS, results.get("interval_level", DEFAULT_LEVEL))
            out.append("li2020 motion_refinement outcome (pairs): "
                       + ", ".join(f"{choice} {count}" for choice, count in e["refinement"].items()))
            for name in ("li2020", "orb"):
                for metric in ("rot_err_deg", "dir_err_deg"):
                    if metric in e["per_pair"][name]:
                        out.append(f"{name} {metric} per pair: "
                                   + " ".join(f"{v:.2f}" for v in e["per_pair"][name][metric]))
    if "layout_share" in results:
        lay = results["layout_share"]
        out.append(f"\n== layout share: how much of each output is one fixed map ({lay['frames']} frames with depth, "
                   f"every set; 1 = the same map for every image; the ground truth is the reference) ==")
        out += [f"{name:<13}{share:.3f}" for name, share in lay["shares"].items()]
    if "layout_share_skipped" in results:
        out.append(f"\nlayout share: not computed ({results['layout_share_skipped']})")
    if "figure" in results:
        out.append(f"\nfigure: {results['figure']}")
    if "layout_figure" in results:
        out.append(f"layout figure: {results['layout_figure']}")
    return "\n".join(out)


def _cell(row: dict, key: str, bases: dict[str, dict]) -> str:
    if not np.isfinite(row.get(key, np.nan)):
        return "n/a"
    others = " / ".join("n/a" if not np.isfinite(b.get(key, np.nan)) else f"{b[key]:.3f}" for b in bases.values())
    return f"{row[key]:.3f} ({others})"


def _noise_cell(entry: dict, noise: list[str]) -> str:
    if "intervals" not in entry:
        return "not computed"
    return ", ".join(noise) if noise else "none"


def markdown_summary(results: dict) -> str:
    """Two markdown tables (depth, ego-motion) with each baseline's figure in brackets."""
    level = f"{100 * results.get('interval_level', DEFAULT_LEVEL):.0f}"
    out = ["| set | method | AbsRel med (constant / ramp) | delta1 med (constant / ramp) | WHDR (constant / ramp) "
           f"| verdict | within noise ({level} % interval of the difference holds 0) |", "|---|---|---|---|---|---|---|"]
    for name, entry in results["sets"].items():
        if "depth" in entry:
            rows = entry["depth"]["rows"]
            bases = {b: rows[b] for b in DEPTH_BASELINES}
            for method, verdict_text in entry["depth"]["verdicts"].items():
                cells = [_cell(rows[method], k, bases) for k in ("abs_rel_med", "delta1_med", "whdr")]
                noise = within_noise(entry["depth"].get("intervals", {}).get(method, {}), DEPTH_COLUMNS)
                out.append(f"| {name} ({entry['depth_source']}) | {method} | " + " | ".join(cells)
                           + f" | {verdict_text} | {_noise_cell(entry['depth'], noise)} |")
    out += ["", "| set | method | rotation err deg (ORB / none) | direction err deg (ORB / none) | ATE m (ORB / none) "
            "| ATE from start m (ORB / none) | photometric err (ORB / none) | verdict "
            f"| within noise ({level} % interval, per pair) |", "|---|---|---|---|---|---|---|---|---|"]
    for name, entry in results["sets"].items():
        if "ego_motion" in entry:
            rows = entry["ego_motion"]["rows"]
            bases = {b: rows[b] for b in MOTION_BASELINES}
            cells = [_cell(rows["li2020"], k, bases) for k in ("rot_err_deg", "dir_err_deg", "ate_m", "ate_start_m",
                                                                  "photo_err")]
            noise = within_noise(entry["ego_motion"].get("intervals", {}).get("li2020", {}), MOTION_COLUMNS)
            out.append(f"| {name} ({entry['ego_motion']['pairs']} pairs) | li2020 | " + " | ".join(cells)
                       + f" | {entry['ego_motion']['verdicts']['li2020']} | {_noise_cell(entry['ego_motion'], noise)} |")
    if "layout_share" in results:
        lay = results["layout_share"]
        out += ["", f"| layout share ({lay['frames']} frames with depth; 1 = one map for every image) | "
                + " | ".join(lay["shares"]) + " |", "|---|" + "---|" * len(lay["shares"]),
                "| share of the output variance that the mean map explains | "
                + " | ".join(f"{v:.3f}" for v in lay["shares"].values()) + " |"]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", default=",".join(DEPTH_SPECS), help="comma list of " + ", ".join(DEPTH_SPECS))
    parser.add_argument("--sets", default=",".join(SET_NAMES), help="comma list of " + ", ".join(SET_NAMES))
    parser.add_argument("--backend", default="onnxruntime", choices=BACKENDS,
                        help="inference backend (default onnxruntime)")
    parser.add_argument("--weights-dir", type=Path, default=None,
                        help="folder with <spec>.onnx or .pt (default: the bundled weights)")
    parser.add_argument("--model", type=Path, action="append", default=[],
                        help="a user's ONNX with a model card (<stem>.card.yaml beside it), scored beside --methods; "
                             "repeatable")
    parser.add_argument("--card", type=Path, action="append", default=[],
                        help="model card of the n-th --model (default: the card beside it); repeatable")
    parser.add_argument("--resize-mode", choices=RESIZE_MODES, default=None,
                        help="how images are fitted to the networks (default: the estimators' default; tile: "
                             "overlapping windows across a wide image, depth networks only)")
    parser.add_argument("--flip-average", choices=FLIP_MODES, default=DEFAULT_FLIP_AVERAGE,
                        help=f"test-time flip of the depth networks, as the node's flip_average (default {DEFAULT_FLIP_AVERAGE})")
    parser.add_argument("--guided-filter", choices=GUIDED_FILTER_MODES, default=DEFAULT_GUIDED_FILTER,
                        help="edge-aware smoothing of the depth networks' output, as the node's guided_filter "
                             f"(default {DEFAULT_GUIDED_FILTER})")
    parser.add_argument("--motion-refinement", choices=MOTION_REFINEMENTS, default=DEFAULT_MOTION_REFINEMENT,
                        help="li2020 ego-motion as ego_motion_node's motion_refinement (default "
                             f"{DEFAULT_MOTION_REFINEMENT}, the node's; auto: refined with the sets' calibration)")
    parser.add_argument("--motion-flip-average", choices=FLIP_MODES, default=DEFAULT_MOTION_FLIP_AVERAGE,
                        help="li2020's motion network also on the mirrored pair, as ego_motion_node's "
                             f"motion_flip_average (default {DEFAULT_MOTION_FLIP_AVERAGE})")
    parser.add_argument("--motion-intrinsics", choices=MOTION_INTRINSICS, default=DEFAULT_MOTION_INTRINSICS,
                        help="as ego_motion_node's motion_intrinsics: camera re-expresses the motion network's "
                             f"rotation for the sets' calibration (default {DEFAULT_MOTION_INTRINSICS})")
    parser.add_argument("--max-frames", type=int, default=None, help="first N frames of each set")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT)
    parser.add_argument("--stereodemo-dir", type=Path, default=STEREODEMO_DIR)
    parser.add_argument("--whdr-pairs", type=int, default=10000)
    parser.add_argument("--figure", type=Path, default=None,
                        help=f"write the picture (one frame a set) here, and its layout picture beside it; none "
                             f"without it (the README's: --figure {FIGURE.relative_to(REPO)}; a subset run must not "
                             "replace it)")
    parser.add_argument("--no-figure", action="store_true", help="no picture (the default; kept for old commands)")
    parser.add_argument("--bootstrap", type=int, default=DEFAULT_REPLICATES,
                        help="replicates of the paired bootstrap behind each (method - baseline) interval: frames "
                             f"and image blocks resampled, the same draws for every row (default {DEFAULT_REPLICATES}; "
                             "0: no intervals)")
    parser.add_argument("--level", type=float, default=DEFAULT_LEVEL,
                        help=f"share of the replicates an interval spans (default {DEFAULT_LEVEL})")
    parser.add_argument("--json", type=Path, default=None, help="write all results to this JSON file")
    parser.add_argument("--markdown", type=Path, default=None, help="write the summary tables (markdown) here")
    args = parser.parse_args(argv)
    split = lambda text: [v.strip() for v in text.split(",") if v.strip()]  # noqa: E731
    for name in split(args.sets):
        if name not in SET_NAMES:
            parser.error(f"--sets: unknown set {name!r} (expected {', '.join(SET_NAMES)})")
    for name in split(args.methods):
        if name not in DEPTH_SPECS:
            parser.error(f"--methods: unknown method {name!r} (expected {', '.join(DEPTH_SPECS)})")
    if args.bootstrap < 0:
        parser.error(f"--bootstrap={args.bootstrap}: must be >= 0 (0: no intervals)")
    if not 0 < args.level < 1:
        parser.error(f"--level={args.level}: must be between 0 and 1 (e.g. 0.9)")
    if len(args.card) > len(args.model):
        parser.error(f"--card: {len(args.card)} card(s) for {len(args.model)} --model(s)")
    models = [(path, args.card[i] if i < len(args.card) else None) for i, path in enumerate(args.model)]
    try:
        results = run(split(args.sets), split(args.methods), args.backend, args.weights_dir, args.resize_mode,
                      args.max_frames, args.data_root, args.stereodemo_dir, None if args.no_figure else args.figure,
                      args.whdr_pairs, models=models, flip_average=args.flip_average,
                      motion_refinement=args.motion_refinement, motion_flip_average=args.motion_flip_average,
                      motion_intrinsics=args.motion_intrinsics, guided_filter=args.guided_filter,
                      bootstrap=args.bootstrap, level=args.level)
    except (InputError, FileNotFoundError) as exc:  # no weights in --weights-dir, a model the backend cannot load
        parser.exit(2, f"error: {exc}\n")
    print(report(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1, default=float))
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown_summary(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
