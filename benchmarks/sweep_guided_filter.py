"""Choose what ``guided_filter: auto`` does, per depth network, on the synthetic validation sequences only.

``guided_filter`` smooths a depth network's output along the image's own edges
(``processing.guided_filter_depth``: He et al.'s guided filter on log depth, the grey image as
guide). li2020's depth has horizontal bands that the scene does not (README, depth_banding.py);
an edge-aware filter removes texture the image does not have and keeps the edges it has.

Rule, fixed before the first run: for each bundled depth network (node defaults: ONNX Runtime,
``flip_average: auto``, ``resize_mode: crop``) and each setting (radius 1 %, 2 %, 4 % of the
image's longer side; eps 1e-3, 1e-2), on the 80 validation sequences at 160x120 (``val_*``,
``valb_*``) and the same scenes rendered at 480 lines (``valhr_*``), up to ``--frames`` frames
each: a setting qualifies when, at **both** renderings, it lowers the mean median-scaled AbsRel
**and** the mean WHDR against no filter. ``auto``'s setting for the network is the qualifying one
with the lowest AbsRel averaged over the two renderings; with none, ``auto`` leaves the network
unfiltered. The band ratio (depth_banding.py) is printed beside them, and decides nothing. The
real frames play no part.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/sweep_guided_filter.py --json docs/guided_filter_sweep.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.depth_banding import banding_ratio  # noqa: E402
from mono_depth_ros.inference.depth_estimator import DepthEstimator  # noqa: E402
from mono_depth_ros.inference.processing import guided_filter_depth  # noqa: E402
from mono_depth_ros.inference.weights import default_weights_path  # noqa: E402
from training.data.datasets import DatasetFolder  # noqa: E402
from training.evaluate.depth_metrics import DepthCaps  # noqa: E402
from training.evaluate.real_bench import depth_scores  # noqa: E402

NETWORKS = ("eigen2014", "xian2018", "li2020_depth")
SETTINGS: tuple[tuple[float, float] | None, ...] = (None,) + tuple(
    (r, eps) for r in (0.01, 0.02, 0.04) for eps in (1e-3, 1e-2))
RENDERINGS = {"160x120": ("val_*", "valb_*"), "480 lines": ("valhr_*",)}


def label(setting: tuple[float, float] | None) -> str:
    return "none" if setting is None else f"r {setting[0]:.0%}, eps {setting[1]:g}"


def frames_of(folder: DatasetFolder, count: int) -> list[int]:
    """Up to ``count`` frames with depth, spread over the sequence."""
    idx = [i for i in folder.indices("all") if folder.by_index[i].depth]
    step = max(1, len(idx) // count)
    return idx[::step][:count]


def sweep(network: str, folders: list[Path], frames: int, caps: DepthCaps) -> dict[str, dict[str, float]]:
    """{setting label: mean abs_rel_med, whdr, band ratio (and abs_rel_raw)} over the folders' frames."""
    est = DepthEstimator.from_path(default_weights_path(network), backend="onnxruntime", spec_name=network,
                                   flip_average="auto")
    rows: dict[str, list[tuple[float, ...]]] = {label(s): [] for s in SETTINGS}
    for path in tqdm(folders, desc=network, leave=False):
        folder = DatasetFolder(path)
        for i in frames_of(folder, frames):
            rgb, gt = folder.rgb(i), folder.depth_m(i)
            depth = est.estimate(rgb).depth_m
            for s in SETTINGS:
                out = depth if s is None else guided_filter_depth(depth, rgb, *s)
                with np.errstate(invalid="ignore"):
                    mask = np.isfinite(gt) & (gt >= caps.min_depth_m) & (gt <= caps.max_depth_m) & np.isfinite(out)
                if mask.sum() < 100:
                    continue
                sc = depth_scores(out, gt, mask, caps)
                rows[label(s)].append((sc["abs_rel_med"], sc["whdr"], banding_ratio(out), sc["abs_rel_raw"]))
    return {k: dict(zip(("abs_rel_med", "whdr", "bands", "abs_rel_raw"), np.nanmean(np.array(v), 0).tolist()),
                    frames=len(v)) for k, v in rows.items()}


def decide(results: dict[str, dict[str, dict[str, float]]]) -> tuple[str, list[str]]:
    """(auto's setting label or "none", the qualifying labels) by the module's rule."""
    base = {r: results[r]["none"] for r in results}
    qualifying = [label(s) for s in SETTINGS[1:]
                  if all(results[r][label(s)]["abs_rel_med"] < base[r]["abs_rel_med"]
                         and results[r][label(s)]["whdr"] < base[r]["whdr"] for r in results)]
    if not qualifying:
        return "none", []
    best = min(qualifying, key=lambda k: np.mean([results[r][k]["abs_rel_med"] for r in results]))
    return best, qualifying


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", type=Path, default=Path("runs/demo/data"),
                        help="folder of the extracted validation sequences (default: runs/demo/data)")
    parser.add_argument("--frames", type=int, default=4, help="frames per sequence (default 4)")
    parser.add_argument("--networks", default=",".join(NETWORKS),
                        help=f"comma-separated, of {', '.join(NETWORKS)} (default: all three)")
    parser.add_argument("--json", type=Path, help="write every figure here")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.networks.split(",")) - set(NETWORKS))
    if unknown:
        parser.error(f"--networks: unknown {', '.join(unknown)}; known: {', '.join(NETWORKS)}")
    folders = {r: sorted(p for g in globs for p in args.data_root.glob(g)) for r, globs in RENDERINGS.items()}
    for r, found in folders.items():
        if not found:
            raise SystemExit(f"error: --data-root {args.data_root}: no {' or '.join(RENDERINGS[r])} folders "
                             "(benchmarks/recipe_lib.sh renders them)")
    caps, out = DepthCaps(), {}
    for network in args.networks.split(","):
        results = {r: sweep(network, found, args.frames, caps) for r, found in folders.items()}
        choice, qualifying = decide(results)
        out[network] = {"renderings": results, "auto": choice, "qualifying": qualifying}
        print(f"\n== {network} ({', '.join(f'{r}: {len(f)} sequences' for r, f in folders.items())})")
        print("| setting | " + " | ".join(f"{r} AbsRel med / WHDR / bands" for r in results) + " |")
        print("|---|" + "---|" * len(results))
        for s in SETTINGS:
            k = label(s)
            cells = [f"{results[r][k]['abs_rel_med']:.4f} / {results[r][k]['whdr']:.4f} / {results[r][k]['bands']:.2f}"
                     for r in results]
            print(f"| {k}{' (auto)' if k == choice else ''} | " + " | ".join(cells) + " |")
        print(f"auto: {choice} (qualifying: {', '.join(qualifying) or 'none'})")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
