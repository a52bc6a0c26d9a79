"""Adapt li2020 to a camera without labels: fine-tune from the bundled weights on real video.

One command (34 minutes with ``--threads 2`` on this project's 2-core machine, stage 29's weights;
about an hour on one thread):

    .venv/bin/python benchmarks/adapt_euroc.py --threads 2 --out runs/adapt

1. EuRoC (``training import --format euroc``: rectified cam0, contiguous splits 66 / 10 / 19
   frames): fine-tune li2020 self-supervised from the bundled weights on the first 70 % with
   ``training train --init-from`` and the recipe's config, as a user would. The MAV hovers through
   this clip, so ``train`` finds the camera still and keeps the depth network frozen
   (``optimizer.static_camera_depth: freeze``, the default: nothing in a still camera's frames
   constrains depth); the variants below train depth anyway (``static_camera_depth=train``) to show
   what that does. Then print the li2020 method's own photometric terms
   (RGB L1 x 2 and SSIM, occlusion-masked as in training, no gradient) on the held-out last 20 %
   for the identity warp ("no motion": frame b compared with frame a as is), the bundled weights
   and the fine-tuned ones, with the share of pixels those terms count and the plain L1 over
   every in-view pixel (the masked terms alone favour a warp that masks more pixels).
2. KITTI (6 real frames of odometry 00): fine-tune on frames 2-5 only (3 pairs), evaluate with
   ``training evaluate`` on frames 0-2 (2 pairs; frame 2 is in both, no pair is): ego-motion per
   pair, and depth on frame 0 against SGBM stereo depth (frame 0 is the only one with a right
   image; a stereo reference, not LiDAR). Tiny: a check that fine-tuning does not break the
   networks, not a measurement of their accuracy.
The EuRoC run keeps a checkpoint every 100 steps and one is chosen without labels on the val split
(``training select --criterion photometric``), as a user would on their own recording.
On EuRoC the depth-training variants are: plain; anchored to the starting weights
(``loss_weights.depth_anchor``, its weight chosen on synthetic validation sequences by
``sweep_depth_anchor.py``: it may adapt, but pays for changing the structure of the starting depth,
not its scale); and with the depth net's batch-norm statistics kept as they were
(``optimizer.depth_bn_stats=frozen``; measured only: stage 41's pick broke depth on every real set).
On KITTI (a moving camera, so the recipe trains depth) the recipe, the motion network alone
(``optimizer.depth_lr_scale=0``), anchored and frozen statistics each run. Every EuRoC
variant is chosen on the val split; the held-out figures are reported, not used.

The weights (``--weights``, default the bundled ones) set the variant and input size. Nothing is
tuned on the held-out frames: the step counts and settings are fixed in advance.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mono_depth_ros.inference.checkpoint import read_checkpoint_payload  # noqa: E402
from training.config import load_config  # noqa: E402
from training.evaluate.real_sets import DEFAULT_DATA_ROOT  # noqa: E402

#: The README's recipe (fixed before looking at any held-out frame): plain layer norm, no burn-in or
#: re-anchoring, EuRoC's near-duplicate threshold, lr 1e-4; its step counts are this benchmark's own.
ADAPT_CONFIG = REPO / "config" / "training" / "li2020_adapt.yaml"

#: This benchmark's settings over the recipe: one CPU process, no validation batches, no periodic checkpoints.
FINETUNE = [
    "trainer.batch_size=4", "trainer.num_workers=0", "trainer.val_batches=0",
    "trainer.accelerator=cpu", "trainer.log_every_n_steps=10", "trainer.checkpoint_every_n_steps=100000",
]

#: The short-recording variant: the depth network frozen, the motion network and intrinsics adapt.
MOTION_ONLY = ("optimizer.depth_lr_scale=0",)

#: The variants that train depth on EuRoC's still camera, where the recipe would keep it frozen.
TRAIN_DEPTH = ("optimizer.static_camera_depth=train",)

#: The batch-norm variant: the depth net's stored statistics kept (its scales and offsets adapt).
BN_FROZEN = ("optimizer.depth_bn_stats=frozen",)

#: ``loss_weights.depth_anchor`` of the anchored variant (depth kept near the starting weights'),
#: chosen on the synthetic validation sequences by ``benchmarks/sweep_depth_anchor.py``.
DEPTH_ANCHOR = 1.0


def anchored(weight: float) -> tuple[str, ...]:
    return (f"loss_weights.depth_anchor={weight:g}",)


def weights_settings(weights: Path) -> list[str]:
    """The starting weights' architecture as --set items (``training.loop.starting_settings``, what
    ``training train --init-from`` takes by itself): the depth net's variant, decoder_upsample, the
    motion net's settings and the input size (the fine-tuned nets must have their shapes and decoder)."""
    from training.loop import starting_settings

    found = starting_settings("li2020", str(weights))
    return [f"{section}.{key}={json.dumps(value, separators=(',', ':'))}"
            for section, items in found.items() for key, value in items.items()]


