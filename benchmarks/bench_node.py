"""depth_node end-to-end latency and per-frame cost at 640x480 per method (CPU).

A real graph of separate processes, as on a robot: depth_node runs in its own process, started
like its console script (all outputs subscribed: depth image, its camera_info, colored, points);
this process is the camera (rgb8 640x480 + camera_info, one frame in flight) and the viewer that
takes every output as rviz2 would. Both use the shipped Fast DDS profile
(config/fastdds_large_data.xml; ``--no-profile``: Fast DDS's builtin defaults). A frame's
end-to-end latency runs from the image's publish to the arrival of BOTH its depth image and its
cloud in this process (one clock). By default the viewer takes the serialized bytes (``--decode
raw``), as a C++ subscriber such as rviz2 does; ``--decode python`` adds what a Python subscriber
pays to build ~7 MB of rclpy messages a frame. Each of ``--runs`` runs is a fresh graph (node
process, discovery). Reports per method and run: end-to-end mean/p95 beside the node's mean
inference time (goal: p95 <= inference + 30 ms, every run), the node's own p95 (its receive to its
last output published; the rest of the end-to-end time is transport and the viewer), frames that
never came back, and, from the node's /diagnostics, its per-frame cost outside inference: wall time, and the worker
thread's CPU time (mean over the timed frames: counters snapshotted after the 3 warm-up frames)
as a ratio to a plain copy of the bytes it published (goal: <= 3 ms of CPU), and the CPU of the
node's whole process a frame (every thread: inference, OpenCV, DDS, executor; read from
/proc/PID/task/*/schedstat over the timed frames).

    .venv/bin/python benchmarks/bench_node.py --frames 30 --runs 5 --methods eigen2014 xian2018 li2020
    .venv/bin/python benchmarks/bench_node.py --variant paper   # paper-size networks, random weights

The bundled demo weights are the small ("light") variants, whose inference takes a few ms, so the
fixed per-frame cost of a 640x480 node (conversions, colour map, a 4.9 MB cloud, DDS) dominates.
``--variant paper`` times the papers' network sizes instead (weights are random and seeded: speed
does not depend on them), the setting the 25 % goal is about.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import struct
import sys
import threading
import time

import numpy as np

from mono_depth_ros.inference.pose_refinement import MOTION_REFINEMENTS
from mono_depth_ros.inference.processing import DEFAULT_FLIP_AVERAGE, FLIP_MODES
from mono_depth_ros.nodes.depth_config import DEPTH_PARAMS

DEFAULT_STRIDE_PX = next(p.default for p in DEPTH_PARAMS if p.name == "point_stride_px")


DOMAIN_ID = 150
OUTPUTS = (("/depth_node/depth/image", "Image"), ("/depth_node/depth/colored", "Image"),
           ("/depth_node/depth/camera_info", "CameraInfo"), ("/depth_node/points", "PointCloud2"))


def cdr_header_stamp(serialized: bytes) -> tuple[int, int]:
    """(sec, nanosec) of a serialized message that starts with a std_msgs/Header: the 4-byte CDR
    encapsulation (byte 1: 0 big endian, 1 little endian), then int32 sec and uint32 nanosec."""
    order = "<" if serialized[1] & 1 else ">"
    return struct.unpack_from(f"{order}iI", serialized, 4)


def subscribe_outputs(io, qos, on_output, raw: bool = False) -> list:
    """Subscribe every depth_node output on ``io``; ``on_output(kind, (sec, nanosec))`` runs for
    each depth image (kind "depth") and cloud ("points"). ``raw``: take the serialized bytes as a
    C++ subscriber such as rviz2 does, without building Python messages (stamp read from the CDR)."""
    import sensor_msgs.msg as sensor_msgs

    kinds = {"/depth_node/depth/image": "depth", "/depth_node/points": "points"}

    def stamp_of(msg) -> tuple[int, int]:
        return cdr_header_stamp(msg) if raw else (msg.header.stamp.sec, msg.header.stamp.nanosec)

    def callback(topic):
        kind = kinds.get(topic)
        return (lambda m: on_output(kind, stamp_of(m))) if kind else (lambda m: None)
    return [io.create_subscription(getattr(sensor_msgs, cls), topic, callback(topic), qos, raw=raw)
            for topic, cls in OUTPUTS]


def process_cpu_s(pid: int) -> float:
    """CPU seconds of every live thread of process ``pid`` (nanosecond counters of
    /proc/PID/task/*/schedstat); NaN where /proc has no such counters."""
    total_ns = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/schedstat") as handle:
                    total_ns += int(handle.read().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                continue  # a thread that ended meanwhile
    except FileNotFoundError:
        return float("nan")
    return total_ns * 1e-9


def start_node(method: str, backend: str, model_path: str, stride_px: int, env: dict,
               flip_average: str = DEFAULT_FLIP_AVERAGE, pipeline: str = "") -> subprocess.Popen:
    """depth_node in its own process, started as users start it (``python -m`` of its console script);
    ``pipeline`` (a motion_refinement): mono_depth_pipeline instead, depth_node and ego_motion_node in
    one process, as the launch file runs them with ego-motion on."""
    params = {"image_topic": "/bench/image_raw", "method": method, "backend": backend,
              "input_reliability": "reliable", "input_depth": 1, "point_stride_px": stride_px,
              # xian2018/li2020 are not metric: without a scale rule, no cloud
              "nonmetric_median_depth_m": 5.0, "diagnostics_period_s": 0.25, "flip_average": flip_average}
    if model_path:
        params["model_path"] = model_path
    if pipeline:  # parameters by node name (node:param:=value)
        params = {f"depth_node:{key}": value for key, value in params.items()}
        params.update({"ego_motion_node:image_topic": "/bench/image_raw", "ego_motion_node:backend": backend,
                       "ego_motion_node:input_reliability": "reliable", "ego_motion_node:input_depth": 1,
                       "ego_motion_node:motion_refinement": pipeline})
        args = [sys.executable, "-m", "mono_depth_ros.nodes.pipeline", "--ros-args"]
    else:
        args = [sys.executable, "-m", "mono_depth_ros.nodes.depth_node", "--ros-args", "-r", "__node:=depth_node"]
    for key, value in params.items():
        args += ["-p", f"{key}:={value}"]
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop_node(proc: subprocess.Popen) -> str:
    """SIGINT (a clean rclpy shutdown), then kill after 10 s; returns what the node printed."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=10.0)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out or ""


def bench_method(method: str, frames: int, backend: str, model_path: str, stride_px: int = DEFAULT_STRIDE_PX,
                 decode: str = "raw", threads: int = 0, flip_average: str = DEFAULT_FLIP_AVERAGE,
                 pipeline: str = "") -> dict:
    """One fresh graph: depth_node in its own process; this process is the camera (rgb8 640x480 +
    camera_info, one frame in flight) and the viewer of every output. A frame's latency is from the
    image's publish to the arrival of BOTH its depth image and its cloud here (one clock, no
    acknowledgement hop). The node's inference time and CPU come from its /diagnostics."""
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from diagnostic_msgs.msg import DiagnosticArray
    from sensor_msgs.msg import CameraInfo, Image

    from mono_depth_ros.core.camera import CameraIntrinsics, camera_info_from_intrinsics
    from mono_depth_ros.core.image import numpy_to_image
    from mono_depth_ros.core.stamps import make_header
    from mono_depth_ros.nodes.qos import make_qos
    from mono_depth_ros.nodes.spin import freeze_startup_heap

    env = dict(os.environ, ROS_DOMAIN_ID=str(DOMAIN_ID), PYTHONUNBUFFERED="1")
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    node = start_node(method, backend, model_path, stride_px, env, flip_average, pipeline)
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=DOMAIN_ID)
    io = rclpy.create_node("bench_camera_and_viewer", context=context)
    qos = make_qos("reliable", 5)
    pub = io.create_publisher(Image, "/bench/image_raw", qos)
    pub_info = io.create_publisher(CameraInfo, "/bench/camera_info", qos)
    arrived: dict[int, float] = {}
    seen: dict[int, set] = {}
    done = threading.Event()

    def on_output(kind, sec_nanosec):
        stamp = sec_nanosec[0] * 1_000_000_000 + sec_nanosec[1]
        seen.setdefault(stamp, set()).add(kind)
        if seen[stamp] >= {"depth", "points"}:
            arrived[stamp] = time.perf_counter()
            done.set()
    subscribe_outputs(io, qos, on_output, raw=decode == "raw")
    diagnostics: list[dict[str, str]] = []

    def on_diagnostics(msg) -> None:
        for status in msg.status:
            if status.hardware_id.endswith("/depth_node"):
                diagnostics.append({kv.key: kv.value for kv in status.values})
    io.create_subscription(DiagnosticArray, "/diagnostics", on_diagnostics, 10)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(io)

    def spin() -> None:
        try:
            executor.spin()
        except Exception:  # noqa: BLE001 - the context shut down under a spinning executor at the end
            pass
    spinner = threading.Thread(target=spin, daemon=True)
    spinner.start()

    def wait_for(ready, what: str, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not ready():
            if node.poll() is not None:
                raise RuntimeError(f"depth_node exited with {node.returncode} ({what}):\n{stop_node(node)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what}: not within {timeout_s:.0f} s")
            time.sleep(0.05)
    try:
        # the node subscribes to the image once its model is loaded
        wait_for(lambda: pub.get_subscription_count() > 0 and pub_info.get_subscription_count() > 0
                 and all(io.count_publishers(topic) > 0 for topic, _ in OUTPUTS), "discovery of depth_node")
        rgb = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
        intr = CameraIntrinsics(640, 480, 525.0, 525.0, 319.5, 239.5)
        # this process stands for a C++ camera driver and rviz2: its own full collections are not
        # the node's latency (the node's console script freezes its start-up heap the same way)
        freeze_startup_heap()
        sent: dict[int, float] = {}
        start = time.perf_counter()
        for i in range(frames + 3):  # 3 warm-up frames; one frame in flight at a time (latency)
            stamp = 1_700_000_000_000_000_000 + i * 33_000_000
            header = make_header(stamp, "bench_optical")
            done.clear()
            pub_info.publish(camera_info_from_intrinsics(intr, header, msg_cls=CameraInfo))
            if i == 3:  # the node's CPU counters after the warm-up frames: steady state from here
                wait_for(lambda: diagnostics and int(diagnostics[-1].get("cpu_outside_inference_frames", 0))
                         >= len(arrived), "/diagnostics of depth_node after the warm-up", timeout_s=20.0)
                warm = diagnostics[-1]
                start, warm_process_cpu_s = time.perf_counter(), process_cpu_s(node.pid)
            sent[stamp] = time.perf_counter()
            pub.publish(numpy_to_image(rgb, "rgb8", header, msg_cls=Image))
            done.wait(10.0)  # a frame that never comes back is counted as lost, not waited for forever
        elapsed = time.perf_counter() - start
        node_process_cpu_s = process_cpu_s(node.pid) - warm_process_cpu_s
        # the node's counters once they include every frame
        wait_for(lambda: diagnostics and int(diagnostics[-1].get("frames_out", 0)) >= len(arrived),
                 "/diagnostics of depth_node after the last frame", timeout_s=20.0)
        stats = diagnostics[-1]
    finally:
        executor.shutdown(timeout_sec=5.0)
        spinner.join(timeout=5.0)  # a spin thread alive at interpreter exit aborts in rclpy's C++ layer
        io.destroy_node()
        context.try_shutdown()
        stop_node(node)
    lat = np.array([arrived[s] - sent[s] for s in list(sent)[3:] if s in arrived] or [np.nan]) * 1e3
    lost = sum(1 for s in list(sent)[3:] if s not in arrived)
    infer_ms = float(stats["inference_mean_ms"])
    # worker CPU outside inference, mean over the timed frames only (not the 3 warm-up frames)
    steady_frames = int(stats["cpu_outside_inference_frames"]) - int(warm["cpu_outside_inference_frames"])
    steady_cpu_ms = ((float(stats["cpu_outside_inference_total_ms"]) - float(warm["cpu_outside_inference_total_ms"]))
                     / max(steady_frames, 1))
    return {"method": method, "backend": stats["backend"], "lat_mean_ms": float(np.mean(lat)),
            "lat_p95_ms": float(np.percentile(lat, 95)), "fps": len(lat) / elapsed, "infer_ms": infer_ms,
            "outside_ms": float(stats["latency_mean_ms"]) - infer_ms, "node_p95_ms": float(stats["latency_p95_ms"]),
            "outside_cpu_ms": steady_cpu_ms, "lost": lost,
            # every thread of the node's process (inference, OpenCV's and DDS's threads, spinning
            # included) over the timed frames: what the node costs the machine a frame
            "process_cpu_ms": node_process_cpu_s * 1e3 / max(frames, 1)}


def published_copy_ms(stride_px: int, repeats: int = 30) -> float:
    """Median time of a plain copy of the bytes depth_node publishes a 640x480 frame (depth 32FC1,
    colored rgb8, xyzrgb cloud at ``stride_px``), each into fresh memory as a message would be."""
    h, w = 480, 640
    ch, cw = -(-h // stride_px), -(-w // stride_px)
    sources = [np.ones((h, w), np.float32), np.ones((h, w, 3), np.uint8), np.ones((ch, cw, 4), np.float32)]
    times = []
    for _ in range(repeats + 1):
        begin = time.perf_counter()
        copies = [src.tobytes() for src in sources]  # noqa: F841 (held while timing, as messages are)
        times.append(time.perf_counter() - begin)
    return float(np.median(times[1:]) * 1e3)


def random_paper_checkpoint(method: str, folder: str) -> str:
    """Write a seeded random-init paper-size checkpoint of ``method``'s depth network; returns its path."""
    import torch

    from mono_depth_ros.inference.spec import get_spec
    from mono_depth_ros.inference.checkpoint import save_model_checkpoint

    spec_name = "li2020_depth" if method == "li2020" else method
    torch.manual_seed(0)
    kwargs = {"variant": "paper"}
    model = get_spec(spec_name).build(**kwargs).eval()
    return str(save_model_checkpoint(f"{folder}/{spec_name}_paper.pt", spec_name, model, kwargs, None))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5, help="fresh graphs per method (stalls show as lost frames)")
    parser.add_argument("--no-profile", action="store_true", help="Fast DDS defaults instead of the shipped profile")
    parser.add_argument("--methods", nargs="+", default=["eigen2014", "xian2018", "li2020"])
    parser.add_argument("--backend", default="onnxruntime")
    parser.add_argument("--model-path", default="", help="one model for all methods (default: bundled)")
    parser.add_argument("--variant", choices=("bundled", "paper"), default="bundled",
                        help="bundled: the demo weights (light networks); paper: paper-size networks, random weights")
    parser.add_argument("--threads", type=int, default=0,
                        help="OMP_NUM_THREADS of the node process (torch backend); 0: its default")
    parser.add_argument("--decode", choices=("raw", "python"), default="raw",
                        help="raw: the subscriber takes the serialized bytes, as a C++ subscriber (rviz2) does; "
                        "python: it builds rclpy messages (a Python subscriber's extra cost, ~7 MB a frame)")
    parser.add_argument("--stride", type=int, default=DEFAULT_STRIDE_PX,
                        help=f"depth_node point_stride_px (default {DEFAULT_STRIDE_PX}, the node's; 1: the full 4.9 MB cloud)")
    parser.add_argument("--flip-average", choices=FLIP_MODES, default=DEFAULT_FLIP_AVERAGE,
                        help=f"depth_node flip_average (default {DEFAULT_FLIP_AVERAGE}, the node's)")
    parser.add_argument("--pipeline", choices=MOTION_REFINEMENTS, default="",
                        help="run mono_depth_pipeline (depth_node + ego_motion_node in one process, as the launch "
                        "file with ego-motion on) with this motion_refinement; the latency is still the depth's "
                        "and cloud's, the process CPU includes the odometry")
    args = parser.parse_args()
    if args.no_profile:  # Fast DDS's builtin transports with their default sizes, in both processes
        os.environ.pop("FASTDDS_DEFAULT_PROFILES_FILE", None)
        os.environ["FASTDDS_BUILTIN_TRANSPORTS"] = "DEFAULT"
    else:
        from mono_depth_ros.nodes.transport import apply_fastdds_profile

        apply_fastdds_profile()  # before any participant; the node process inherits it
    import tempfile

    with tempfile.TemporaryDirectory(prefix="bench_node_") as folder:
        rows = []
        for method in args.methods:
            path = random_paper_checkpoint(method, folder) if args.variant == "paper" else args.model_path
            for run in range(args.runs):
                rows.append(dict(bench_method(method, args.frames, args.backend, path, args.stride,
                                              args.decode, args.threads, args.flip_average, args.pipeline),
                                 run=run + 1))
    copy_ms = published_copy_ms(args.stride)
    print(f"depth_node end-to-end, 640x480 rgb8, all outputs subscribed (points stride {args.stride}), "
          f"{args.frames} frames x {args.runs} runs, {args.variant} networks, flip_average {args.flip_average}, "
          + (f"mono_depth_pipeline (motion_refinement {args.pipeline}) " if args.pipeline else "node ")
          + "in its own process, "
          f"camera and viewer ({args.decode} messages) in another, "
          f"Fast DDS {'defaults' if args.no_profile else 'shipped profile'}")
    print(f"plain copy of the bytes published a frame: {copy_ms:.2f} ms")
    print(f"{'method':10s} {'run':>3s} {'backend':28s} {'e2e mean':>9s} {'e2e p95':>8s} {'infer':>7s} "
          f"{'p95-infer':>9s} {'node p95':>8s} {'lost':>4s} {'fps':>5s} {'outside infer':>13s} {'CPU':>7s} {'x copy':>6s} {'process CPU':>11s}")
    for r in rows:
        slack = r["lat_p95_ms"] - r["infer_ms"]
        print(f"{r['method']:10s} {r['run']:3d} {r['backend'][:28]:28s} {r['lat_mean_ms']:7.1f}ms "
              f"{r['lat_p95_ms']:6.1f}ms {r['infer_ms']:5.1f}ms {slack:7.1f}ms {r['node_p95_ms']:6.1f}ms {r['lost']:4d} {r['fps']:5.1f} "
              f"{r['outside_ms']:11.2f}ms {r['outside_cpu_ms']:5.2f}ms {r['outside_cpu_ms'] / copy_ms:6.1f} {r['process_cpu_ms']:9.2f}ms")
    for method in args.methods:
        mine = [r for r in rows if r["method"] == method]
        worst = max(r["lat_p95_ms"] - r["infer_ms"] for r in mine)
        ok = worst <= 30.0 and not any(r["lost"] for r in mine)
        print(f"goal {method}: e2e p95 <= inference + 30 ms in every run, nothing lost -> worst p95 - infer "
              f"{worst:.1f} ms, lost {sum(r['lost'] for r in mine)}: {'met' if ok else 'NOT met'}")
        cpu = float(np.median([r["outside_cpu_ms"] for r in mine]))
        print(f"goal {method}: CPU a frame outside inference <= 3 ms -> median {cpu:.2f} ms "
              f"({cpu / copy_ms:.1f}x the copy): {'met' if cpu <= 3.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
