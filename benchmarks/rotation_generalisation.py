#!/usr/bin/env python3
"""Can li2020's motion network learn rotation across scenes at all? A diagnostic that decides nothing.

rotation_fit_one_batch.py showed the paper's terms can fit the rotation of one fixed batch; full
training (stages 39-43) never taught it across scenes, even with ``rotation_supervision``. This
separates the network from the loss on unseen pairs: the motion network alone (the depth network
fixed, in eval mode) is trained from the given weights on random augmented samples of the training
folders (``Li2020Method.make_dataset(train=True)``, as training draws them) under three sets of
loss weights, each from the same start, the same samples and the same number of Adam steps:

- ``supervised``: ``rotation_supervision`` alone (every other weight 0): told the rotation outright
  (computed on the motion network's forward pass alone, the same term ``loss_terms`` computes);
- ``paper``: li2020's self-supervised terms at the weights' loss weights, on the sharp frames
  (``li2020_for_scoring`` sets ``loss.photometric_blur_levels`` 0, as the paper has it);
- ``both``: those plus ``rotation_supervision`` (stage 43's mix, without its blurred terms).

Before and after each, on every consecutive pair of the validation folders (and of the training
folders' first pairs, for the fit; with ``--memorise`` also on the very augmented samples it
trains on), it prints the mean true angle, the mean angle the network says and the mean angle of
the error rotation (deg). If ``supervised`` gets the validation rotation and
``paper``/``both`` do not, the self-supervised terms hold the network away from it; if none does,
the network or its input cannot carry it.

    .venv/bin/python benchmarks/rotation_generalisation.py --train runs/diag/data/fpan_* \\
        --val runs/diag/data/pnfvalb_* --steps 300 --json docs/rotation_generalisation.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mono_depth_ros.inference.weights import WEIGHTS_DIR
from training.data.batches import collate
from training.data.datasets import DatasetFolder
from training.evaluate.photometric import li2020_for_scoring
from training.evaluate.pose_metrics import relative_from_poses, rotation_angle_deg
from mono_depth_ros.models.li2020 import Li2020MotionNet
from training.methods.li2020 import _split_pairs, axis_angle_to_matrix, rotation_supervision

ARMS = ("supervised", "paper", "both")
NETS = ("given", "scratch", "correlation")


def correlation(a: torch.Tensor, b: torch.Tensor, radius: int) -> torch.Tensor:
    """Cost volume: a, b (B, C, h, w) -> (B, (2r+1)^2, h, w), the mean over C of a * b shifted by each
    displacement of at most ``radius`` cells (zero outside b)."""
    h, w = a.shape[-2:]
    padded = F.pad(b, (radius, radius, radius, radius))
    return torch.stack([(a * padded[:, :, dy:dy + h, dx:dx + w]).mean(1)
                        for dy in range(2 * radius + 1) for dx in range(2 * radius + 1)], 1)


class CorrelationRotationNet(nn.Module):
    """A candidate, not a model of this package: per-frame features of [rgb, depth] (one shared
    tower, 1/8 resolution), their cost volume (+-4 cells, +-32 px at 160 wide) with frame a's
    features, a stride-2 tail, the global mean and a 1x1 convolution to the rotation (B, 3) at a
    fixed 0.05 rad per unit (a learnable scale from 0.01, as li2020's, collapsed to zero output
    at lr 1e-3). forward(x (B,8,H,W)) -> .rotation_rad."""

    def __init__(self, radius: int = 4) -> None:
        super().__init__()
        self.radius = radius
        conv = lambda i, o, s: nn.Sequential(nn.Conv2d(i, o, 3, stride=s, padding=1), nn.ReLU(inplace=True))
        self.features = nn.Sequential(conv(4, 16, 2), conv(16, 32, 2), conv(32, 64, 2), conv(64, 64, 1))
        self.tail = nn.Sequential(conv((2 * radius + 1) ** 2 + 64, 128, 2), conv(128, 128, 2), conv(128, 256, 2))
        self.head = nn.Conv2d(256, 3, 1)
        self.register_buffer("rotation_scale", torch.tensor(0.05))

    def forward(self, x: torch.Tensor) -> SimpleNamespace:
        a, b = self.features(x[:, :4]), self.features(x[:, 4:])
        a_unit, b_unit = F.normalize(a, dim=1), F.normalize(b, dim=1)
        y = self.tail(torch.cat([correlation(a_unit, b_unit, self.radius), a], 1))
        return SimpleNamespace(rotation_rad=self.head(y.mean(dim=(2, 3), keepdim=True))[:, :, 0, 0] * self.rotation_scale)

    def project_scales(self) -> None:
        """Nothing to project: the scale is fixed."""


def module_for(weights: Path, arm: str, supervision: float, net: str = "given"):
    """The li2020 module from ``weights`` with the arm's loss weights; depth network fixed; ``net``:
    the given motion network, a fresh one of its variant (``scratch``) or the correlation candidate
    (rotation only: the ``supervised`` arm alone)."""
    module = li2020_for_scoring(weights, has_intrinsics=True)
    torch.manual_seed(0)
    if net == "scratch":
        given = module.motion_net
        module.motion_net = Li2020MotionNet(given.variant, given.auto_mask, given.max_pixel_aspect)
    elif net == "correlation":
        if arm != "supervised":
            raise ValueError(f"--net correlation outputs a rotation only: arm {arm!r} needs the full motion network")
        module.motion_net = CorrelationRotationNet()
    w = module.config.loss_weights
    if arm == "supervised":
        w = dataclasses.replace(w, **{f.name: 0.0 for f in dataclasses.fields(w)})
    if arm in ("supervised", "both"):
        w = dataclasses.replace(w, rotation_supervision=supervision)
    module.config = dataclasses.replace(module.config, loss_weights=w)
    module.depth_net.requires_grad_(False)
    return module


def pairs_of(module, folders: list[str], per_folder: int | None) -> list:
    """Un-augmented samples (first two frames of each run) of every folder, ``per_folder`` at most."""
    items = []
    for folder in folders:
        dataset = module.make_dataset(DatasetFolder(folder), "all", train=False)
        chosen = range(len(dataset)) if per_folder is None else range(min(per_folder, len(dataset)))
        items += [dataset[i] for i in chosen]
    return items


def pair_rotations(module, rgb: torch.Tensor) -> torch.Tensor:
    """rgb (B, T, 3, H, W) -> the motion network's axis-angle rotations (2P, 3) of the P = B*(T-1)
    consecutive pairs, a->b then b->a, stacked as ``Li2020Method.loss_terms`` stacks them (the depth
    network's depth as input, without gradient)."""
    rgb_a, rgb_b = _split_pairs(rgb)
    pairs = rgb_a.shape[0]
    frames, flipped = torch.cat([rgb_a, rgb_b]), torch.cat([rgb_b, rgb_a])
    with torch.no_grad():
        depth = module.depth_net(frames).clamp_min(1e-3)
    flipped_depth = torch.cat([depth[pairs:], depth[:pairs]])
    return module.motion_net(torch.cat([frames, depth, flipped, flipped_depth], 1)).rotation_rad


@torch.no_grad()
def rotations(module, items: list, chunk: int = 32) -> dict[str, float]:
    """Mean true angle, mean said angle and mean error angle (deg) over the a->b pairs of ``items``."""
    module.eval()
    true, said, error = [], [], []
    for start in range(0, len(items), chunk):
        b = collate(items[start:start + chunk])
        n = b.rgb.shape[0]
        r = axis_angle_to_matrix(pair_rotations(module, b.rgb[:, :2])[:n]).double().numpy()
        for i, poses in enumerate(b.pose[:, :2].double().numpy()):
            truth = relative_from_poses(list(poses))[0][:3, :3]
            true.append(rotation_angle_deg(truth))
            said.append(rotation_angle_deg(r[i]))
            error.append(rotation_angle_deg(r[i] @ truth.T))
    return {"pairs": len(true), "true_deg": float(np.mean(true)), "said_deg": float(np.mean(said)),
            "error_deg": float(np.mean(error))}


def print_row(arm: str, name: str, r: dict, note: str = "") -> None:
    """One line of the table: arm, set, pairs and the three mean angles (deg) of ``rotations``."""
    print(f"{arm:<12}{name:<7}{r['pairs']:>6}{r['true_deg']:>10.3f}{r['said_deg']:>10.3f}{r['error_deg']:>11.3f}{note}",
          flush=True)


def train_arm(module, samples, steps: int, batch: int, lr: float, seed: int, fast: bool,
              report=None, every: int = 0) -> list[float]:
    """Adam on the motion network for ``steps`` batches drawn (with the seed) from ``samples``;
    ``report(step)`` after every ``every`` steps (0: never)."""
    rng = np.random.default_rng(seed)
    optimizer = torch.optim.Adam(module.motion_net.parameters(), lr=lr)
    module.train()
    module.depth_net.eval()
    supervised = []
    for step in range(steps):
        picks = rng.integers(0, len(samples), batch)
        b = collate([samples[i] for i in picks])
        if fast:  # the supervised term alone: the motion network's forward pass, not every li2020 term
            term = rotation_supervision(axis_angle_to_matrix(pair_rotations(module, b.rgb)), b.pose, b.pose_valid)
            terms, total = {"rotation_supervision": term}, module.config.loss_weights.rotation_supervision * term
        else:
            terms = module.loss_terms(b)
            total = module.weighted_total(terms)
        optimizer.zero_grad()
        total.backward()
        torch.nn.utils.clip_grad_norm_(module.motion_net.parameters(), 10.0)
        optimizer.step()
        module.motion_net.project_scales()
        supervised.append(float(terms["rotation_supervision"].detach()))
        if report is not None and every > 0 and (step + 1) % every == 0 and step + 1 < steps:
            report(step + 1)
            module.train()
            module.depth_net.eval()
    return supervised


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", nargs="+", required=True, help="rendered training folders with poses")
    parser.add_argument("--val", nargs="+", required=True, help="rendered validation folders with poses")
    parser.add_argument("--weights-dir", default=None, help="li2020_depth.pt and li2020_motion.pt (default: bundled)")
    parser.add_argument("--arms", default=",".join(ARMS), help=f"comma-separated, of {', '.join(ARMS)}")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=6)
    parser.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate (default 2e-4, the paper's)")
    parser.add_argument("--supervision", type=float, default=10.0, help="rotation_supervision weight")
    parser.add_argument("--net", choices=NETS, default="given",
                        help="the motion network trained: the weights' (given), a fresh one (scratch), or the "
                             "correlation candidate (supervised arm only)")
    parser.add_argument("--eval-every", type=int, default=0, help="also print the validation figures every N steps")
    parser.add_argument("--memorise", action="store_true",
                        help="also score the augmented samples it trains on (a fit check: use few training folders)")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args()
    arms = [a for a in args.arms.split(",") if a]
    for a in arms:
        if a not in ARMS:
            parser.error(f"--arms: unknown arm {a!r} (choose from {', '.join(ARMS)})")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    weights = Path(args.weights_dir) if args.weights_dir else WEIGHTS_DIR
    probe = module_for(weights, "paper", args.supervision)
    samples = []
    for folder in args.train:
        dataset = probe.make_dataset(DatasetFolder(folder), "all", train=True)
        samples += [dataset[i] for i in range(len(dataset))]
    val_items = pairs_of(probe, args.val, None)
    fit_items = pairs_of(probe, args.train, 4)
    start = {"val": rotations(probe, val_items), "train": rotations(probe, fit_items)}
    if args.memorise:
        start["samples"] = rotations(probe, samples)
    print(f"{len(samples)} augmented training samples from {len(args.train)} folders; {len(val_items)} validation "
          f"pairs from {len(args.val)}; {args.steps} Adam steps of {args.batch} at lr {args.lr:g} per arm")
    results = {"weights": str(weights), "net": args.net, "steps": args.steps, "batch": args.batch, "lr": args.lr,
               "supervision": args.supervision, "start": start, "arms": {}}
    header = f"{'arm':<12}{'set':<7}{'pairs':>6}{'true deg':>10}{'said deg':>10}{'error deg':>11}"
    print(header)
    for name, r in start.items():
        print_row("start", name, r)
    for arm in arms:
        module = module_for(weights, arm, args.supervision, args.net)
        t0 = time.monotonic()
        along = {}

        def report(step: int, module=module, arm=arm, along=along) -> None:
            r = along[step] = rotations(module, val_items)
            print_row(arm, "val", r, f"  (step {step})")

        supervised = train_arm(module, samples, args.steps, args.batch, args.lr, seed=1, fast=arm == "supervised",
                               report=report, every=args.eval_every)
        after = {"val": rotations(module, val_items), "train": rotations(module, fit_items)}
        if args.memorise:
            after["samples"] = rotations(module, samples)
        tenth = max(1, args.steps // 10)
        after["rotation_supervision_first_last_tenth_rad"] = [float(np.mean(supervised[:tenth])),
                                                              float(np.mean(supervised[-tenth:]))]
        after["seconds"] = time.monotonic() - t0
        after["val_along"] = along
        results["arms"][arm] = after
        for name in start:
            print_row(arm, name, after[name])
        first, last = after["rotation_supervision_first_last_tenth_rad"]
        print(f"{'':<12}supervised term (training batches) {first:.4f} -> {last:.4f} rad; {after['seconds']:.0f} s",
              flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
