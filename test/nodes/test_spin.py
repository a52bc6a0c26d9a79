"""run_nodes' exits: a signal while the model loads is a clean stop (exit 0, no traceback), as it is
while spinning, and so is a Ctrl-C before rclpy is up, while the console script still imports the
node's modules. Each case runs in its own process (run_nodes owns rclpy's default context)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ("depth_node", "ego_motion_node", "mono_depth_pipeline")

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


def _sigint_as_in_a_terminal():
    """A job started with ``&`` from a script (``nohup make test &``) inherits SIGINT ignored, and
    Python then never raises KeyboardInterrupt: the child would hang until the timeout."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          preexec_fn=_sigint_as_in_a_terminal)


def test_a_signal_while_the_model_loads_is_a_clean_stop():
    for code in (STOPPED_WHILE_LOADING, INTERRUPTED_WHILE_LOADING):
        done = _run(code)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr


# a real Ctrl-C: SIGINT to this process the moment MODULE is first imported
INTERRUPT_AT_IMPORT = textwrap.dedent("""
    import importlib.abc, os, signal, sys

    class InterruptAt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == MODULE:
                sys.meta_path.remove(self)
                os.kill(os.getpid(), signal.SIGINT)
            return None

    sys.meta_path.insert(0, InterruptAt())
""")

INTERRUPTED_BEFORE_RCLPY = textwrap.dedent("""
    import os, signal, sys
    from mono_depth_ros.nodes import spin

    def interrupted_profile():  # Ctrl-C while the transport profile is set, just before rclpy.init
        os.kill(os.getpid(), signal.SIGINT)

    spin.apply_fastdds_profile = interrupted_profile
    sys.exit(spin.run_nodes(lambda: [], ["prog"]))
""")


def _entry_points() -> dict[str, tuple[str, str]]:
    """{script: (module, function)} of setup.py's console_scripts."""
    found = re.findall(r'"(\w+) = ([\w.]+):(\w+)"', (ROOT / "setup.py").read_text())
    return {name: (module, function) for name, module, function in found}


def _script(name: str, prelude: str = "") -> str:
    """What pip / colcon generate for console script ``name`` (its import first), after ``prelude``."""
    module, function = _entry_points()[name]
    return prelude + f"import sys\nfrom {module} import {function}\nsys.exit({function}())\n"


def test_a_ctrl_c_before_rclpy_is_up_is_a_clean_stop():
    done = _run(INTERRUPTED_BEFORE_RCLPY)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_ctrl_c_while_a_console_script_imports_is_a_clean_stop(script):
    """SIGINT while the script's first import loads numpy (long before rclpy): it printed a
    KeyboardInterrupt traceback; the entry points (nodes/console.py) import inside their guard."""
    done = _run(_script(script, prelude=INTERRUPT_AT_IMPORT.replace("MODULE", repr("numpy"))))
    assert done.returncode in (0, 130) and "Traceback" not in done.stderr, (_entry_points()[script], done.stderr)


def test_console_entry_points_import_nothing_heavy_and_run_the_nodes_main():
    from mono_depth_ros.nodes import console

    loaded = _run("import sys, mono_depth_ros.nodes.console; "
                  "print(sorted(m for m in ('numpy', 'rclpy', 'torch', 'numba') if m in sys.modules))")
    assert loaded.stdout.strip() == "[]", loaded.stdout + loaded.stderr
    # --help: each node's own usage (a parameter only that node declares), exit 0, nothing started
    for script, parameter in zip(SCRIPTS, ("point_stride_px", "scale_from_depth", "point_stride_px")):
        assert callable(getattr(console, script))
        done = _run(f"import sys; from mono_depth_ros.nodes.console import {script}; "
                    f"sys.exit({script}([{script!r}, '--help']))")
        assert done.returncode == 0 and parameter in done.stdout, done.stdout[-500:] + done.stderr


def test_spin_goes_on_past_a_callback_of_a_destroyed_entity(ros_context):
    """rclpy raises InvalidHandle from spin when an entity is destroyed between the wait that found
    it ready and its callback (seen in this suite: a test destroyed a publisher, the executor then
    stopped serving every node and later waits timed out). nodes.spin logs it once per occurrence
    and keeps the executor spinning; a timer that raised it once fires again and again after."""
    import threading

    from rclpy.exceptions import InvalidHandle
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.node import Node

    from mono_depth_ros.nodes.spin import spin

    from .conftest import wait_until

    node = Node("spin_race", context=ros_context)
    ticks, warnings = [], []

    def tick() -> None:
        ticks.append(1)
        if len(ticks) == 2:
            raise InvalidHandle("cannot use Destroyable because destruction was requested")
    node.create_timer(0.01, tick)
    executor = SingleThreadedExecutor(context=ros_context)
    executor.add_node(node)
    thread = threading.Thread(target=spin, args=(executor, warnings.append), daemon=True)
    thread.start()
    try:
        wait_until(lambda: len(ticks) >= 6, what="the timer firing on after the exception")
    finally:
        executor.shutdown(timeout_sec=5.0)
        thread.join(timeout=5.0)
        node.destroy_node()
    assert not thread.is_alive()  # shutdown still ends the spin
    assert len(warnings) == 1 and "destruction was requested" in warnings[0], warnings
