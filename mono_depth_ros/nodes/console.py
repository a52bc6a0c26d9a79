"""Console scripts (setup.py entry points): a Ctrl-C at any moment of start-up is a quiet stop.

A node module imports numpy, numba, rclpy and the backends at its top (about 0.5 s warm, seconds on
a cold disk). An entry point naming that module directly (``depth_node:main``) is imported by the
generated script before any of our code runs, so a Ctrl-C then printed a KeyboardInterrupt traceback.
This module imports nothing heavy: each function imports its node's module inside the guard, and
the node's ``main`` (nodes/spin.py's run_nodes) handles Ctrl-C from rclpy's start on. Exit code 0,
as for a Ctrl-C while the model loads or while spinning.
"""

from __future__ import annotations

import importlib
from typing import Sequence

EXIT_OK = 0  # nodes/spin.py's, not imported from there: that module pulls in rclpy and the backends


def run_main(module: str, args: Sequence[str] | None = None) -> int:
    """``<module>.main(args)``, with a Ctrl-C while importing or starting it a quiet EXIT_OK."""
    try:
        main = importlib.import_module(module).main
        return main(list(args) if args is not None else None)
    except KeyboardInterrupt:
        return EXIT_OK


def depth_node(args: Sequence[str] | None = None) -> int:
    """Console script ``depth_node``."""
    return run_main("mono_depth_ros.nodes.depth_node", args)


def ego_motion_node(args: Sequence[str] | None = None) -> int:
    """Console script ``ego_motion_node``."""
    return run_main("mono_depth_ros.nodes.ego_motion_node", args)


def mono_depth_pipeline(args: Sequence[str] | None = None) -> int:
    """Console script ``mono_depth_pipeline``."""
    return run_main("mono_depth_ros.nodes.pipeline", args)
