#!/usr/bin/env python3
"""Does li2020's loss prefer the true rotation, and can its gradient find it? A diagnostic that decides nothing.

For every consecutive pair of the given rendered folders (with poses) whose true rotation is at least
``--min-deg``, li2020's weighted photometric terms (``rgb_consistency`` x 2 and SSIM, occlusion-masked,
with the config's weights, exactly ``Li2020Method``'s) are evaluated along the straight path of the
rotation (axis-angle) from the network's own (alpha 0) to the true one (alpha 1) and past it, the
network's translation and depth kept, both directions of the pair as in training. Printed per blur
level (both frames blurred by a Gaussian of sigma px, as ``loss.photometric_blur_levels`` does):
- the mean terms along the path;
- the share of pairs where the terms fall from the network's rotation toward the truth at the first
  step (alpha 0.1; where a gradient step would go), and where the truth scores lower at all;
- the share with a bump: the terms rise somewhere between the two although the truth is lower.

Run on the fast-panning validation renders (`fast_panning_validation` in recipe_lib.sh):

    .venv/bin/python benchmarks/rotation_landscape.py runs/demo/data/pnfvalb_* --json docs/rotation_landscape.json \
        --figure docs/images/rotation_landscape.png
    .venv/bin/python benchmarks/rotation_landscape.py --weights-dir DIR FOLDER...
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from mono_depth_ros.inference.weights import WEIGHTS_DIR
from training.data.batches import collate
from training.data.datasets import DatasetFolder
from training.evaluate.photometric import li2020_for_scoring
from training.evaluate.pose_metrics import rotation_angle_deg
from training.losses import axis_angle_to_matrix, gaussian_blur, rgbd_consistency_loss, transform_depth_map

ALPHAS = (0.0, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2)


def rotation_vector(rotation: np.ndarray) -> np.ndarray:
    """Axis-angle (3,) radians of a rotation matrix (3, 3)."""
    from scipy.spatial.transform import Rotation

    return Rotation.from_matrix(rotation).as_rotvec()


@torch.no_grad()
def pair_curves(module, batch, sigmas_px: tuple[float, ...]) -> tuple[float, float, dict[float, list[float]]]:
    """(true angle deg, network's angle deg, {sigma: weighted terms at each alpha}) of one pair."""
    rgb_a, rgb_b = batch.rgb[:, 0], batch.rgb[:, 1]
    pose = batch.pose[0].double().numpy()
    T_b_from_a = np.linalg.inv(pose[1]) @ pose[0]
    true = torch.tensor(np.stack([rotation_vector(T_b_from_a[:3, :3]), -rotation_vector(T_b_from_a[:3, :3])]),
                        dtype=rgb_a.dtype)  # a->b, b->a
    rgb, flipped_rgb = torch.cat([rgb_a, rgb_b]), torch.cat([rgb_b, rgb_a])
    depth = module.depth_net(rgb).clamp_min(1e-3)
    flipped_depth = torch.cat([depth[1:], depth[:1]])
    motion = module.motion_net(torch.cat([rgb, depth, flipped_rgb, flipped_depth], 1))
    k = module._intrinsics(batch, motion.intrinsics, 1)
    translation = motion.residual_translation + motion.translation[:, :, None, None]
    network = motion.rotation_rad
    w = module.config.loss_weights
    curves: dict[float, list[float]] = {}
    for sigma in sigmas_px:
        image, flipped_image = gaussian_blur(rgb, sigma), gaussian_blur(flipped_rgb, sigma)
        curve = []
        for alpha in ALPHAS:
            moved = transform_depth_map(depth, axis_angle_to_matrix((1 - alpha) * network + alpha * true), translation, k)
            out = rgbd_consistency_loss(moved, image, flipped_depth, flipped_image, module.config.loss.occluded_pixel_weight)
            curve.append(w.rgb_consistency * 2 * float(out["rgb_error"]) + w.ssim * float(out["ssim_error"]))
        curves[sigma] = curve
    return (float(np.degrees(np.linalg.norm(true[0].numpy()))), float(np.degrees(float(network[0].norm()))), curves)


def draw_figure(path: Path, table: list[dict], pairs: int, true_deg: float, network_deg: float) -> None:
    """Mean weighted terms along the path, one line per blur level, each divided by its value at alpha 0."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    for row in table:
        curve = np.array(row["mean_curve"])
        ax.plot(ALPHAS, curve / curve[0], marker="o",
                label=f"sigma {row['sigma_px']:g} px (first step down on {row['first_step_down']:.0%} of pairs)")
    ax.axvline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("rotation: 0 = the network's, 1 = the true one (axis-angle, straight path)")
    ax.set_ylabel("photometric terms / at the network's")
    ax.set_title(f"li2020 on {pairs} fast-panning pairs: true {true_deg:.1f} deg, network {network_deg:.2f} deg",
                 fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", help="extracted folders with poses (training extract / training synth)")
    parser.add_argument("--weights-dir", default=None, help="folder with li2020_depth.pt and li2020_motion.pt "
                                                            "(default: the bundled weights)")
    parser.add_argument("--min-deg", type=float, default=3.0, help="pairs turning at least this much (default 3)")
    parser.add_argument("--sigmas-px", default="0,1,2,4", help="blur levels, Gaussian sigma in network-input pixels")
    parser.add_argument("--every", type=int, default=2, help="every Nth pair of a folder (default 2)")
    parser.add_argument("--json", default=None, help="also write the table here")
    parser.add_argument("--figure", default=None, help="also draw the mean curves into this PNG")
    args = parser.parse_args()
    sigmas = tuple(float(s) for s in args.sigmas_px.split(","))
    weights = Path(args.weights_dir) if args.weights_dir else WEIGHTS_DIR
    torch.set_num_threads(1)
    module = li2020_for_scoring(weights, has_intrinsics=True)
    rows = []
    for folder in tqdm(args.folders, desc="folders", unit="folder"):
        dataset = module.make_dataset(DatasetFolder(folder), "all", train=False)
        for i in range(0, len(dataset), args.every):
            batch = collate([dataset[i]])
            pose = batch.pose[0].double().numpy()
            if not bool(batch.pose_valid.all()) or rotation_angle_deg((np.linalg.inv(pose[1]) @ pose[0])[:3, :3]) < args.min_deg:
                continue
            rows.append(pair_curves(module, batch, sigmas))
    if not rows:
        raise SystemExit(f"error: no pair turns {args.min_deg} deg or more in those folders")
    print(f"{len(rows)} pairs turning >= {args.min_deg:g} deg (true mean {np.mean([r[0] for r in rows]):.2f} deg, "
          f"the network says {np.mean([r[1] for r in rows]):.2f} deg); weights {weights}")
    print("weighted photometric terms along the rotation from the network's (alpha 0) to the truth (alpha 1)")
    print(f"{'sigma px':>8} " + " ".join(f"{a:>7.1f}" for a in ALPHAS) + f"{'first step down':>17}{'truth lower':>13}{'bump':>7}")
    table = []
    for sigma in sigmas:
        c = np.array([r[2][sigma] for r in rows])
        down = float((c[:, 1] < c[:, 0]).mean())
        truth = float((c[:, ALPHAS.index(1.0)] < c[:, 0]).mean())
        upto = c[:, :ALPHAS.index(1.0) + 1]
        bump = float(np.mean([(np.diff(r) > 0).any() and r[-1] < r[0] for r in upto]))
        table.append({"sigma_px": sigma, "mean_curve": c.mean(0).tolist(), "first_step_down": down,
                      "truth_lower": truth, "bump": bump})
        print(f"{sigma:>8g} " + " ".join(f"{v:>7.4f}" for v in c.mean(0)) + f"{down:>17.0%}{truth:>13.0%}{bump:>7.0%}")
    true_mean, network_mean = float(np.mean([r[0] for r in rows])), float(np.mean([r[1] for r in rows]))
    if args.figure:
        draw_figure(Path(args.figure), table, len(rows), true_mean, network_mean)
    if args.json:
        Path(args.json).write_text(json.dumps({"weights": str(weights), "pairs": len(rows), "alphas": ALPHAS,
                                               "min_deg": args.min_deg, "rows": table,
                                               "true_mean_deg": true_mean, "network_mean_deg": network_mean},
                                              indent=2))


if __name__ == "__main__":
    main()
