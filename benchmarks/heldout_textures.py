"""How far each bundled network carries to surfaces it never saw: the 80 validation sequences as
rendered (``val_*``, ``valb_*``: their photographs are the training renders' 17 scikit-image ones)
against the same 80, the same seeds, scenes, camera paths and looks, with every photographic
surface cut from three photographs no training render uses (``htval_*``, ``htvalb_*``:
``training synth --textures heldout``, ``heldout_texture_validation`` in benchmarks/recipe_lib.sh;
scikit-learn's china and flower, matplotlib's grace_hopper). The geometry and the depth are
identical pixel for pixel; only what the surfaces look like changes. A real camera's surfaces are
all unseen, so the held-out set is the synthetic stand-in for one; it is validation data, never
trained on, and the real frames play no part.

Every network goes through the node's processing (test-time flip and guided filter ``auto``) and is
scored as ``training evaluate`` and ``bench_real.py`` score depth (``core.depth_metrics``):
median-scaled AbsRel and WHDR on the pixels every output has, a mean over each set's frames (4
spread over each sequence), beside the constant map and the vertical ramp on the same pixels.
eigen2014 is scored twice: the coarse + fine output it publishes (the paper's) and its coarse
network's output alone (``benchmarks/eigen_coarse_vs_fine.py`` found the coarse output better on
every real set and worse on the renders).

Rule, fixed before the held-out set was first rendered or scored: eigen2014's node output becomes
the coarse network's when, on the held-out-texture set, the coarse output's mean median-scaled AbsRel
and its mean WHDR are both at least 2 % lower than the coarse + fine output's. Otherwise the paper's
output stays. The as-rendered set is printed beside it and does not enter the rule (its surfaces
are the training renders' own photographs).

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/heldout_textures.py --json docs/heldout_textures.json \\
        --figure docs/images/heldout_textures.png
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.eigen_coarse_vs_fine import Eigen2014Outputs  # noqa: E402
from benchmarks.sweep_guided_filter import frames_of  # noqa: E402
from mono_depth_ros.core.depth_metrics import DEPTH_BASELINES, DepthCaps, baseline_depth, common_mask, \
    depth_scores  # noqa: E402
from mono_depth_ros.inference.depth_estimator import DepthEstimator  # noqa: E402
from mono_depth_ros.inference.weights import default_weights_path  # noqa: E402
from training.data.datasets import DatasetFolder  # noqa: E402

SETS = {"as rendered": ("val_*", "valb_*"), "held-out textures": ("htval_*", "htvalb_*")}
OUTPUTS = ("eigen2014", "eigen2014 coarse", "xian2018", "li2020")
RULE_SET, MIN_GAIN = "held-out textures", 0.02


class Outputs:
    """Every scored output of one rgb frame through the node's processing."""

    def __init__(self) -> None:
        self.eigen = Eigen2014Outputs()
        self.others = {name: DepthEstimator.from_path(default_weights_path(spec), backend="onnxruntime",
                                                      spec_name=spec, flip_average="auto", guided_filter="auto")
                       for name, spec in (("xian2018", "xian2018"), ("li2020", "li2020_depth"))}

    def __call__(self, rgb: np.ndarray) -> dict[str, np.ndarray]:
        """{output name: (H, W) float64 published depth} of ``rgb`` (H, W, 3) uint8."""
        out = {"eigen2014": self.eigen(rgb, "fine"), "eigen2014 coarse": self.eigen(rgb, "coarse")}
        out.update({name: est.estimate(rgb).depth_m.astype(np.float64) for name, est in self.others.items()})
        return out


def scene_of(folder: Path) -> str:
    """"indoor", "street" or "desk" from a validation folder's name (val_indoor_b, htvalb_desk_9801)."""
    return folder.name.split("_")[1]


def score_set(folders: list[Path], outputs: Outputs, frames: int, caps: DepthCaps,
              transform: Callable[[np.ndarray], np.ndarray] | None = None, desc: str | None = None
              ) -> dict[str, dict[str, float]]:
    """{output or baseline: {abs_rel_med, whdr, frames}}: means over the folders' frames (up to
    ``frames`` each), each rgb first through ``transform`` where given (camera_processing.py)."""
    rows: dict[str, list[tuple[float, float]]] = {name: [] for name in (*OUTPUTS, *DEPTH_BASELINES)}
    for path in tqdm(folders, desc=desc, leave=False):
        folder = DatasetFolder(path)
        for i in frames_of(folder, frames):
            truth, rgb = folder.depth_m(i), folder.rgb(i)
            preds = outputs(transform(rgb) if transform is not None else rgb)
            mask = common_mask(truth, preds.values(), caps)
            if mask.sum() < 100:
                continue
            preds.update({kind: baseline_depth(kind, truth, mask) for kind in DEPTH_BASELINES})
            for name, pred in preds.items():
                s = depth_scores(pred, truth, mask, caps, seed=i, whdr_pairs=2000)
                rows[name].append((s["abs_rel_med"], s["whdr"]))
    return {name: {"abs_rel_med": float(np.mean([r[0] for r in v])), "whdr": float(np.mean([r[1] for r in v])),
                   "frames": len(v)} for name, v in rows.items() if v}


