"""The demo: synthetic (or user) bag -> player -> depth_node + ego_motion_node -> recorder -> report.

Everything runs in one process on a real DDS graph: the player publishes the bag through rclpy
publishers at its recorded rate, the nodes subscribe as they would to a camera, and a recorder
node writes every output topic into ``<out>/output_bag`` (MCAP).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mono_depth_ros.core.depth import depth_from_image
from mono_depth_ros.core.image import image_to_rgb8
from mono_depth_ros.core.stamps import stamp_to_ns
from mono_depth_ros.core.transforms import transform_msg_to_matrix
from mono_depth_ros.demo import report
from mono_depth_ros.inference.pose_refinement import DEFAULT_MOTION_REFINEMENT
from mono_depth_ros.inference.processing import DEFAULT_GUIDED_FILTER


#: synthetic worlds of the demo: ``realistic`` is the world the bundled weights were trained on
#: (``training synth --realistic`` without its camera rigs, so the demo keeps --size); ``plain`` the
#: simple textured boxes of the first rounds
DEMO_WORLDS: dict[str, dict[str, str]] = {"realistic": {"layout": "rich", "textures": "photos", "look": "real"},
                                          "plain": {}}


@dataclass(frozen=True)
class DemoOptions:
    """What the demo runs on; see ``python -m mono_depth_ros.demo --help``."""

    out_dir: Path = Path("demo_output")
    bag: Path | None = None
    frames: int = 40
    size_wh: tuple[int, int] = (320, 240)
    scene: str = "indoor"
    world: str = "realistic"
    fps: float = 10.0
    rate: float = 1.0
    method: str = "eigen2014"
    backend: str = "auto"
    model_path: str = ""
    image_topic: str = "/camera/image_raw"
    gt_depth_topic: str = "/camera/depth/image"
    gt_child_frame: str = "camera_link"
    ego_motion: bool = True
    motion_refinement: str = DEFAULT_MOTION_REFINEMENT  # ego_motion_node's motion_refinement
    guided_filter: str = DEFAULT_GUIDED_FILTER  # depth_node's guided_filter
    snapshots: int = 3


def prepare_bag(opts: DemoOptions) -> Path:
    """The user's bag, or a synthetic one under ``out_dir`` (reused when it already exists)."""
    if opts.bag is not None:
        return opts.bag
    from tqdm import tqdm

    from mono_depth_ros.synth import write_synthetic_bag

    path = opts.out_dir / f"synthetic_{opts.world}_{opts.scene}_{opts.frames}f_{opts.size_wh[0]}x{opts.size_wh[1]}"
    if (path / "metadata.yaml").is_file():
        print(f"reusing synthetic bag {path}")
        return path
    with tqdm(total=opts.frames, desc="rendering synthetic bag", unit="frame") as bar:
        write_synthetic_bag(path, frames=opts.frames, size_wh=opts.size_wh, scene=opts.scene,
                            fps=opts.fps, progress=bar.update, **DEMO_WORLDS[opts.world])
    return path


def read_ground_truth(bag: Path, opts: DemoOptions) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """({stamp_ns: depth_m}, {stamp_ns: T_odom_child (4, 4)}) from the bag; empty when absent."""
    from mono_depth_ros.bags.reader import open_bag

    depths, poses = {}, {}
    with open_bag(bag) as source:
        topics = [t for t in (opts.gt_depth_topic, "/tf") if t in source.topics]
        for topic, _, _, msg in source.messages(topics):
            if topic == opts.gt_depth_topic:
                depths[stamp_to_ns(msg.header.stamp)] = depth_from_image(msg)
                continue
            for transform in msg.transforms:
                if transform.child_frame_id.lstrip("/") == opts.gt_child_frame:
                    poses[stamp_to_ns(transform.header.stamp)] = transform_msg_to_matrix(transform)
    return depths, poses


def build_nodes(opts: DemoOptions, context: Any) -> list[Any]:
    """DepthNode (+ EgoMotionNode sharing its depth when the method is li2020)."""
    from mono_depth_ros.nodes.depth_cache import DepthCache
    from mono_depth_ros.nodes.depth_node import DepthNode
    from mono_depth_ros.nodes.ego_motion_node import EgoMotionNode

    cache = DepthCache() if opts.method == "li2020" else None
    depth = DepthNode(context=context, depth_cache=cache, parameter_overrides={
        "image_topic": opts.image_topic, "method": opts.method, "model_path": opts.model_path,
        "backend": opts.backend, "fallback_hfov_deg": 60.0, "max_range_m": 30.0,
        "guided_filter": opts.guided_filter})
    nodes = [depth]
    if opts.ego_motion:
        nodes.append(EgoMotionNode(context=context, depth_cache=cache, parameter_overrides={
            "image_topic": opts.image_topic, "backend": opts.backend, "publish_motion_field": True,
            "odom_frame": "odom", "base_frame": "base_link", "motion_refinement": opts.motion_refinement,
            "publish_camera_tf": False}))  # the bag's own /tf_static places the camera
    return nodes


OUTPUT_TOPICS = {
    "/depth_node/depth/image": ("sensor_msgs", "Image"), "/depth_node/depth/camera_info": ("sensor_msgs", "CameraInfo"),
    "/depth_node/depth/colored": ("sensor_msgs", "Image"), "/depth_node/points": ("sensor_msgs", "PointCloud2"),
    "/ego_motion_node/odometry": ("nav_msgs", "Odometry"), "/tf": ("tf2_msgs", "TFMessage"),
    "/ego_motion_node/motion_field": ("sensor_msgs", "Image"),
    "/ego_motion_node/camera_info_estimated": ("sensor_msgs", "CameraInfo"),
    "/diagnostics": ("diagnostic_msgs", "DiagnosticArray"),
}


