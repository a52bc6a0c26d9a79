"""Run nodes as a console script: init, build (errors -> exit code 2), spin, clean shutdown."""

from __future__ import annotations

import sys
from typing import Any, Callable, Sequence

from mono_depth_ros.nodes.params import ConfigError

EXIT_OK = 0
EXIT_CONFIG = 2


def run_nodes(factory: Callable[[], Sequence[Any]], args: Sequence[str] | None) -> int:
    """``rclpy.init(args)``, ``factory()`` -> nodes, spin them on one multi-threaded executor.

    Returns EXIT_CONFIG (2) with a one-line message on stderr when a node cannot start (invalid
    parameter, missing model file), EXIT_OK on Ctrl-C or external shutdown.
    """
    import rclpy
    from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor

    rclpy.init(args=list(args) if args is not None else None)
    nodes: list[Any] = []
    try:
        try:
            nodes = list(factory())
        except ConfigError as exc:
            print(f"[mono_depth_ros] cannot start: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        executor = MultiThreadedExecutor(num_threads=2)
        for node in nodes:
            executor.add_node(node)
        try:
            executor.spin()
        except (KeyboardInterrupt, ExternalShutdownException):
            pass
        return EXIT_OK
    finally:
        for node in nodes:
            node.destroy_node()
        if rclpy.ok():
            rclpy.shutdown()