def finetune(data: Path, weights: Path, out: Path, steps: int, threads: int, extra: tuple[str, ...] = ()) -> Path:
    """Run ``training train --init-from`` as a user would (``extra``: more ``--set`` items); returns the run folder."""
    sets = weights_settings(weights) + FINETUNE + [f"trainer.max_steps={steps}", *extra]
    interactive = sys.stderr.isatty()  # a terminal sees training's own progress bar; a log gets the outcome
    command = [sys.executable, "-m", "training", "train", "--method", "li2020", "--data", str(data),
               "--init-from", str(weights), "--config", str(ADAPT_CONFIG), "--out", str(out)] \
        + ([] if interactive else ["--no-progress"])
    command += [arg for item in sets for arg in ("--set", item)]
    print("$ python " + " ".join(command[1:]), flush=True)
    start = time.monotonic()
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONPATH": str(REPO)}
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=not interactive, text=True)
    if done.returncode != 0:
        shown = "" if interactive else f":\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        raise SystemExit(f"fine-tuning failed (exit {done.returncode}; {out}){shown}")
    print(f"  {steps} steps in {time.monotonic() - start:.0f} s", flush=True)
    return out


# ----------------------------------------------------------------------------- photometric error
@torch.no_grad()
def photometric(folder: Path, split: str, weights: Path | None, settings: list[str]) -> dict:
    """li2020's photometric terms on every consecutive pair of ``split`` (``training.evaluate.photometric``).

    ``weights`` None: the identity warp (no motion; every pixel counted), on the frames li2020 built
    from ``settings`` would see. Returns rgb_consistency, ssim, weighted (with the config's loss
    weights), counted_fraction, inview_l1, pairs.
    """
    from training.data.batches import collate
    from training.data.datasets import DatasetFolder
    from training.evaluate.photometric import inview_l1, photometric_score
    from training.losses import TransformedDepth, rgbd_consistency_loss
    from training.methods import build_method

    if weights is not None:
        return photometric_score(weights, folder, split)
    config = load_config("li2020", ADAPT_CONFIG, overrides=settings)
    module = build_method(config, dataset_has_intrinsics=True).eval()
    dataset = module.make_dataset(DatasetFolder(folder), split, train=False)
    batch = collate([dataset[i] for i in range(len(dataset))])
    rgb_a, rgb_b = batch.rgb[:, 0], batch.rgb[:, 1]
    rgb, flipped = torch.cat([rgb_a, rgb_b]), torch.cat([rgb_b, rgb_a])
    n, _, h, w = rgb.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=rgb.dtype), torch.arange(w, dtype=rgb.dtype), indexing="ij")
    ones = torch.ones(n, h, w)
    same = TransformedDepth(xs.expand(n, h, w), ys.expand(n, h, w), ones, ones.bool())
    # frame 2 a hair farther everywhere, so the occlusion test counts every pixel
    out = rgbd_consistency_loss(same, rgb, torch.full((n, 1, h, w), 1.0001), flipped)
    rgb_t, ssim_t = 2 * float(out["rgb_error"]), float(out["ssim_error"])  # li2020's factors
    l1, inview = inview_l1(same, rgb, flipped)
    weights_of = config.loss_weights
    return {"rgb_consistency": rgb_t, "ssim": ssim_t,
            "weighted": weights_of.rgb_consistency * rgb_t + weights_of.ssim * ssim_t,
            "counted_fraction": float(out["frame1_closer_to_camera"].float().mean()), "inview_fraction": inview,
            "inview_l1": l1, "pairs": int(batch.rgb.shape[0])}


