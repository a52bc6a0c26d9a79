"""``python -m training extract BAG --out DIR``: rosbag -> training dataset folder (no ROS needed)."""

from __future__ import annotations

import argparse
import sys


class _DefaultsShown(argparse.ArgumentDefaultsHelpFormatter):
    """Defaults in the help, except None (the help says what happens then: auto-detected, ...)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        return action.help if action.default is None else super()._get_help_string(action)


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "extract", help="Turn a rosbag (rosbag2 folder, .mcap or ROS 1 .bag) into a training dataset folder.",
        description="Read a rosbag2 folder (sqlite3/MCAP, compressed or not, split or still missing its "
                    "metadata.yaml), a ROS 1 .bag or a bare .mcap/.db3 and write rgb/, depth/ (16-bit mm PNG), "
                    "right/, intrinsics.yaml, poses_tum.txt, manifest.csv and splits/. Topics are auto-detected "
                    "unless given; images with lens distortion are rectified; re-running resumes.",
        formatter_class=_DefaultsShown)
    parser.add_argument("bag", help="rosbag2 folder, .bag file, .mcap or .db3 file")
    parser.add_argument("--out", help="dataset folder to write (created; re-runs resume); required unless --list")
    parser.add_argument("--image-topic", help="colour image topic (Image or CompressedImage); default: auto-detected")
    parser.add_argument("--depth-topic", help="depth image topic (32FC1 m, 16UC1 mm, or compressedDepth png/rvl)")
    parser.add_argument("--right-topic", help="right stereo image topic")
    parser.add_argument("--camera-info-topic", help="CameraInfo topic of the colour camera; default: the image topic's sibling camera_info")
    parser.add_argument("--odom-topic", help="nav_msgs/Odometry topic (ground-truth poses)")
    parser.add_argument("--camera-frame", help="TF frame of the camera; default: the image header frame_id")
    parser.add_argument("--odom-frame", default="odom", help="fixed frame of the poses")
    parser.add_argument("--tolerance-ms", type=float, default=20.0, help="max stamp difference when pairing")
    parser.add_argument("--intrinsics", metavar="FX,FY,CX,CY", help="intrinsics when the bag has no camera_info")
    parser.add_argument("--rectify", choices=("auto", "on", "off"), default="auto",
                        help="auto: rectify images whose camera_info has distortion (a stereo pair with both "
                             "calibrations), except an image_rect* topic (already rectified: written as recorded, "
                             "intrinsics from P); on: rectify any distorted topic and drop frames without "
                             "camera_info; off: write as recorded, intrinsics with the original D")
    parser.add_argument("--depth-format", choices=("png", "npy"), default="png",
                        help="png: 16-bit millimetres; npy: float32 metres")
    parser.add_argument("--list", action="store_true",
                        help="only list the bag's topics (with each image and camera_info topic's size, encoding, "
                             "frame_id and distortion model) and exit")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from mono_depth_ros.bags.reader import open_bag
    from training.data.extract import extract_bag

    if args.list:
        from mono_depth_ros.bags.source import first_message_details

        with open_bag(args.bag) as source:
            print(source.describe(first_message_details(source)))
        return 0
    if not args.out:
        print("error: --out DIR is required (or --list to only see the bag's topics)", file=sys.stderr)
        return 2
    bar = tqdm(unit="msg", desc="extract", disable=args.no_progress or None, file=sys.stderr)

    seen = {"messages": 0, "skipped": 0}  # counted here: a disabled bar counts nothing

    def progress(n: int, skipped: int) -> None:
        bar.update(n)
        seen["messages"] += n
        if skipped != seen["skipped"]:  # why each was skipped: in the summary at the end
            seen["skipped"] = skipped
            bar.set_postfix_str(f"skipped={skipped}", refresh=False)

    def on_selected(selection, count: int) -> None:
        bar.reset(total=count if count >= 0 else None)
        bar.set_description(f"extract {selection.image}")

    try:
        report = extract_bag(args.bag, args.out, image_topic=args.image_topic, depth_topic=args.depth_topic,
                             right_topic=args.right_topic, camera_info_topic=args.camera_info_topic,
                             odom_topic=args.odom_topic, camera_frame=args.camera_frame,
                             odom_frame=args.odom_frame, tolerance_ms=args.tolerance_ms,
                             intrinsics=args.intrinsics, depth_format=args.depth_format, rectify=args.rectify,
                             progress=progress, on_selected=on_selected)
    except KeyboardInterrupt:  # every finished frame is logged in manifest.partial.csv
        bar.close()
        print(f"interrupted after {seen['messages']} image messages: the frames written are kept; run the same command "
              "again to resume", file=sys.stderr)
        return 130
    finally:
        bar.close()
    print(report.summary())
    failure = report.failure()
    if failure:
        print(f"error: {failure}", file=sys.stderr)
        return 1
    return 0
