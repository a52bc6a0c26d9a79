"""Run nodes as a console script: init, build (errors -> exit code 2), spin, clean shutdown."""

from __future__ import annotations

import gc
import logging
import sys
from typing import Any, Callable, Sequence

from mono_depth_ros.inference.backends.base import ForwardToRosLog
from mono_depth_ros.nodes.params import ConfigError, config_error_from_rclpy
from mono_depth_ros.nodes.transport import apply_fastdds_profile

EXIT_OK = 0
EXIT_CONFIG = 2


def freeze_startup_heap() -> None:
    """Collect once, then move every object alive after start-up to the permanent generation.

    A node process holds hundreds of thousands of long-lived objects after start-up (rclpy, numpy,
    the backend, torch when imported, the model). Python's full (generation 2) collections walk all
    of them: they took 28-154 ms while a depth_node loaded its model here, and one that ran while
    frames stream would delay a frame that much. Frozen objects are never walked again
    (``gc.freeze``); what frames allocate is collected as before.
    """
    gc.collect()
    gc.freeze()


def wants_help(args: Sequence[str] | None) -> bool:
    """``-h`` / ``--help`` among the arguments that are not ROS arguments (those after
    ``--ros-args`` up to ``--`` belong to ROS: ``-p help:=x`` is not a request for help)."""
    from rclpy.utilities import remove_ros_args

    return any(arg in ("-h", "--help") for arg in remove_ros_args(list(args or sys.argv))[1:])


def invalid_ros_args(exc: BaseException) -> str | None:
    """One line for rcl's "cannot parse these ROS arguments" error (an empty ``-p name:=``, a
    relative ``-r __ns:=``), None for any other exception. rcl's text ends in source locations
    (", at .../arguments.c:380") that name nothing the user typed: they are dropped."""
    if type(exc).__name__ != "RCLInvalidROSArgsError":
        return None
    text = str(exc).split(" Error:")[0].split(", at /")[0].rstrip(". ")
    return f"invalid ROS arguments: {text.removeprefix('Failed to parse ROS arguments: ')}"


def spin(executor: Any, warn: Callable[[str], None]) -> None:
    """``executor.spin()`` until shutdown, through callbacks of entities destroyed while they were
    ready. rclpy raises InvalidHandle ("cannot use Destroyable because destruction was requested")
    from ``spin`` when an entity (a subscription, a publisher's event handler) is destroyed between
    the wait that found it ready and its callback (another thread, or an earlier callback of the
    same wait); uncaught, it ends the spin of every node of the process. It is logged with ``warn``
    and the spin goes on; any other exception still ends it."""
    from rclpy.exceptions import InvalidHandle

    while True:
        try:
            executor.spin()
            return
        except InvalidHandle as exc:
            warn(f"a callback of an entity destroyed while it was ready was skipped ({exc})")


def run_nodes(factory: Callable[[], Sequence[Any]], args: Sequence[str] | None,
              help_text: Callable[[], str] | None = None) -> int:
    """``rclpy.init(args)``, ``factory()`` -> nodes, spin them on one single-threaded executor.
    With ``-h``/``--help`` (not a ROS argument) it prints ``help_text()`` and returns EXIT_OK
    without starting anything.

    The nodes' callbacks only hand frames over (each node runs its model in its own worker
    thread), so one executor thread serves them. rclpy's MultiThreadedExecutor with 2 threads made
    a 640x480 depth_node's end-to-end p95 run at 256-467 ms in three runs against 26-29 ms with
    this one, on a 2-core machine (benchmarks/bench_node.py, alternating runs); the node's own p95
    fell from 25-35 ms to 19-20 ms. (Why the threaded executor stalls the graph was not isolated.)

    The shipped Fast DDS profile is applied first (see nodes/transport.py). Returns EXIT_CONFIG
    (2) with one line on stderr, no traceback, when a node cannot start (malformed ROS arguments,
    invalid parameter value, type or topic name, missing model file), EXIT_OK on Ctrl-C (at any
    point from this call on: before rclpy is up, while the model loads, while spinning) or external
    shutdown. A Ctrl-C while the console script imports the node's module is nodes/console.py's.
    """
    try:
        import rclpy
        from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor

        if help_text is not None and wants_help(args):
            try:
                print(help_text(), flush=True)
            except BrokenPipeError:  # `depth_node --help | head`: the reader left, which is fine
                sys.stdout = None
            return EXIT_OK
        apply_fastdds_profile()
        rclpy.init(args=list(args) if args is not None else None)
    except KeyboardInterrupt:  # Ctrl-C before rclpy's own handler is installed: a quiet stop too
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - only malformed ROS arguments become exit 2
        message = invalid_ros_args(exc)
        if message is None:
            raise
        print(f"[mono_depth_ros] cannot start: {message}", file=sys.stderr)
        return EXIT_CONFIG
    # the backends' Python log (auto's choice and skips, TensorRT's and OpenVINO's messages) goes to
    # the ROS log of this process, from model loading on
    log_handler = ForwardToRosLog.install(rclpy.logging.get_logger("mono_depth_ros"))
    nodes: list[Any] = []
    try:
        try:
            nodes = list(factory())
        except (KeyboardInterrupt, ExternalShutdownException):  # Ctrl-C while loading the model
            return EXIT_OK
        except Exception as exc:  # noqa: BLE001 - only start-up errors we can name become exit 2
            if not rclpy.ok():
                # SIGINT / SIGTERM while loading: rclpy's handler shut the context down and the
                # node's next call raised ("context is invalid"): a clean stop, as while spinning
                return EXIT_OK
            error = exc if isinstance(exc, ConfigError) else config_error_from_rclpy(exc)
            if error is None:
                raise
            print(f"[mono_depth_ros] cannot start: {error}", file=sys.stderr)
            return EXIT_CONFIG
        try:  # Ctrl-C may also land between the nodes' start and the executor's
            freeze_startup_heap()
            executor = SingleThreadedExecutor()
            for node in nodes:
                executor.add_node(node)
            spin(executor, rclpy.logging.get_logger("mono_depth_ros").warning)
        except (KeyboardInterrupt, ExternalShutdownException):
            pass
        except Exception:  # noqa: BLE001
            # rclpy's SIGINT handler shuts the context down; an executor made after that raises
            # RCLError ("context is not valid"): that is a clean stop, anything else is not
            if rclpy.ok():
                raise
        return EXIT_OK
    finally:
        for node in nodes:
            node.destroy_node()
        logging.getLogger("mono_depth_ros").removeHandler(log_handler)
        if rclpy.ok():
            rclpy.shutdown()
