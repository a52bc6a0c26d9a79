"""Command line entry point: ``python -m training {synth,extract,train,evaluate,select,export,import}``.

Each sub-command lives in ``training/cli/<name>.py`` and exposes
``add_parser(subparsers) -> argparse.ArgumentParser`` and ``run(args) -> int``.
Sub-command modules are imported lazily so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

#: set to 1 to see the traceback of an ordinary mistake instead of its one-line message
TRACEBACK_ENV = "MONO_DEPTH_TRACEBACK"

SUBCOMMANDS = {
    "synth": "Render a synthetic RGB-D (+stereo) sequence with exact ground truth into a rosbag2 (MCAP).",
    "extract": "Turn a rosbag (rosbag2 folder, .mcap or ROS 1 .bag) into a training dataset folder.",
    "train": "Train one of the methods (eigen2014 | xian2018 | li2020) on a dataset folder.",
    "evaluate": "Evaluate a checkpoint on a dataset folder: depth, relative depth and ego-motion metrics.",
    "select": "Evaluate a run's periodic checkpoints on validation folders and export the best.",
    "export": "Export a checkpoint to ONNX and check it numerically against PyTorch.",
    "import": "Import a small real recording (Kinect RGB-D or KITTI odometry folder) as a test-only dataset folder.",
}
# Sub-commands whose module name differs from the command ("import" is a Python keyword).
MODULES = {"import": "import_frames"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m training",
        description="mono_depth_ros offline tools: from a rosbag to a deployable depth model.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Run 'python -m training <command> --help' for the options of each command.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{" + ",".join(SUBCOMMANDS) + "}")
    sub.required = True
    for name, summary in SUBCOMMANDS.items():
        module_name = f"training.cli.{MODULES.get(name, name)}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            sub.add_parser(name, help=summary + " (not available in this build)")
            continue
        child = module.add_parser(sub)
        child.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "_run", None)
    if run is None:
        parser.error(f"command '{args.command}' is not available in this build")
    try:
        return int(run(args) or 0)
    except (OSError, ValueError) as exc:  # a wrong path, a bad bag or value: one line, no traceback
        if os.environ.get(TRACEBACK_ENV):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
