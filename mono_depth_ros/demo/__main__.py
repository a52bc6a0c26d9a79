"""``python -m mono_depth_ros.demo``: run the nodes on a synthetic (or your) bag and report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mono_depth_ros.demo.runner import DEMO_WORLDS, DemoOptions
from mono_depth_ros.inference.backends.registry import BACKENDS
from mono_depth_ros.inference.pose_refinement import DEFAULT_MOTION_REFINEMENT, MOTION_REFINEMENTS
from mono_depth_ros.inference.processing import DEFAULT_GUIDED_FILTER, GUIDED_FILTER_MODES
from mono_depth_ros.nodes.depth_config import METHOD_SPECS


def parse_args(argv: list[str] | None = None) -> DemoOptions:
    parser = argparse.ArgumentParser(
        prog="mono_depth_demo", description=__doc__ + "\n\nWithout --bag a synthetic indoor bag with exact "
        "ground truth is rendered (or reused) under --out; the nodes run in this process on a real DDS graph; "
        "every output topic is recorded to <out>/output_bag (MCAP).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bag", type=Path, help="your rosbag2 folder / .mcap / .bag (no ground truth: n/a)")
    parser.add_argument("--out", type=Path, default=Path("demo_output"), help="output folder (default: %(default)s)")
    parser.add_argument("--frames", type=int, default=40, help="synthetic frames (default: %(default)s)")
    parser.add_argument("--size", default="320x240", help="synthetic WxH (default: %(default)s)")
    parser.add_argument("--scene", default="indoor", choices=("indoor", "street"))
    parser.add_argument("--world", default="realistic", choices=tuple(DEMO_WORLDS),
                        help="synthetic world: realistic (rich layout, photo textures, sensor look: what the "
                        "bundled weights were trained on) or plain (textured boxes); default: %(default)s")
    parser.add_argument("--rate", type=float, default=1.0, help="replay speed factor (default: %(default)s)")
    parser.add_argument("--method", default="eigen2014", choices=tuple(METHOD_SPECS),
                        help="depth network (ego-motion always uses li2020; default: eigen2014, the only metric "
                             "one; li2020 reads real frames best, up to scale: README)")
    parser.add_argument("--backend", default="auto", choices=BACKENDS,
                        help="inference backend (auto: the fastest that loads here)")
    parser.add_argument("--model-path", default="", help="depth model (.pt/.onnx/.engine); default: bundled")
    parser.add_argument("--image-topic", default="/camera/image_raw")
    parser.add_argument("--no-ego-motion", action="store_true", help="run depth_node only")
    parser.add_argument("--motion-refinement", default=DEFAULT_MOTION_REFINEMENT, choices=MOTION_REFINEMENTS,
                        help="ego_motion_node's motion_refinement (default: %(default)s, the node's)")
    parser.add_argument("--guided-filter", default=DEFAULT_GUIDED_FILTER, choices=GUIDED_FILTER_MODES,
                        help="depth_node's guided_filter (default: %(default)s, the node's; never: the "
                             "network's depth as it is)")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    return DemoOptions(out_dir=args.out, bag=args.bag, frames=args.frames, size_wh=(width, height),
                       scene=args.scene, world=args.world, rate=args.rate, method=args.method, backend=args.backend,
                       model_path=args.model_path, image_topic=args.image_topic, ego_motion=not args.no_ego_motion,
                       motion_refinement=args.motion_refinement, guided_filter=args.guided_filter)


def main(argv: list[str] | None = None) -> int:
    from mono_depth_ros.demo.runner import run_demo
    from mono_depth_ros.nodes.params import ConfigError

    opts = parse_args(argv)
    try:
        run_demo(opts)
    except ConfigError as exc:
        print(f"mono_depth_demo: cannot start the nodes: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
