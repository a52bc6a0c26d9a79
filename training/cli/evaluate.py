"""``python -m training evaluate``: metrics, tables and pictures for a trained checkpoint."""

from __future__ import annotations

import argparse
from pathlib import Path

from mono_depth_ros.core.fit import RESIZE_MODES
from mono_depth_ros.inference.pose_refinement import DEFAULT_MOTION_REFINEMENT, MOTION_REFINEMENTS
from mono_depth_ros.inference.ego_motion_estimator import DEFAULT_MOTION_FLIP_AVERAGE, DEFAULT_MOTION_INTRINSICS, \
    MOTION_INTRINSICS
from mono_depth_ros.inference.processing import DEFAULT_GUIDED_FILTER, FLIP_MODES, GUIDED_FILTER_MODES

EPILOG = """examples:
  python -m training evaluate --checkpoint runs/eigen/eigen2014.pt --data data/test --out eval/eigen
  python -m training evaluate --checkpoint runs/li/li2020_depth.pt --data data/test --median-scaling --out eval/li
  python -m training evaluate --checkpoint runs/li/checkpoints/last.ckpt --data data/test --out eval/li
  python -m training evaluate --checkpoint depth_anything_v2_vits.onnx --data data/test --out eval/da
      (a user's ONNX: its model card depth_anything_v2_vits.card.yaml beside it, or --card)

Depth: AbsRel, SqRel, RMSE, RMSE log, SILog, delta<1.25^k (median scaling is applied automatically
to relative / up-to-scale outputs). Relative depth: WHDR on random ordinal pairs (ratio 1.02).
Layout share: how much of the predictions is one fixed map whatever the frame (0-1), beside the
ground truth's own on the same pixels; far above the truth's, the network paints a learned layout.
Ego-motion (li2020, when the dataset has poses): evo ATE (Sim(3) alignment) and RPE, per-pair
rotation / translation-direction errors, beside a classical ORB + essential-matrix baseline
(translation scale per pair from ground truth).
Photometric (li2020, no labels needed: a camera-only recording): the method's own photometric loss on
the split's consecutive pairs, the number `training select --criterion photometric` ranks by, beside
the identity warp's ("no motion") on the same pairs; lower is better.
Stereo only (frames with a right image and no depth): depth against an SGBM reference of each pair
(relative, not ground truth), median-scaled, beside the constant map and the ramp on the same pixels.
Writes metrics.json, metrics.md and PNG pictures: input | prediction | ground truth of scored frames,
input | prediction of frames without depth, trajectory.png when ego-motion is scored."""


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "evaluate", help="Evaluate a checkpoint on a dataset folder: depth, relative depth and ego-motion metrics.",
        description="Evaluate trained networks on an extracted dataset folder.", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, action="append",
                        help="model .pt (save_model_checkpoint) or Lightning .ckpt; repeatable "
                             "(li2020_depth.pt picks up a sibling li2020_motion.pt); or one .onnx with a model card")
    parser.add_argument("--card", default=None,
                        help="model card YAML of an .onnx --checkpoint (default: <stem>.card.yaml beside it)")
    parser.add_argument("--data", required=True, help="dataset folder written by 'python -m training extract'")
    parser.add_argument("--split", default="test", choices=("train", "val", "test", "all"))
    parser.add_argument("--median-scaling", action="store_true", help="scale predictions by median(gt)/median(pred)")
    parser.add_argument("--min-depth", type=float, default=0.1, help="ignore ground truth below (m)")
    parser.add_argument("--max-depth", type=float, default=80.0, help="ignore ground truth above (m)")
    parser.add_argument("--pictures", type=int, default=4,
                        help="number of pictures: input|prediction|truth, or input|prediction for frames "
                             "without depth")
    parser.add_argument("--classical", choices=("orb", "sift", "none"), default="orb", help="classical VO baseline")
    parser.add_argument("--resize-mode", choices=RESIZE_MODES, default=None,
                        help="how frames are fitted to the networks (default: the run's data.resize_mode, "
                             "which the nodes' resize_mode should match; tile: overlapping windows across a "
                             "wide frame for depth, the middle one for ego-motion)")
    parser.add_argument("--flip-average", choices=("auto", "always", "never"), default="auto",
                        help="test-time flip, as the depth node's flip_average: average each frame's output with "
                             "that of the mirrored frame (auto, the default, and always: every depth network; li2020's "
                             "motion network still gets the direct pass's depth)")
    parser.add_argument("--guided-filter", choices=GUIDED_FILTER_MODES, default=DEFAULT_GUIDED_FILTER,
                        help="as the depth node's guided_filter: smooth each depth output along the frame's "
                             "own edges (auto, the default: the three methods' networks with the settings validated for the bundled weights; "
                             "always: every network; never: the networks' output as it is)")
    parser.add_argument("--motion-flip-average", choices=FLIP_MODES, default=DEFAULT_MOTION_FLIP_AVERAGE,
                        help="as ego_motion_node's motion_flip_average: also run li2020's motion network on the "
                             "mirrored pair and average the two estimates (default auto: as the node's)")
    parser.add_argument("--motion-intrinsics", choices=MOTION_INTRINSICS, default=DEFAULT_MOTION_INTRINSICS,
                        help="as ego_motion_node's motion_intrinsics: camera re-expresses the motion network's "
                             "rotation for the dataset's intrinsics; learned keeps the network's (default "
                             f"{DEFAULT_MOTION_INTRINSICS}, as the node's)")
    parser.add_argument("--motion-refinement", choices=MOTION_REFINEMENTS, default=DEFAULT_MOTION_REFINEMENT,
                        help="as ego_motion_node's motion_refinement: align each pair at the frames' resolution from "
                             "the network's estimate with the dataset's intrinsics (default rest, as the node's: the "
                             "network's estimate, its translation alone or no motion, the simplest that explains the pair; auto: refine "
                             "where the dataset has intrinsics; none: the network alone)")
    parser.add_argument("--out", required=True, help="output folder")
    return parser


