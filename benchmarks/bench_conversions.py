"""Benchmark of the core conversions at 640x480: prints a table of median times.

Rows: Image -> normalised (1, 3, H, W) float tensor; depth -> organized xyzrgb PointCloud2
(rclpy message class), also with a fifth of the points beyond ``max_range_m`` (scattered: every
one of them a NaN point) and at the node's stride; a plain copy of the cloud's bytes for
reference. Goal: the full-size cloud build stays within 4x of the plain copy. Where
``../shared/data`` is present, the same conversions on the real Kinect and KITTI frames: the
recording's depth (Kinect's sensor, holes NaN) and the bundled eigen2014's depth of the same
frames (ONNX Runtime, as the node), with the colour map and the 32FC1 depth image beside them, and
what ``guided_filter`` adds to a frame beside what the network's ``estimate()`` costs.

    .venv/bin/python benchmarks/bench_conversions.py --repeats 50
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mono_depth_ros.core.camera import CameraIntrinsics  # noqa: E402
from mono_depth_ros.core.depth import depth_to_image  # noqa: E402
from mono_depth_ros.core.image import image_to_rgb8, numpy_to_image, rgb8_to_tensor  # noqa: E402
from mono_depth_ros.core.pointcloud import depth_to_pointcloud2  # noqa: E402
from mono_depth_ros.core.stamps import make_header  # noqa: E402
from mono_depth_ros.nodes.colormap import colorize_depth  # noqa: E402


CLOUD_GOAL_RATIO = 4.0


def median_ms(func: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``func``; each result stays alive until the next call returns, as a
    node keeps a message until it is published, so every row pays for fresh output memory."""
    previous = func()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
        previous = result
    del previous
    return statistics.median(times) * 1e3


