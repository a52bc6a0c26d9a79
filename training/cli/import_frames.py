"""``python -m training import --format kinect|kitti SRC --out DIR``: real frames -> dataset folder.

Registered in ``training/__main__.py`` under the sub-command name ``import`` (a Python keyword,
hence this module's name ``import_frames``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "import"
SUMMARY = ("Import a real recording (Kinect RGB-D or KITTI odometry folder: test-only; EuRoC camera folder: "
           "rectified, split for adaptation) as a dataset folder.")


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        NAME, help=SUMMARY,
        description="Convert a folder of real frames into the dataset folder format (rgb/, depth/, right/, "
                    "intrinsics.yaml, poses_tum.txt, manifest.csv, splits/) so 'evaluate' can run on it. "
                    "All frames go to the 'test' split: these are sanity-check data, never for training.\n\n"
                    "kinect: color/N.png, depth/N.pgm (16-bit mm, 0 invalid), pose.txt "
                    "(tx ty tz qx qy qz qw, camera-to-world, optical frame). The source has no stamps: "
                    "they are synthesised at --fps (30 Hz).\n"
                    "kitti: image_2/NNNNNN.png colour frames (image_3/ right) where the folder has them, "
                    "else image_0/ (grayscale, replicated to RGB) and image_1/; poses.txt (3x4 camera-0-to-"
                    "world, moved to the imported camera), times.txt (s), calib.txt (P0..P3; sequence 00's "
                    "without one). The baseline goes to intrinsics.yaml.\n"
                    "euroc: a EuRoC MAV camera folder (cam0/ or mav0/cam0/: data.csv, data/*.png mono8, "
                    "sensor.yaml). Frames are rectified with the sensor.yaml distortion (as the nodes do), "
                    "stamps come from data.csv, and the frames are split contiguously in time: first 70 % "
                    "train, then val, last 20 % test (for adapting li2020 to the camera).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("src", help="source folder (layout given by --format)")
    parser.add_argument("--format", dest="fmt", required=True, choices=("kinect", "kitti", "euroc"),
                        help="source layout")
    parser.add_argument("--out", required=True, help="dataset folder to write (created)")
    parser.add_argument("--intrinsics", metavar="FX,FY,CX,CY",
                        help="pinhole intrinsics in pixels (default kinect 518,519,325.5,253.5; "
                             "kitti 718.856,718.856,607.1928,185.2157; euroc: sensor.yaml's)")
    parser.add_argument("--fps", type=float, default=30.0, help="kinect only: rate of the synthesised stamps (Hz)")
    parser.add_argument("--baseline-m", type=float, default=None,
                        help="kitti only: stereo baseline (m); default from calib.txt (sequence 00's without one)")
    return parser


def _check_out(out: Path) -> None:
    """InputError when --out holds something an import would overwrite and mix into: a dataset
    extracted from a bag (extract.yaml, manifest.partial.csv) or files that are no dataset at all;
    an earlier import (finished, or cut off before its manifest.csv: dataset entries only) is
    replaced, so an import can be re-run."""
    from mono_depth_ros.core.errors import InputError
    from training.cli.checks import output_folder

    output_folder(out)
    if not out.is_dir() or not any(out.iterdir()):
        return
    if (out / "extract.yaml").is_file() or (out / "manifest.partial.csv").is_file():
        raise InputError("--out", str(out), "holds a dataset extracted from a bag; importing would overwrite its "
                                            "frames: give a new folder")
    dataset_entries = {"rgb", "depth", "right", "splits", "intrinsics.yaml", "poses_tum.txt", "manifest.csv"}
    if not (out / "manifest.csv").is_file() and any(p.name not in dataset_entries for p in out.iterdir()):
        raise InputError("--out", str(out), "is a folder with other files in it; give a new folder")
    # an earlier import (finished, or cut off before its manifest.csv) is replaced


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from mono_depth_ros.core.errors import InputError
    from training.data import import_euroc, import_frames

    try:
        _check_out(Path(args.out))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.fmt == "euroc":  # its own module: rectified, split for training (the others are test-only)
        total, extra = import_euroc.count_frames(args.src), {}
        importer = import_euroc.import_euroc
    else:
        total = import_frames.count_frames(args.fmt, args.src)
        extra = {"fps": args.fps} if args.fmt == "kinect" else {"baseline_m": args.baseline_m}
        importer = lambda src, out, **kw: import_frames.import_frames(args.fmt, src, out, **kw)  # noqa: E731
    try:
        with tqdm(total=total, unit="frame", desc=f"import {args.fmt}") as bar:
            report = importer(args.src, args.out, intrinsics=args.intrinsics, progress=bar.update, **extra)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    print(f"wrote {args.out}")
    return 0
