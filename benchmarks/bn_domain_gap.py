"""Where, inside each bundled depth network, real frames stop looking like the renders (a
diagnostic; it decides nothing).

Every BatchNorm layer sees its input's per-channel mean and variance. This script feeds the
network (eval mode, the node's preprocessing, ``resize_mode: crop``) two sets of frames, the
middle frame of each of the 80 synthetic validation sequences (``val_*``, ``valb_*``) and the real
frames (Kinect 5, KITTI 6, EuRoC every 10th of 95, OAK-D 12, Middlebury 1), and gives for every
layer the shift of the real frames' statistics from the renders' in the renders' own units:

    shift = mean over channels of |mean_real - mean_render| / std_render
    spread = mean over channels of |log(var_real / var_render)|

beside the same two figures between two halves of the renders (40 sequences against 40: how much
renders differ among themselves). A gap that sits in the first layers is about appearance (colour,
contrast, texture statistics); one that grows with depth is about what the scenes hold.

    .venv/bin/python benchmarks/bn_domain_gap.py --json docs/bn_domain_gap.json --figure docs/images/bn_domain_gap.png
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mono_depth_ros.inference.checkpoint import load_model_checkpoint  # noqa: E402
from mono_depth_ros.inference.weights import default_weights_path  # noqa: E402
from training.adapt.batch_norm import batch_norm_layers, network_inputs  # noqa: E402
from training.data.datasets import DatasetFolder  # noqa: E402
from training.evaluate.real_bench import DEPTH_SPECS, parse_methods  # noqa: E402
from training.evaluate.real_sets import DEFAULT_DATA_ROOT, SET_NAMES, STEREODEMO_DIR, SetUnavailable, load_set  # noqa: E402

REAL_STRIDE = {"euroc": 10}  # EuRoC's MAV stands still: every 10th frame is plenty


def render_frames(data_root: Path) -> list[np.ndarray]:
    """The middle RGB frame of every validation sequence (val_*, valb_*), sorted by name, read as
    training reads it (``DatasetFolder``)."""
    frames = []
    for path in sorted([*data_root.glob("val_*"), *data_root.glob("valb_*")]):
        folder = DatasetFolder(path)
        indices = folder.indices("all")
        frames.append(folder.rgb(indices[len(indices) // 2]))
    return frames


def real_frames(data_root: Path, stereodemo_dir: Path) -> tuple[list[np.ndarray], dict[str, int]]:
    frames, counts = [], {}
    for name in SET_NAMES:
        try:
            real = load_set(name, data_root, None, stereodemo_dir)
        except SetUnavailable:
            continue
        picked = [f.rgb for f in real.frames[::REAL_STRIDE.get(name, 1)]]
        frames += picked
        counts[name] = len(picked)
    return frames, counts


def layer_statistics(model, inputs) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per BatchNorm layer, (mean, variance) per channel of its input over all frames and pixels."""
    import torch

    stats: list = []
    hooks = [layer.register_forward_hook(
        lambda _m, args, _out: stats.append((args[0].mean(dim=(0, 2, 3)).numpy(),
                                             args[0].var(dim=(0, 2, 3)).numpy())))
        for layer in batch_norm_layers(model)]
    try:
        with torch.no_grad():
            model.eval()(inputs)
    finally:
        for h in hooks:
            h.remove()
    return stats


def gaps(a: list, b: list) -> tuple[list[float], list[float]]:
    """(shift, spread) per layer of statistics ``a`` against reference ``b``."""
    shift = [float(np.mean(np.abs(ma - mb) / np.sqrt(vb + 1e-5))) for (ma, _), (mb, vb) in zip(a, b)]
    spread = [float(np.mean(np.abs(np.log((va + 1e-5) / (vb + 1e-5))))) for (_, va), (_, vb) in zip(a, b)]
    return shift, spread


