"""Batch-norm adaptation on the real sets: each bundled depth network with its BatchNorm statistics
recomputed from other frames of the same camera (``training adapt-bn``; AdaBN, Li et al. 2016),
beside the bundled network and the trivial baselines, on the same pixels.

Protocol, fixed before the first run: for each scored frame, the statistics come from every other
frame of its recording (Kinect: the other 4; KITTI: frames 1-5; EuRoC: the other 94; OAK-D: the
other 11 pairs' left images; Middlebury, one frame: its right view), never from the frame scored.
Every BatchNorm layer of the depth network, all those frames in one batch, the node's
preprocessing (``resize_mode: crop``), no flips; scored with the node's defaults (``flip_average``
and ``guided_filter`` auto) by ``training/evaluate/real_bench.evaluate_depth_set``, with the paired
bootstrap of bench_real (90 %, frames and 6x8 blocks) for adapted minus bundled. The README
recommends the step for a network when, over the five sets, it lowers both the mean median-scaled
AbsRel and the mean WHDR and no set gets firmly worse in either. The real frames decide only that
recommendation; nothing is trained or selected on them.

    .venv/bin/python benchmarks/bn_adaptation_real.py --json docs/bn_adaptation_real.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mono_depth_ros.inference.checkpoint import load_model_checkpoint, save_model_checkpoint  # noqa: E402
from mono_depth_ros.inference.depth_estimator import DepthEstimator  # noqa: E402
from mono_depth_ros.inference.processing import DEFAULT_FLIP_AVERAGE, DEFAULT_GUIDED_FILTER  # noqa: E402
from mono_depth_ros.inference.weights import default_weights_path  # noqa: E402
from training.adapt.batch_norm import network_inputs, recompute_batch_norm  # noqa: E402
from training.evaluate.depth_metrics import DepthCaps  # noqa: E402
from training.evaluate.real_bench import DEPTH_BASELINES, DEPTH_SPECS, evaluate_depth_set, parse_methods  # noqa: E402
from training.evaluate.real_sets import (DEFAULT_DATA_ROOT, SET_NAMES, STEREODEMO_DIR, RealFrame,  # noqa: E402
                                        RealSet, SetUnavailable, load_set)
from training.evaluate.uncertainty import DEFAULT_LEVEL, bootstrap_depth, call, difference_intervals  # noqa: E402

SUFFIX = " +bn"
COLUMNS = (("AbsRel_med", "abs_rel_med"), ("WHDR", "whdr"))


def adaptation_frames(real: RealSet, scored: RealFrame) -> list[np.ndarray]:
    """The frames whose statistics adapt the network for ``scored``: its recording's others, or
    for a one-frame set the other view of its stereo pair (Middlebury)."""
    others = [f.rgb for f in real.frames if f.name != scored.name]
    if others:
        return others
    if real.name == "middlebury":
        from skimage.data import stereo_motorcycle
        return [np.ascontiguousarray(stereo_motorcycle()[1])]
    raise SetUnavailable(f"{real.name}: one frame and no other view to adapt from")


class Adapted:
    """Bundled and adapted DepthEstimators, each adapted one built once per (method, scored frame)."""

    def __init__(self, methods: list[str], work: Path, resize_mode: str = "crop") -> None:
        self.work, self.resize_mode = work, resize_mode
        self.bundled = {m: self._estimator(default_weights_path(DEPTH_SPECS[m]), m) for m in methods}
        self._adapted: dict[tuple[str, str], DepthEstimator] = {}
        self._set: RealSet | None = None

    def _estimator(self, path: Path, method: str) -> DepthEstimator:
        return DepthEstimator.from_path(path, backend="onnxruntime", spec_name=DEPTH_SPECS[method],
                                        flip_average=DEFAULT_FLIP_AVERAGE, guided_filter=DEFAULT_GUIDED_FILTER,
                                        resize_mode=self.resize_mode, cache_dir=self.work / "onnx")

    def use_set(self, real: RealSet) -> None:
        self._set = real

    def adapted(self, method: str, frame: RealFrame) -> DepthEstimator:
        key = (method, frame.name)
        if key not in self._adapted:
            model, spec, payload = load_model_checkpoint(default_weights_path(DEPTH_SPECS[method]))
            frames = adaptation_frames(self._set, frame)
            hw = self.bundled[method].net_hw_for(frames[0].shape[:2])
            recompute_batch_norm(model, network_inputs(frames, spec, hw, self.resize_mode), batch_size=len(frames))
            path = self.work / f"{DEPTH_SPECS[method]}_{len(self._adapted)}.pt"
            save_model_checkpoint(path, spec.name, model, payload["model_kwargs"], payload["config"])
            self._adapted[key] = self._estimator(path, method)
        return self._adapted[key]

    def __call__(self, name: str, frame: RealFrame) -> np.ndarray:
        if name.endswith(SUFFIX):
            est = self.adapted(name[:-len(SUFFIX)], frame)
        else:
            est = self.bundled[name]
        return est.estimate(frame.rgb, seen=frame.valid).depth_m


def run(sets: list[str], methods: list[str], data_root: Path, stereodemo_dir: Path, replicates: int,
        level: float) -> dict:
    caps = DepthCaps()
    results: dict = {"protocol": __doc__.split("\n\n")[1], "replicates": replicates, "level": level, "sets": {}}
    with tempfile.TemporaryDirectory() as tmp:
        nets = Adapted(methods, Path(tmp))
        names = [*methods, *(m + SUFFIX for m in methods)]
        for set_name in sets:
            try:
                real = load_set(set_name, data_root, None, stereodemo_dir)
            except SetUnavailable as exc:
                results["sets"][set_name] = {"skipped": str(exc)}
                continue
            if real.depth_source == "none":
                continue
            nets.use_set(real)
            samples: list = []
            entry = evaluate_depth_set(real, names, nets, caps, samples=samples)
            draws = bootstrap_depth(samples, caps, replicates)
            entry["intervals"] = {m: difference_intervals(draws, [m + SUFFIX], [m, *DEPTH_BASELINES], level)[m + SUFFIX]
                                  for m in methods}
            entry["adapted_from"] = len(adaptation_frames(real, next(f for f in real.frames if f.depth_m is not None)))
            results["sets"][set_name] = entry
            print(f"{set_name}: done", file=sys.stderr)
    return results


def table(results: dict, methods: list[str]) -> str:
    lines = ["| set (frames adapted from) | network | bundled AbsRel med / WHDR | adapted | constant / ramp | "
             "adapted - bundled (90 % interval): AbsRel med; WHDR |", "|---|---|---|---|---|---|"]
    means: dict[str, list] = {m: [] for m in methods}
    for set_name, entry in results["sets"].items():
        if "rows" not in entry:
            continue
        rows = entry["rows"]
        base = " / ".join(f"{rows[b]['abs_rel_med']:.3f}, {rows[b]['whdr']:.3f}" for b in DEPTH_BASELINES)
        for m in methods:
            a, b = rows[m + SUFFIX], rows[m]
            calls = "; ".join(
                f"{a[k] - b[k]:+.3f} [{lo:+.3f}, {hi:+.3f}] {call([lo, hi])}"
                for _, k in COLUMNS for lo, hi in [entry["intervals"][m][m][k]])
            lines.append(f"| {set_name} ({entry['adapted_from']}) | {m} | {b['abs_rel_med']:.3f} / {b['whdr']:.3f} | "
                         f"{a['abs_rel_med']:.3f} / {a['whdr']:.3f} | {base} | {calls} |")
            means[m].append((b["abs_rel_med"], b["whdr"], a["abs_rel_med"], a["whdr"],
                             [call(entry["intervals"][m][m][k]) for _, k in COLUMNS]))
    lines.append("")
    lines.append("| network | mean over the sets: bundled AbsRel med / WHDR | adapted | firmly worse on | recommended |")
    lines.append("|---|---|---|---|---|")
    for m, vals in means.items():
        if not vals:
            continue
        v = np.array([x[:4] for x in vals])
        worse = sum("worse" in x[4] for x in vals)
        better_both = v[:, 2].mean() < v[:, 0].mean() and v[:, 3].mean() < v[:, 1].mean()
        lines.append(f"| {m} | {v[:, 0].mean():.3f} / {v[:, 1].mean():.3f} | {v[:, 2].mean():.3f} / "
                     f"{v[:, 3].mean():.3f} | {worse} set(s) | {'yes' if better_both and not worse else 'no'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--sets", default=",".join(SET_NAMES), help="comma-separated (default: all)")
    parser.add_argument("--methods", default=",".join(DEPTH_SPECS), help="comma-separated (default: all three)")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT, help="../shared/data/real")
    parser.add_argument("--stereodemo-dir", type=Path, default=STEREODEMO_DIR)
    parser.add_argument("--bootstrap", type=int, default=200, help="replicates (default 200)")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--markdown", type=Path, help="write the tables here")
    args = parser.parse_args(argv)
    try:
        methods = parse_methods(args.methods)
    except ValueError as exc:
        parser.error(f"--methods: {exc}")
    if args.bootstrap < 1:
        parser.error(f"--bootstrap={args.bootstrap}: must be >= 1")
    results = run([s for s in args.sets.split(",") if s], methods, args.data_root, args.stereodemo_dir,
                  args.bootstrap, DEFAULT_LEVEL)
    text = table(results, methods)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    if args.markdown:
        args.markdown.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