def select_on_val(run: Path, folder: Path, weights: Path) -> dict:
    """``training select --criterion photometric`` on the EuRoC val split (frames between the
    fine-tuning and the held-out ones), the starting weights as incumbent; selection.json's dict."""
    from training.evaluate.run import EvalOptions
    from training.select import select_checkpoint

    print(f"$ python -m training select --run {run} --data {folder} --split val --criterion photometric "
          f"--incumbent {weights}/li2020_depth.pt {weights}/li2020_motion.pt", flush=True)
    select_checkpoint(run, [folder], "photometric", opts=EvalOptions(split="val", pictures=0, classical="none",
                                                                      progress=False), progress=False,
                      incumbent=[weights / "li2020_depth.pt", weights / "li2020_motion.pt"])
    summary = json.loads((run / "selected" / "selection.json").read_text())
    print("  " + ", ".join(f"step {c['step']}: {c['score']:.5f}" for c in summary["candidates"])
          + f"; starting weights {summary['incumbent']['score']:.5f}", flush=True)
    return summary


# ----------------------------------------------------------------------------- KITTI check
def kitti_folder(src: Path, out: Path) -> Path:
    """Import the 6 KITTI frames; splits train 2-5, test 0-2; SGBM stereo depth for frame 0."""
    from training.data import folder_format as ff
    from training.data.datasets import DatasetFolder
    from training.data.import_frames import import_kitti
    from training.data.stereo import stereo_relative_depth

    import_kitti(src, out)
    folder = DatasetFolder(out)
    ff.write_splits(out, {"train": [2, 3, 4, 5], "val": [], "test": [0, 1, 2]})
    disparity_px = stereo_relative_depth(folder.rgb(0), folder.right(0)).disparity_px
    with np.errstate(divide="ignore", invalid="ignore"):
        depth_m = folder.intrinsics.fx * folder.baseline_m / disparity_px  # rectified pair: Z = f B / d
    ff.write_depth(out / "depth" / "000000.png", np.where(disparity_px > 1.0, depth_m, np.nan))
    records = [ff.FrameRecord(r.index, r.stamp_ns, r.rgb, "depth/000000.png" if r.index == 0 else r.depth, r.right)
               for r in folder.records]
    ff.write_manifest(out / "manifest.csv", records)
    return out


def kitti_metrics(checkpoint: Path, folder: Path, out: Path) -> dict:
    """``training evaluate`` (the same function) on the test split: depth on frame 0, ego-motion."""
    from training.evaluate.run import EvalOptions, evaluate

    print(f"$ python -m training evaluate --checkpoint {checkpoint} --data {folder} --split test "
          f"--flip-average never --motion-refinement none --out {out}")  # the networks alone, one pass
    return evaluate([checkpoint], folder, out, EvalOptions(split="test", pictures=1, classical="orb"))


def _no_motion(folder: Path) -> dict:
    from training.data.datasets import DatasetFolder
    from training.evaluate.pose_metrics import pair_errors, relative_from_poses

    data = DatasetFolder(folder)
    rel = relative_from_poses([data.pose(i) for i in data.indices("test")])
    return {"rotation_error_deg": float(np.mean([pair_errors(np.eye(4), g)["rotation_error_deg"] for g in rel]))}


# ----------------------------------------------------------------------------- tables
def euroc_depth(weights_dirs: dict[str, Path]) -> dict:
    """li2020's depth on EuRoC's first frame against SGBM on its stereo pair (``bench_real.py``'s
    EuRoC depth row: median-scaled AbsRel, delta1, WHDR) for each {label: folder of li2020_*.pt},
    and the constant map and the ramp on the same pixels. That frame lies in the fine-tune's
    training part (no depth label is used there): this asks what the fine-tune did to the depth of
    the very camera it adapted to, not how it generalises."""
    from benchmarks.bench_real import run as bench_run

    rows: dict = {}
    for label, folder in weights_dirs.items():
        depth = bench_run(["euroc"], ["li2020"], weights_dir=folder, figure=None, progress=False)["sets"]["euroc"]["depth"]
        rows[label] = depth["rows"]["li2020"]
        rows.setdefault("constant map", depth["rows"]["constant"])
        rows.setdefault("vertical ramp", depth["rows"]["ramp"])
    print("\n| EuRoC frame 0 against SGBM on its stereo pair | AbsRel (median-scaled) | delta1 | WHDR |")
    print("|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['abs_rel_med']:.3f} | {r['delta1_med']:.3f} | {r['whdr']:.3f} |")
    return rows