def twin_figure(path: Path, data: Path, outputs: Outputs) -> None:
    """Per scene one validation frame (its middle frame): as rendered | with held-out surfaces |
    the truth | each network's output on both (median-scaled to the truth), log depth."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from benchmarks.bench_real import _save_png

    cmap = matplotlib.colormaps["turbo"].with_extremes(bad="black")
    names = ("eigen2014", "xian2018", "li2020")
    scenes = ("valb_indoor_9003", "valb_street_9503", "valb_desk_9803")
    fig, axes = plt.subplots(len(scenes), 3 + 2 * len(names), figsize=(2.0 * (3 + 2 * len(names)), 1.9 * len(scenes) + 0.5),
                             squeeze=False)
    for r, name in enumerate(scenes):
        frames = {}
        for label, folder in (("as rendered", DatasetFolder(data / name)), ("held-out", DatasetFolder(data / f"ht{name}"))):
            i = folder.indices("all")[len(folder.indices("all")) // 2]
            frames[label] = (folder.rgb(i), folder.depth_m(i))
        truth = frames["as rendered"][1]
        norm = matplotlib.colors.LogNorm(*np.nanpercentile(truth, [2, 98]))
        panels = [(frames["as rendered"][0], "as rendered", None), (frames["held-out"][0], "held-out surfaces", None),
                  (truth, "truth", norm)]
        for label, (rgb, _) in frames.items():
            preds = outputs(rgb)
            for net in names:
                pred = preds[net]
                ok = np.isfinite(pred) & np.isfinite(truth)
                panels.append((pred * float(np.median(truth[ok]) / np.median(pred[ok])), f"{net}, {label}", norm))
        order = panels[:3] + [p for k in range(len(names)) for p in (panels[3 + k], panels[3 + len(names) + k])]
        for c, (img, title, n) in enumerate(order):
            axes[r, c].imshow(img, cmap=cmap if n is not None else None, norm=n)
            axes[r, c].set_title(title, fontsize=7)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
    fig.suptitle("the same scene and depth with surfaces no training render shows; near (blue) to far (red), "
                 "log scale, median-scaled", fontsize=9)
    _save_png(fig, path)


def decide(results: dict[str, dict[str, dict[str, float]]]) -> tuple[str, str]:
    """("coarse" or "fine", why) by the module's rule."""
    held = results[RULE_SET]
    gains = {m: 1 - held["eigen2014 coarse"][m] / held["eigen2014"][m] for m in ("abs_rel_med", "whdr")}
    text = f"AbsRel {100 * gains['abs_rel_med']:+.1f} %, WHDR {100 * gains['whdr']:+.1f} %"
    if all(g >= MIN_GAIN for g in gains.values()):
        return "coarse", f"on the held-out textures the coarse output is lower than coarse + fine by {text}"
    return "fine", f"on the held-out textures the coarse output is lower than coarse + fine by {text}: not 2 % in both"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("runs/demo/data"),
                        help="folder of the validation folders (val_*, valb_*, htval_*, htvalb_*)")
    parser.add_argument("--frames", type=int, default=4, help="at most this many frames a sequence")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--figure", type=Path, help="write a picture of three scenes' twins and outputs here (png)")
    args = parser.parse_args(argv)
    folder_sets = {}
    for name, patterns in SETS.items():
        folders = sorted(p for pattern in patterns for p in args.data.glob(pattern) if (p / "manifest.csv").is_file())
        if len(folders) != 80:
            parser.error(f"--data: {len(folders)} {name} validation folders ({', '.join(patterns)}), not 80 "
                         "(render them with benchmarks/recipe_lib.sh: render_broad_validation with DESK_VAL=1, "
                         "heldout_texture_validation)")
        folder_sets[name] = folders
    outputs, caps = Outputs(), DepthCaps()
    results = {name: score_set(folders, outputs, args.frames, caps) for name, folders in folder_sets.items()}
    by_scene = {scene: score_set([f for f in folder_sets["as rendered"] if scene_of(f) == scene], outputs,
                                 args.frames, caps) for scene in ("indoor", "street", "desk")}
    chosen, why = decide(results)
    print(f"{'output':<18} " + " ".join(f"{name + ' AbsRel / WHDR':>34}" for name in results) + f" {'change':>16}")
    for name in results[RULE_SET]:
        cells = [f"{results[s][name]['abs_rel_med']:>25.3f} / {results[s][name]['whdr']:.3f}" for s in results]
        a, b = (results[s][name] for s in SETS)
        change = f"{100 * (b['abs_rel_med'] / a['abs_rel_med'] - 1):+.0f} % / {100 * (b['whdr'] / a['whdr'] - 1):+.0f} %"
        print(f"{name:<18} " + " ".join(cells) + f" {change:>16}")
    counts = [f"{s} {results[s][OUTPUTS[0]]['frames']}" for s in results]
    print(f"frames: {', '.join(counts)}")
    print(f"eigen2014's node output: {chosen} ({why})")
    print(f"\nas rendered, by scene (AbsRel / WHDR)\n{'output':<18} " + " ".join(f"{s:>16}" for s in by_scene))
    for name in results[RULE_SET]:
        print(f"{name:<18} " + " ".join(f"{r[name]['abs_rel_med']:>7.3f} / {r[name]['whdr']:.3f}" for r in by_scene.values()))
    if args.figure:
        twin_figure(args.figure, args.data, outputs)
    if args.json:
        args.json.write_text(json.dumps({"results": results, "as_rendered_by_scene": by_scene, "eigen2014_output": chosen,
                                         "why": why}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