def median_ms_freed(func: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``func`` with its result dropped at once (malloc reuses warm memory)."""
    func()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--repeats", type=int, default=30, help="timed runs per row (median reported)")
    args = parser.parse_args()
    from sensor_msgs.msg import PointCloud2  # only the naive reference row needs it directly

    rng = np.random.default_rng(0)
    height, width = args.height, args.width
    rgb = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    depth_m = rng.uniform(0.3, 10.0, (height, width)).astype(np.float32)
    depth_m[::7, ::5] = np.nan
    header = make_header(1_700_000_000_000_000_000, "camera_optical_frame")
    image = numpy_to_image(rgb, "rgb8", header)
    intr = CameraIntrinsics(width, height, 525.0, 525.0, width / 2 - 0.5, height / 2 - 0.5)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)

    far_m = depth_m.copy()  # an outdoor frame: a fifth of the points (sky, open road) beyond 50 m
    far_m[rng.random((height, width)) < 0.2] = 80.0
    cloud = depth_to_pointcloud2(depth_m, intr, header, rgb=rgb)
    cloud_array = np.frombuffer(cloud.data, dtype=np.uint8).copy()
    cloud_bytes = cloud_array.tobytes()
    rows = [
        ("Image rgb8 -> (1,3,H,W) float32 tensor", median_ms(lambda: rgb8_to_tensor(image_to_rgb8(image), mean, std), args.repeats)),
        ("depth + rgb -> xyzrgb PointCloud2 (rclpy)", median_ms(lambda: depth_to_pointcloud2(depth_m, intr, header, rgb=rgb), args.repeats)),
        ("same, max_range_m 50 (the node's default)", median_ms(lambda: depth_to_pointcloud2(depth_m, intr, header, rgb=rgb, max_range_m=50.0), args.repeats)),
        ("same, a fifth of the points beyond max_range_m", median_ms(lambda: depth_to_pointcloud2(far_m, intr, header, rgb=rgb, max_range_m=50.0), args.repeats)),
        ("same at the node's point_stride_px 2", median_ms(lambda: depth_to_pointcloud2(far_m, intr, header, rgb=rgb, stride_px=2, max_range_m=50.0), args.repeats)),
        ("depth -> xyz PointCloud2 (rclpy)", median_ms(lambda: depth_to_pointcloud2(depth_m, intr, header), args.repeats)),
        ("naive rclpy PointCloud2(data=cloud bytes)", median_ms(lambda: PointCloud2(data=cloud_bytes), args.repeats)),
        ("plain bytes copy of the xyzrgb cloud", median_ms(lambda: cloud_array.tobytes(), args.repeats)),
        ("plain copy, previous result freed first", median_ms_freed(lambda: cloud_array.tobytes(), args.repeats)),
    ]
    copy_ms = rows[7][1]
    print(f"{width}x{height}, cloud {len(cloud_array) / 1e6:.2f} MB, median of {args.repeats} runs")
    print(f"{'conversion':<45} {'ms':>8} {'x copy':>8}")
    for name, ms in rows:
        print(f"{name:<45} {ms:8.2f} {ms / copy_ms:8.2f}")
    ratio = max(rows[1][1], rows[2][1], rows[3][1]) / copy_ms
    verdict = "OK" if ratio <= CLOUD_GOAL_RATIO else "MISSED"
    print(f"goal: xyzrgb cloud within {CLOUD_GOAL_RATIO:.0f}x of plain copy -> {ratio:.2f}x {verdict}")
    real_frames(args.repeats)


def real_frames(repeats: int) -> None:
    """The conversions on the real Kinect (indoor, 640x480) and KITTI (street, 1241x376) frames:
    min-max over each set's frames of every row's median. Depth: the recording's own where it has
    one (Kinect's sensor, holes NaN; KITTI frame 0's SGBM reference) and the bundled eigen2014's
    (crop, so on KITTI NaN where the network saw nothing, and far sky beyond ``max_range_m``)."""
    from mono_depth_ros.inference.depth_estimator import DepthEstimator
    from mono_depth_ros.inference.processing import AUTO_GUIDED_FILTER, guided_filter_depth
    from training.evaluate.real_sets import DEFAULT_DATA_ROOT, SetUnavailable, load_set

    estimator = None
    header = make_header(0, "camera_optical_frame")
    worst = 0.0
    for set_name in ("kinect", "kitti"):
        try:
            real = load_set(set_name, DEFAULT_DATA_ROOT)
        except SetUnavailable as exc:
            print(f"\nreal {set_name} frames skipped: {exc}")
            continue
        if estimator is None:
            estimator = DepthEstimator.from_path(REPO / "mono_depth_ros" / "weights" / "eigen2014.pt",
                                                 backend="onnxruntime", flip_average="auto")
        intr, rows = real.intrinsics, {}
        for frame in real.frames:
            network_m = np.ascontiguousarray(estimator.estimate(frame.rgb).depth_m, dtype=np.float32)
            rows.setdefault("eigen2014 estimate(), flipped, unfiltered", []).append(
                median_ms(lambda: estimator.estimate(frame.rgb), max(3, repeats // 5)))
            rows.setdefault("guided_filter of that depth (li2020's setting)", []).append(
                median_ms(lambda: guided_filter_depth(network_m, frame.rgb, *AUTO_GUIDED_FILTER["li2020_depth"]),
                          repeats))
            cloud = np.frombuffer(depth_to_pointcloud2(network_m, intr, header, rgb=frame.rgb).data, np.uint8).copy()
            copy_ms = median_ms(lambda: cloud.tobytes(), repeats)
            rows.setdefault("plain bytes copy of the xyzrgb cloud", []).append(copy_ms)
            sources = [("recording's depth", frame.depth_m)] if frame.depth_m is not None else []
            for source, depth_m in sources + [("eigen2014 depth", network_m)]:
                depth_m = np.ascontiguousarray(depth_m, dtype=np.float32)
                ms = median_ms(lambda: depth_to_pointcloud2(depth_m, intr, header, rgb=frame.rgb, max_range_m=50.0),
                               repeats)
                rows.setdefault(f"{source}: xyzrgb cloud, max_range_m 50", []).append(ms)
                rows.setdefault(f"{source}: cloud x copy", []).append(ms / copy_ms)
                worst = max(worst, ms / copy_ms)
                rows.setdefault(f"{source}: 32FC1 depth image", []).append(
                    median_ms(lambda: depth_to_image(depth_m, header), repeats))
                rows.setdefault(f"{source}: colour map", []).append(median_ms(lambda: colorize_depth(depth_m), repeats))
        print(f"\nreal {set_name} frames ({len(real.frames)}, {intr.width}x{intr.height}, {real.depth_source}), "
              "min-max over the frames")
        for name, values in rows.items():
            unit = "x" if name.endswith("x copy") else "ms"
            print(f"{name:<48} {min(values):6.2f}-{max(values):5.2f} {unit}")
    if worst:
        verdict = "OK" if worst <= CLOUD_GOAL_RATIO else "MISSED"
        print(f"goal on the real frames: xyzrgb cloud within {CLOUD_GOAL_RATIO:.0f}x of plain copy -> "
              f"{worst:.2f}x {verdict}")

if __name__ == "__main__":
    main()