def run(args: argparse.Namespace) -> int:
    from training.evaluate.depth_metrics import DepthCaps
    from training.evaluate.report import markdown_table
    from training.evaluate.run import EvalOptions, evaluate

    from mono_depth_ros.core.errors import InputError
    from training.cli.checks import dataset_folder, output_folder

    if not 0 <= args.min_depth < args.max_depth:
        raise InputError("--min-depth/--max-depth", (args.min_depth, args.max_depth), "need 0 <= min < max")
    if args.pictures < 0:
        raise InputError("--pictures", args.pictures, "must be >= 0 (0: no pictures)")
    for path in args.checkpoint:  # before --out is created
        if not Path(path).is_file():
            raise InputError("--checkpoint", path, "no such file" if not Path(path).exists() else "is not a file")
    dataset_folder(args.data)
    output_folder(args.out)
    opts = EvalOptions(split=args.split, median_scaling=args.median_scaling,
                       caps=DepthCaps(args.min_depth, args.max_depth), pictures=args.pictures,
                       classical=args.classical, resize_mode=args.resize_mode, flip_average=args.flip_average,
                       guided_filter=args.guided_filter,
                       motion_refinement=args.motion_refinement, motion_flip_average=args.motion_flip_average,
                       motion_intrinsics=args.motion_intrinsics, photometric=True)
    results = evaluate(args.checkpoint, args.data, args.out, opts, card=args.card)
    print(markdown_table(results))
    print(f"wrote {args.out}/{wrote(results['pictures'])}")
    return 0


def wrote(pictures: list[str]) -> str:
    """The files of one evaluation, e.g. "metrics.json, metrics.md and 2 pictures (a.png, b.png)"."""
    if not pictures:
        return "metrics.json and metrics.md (no picture)"
    return f"metrics.json, metrics.md and {len(pictures)} picture{'s' * (len(pictures) > 1)} ({', '.join(pictures)})"
