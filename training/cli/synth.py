"""``python -m training synth``: render a synthetic RGB-D (+stereo) sequence into a rosbag2 (MCAP)."""

from __future__ import annotations

import argparse

from mono_depth_ros.synth.scene import SCENES
from mono_depth_ros.synth.trajectory import TRAJECTORIES


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 320x240") from None
    if width < 8 or height < 8:
        raise argparse.ArgumentTypeError(f"--size {text!r}: width and height must be >= 8")
    return width, height


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "synth", help="Render a synthetic RGB-D (+stereo) sequence with exact ground truth into a rosbag2 (MCAP).",
        description="Ray-cast a procedural textured scene along a camera path and write a rosbag2 "
                    "(MCAP) with /camera/image_raw (rgb8), /camera/camera_info, /camera/depth/image "
                    "(32FC1 m), optional /camera/right/*, /tf (odom->camera_link) and /tf_static.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", required=True, help="output bag folder (must not exist)")
    parser.add_argument("--frames", type=int, default=100, help="number of frames")
    parser.add_argument("--seed", type=int, default=0, help="random seed (scene, textures, path)")
    parser.add_argument("--size", type=_size, default=(320, 240), metavar="WxH", help="image size")
    parser.add_argument("--scene", choices=SCENES, default="indoor", help="procedural world")
    parser.add_argument("--trajectory", choices=TRAJECTORIES, default=None,
                        help="camera path (default: handheld indoors, turning on the street)")
    parser.add_argument("--stereo", action="store_true", help="also render a right camera")
    parser.add_argument("--baseline", type=float, default=0.12, help="stereo baseline in metres")
    parser.add_argument("--moving-objects", type=int, default=0, help="independently moving boxes")
    parser.add_argument("--fps", type=float, default=10.0, help="frame rate that sets the stamps")
    return parser


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from mono_depth_ros.synth import write_synthetic_bag

    with tqdm(total=args.frames, unit="frame", desc="synth") as bar:
        write_synthetic_bag(args.out, frames=args.frames, seed=args.seed, size_wh=args.size,
                            scene=args.scene, stereo=args.stereo, moving_objects=args.moving_objects,
                            fps=args.fps, baseline_m=args.baseline, trajectory=args.trajectory,
                            progress=bar.update)
    print(f"wrote {args.frames} frames to {args.out}")
    return 0