def run(data_root: Path, real_root: Path, stereodemo_dir: Path, methods: list[str]) -> dict:
    renders = render_frames(data_root)
    if len(renders) < 2:
        raise SystemExit(f"error: no validation sequences under {data_root} (val_*, valb_*: "
                         "benchmarks/train_demo_stage33.sh renders them)")
    real, counts = real_frames(real_root, stereodemo_dir)
    if not real:
        raise SystemExit(f"error: no real set found under {real_root}")
    half = len(renders) // 2
    out = {"render_frames": len(renders), "real_frames": counts, "networks": {}}
    for method in methods:
        model, spec, payload = load_model_checkpoint(default_weights_path(DEPTH_SPECS[method]))
        hw = spec.input_hw_for(payload["model_kwargs"])
        feed = {name: network_inputs(frames, spec, hw, "crop")
                for name, frames in (("renders", renders), ("real", real), ("first half", renders[:half]),
                                     ("second half", renders[half:]))}
        stats = {name: layer_statistics(model, x) for name, x in feed.items()}
        real_shift, real_spread = gaps(stats["real"], stats["renders"])
        half_shift, half_spread = gaps(stats["second half"], stats["first half"])
        out["networks"][method] = {"layers": len(real_shift), "real_shift": real_shift, "real_spread": real_spread,
                                   "render_halves_shift": half_shift, "render_halves_spread": half_spread}
    return out


def thirds(values: list[float]) -> tuple[float, float, float]:
    parts = np.array_split(np.asarray(values), 3)
    return tuple(float(p.mean()) for p in parts)


def table(results: dict) -> str:
    lines = ["| network (BatchNorm layers) | shift, real vs renders: first / middle / last third of the layers "
             "| renders vs renders | spread, real vs renders | renders vs renders |", "|---|---|---|---|---|"]
    for method, r in results["networks"].items():
        cells = [" / ".join(f"{v:.2f}" for v in thirds(r[k]))
                 for k in ("real_shift", "render_halves_shift", "real_spread", "render_halves_spread")]
        lines.append(f"| {method} ({r['layers']}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def figure(results: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nets = results["networks"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    colours = dict(zip(nets, ("tab:blue", "tab:orange", "tab:green")))
    for ax, key, title in ((axes[0], "shift", "mean shift (render std units)"),
                           (axes[1], "spread", "|log variance ratio|")):
        for method, r in nets.items():
            x = np.linspace(0, 1, r["layers"])
            ax.plot(x, r[f"real_{key}"], color=colours[method], label=f"{method}: real vs renders")
            ax.plot(x, r[f"render_halves_{key}"], color=colours[method], ls=":", label=f"{method}: renders vs renders")
        ax.set_xlabel("BatchNorm layer (0 = first, 1 = last)")
        ax.set_title(title)
        ax.set_yscale("log")
    axes[0].legend(fontsize=7)
    real = ", ".join(f"{k} {v}" for k, v in results["real_frames"].items())
    fig.suptitle(f"Where real frames leave the renders: {results['render_frames']} validation renders against "
                 f"real frames ({real})", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--data", type=Path, default=REPO / "runs" / "demo" / "data",
                        help="folder of the validation sequences (default: runs/demo/data)")
    parser.add_argument("--real-root", type=Path, default=DEFAULT_DATA_ROOT, help="../shared/data/real")
    parser.add_argument("--stereodemo-dir", type=Path, default=STEREODEMO_DIR)
    parser.add_argument("--methods", default=",".join(DEPTH_SPECS), help="comma-separated (default: all three)")
    parser.add_argument("--json", type=Path, help="write every layer's figures here")
    parser.add_argument("--figure", type=Path, help="draw the layers here (PNG)")
    args = parser.parse_args(argv)
    try:
        methods = parse_methods(args.methods)
    except ValueError as exc:
        parser.error(f"--methods: {exc}")
    results = run(args.data, args.real_root, args.stereodemo_dir, methods)
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    if args.figure:
        figure(results, args.figure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