def print_photometric(rows: dict) -> None:
    print("\n| held-out EuRoC pairs | rgb_consistency | ssim | weighted (1, 3) | counted | in-view L1 |")
    print("|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['rgb_consistency']:.5f} | {r['ssim']:.5f} | {r['weighted']:.5f} | "
              f"{100 * r['counted_fraction']:.0f} % | {r['inview_l1']:.5f} |")


def print_kitti(rows: dict, no_motion: dict) -> None:
    print("\n| KITTI frames 0-2 | depth AbsRel (median-scaled, vs SGBM) | delta1 | rotation err (deg) | "
          "direction err (deg) | ATE (m, Sim3, 3 frames) |")
    print("|---|---|---|---|---|---|")
    for name, r in rows.items():
        d, m = r.get("depth", {}), r.get("ego_motion", {}).get("network", {})
        print(f"| {name} | {d.get('abs_rel', float('nan')):.3f} | {d.get('delta1', d.get('a1', float('nan'))):.3f} | "
              f"{m.get('rotation_error_deg', float('nan')):.3f} | {m.get('translation_direction_error_deg', float('nan')):.2f}"
              f" | {m.get('ate_rmse_m', float('nan')):.3f} |")
    first = next(iter(rows.values()))
    orb = first.get("ego_motion", {}).get("classical_orb", {})
    print(f"| constant depth map | {first.get('depth', {}).get('constant_depth_abs_rel', float('nan')):.3f} | | "
          f"| | |")
    print(f"| ORB + essential matrix | | | {orb.get('rotation_error_deg', float('nan')):.3f} | "
          f"{orb.get('translation_direction_error_deg', float('nan')):.2f} | {orb.get('ate_rmse_m', float('nan')):.3f} |")
    print(f"| no motion | | | {no_motion['rotation_error_deg']:.3f} | undefined | |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "adapt_euroc", help="work folder (replaced)")
    parser.add_argument("--weights", type=Path, default=REPO / "mono_depth_ros" / "weights",
                        help="folder with li2020_depth.pt and li2020_motion.pt to start from")
    parser.add_argument("--euroc", type=Path, default=DEFAULT_DATA_ROOT / "euroc_v101_micro")
    parser.add_argument("--kitti", type=Path, default=DEFAULT_DATA_ROOT / "kitti_odometry00_6frames")
    parser.add_argument("--euroc-steps", type=int, default=600)
    parser.add_argument("--kitti-steps", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the fine-tuning runs")
    parser.add_argument("--depth-anchor", type=float, default=DEPTH_ANCHOR,
                        help="loss_weights.depth_anchor of the anchored variant (default: the weight chosen "
                             "on validation by benchmarks/sweep_depth_anchor.py)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    from training.data.import_euroc import import_euroc

    import shutil
    shutil.rmtree(args.out, ignore_errors=True)
    settings = weights_settings(args.weights) + FINETUNE
    results: dict = {"weights": str(args.weights), "config": str(ADAPT_CONFIG.relative_to(REPO)), "settings": settings}
    if args.euroc.is_dir():
        print(import_euroc(args.euroc, args.out / "euroc").summary())
        # the recipe as a user runs it: on this hovering clip `train` finds the camera still and, started
        # from weights, keeps the depth network frozen (optimizer.static_camera_depth: freeze, the default)
        run = finetune(args.out / "euroc", args.weights, args.out / "run_euroc", args.euroc_steps, args.threads,
                       ("trainer.checkpoint_every_n_steps=100",))
        chosen = select_on_val(run, args.out / "euroc", args.weights)
        # what the run trained with, after train's own decision (its resolved config.yaml)
        results["recipe_depth_lr_scale"] = load_config("li2020", run / "config.yaml").optimizer.depth_lr_scale
        depth_run = finetune(args.out / "euroc", args.weights, args.out / "run_euroc_depth", args.euroc_steps,
                             args.threads, ("trainer.checkpoint_every_n_steps=100", *TRAIN_DEPTH))
        depth_chosen = select_on_val(depth_run, args.out / "euroc", args.weights)
        anchor_run = finetune(args.out / "euroc", args.weights, args.out / "run_euroc_anchor", args.euroc_steps,
                              args.threads, ("trainer.checkpoint_every_n_steps=100", *anchored(args.depth_anchor),
                                             *TRAIN_DEPTH))
        anchor_chosen = select_on_val(anchor_run, args.out / "euroc", args.weights)
        bn_run = finetune(args.out / "euroc", args.weights, args.out / "run_euroc_bn", args.euroc_steps,
                          args.threads, ("trainer.checkpoint_every_n_steps=100", *BN_FROZEN, *TRAIN_DEPTH))
        bn_chosen = select_on_val(bn_run, args.out / "euroc", args.weights)
        print(f"batch-norm statistics frozen: val-split pick {bn_chosen['best_score']:.5f} against the depth "
              f"fine-tune's {depth_chosen['best_score']:.5f} (measured only: stage 41's frozen-statistics pick broke "
              "depth on every real set, README \"Batch-norm statistics from your camera\")", flush=True)
        results["bn_frozen_val"] = {"frozen_val": bn_chosen["best_score"], "depth_trained_val": depth_chosen["best_score"]}

        # {variant: (selection summary, run folder)}; a pick that lost to the bundled weights is scored as them
        selections = {"the recipe (depth frozen: the camera stands still)": (chosen, run),
                      "depth trained anyway (optimizer.static_camera_depth=train)": (depth_chosen, depth_run),
                      f"depth trained anyway, anchored ({args.depth_anchor:g})": (anchor_chosen, anchor_run),
                      "depth trained anyway, batch-norm statistics frozen": (bn_chosen, bn_run)}
        picks = {name: run_dir / "selected" if summary["ship"] else args.weights
                 for name, (summary, run_dir) in selections.items()}
        rows = {"no motion (identity warp)": photometric(args.out / "euroc", "test", None, settings),
                "bundled weights": photometric(args.out / "euroc", "test", args.weights, settings),
                f"the recipe ({args.euroc_steps} steps)": photometric(args.out / "euroc", "test", run, settings),
                f"depth trained anyway ({args.euroc_steps} steps)":
                    photometric(args.out / "euroc", "test", depth_run, settings)}
        rows |= {f"{name}, step {summary['best_step']} selected on the val split (photometric, no labels)"
                 + ("" if summary["ship"] else ": the bundled weights scored better there"):
                     photometric(args.out / "euroc", "test", picks[name], settings)
                 for name, (summary, _) in selections.items()}
        print_photometric(rows)
        results["euroc"] = rows
        results["euroc_depth"] = euroc_depth({"bundled weights": args.weights, **picks})
    else:
        print(f"EuRoC frames not found at {args.euroc}: skipped")
    if args.kitti.is_dir():
        folder = kitti_folder(args.kitti, args.out / "kitti")
        run = finetune(folder, args.weights, args.out / "run_kitti", args.kitti_steps, args.threads)
        frozen = finetune(folder, args.weights, args.out / "run_kitti_motion", args.kitti_steps, args.threads,
                          MOTION_ONLY)
        anchor_run = finetune(folder, args.weights, args.out / "run_kitti_anchor", args.kitti_steps, args.threads,
                              anchored(args.depth_anchor))
        bn_run = finetune(folder, args.weights, args.out / "run_kitti_bn", args.kitti_steps, args.threads, BN_FROZEN)
        rows = {"bundled weights": kitti_metrics(args.weights / "li2020_depth.pt", folder, args.out / "eval_bundled"),
                f"KITTI fine-tuned ({args.kitti_steps} steps)": kitti_metrics(run / "li2020_depth.pt", folder,
                                                                              args.out / "eval_finetuned"),
                f"motion only, depth frozen ({args.kitti_steps} steps)":
                    kitti_metrics(frozen / "li2020_depth.pt", folder, args.out / "eval_motion_only"),
                f"depth anchored ({args.depth_anchor:g}, {args.kitti_steps} steps)":
                    kitti_metrics(anchor_run / "li2020_depth.pt", folder, args.out / "eval_anchored"),
                f"batch-norm statistics frozen ({args.kitti_steps} steps)":
                    kitti_metrics(bn_run / "li2020_depth.pt", folder, args.out / "eval_bn_frozen")}
        no_motion = _no_motion(folder)
        print_kitti(rows, no_motion)
        results["kitti"] = {**rows, "no_motion": no_motion}
    else:
        print(f"KITTI frames not found at {args.kitti}: skipped")
    args.out.mkdir(parents=True, exist_ok=True)  # also when both sets were skipped
    (args.out / "adapt_results.json").write_text(json.dumps(results, indent=2, default=str))
    print(f"\nwrote {args.out / 'adapt_results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
