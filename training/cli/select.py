"""``python -m training select``: pick a run's best periodic checkpoint on validation folders."""

from __future__ import annotations

import argparse

EPILOG = """example (validation sequences: seeds used neither for training nor for the test set):
  python -m training synth --out bags/val_indoor --scene indoor --seed 201 --frames 60
  python -m training extract bags/val_indoor --out data/val_indoor
  python -m training select --run runs/li2020 --data data/val_indoor --split all --every 500
  python -m training evaluate --checkpoint runs/li2020/selected/li2020_depth.pt --data data/test --split all

Adapting li2020 to your own recording (no labels): keep a later part of it for validation and
  python -m training select --run runs/my_cam --data data/my_cam --split val --criterion photometric \\
      --incumbent bundled

A stereo-only recording (right images, no depth topic; xian2018):
  python -m training select --run runs/my_xian --data data/my_stereo --split val --criterion sgbm_whdr \\
      --incumbent bundled

Writes RUN/selected/<spec>.pt (the chosen step's networks, ready for 'training export' and the
nodes), RUN/selected/selection.json (every candidate's score) and RUN/selection/stepN/ (reports)."""


def add_parser(subparsers) -> argparse.ArgumentParser:
    from training.select import CRITERIA

    parser = subparsers.add_parser(
        "select", help="Evaluate a run's periodic checkpoints on validation folders and export the best.",
        description="Evaluate every RUN/checkpoints/stepN.ckpt on validation folders (never the test set) "
                    "and export the best one's networks to RUN/selected/.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", required=True, help="run folder written by 'python -m training train'")
    parser.add_argument("--data", required=True, nargs="+", help="validation dataset folder(s)")
    parser.add_argument("--split", default="val", choices=("train", "val", "test", "all"),
                        help="split of those folders to score on (default val; 'all' for folders kept for validation)")
    parser.add_argument("--criterion", choices=CRITERIA, default="abs_rel_vs_constant",
                        help="what to minimise, averaged over the folders (default: AbsRel / constant-map AbsRel; "
                             "silog: the scale-invariant log error, the structure of a metric network's output "
                             "whatever its overall scale (pair it with --also abs_rel); "
                             "photometric: li2020's own photometric loss, needs no labels; sgbm_whdr / "
                             "sgbm_abs_rel_vs_constant: a stereo-only folder, against an SGBM reference of "
                             "each pair, relative, not ground truth)")
    parser.add_argument("--every", type=int, default=1, help="only steps that are multiples of this")
    parser.add_argument("--max-depth", type=float, default=80.0, help="ignore ground truth above (m)")
    parser.add_argument("--incumbent", nargs="+", metavar="MODEL",
                        help="model file(s) shipped today (li2020: depth and motion .pt), or 'bundled' (the "
                             "installed package's weights of the run's method), scored the same way; "
                             "selection.json's 'ship' is true only when the run's best scores better")
    parser.add_argument("--average", type=int, default=1, metavar="K",
                        help="also score the mean weights of the K checkpoints centred on the best one and "
                             "take them where they score better (default 1: off)")
    parser.add_argument("--also", choices=CRITERIA, default=None, metavar="CRITERION",
                        help="a second criterion from the same evaluations (li2020: odometry and depth); with "
                             "--incumbent, ship the checkpoint with the best --criterion among those no worse "
                             "than the incumbent by more than --tolerance on either and better on one")
    parser.add_argument("--tolerance", type=float, default=0.0,
                        help="relative worsening allowed on either criterion with --also (default 0)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def run(args: argparse.Namespace) -> int:
    from training.evaluate.depth_metrics import DepthCaps
    from training.evaluate.run import EvalOptions
    from training.select import select_checkpoint

    from mono_depth_ros.core.errors import InputError
    from training.cli.checks import dataset_folder

    if args.every < 1:
        raise InputError("--every", args.every, "must be >= 1")
    for folder in args.data:
        dataset_folder(folder)
    opts = EvalOptions(split=args.split, pictures=0, classical="none", caps=DepthCaps(0.1, args.max_depth),
                       progress=not args.no_progress)
    best, candidates = select_checkpoint(args.run, args.data, args.criterion, args.every, opts,
                                         progress=not args.no_progress, incumbent=args.incumbent,
                                         average=args.average, also=args.also, tolerance=args.tolerance)
    also = f" {args.also:>24s}" if args.also else ""
    print(f"{'step':>7s} {args.criterion:>32s}{also}")
    for c in candidates:
        second = f" {c.also_score:24.4f}" if args.also else ""
        print(f"{c.step:7d} {c.score:32.4f}{second}{'  <- selected' if c is best else ''}")
    if args.average > 1:
        import json
        from pathlib import Path

        mean = json.loads((Path(args.run) / "selected" / "selection.json").read_text()).get("average")
        if mean:
            steps = mean["steps"]
            print(f"{'mean':>7s} {mean['score']:32.4f}{'  <- selected' if best.averaged_steps else ''}"
                  f"  (weights of steps {steps[0]}-{steps[-1]}, {len(steps)} checkpoints)")
    if args.incumbent:
        import json
        from pathlib import Path

        summary = json.loads((Path(args.run) / "selected" / "selection.json").read_text())
        verdict = "ship the run's best" if summary["ship"] else "keep the incumbent (it scores better)"
        second = f" {summary['incumbent']['also_score']:24.4f}" if args.also else ""
        print(f"{'incumbent':>7s} {summary['incumbent']['score']:32.4f}{second}  -> {verdict}")
    print(f"wrote {args.run}/selected/ (step {best.step})")
    return 0