def _wait(predicate, timeout_s: float) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def run_demo(opts: DemoOptions) -> dict[str, Any]:
    """Run everything; returns the summary rows (also printed)."""
    import importlib

    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    from mono_depth_ros.demo.player import BagPlayer
    from mono_depth_ros.demo.recorder import BagRecorder

    opts.out_dir.mkdir(parents=True, exist_ok=True)
    bag = prepare_bag(opts)
    gt_depths, gt_poses = read_ground_truth(bag, opts)
    out_bag = opts.out_dir / "output_bag"
    if out_bag.exists():
        import shutil

        shutil.rmtree(out_bag)
    context = rclpy.Context()
    rclpy.init(context=context)
    nodes = build_nodes(opts, context)
    io_node = rclpy.create_node("mono_depth_demo", context=context)
    topics = {t: getattr(importlib.import_module(f"{p}.msg"), n) for t, (p, n) in OUTPUT_TOPICS.items()}
    recorder = BagRecorder(io_node, out_bag, topics, keep={"/depth_node/depth/image", "/depth_node/points",
                                                           "/ego_motion_node/odometry"})
    player = BagPlayer(io_node, bag, rate=opts.rate, remap={"/tf": "/ground_truth/tf"})
    # one executor thread, as the console scripts (nodes/spin.py): with rclpy's MultiThreadedExecutor
    # (4 threads) the nodes received 18-25 of the 40 frames, at 350 ms mean latency, against all 40
    # at 12-18 ms with this one
    executor = SingleThreadedExecutor(context=context)
    for node in nodes + [io_node]:
        executor.add_node(node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    published: dict[int, float] = {}
    rgb_by_stamp: dict[int, np.ndarray] = {}
    try:
        # depth_node subscribes to the images, and so does ego_motion_node unless it reads depth_node's cache
        readers = 1 + sum(1 for n in nodes[1:] if n.depth_cache is None)
        _wait(lambda: io_node.count_subscribers(opts.image_topic) >= readers, 10.0)
        _wait(lambda: nodes[0].pub_depth.get_subscription_count() > 0, 10.0)

        def on_message(topic: str, stamp_ns: int, msg: Any) -> None:
            if topic == opts.image_topic:
                published[stamp_to_ns(msg.header.stamp)] = time.monotonic()
                if len(rgb_by_stamp) < 200:
                    rgb_by_stamp[stamp_to_ns(msg.header.stamp)] = image_to_rgb8(msg)
        print(f"playing {bag} ({', '.join(player.topics)}) at {opts.rate}x")
        play_start = time.monotonic()
        player.play(on_message=on_message)
        play_s = time.monotonic() - play_start
        _wait(lambda: _drained(recorder, nodes, len(published), play_start + play_s), 30.0)
    finally:
        stats = [n.stats() for n in nodes]
        executor.shutdown(timeout_sec=5.0)
        spinner.join(timeout=5.0)
        recorder.close()
        for node in nodes + [io_node]:
            node.destroy_node()
        context.try_shutdown()
    return summarize(opts, recorder, stats, published, rgb_by_stamp, gt_depths, gt_poses, play_s)


def _drained(recorder: Any, nodes: list[Any], published: int, play_end_s: float) -> bool:
    """True once the first node has received the ``published`` frames (or 3 s have passed since the
    bag ended: some were lost), every node has no frame waiting or in inference, and no output has
    come for a moment. A short bag's first frame, still in its first inference when the bag ends,
    is waited for."""
    now = time.monotonic()
    arrived = nodes[0].slot.received >= published or now - play_end_s > 3.0
    idle = all(n.slot.idle for n in nodes)
    outputs = ("/depth_node/depth/image", "/ego_motion_node/odometry")  # not /diagnostics: it never stops
    last = max((recorder.arrivals[t][-1][1] for t in outputs if recorder.arrivals[t]), default=0.0)
    return arrived and idle and now - max(last, play_end_s) > 1.5


def summarize(opts: DemoOptions, recorder: Any, stats: list[dict[str, Any]], published: dict[int, float],
              rgb_by_stamp: dict[int, np.ndarray], gt_depths: dict[int, np.ndarray],
              gt_poses: dict[int, np.ndarray], play_s: float) -> dict[str, Any]:
    """Metrics, files and the printed table."""
    from mono_depth_ros.demo.summary import accuracy_table, depth_row, ego_row

    rows = [depth_row(opts, recorder, stats[0], published, rgb_by_stamp, gt_depths, play_s)]
    if len(stats) > 1:
        rows.append(ego_row(opts, recorder, stats[1], published, gt_poses, play_s))
    columns = ["node", "frames_in", "frames_out", "drops", "latency_mean_ms", "latency_p95_ms", "fps",
               "AbsRel", "ATE_m", "backend"]
    table = report.format_table(rows, columns)
    accuracy = accuracy_table(rows, opts.method)
    if accuracy:
        table += "\n\n" + accuracy
    print(table)
    (opts.out_dir / "summary.txt").write_text(table + "\n")
    print(f"outputs in {opts.out_dir}/ (output_bag/, snapshot_*.png, points.ply, trajectory.png, summary.txt)")
    return {"rows": rows, "table": table}
