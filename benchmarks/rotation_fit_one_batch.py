#!/usr/bin/env python3
"""Can li2020's own loss find the rotation on one batch? A diagnostic that decides nothing.

The motion network's rotation saturates near 0.8 deg on validation (motion_rotation_range.py), and
neither blurred terms, wider pairs, a faster rotation output, nor a supervised rotation term in full
training moved it (stages 39-43, docs/training_history.md). This separates the loss from learning:
it takes one batch of consecutive pairs from panning renders (first frames of several sequences)
and fits the motion network alone (the depth network fixed) to it with Adam, on li2020's own terms
(``Li2020Method.loss_terms`` with the weights' config), once as the paper has it and once with
``loss_weights.rotation_supervision`` added. It prints the loss terms along the way and, at the end,
the mean rotation the network says against the true one, and its mean lateral translation |t_x|.
If the paper's terms alone bring the rotation to the truth on the batch, the loss is not what
keeps the network from it; generalising to unseen pairs is.

    .venv/bin/python benchmarks/rotation_fit_one_batch.py runs/demo/data/pan_indoor_1400* --weights-dir DIR
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
import torch

from mono_depth_ros.inference.weights import WEIGHTS_DIR
from training.data.batches import FramesBatch, collate
from training.data.datasets import DatasetFolder
from training.evaluate.photometric import li2020_for_scoring
from training.evaluate.pose_metrics import relative_from_poses, rotation_angle_deg


def batch_of(module, folders: list[str], per_folder: int, every: int) -> FramesBatch:
    """Pairs (the first two frames of a run) ``every`` runs apart, ``per_folder`` a folder."""
    items = []
    for folder in folders:
        dataset = module.make_dataset(DatasetFolder(folder), "all", train=False)
        items += [dataset[i] for i in range(0, len(dataset), every)][:per_folder]
    b = collate(items)
    return FramesBatch(b.rgb[:, :2], b.intrinsics, b.intrinsics_known, b.pose[:, :2], b.pose_valid[:, :2])


@torch.no_grad()
def rotation_said(module, b: FramesBatch) -> tuple[float, float, float]:
    """(true mean deg, the network's mean deg, mean |t_x| of its translation) over the a->b pairs."""
    n = b.rgb.shape[0]
    rgb, flipped = torch.cat([b.rgb[:, 0], b.rgb[:, 1]]), torch.cat([b.rgb[:, 1], b.rgb[:, 0]])
    depth = module.depth_net(rgb).clamp_min(1e-3)
    out = module.motion_net(torch.cat([rgb, depth, flipped, torch.cat([depth[n:], depth[:n]])], 1))
    truth = [rotation_angle_deg(relative_from_poses(list(poses))[0][:3, :3]) for poses in b.pose.double().numpy()]
    return (float(np.mean(truth)), float(torch.rad2deg(out.rotation_rad[:n].norm(dim=1)).mean()),
            float(out.translation[:n, 0].abs().mean()))


def fit(weights: Path, folders: list[str], supervision: float, steps: int, lr: float, per_folder: int) -> None:
    torch.manual_seed(0)
    module = li2020_for_scoring(weights, has_intrinsics=True)
    module.config = dataclasses.replace(module.config, loss_weights=dataclasses.replace(
        module.config.loss_weights, rotation_supervision=supervision))
    b = batch_of(module, folders, per_folder, every=10)
    before = rotation_said(module.eval(), b)
    optimizer = torch.optim.Adam(module.motion_net.parameters(), lr=lr)
    module.train()
    print(f"rotation_supervision {supervision:g}: {b.rgb.shape[0]} pairs, Adam lr {lr:g} on the motion network")
    for step in range(steps + 1):
        terms = module.loss_terms(b)
        total = module.weighted_total(terms)
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        if step % max(1, steps // 4) == 0:
            w = module.config.loss_weights
            photometric = w.rgb_consistency * float(terms["rgb_consistency"].detach()) + w.ssim * float(terms["ssim"].detach())
            print(f"  step {step:>3}: total {float(total):.4f}, photometric terms {photometric:.4f}, "
                  f"rotation_supervision {float(terms['rotation_supervision']):.5f} rad")
    after = rotation_said(module.eval(), b)
    print(f"  true rotation {after[0]:.3f} deg; the network said {before[1]:.3f} deg before, {after[1]:.3f} after; "
          f"lateral |t_x| {before[2]:.4f} -> {after[2]:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", help="rendered folders with poses (panning renders: pan_*)")
    parser.add_argument("--weights-dir", default=None, help="li2020_depth.pt and li2020_motion.pt (default: bundled)")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate (default 2e-4, the paper's)")
    parser.add_argument("--per-folder", type=int, default=2, help="pairs a folder (default 2)")
    parser.add_argument("--supervision", type=float, default=10.0, help="the second run's rotation_supervision")
    args = parser.parse_args()
    torch.set_num_threads(1)
    weights = Path(args.weights_dir) if args.weights_dir else WEIGHTS_DIR
    for supervision in (0.0, args.supervision):
        fit(weights, args.folders, supervision, args.steps, args.lr, args.per_folder)


if __name__ == "__main__":
    main()
