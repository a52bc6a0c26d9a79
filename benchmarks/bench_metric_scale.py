"""Metres on a real camera: each bundled network's depth made metric from the camera's mount, as
depth_node's ``scale_source: camera_height`` does, scored against the truth with no further scaling.

For each real set with depth and each frame whose truth shows a floor (its plane gives the mount a
user would measure: the camera's height above the floor and the up direction;
training/evaluate/metric_scale.py), every network runs through the node's DepthEstimator and the
node's scale rule. Printed per set and network: the frames where the rule found the ground in the
network's depth; on those frames the AbsRel and delta1 of the metres, eigen2014's own metres
beside its rescaled ones, the truth's median over the prediction's (1 = the right scale), and two
baselines that are handed the truth's median (a constant map and a vertical ramp: oracles, the
figure a scale rule would have to reach without the truth). Nothing here is tuned: the rule is the
node's, with its defaults.

    .venv/bin/python benchmarks/bench_metric_scale.py
    .venv/bin/python benchmarks/bench_metric_scale.py --sets kitti,middlebury --json out.json --markdown out.md
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mono_depth_ros.inference.processing import DEFAULT_FLIP_AVERAGE, DEFAULT_GUIDED_FILTER, FLIP_MODES, \
    GUIDED_FILTER_MODES  # noqa: E402
from mono_depth_ros.inference.spec import METRIC_KINDS  # noqa: E402
from training.evaluate.depth_metrics import DepthCaps  # noqa: E402
from training.evaluate.metric_scale import metres_from_mount, metric_scores, mount_from_truth  # noqa: E402
from training.evaluate.real_bench import DEPTH_BASELINES, DEPTH_SPECS, DepthCache, baseline_depth, \
    common_mask, load_networks  # noqa: E402
from training.evaluate.real_sets import DEFAULT_DATA_ROOT, STEREODEMO_DIR, SetUnavailable, load_set  # noqa: E402

DEPTH_SETS = ("kinect", "kitti", "euroc", "middlebury", "oakd")


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


def evaluate_set(real, methods: list[str], depth_of: DepthCache, caps: DepthCaps) -> dict:
    """{"frames", "floors", "no_floor": [why], "rows": {method: {...}}} for one set (see module doc)."""
    frames = [f for f in real.frames if f.depth_m is not None]
    out = {"frames": len(frames), "floors": 0, "no_floor": [], "mounts": [], "rows": {}}
    per = {m: {"found": 0, "missing": [], "scores": [], "own": [], "baselines": {b: [] for b in DEPTH_BASELINES}}
           for m in methods}
    for frame in frames:
        mount, why = mount_from_truth(frame.depth_m, real.intrinsics)
        if mount is None:
            out["no_floor"].append(f"{frame.name}: {why}")
            continue
        out["floors"] += 1
        out["mounts"].append({"frame": frame.name, "height_m": mount.height_m, "tilt_deg": mount.tilt_deg})
        preds = {m: depth_of(m, frame) for m in methods}
        mask = common_mask(frame.depth_m, preds.values(), caps)
        if mask.sum() < 2:
            continue
        for m in methods:
            kind = depth_of.nets.depth[m].spec.output_kind
            metres, reason = metres_from_mount(preds[m], kind, real.intrinsics, mount)
            if metres is None:
                per[m]["missing"].append(f"{frame.name}: {reason}")
                continue
            per[m]["found"] += 1
            per[m]["scores"].append(metric_scores(metres, frame.depth_m, mask, caps))
            if kind in METRIC_KINDS:
                per[m]["own"].append(metric_scores(preds[m], frame.depth_m, mask, caps))
            for b in DEPTH_BASELINES:
                per[m]["baselines"][b].append(metric_scores(baseline_depth(b, frame.depth_m, mask), frame.depth_m,
                                                            mask, caps))
    for m, p in per.items():
        row = {"found": p["found"], "missing": p["missing"]}
        for key in ("abs_rel", "delta1", "log_scale"):
            row[key] = _mean([s[key] for s in p["scores"]])
            row[f"own_{key}"] = _mean([s[key] for s in p["own"]])
            for b in DEPTH_BASELINES:
                row[f"{b}_{key}"] = _mean([s[key] for s in p["baselines"][b]])
        out["rows"][m] = row
    return out


def scatter_figure(path: Path, sets: list, methods: list[str], depth_of: DepthCache, caps: DepthCaps,
                   pixels: int = 1500) -> None:
    """One panel a set: the truth (x) against each network's metres from the mount (y) on the first
    frame whose truth shows a floor, eigen2014's own metres beside them, log-log with y = x."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, axes = plt.subplots(1, len(sets), figsize=(4.2 * len(sets), 4.2), squeeze=False)
    rng = np.random.default_rng(0)
    for ax, real in zip(axes[0], sets):
        frame, mount = next(((f, m) for f in real.frames if f.depth_m is not None
                             for m in [mount_from_truth(f.depth_m, real.intrinsics)[0]] if m is not None), (None, None))
        ax.set_title(f"{real.name}: {frame.name.split('/')[-1] if frame else 'no floor'}", fontsize=9)
        if frame is None:
            continue
        preds = {m: depth_of(m, frame) for m in methods}
        mask = common_mask(frame.depth_m, preds.values(), caps)
        pick = rng.choice(np.flatnonzero(mask), min(pixels, int(mask.sum())), replace=False)
        truth = frame.depth_m.ravel()[pick]
        shown = [truth]
        for index, m in enumerate(methods):
            kind = depth_of.nets.depth[m].spec.output_kind
            metres, _ = metres_from_mount(preds[m], kind, real.intrinsics, mount)
            series = ([(preds[m], "its own metres", "x")] if kind in METRIC_KINDS else []) + \
                ([(metres, "from the camera height", "o")] if metres is not None else [])
            for depth, label, marker in series:  # one colour a network in every panel
                values = depth.ravel()[pick]
                shown.append(values)
                ax.scatter(truth, values, s=3, alpha=0.4, marker=marker, color=f"C{index}", label=f"{m}, {label}")
        every = np.concatenate(shown)
        every = every[np.isfinite(every) & (every > 0)]
        low, high = float(every.min()) / 1.5, float(every.max()) * 1.5
        ax.plot([low, high], [low, high], "k-", lw=0.8, label="right")
        ax.set(xscale="log", yscale="log", xlim=(low, high), ylim=(low, high), xlabel="truth (m)",
               ylabel="metres published (m)")
        for axis in (ax.xaxis, ax.yaxis):  # decades only: minor labels collide on a narrow range
            axis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.legend(fontsize=7, markerscale=4, loc="upper left")
    fig.suptitle(f"metres with scale_source camera_height (mount from the truth's floor: "
                 f"{', '.join(f'{r.name}' for r in sets)})", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def _f(value: float, digits: int = 3) -> str:
    return "n/a" if not np.isfinite(value) else f"{value:.{digits}f}"


def verdict(row: dict) -> str:
    if not row["found"]:
        return "no ground found in its depth"
    lost = [b for b in DEPTH_BASELINES if row[f"{b}_abs_rel"] < row["abs_rel"]]
    own = np.isfinite(row["own_abs_rel"]) and row["own_abs_rel"] < row["abs_rel"]
    parts = ([f"worse than the oracle {', '.join(lost)}"] if lost else ["beats the oracle baselines"]) + \
        (["worse than its own metres"] if own else [])
    return "; ".join(parts)


def markdown(results: dict) -> str:
    lines = ["| set | network | frames with metres (of frames with a floor) | AbsRel from the mount (own metres) | "
             "constant / ramp at the truth's median | delta1 (own) | truth / prediction median (own) | verdict |",
             "|---|---|---|---|---|---|---|---|"]
    for name, res in results["sets"].items():
        for m, row in res["rows"].items():
            own = lambda key: f" ({_f(row['own_' + key])})" if np.isfinite(row["own_" + key]) else ""  # noqa: E731
            ratio = lambda key: _f(float(np.exp(row[key])), 2)  # noqa: E731
            own_ratio = f" ({ratio('own_log_scale')})" if np.isfinite(row["own_log_scale"]) else ""
            lines.append(f"| {name} | {m} | {row['found']} of {res['floors']} | {_f(row['abs_rel'])}{own('abs_rel')} | "
                         f"{_f(row['constant_abs_rel'])} / {_f(row['ramp_abs_rel'])} | "
                         f"{_f(row['delta1'])}{own('delta1')} | {ratio('log_scale')}{own_ratio} | {verdict(row)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--sets", default=",".join(DEPTH_SETS), help="comma-separated real sets with depth")
    parser.add_argument("--methods", default=",".join(DEPTH_SPECS), help="comma-separated bundled networks")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT, help="../shared/data/real")
    parser.add_argument("--stereodemo-dir", type=Path, default=STEREODEMO_DIR, help="the OAK-D pairs")
    parser.add_argument("--flip-average", choices=FLIP_MODES, default=DEFAULT_FLIP_AVERAGE, help="as depth_node's")
    parser.add_argument("--guided-filter", choices=GUIDED_FILTER_MODES, default=DEFAULT_GUIDED_FILTER,
                        help="as depth_node's")
    parser.add_argument("--max-frames", type=int, default=None, help="at most this many frames a set")
    parser.add_argument("--json", type=Path, help="write the full results here")
    parser.add_argument("--markdown", type=Path, help="write the table here")
    parser.add_argument("--figure", type=Path, help="write a picture here: truth against the metres published, "
                        "one frame a set (docs/images/metric_scale.png)")
    args = parser.parse_args(argv)
    sets = [s for s in args.sets.split(",") if s]
    methods = [m for m in args.methods.split(",") if m]
    for s in sets:
        if s not in DEPTH_SETS:
            parser.error(f"--sets: {s!r} is not a real set with depth ({', '.join(DEPTH_SETS)})")
    for m in methods:
        if m not in DEPTH_SPECS:
            parser.error(f"--methods: {m!r} is not a bundled network ({', '.join(DEPTH_SPECS)})")
    nets = load_networks(methods, flip_average=args.flip_average, guided_filter=args.guided_filter)
    depth_of, caps = DepthCache(nets), DepthCaps()
    results = {"methods": methods, "flip_average": args.flip_average, "guided_filter": args.guided_filter,
               "sets": {}, "skipped": {}}
    loaded = []
    for name in tqdm(sets, desc="sets"):
        try:
            real = load_set(name, args.data_root, args.max_frames, args.stereodemo_dir)
        except SetUnavailable as exc:
            results["skipped"][name] = str(exc)
            print(f"skipped {name}: {exc}")
            continue
        loaded.append(real)
        results["sets"][name] = evaluate_set(real, methods, depth_of, caps)
    if args.figure and loaded:
        scatter_figure(args.figure, loaded, methods, depth_of, caps)
        print(f"wrote {args.figure}")
    table = markdown(results)
    print(table)
    for name, res in results["sets"].items():
        heights = ", ".join(f"{m['height_m']:.2f}" for m in res["mounts"])
        print(f"{name}: {res['floors']} of {res['frames']} frames show a floor in the truth (camera heights {heights} m)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=float) + "\n")
    if args.markdown:
        args.markdown.write_text(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
