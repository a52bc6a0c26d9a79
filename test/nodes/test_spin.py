"""run_nodes' exits: a signal while the model loads is a clean stop (exit 0, no traceback), as it is
while spinning. Each case runs in its own process (run_nodes owns rclpy's default context)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# rclpy's SIGINT / SIGTERM handler shuts the default context down; the factory then does what a
# loading node does next (create a node or a publisher on that context), which raises
STOPPED_WHILE_LOADING = textwrap.dedent("""
    import sys
    import rclpy
    from rclpy.node import Node
    from mono_depth_ros.nodes.spin import run_nodes

    def factory():
        rclpy.shutdown()  # what the signal handler does
        return [Node("loading_node")]

    sys.exit(run_nodes(factory, ["prog"]))
""")

INTERRUPTED_WHILE_LOADING = textwrap.dedent("""
    import sys
    from mono_depth_ros.nodes.spin import run_nodes

    def factory():
        raise KeyboardInterrupt

    sys.exit(run_nodes(factory, ["prog"]))
""")


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_a_signal_while_the_model_loads_is_a_clean_stop():
    for code in (STOPPED_WHILE_LOADING, INTERRUPTED_WHILE_LOADING):
        done = _run(code)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
