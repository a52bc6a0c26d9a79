"""Which layers of li2020's motion network int8 keeps float: accuracy on real KITTI pairs and speed.

For each float scope (node-name patterns, as the model card's ``int8_float_nodes``) the bundled
motion network is quantised by OpenVINO/NNCF on pairs of the EuRoC video (depths from the bundled
li2020 depth network, as EgoMotionEstimator builds its input) and run on the 5 real KITTI pairs
with poses, the network alone (``motion_refinement: none``), every row fed the same fp32 depths.
Prints per scope the change of rotation and translation-direction error per pair against fp32
(the bound: 0.05 deg and 1 deg, bench_inference's), then the time per pair of fp32, bf16 and each
int8 scope, interleaved round by round (ratios to fp32 per round, medians), and the range of the
depth planes the encoder reads on each camera (the reason the encoder stays float).

    .venv/bin/python benchmarks/motion_int8_scope.py [--rounds 7] [--calls 30]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mono_depth_ros.inference import spec as spec_module  # noqa: E402
from mono_depth_ros.inference.calibration import calibration_frames, calibration_inputs  # noqa: E402
from mono_depth_ros.inference.depth_estimator import DepthEstimator  # noqa: E402
from mono_depth_ros.inference.ego_motion_estimator import EgoMotionEstimator, bundled_calibration_depth  # noqa: E402
from mono_depth_ros.inference.weights import default_weights_path  # noqa: E402
from training.evaluate.real_bench import DepthCache, Networks, evaluate_motion_set  # noqa: E402
from training.evaluate.real_sets import DEFAULT_DATA_ROOT, STEREODEMO_DIR, SetUnavailable, load_set  # noqa: E402

#: bench_inference.GOAL_MOTION_DEG: largest change per KITTI pair against fp32
BOUND_DEG = {"rot_err_deg": 0.05, "dir_err_deg": 1.0}
SCOPES = {
    "head + convs.3-6 (the card until stage 37's weights)": (r"/inner/(?!refiners|convs)", r"/inner/convs\.[3-6]/"),
    "head + convs.0, 3-6": (r"/inner/(?!refiners|convs)", r"/inner/convs\.[03-6]/"),
    "head + convs.0-6 (all but the refiners)": (r"/inner/(?!refiners)",),
}


def load_motion(precision: str, float_nodes: tuple[str, ...] | None, cache: Path, euroc: Path) -> EgoMotionEstimator:
    """The bundled motion network on OpenVINO at ``precision``; int8 with ``float_nodes`` kept float."""
    base = spec_module.MODEL_SPECS["li2020_motion"]
    if float_nodes is not None:
        spec_module.MODEL_SPECS["li2020_motion"] = dataclasses.replace(base, int8_float_nodes=float_nodes)
    try:
        return EgoMotionEstimator.from_path(default_weights_path("li2020_motion"), backend="openvino",
                                            precision=precision, threads=1, refinement="none", cache_dir=cache,
                                            calibration_dir=euroc)
    finally:
        spec_module.MODEL_SPECS["li2020_motion"] = base


def depth_plane_range(folder: Path, pairs: int, input_hw: tuple[int, int]) -> str:
    """Percentiles of the depth planes (channels 3 and 7) of ``pairs`` calibration samples of ``folder``."""
    frames = calibration_frames(folder, count=pairs, per_sample=2)
    samples = calibration_inputs(frames, spec_module.get_spec("li2020_motion"), input_hw,
                                 depth_of=bundled_calibration_depth())
    planes = np.concatenate([s[0, [3, 7]].ravel() for s in samples])
    p50, p99, top = np.percentile(planes, [50, 99, 100])
    return f"{len(samples)} pairs: median {p50:.2f}, 99th percentile {p99:.2f}, max {top:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT, help="../shared/data/real")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved timing rounds")
    parser.add_argument("--calls", type=int, default=30, help="calls per network per round")
    args = parser.parse_args()
    euroc = args.data_root / "euroc_v101_micro" / "cam0" / "data"
    try:
        kitti = load_set("kitti", args.data_root, None, STEREODEMO_DIR)
    except SetUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not euroc.is_dir():
        print(f"error: {euroc} not found (the int8 calibration video)", file=sys.stderr)
        return 2
    depth = DepthEstimator.from_path(default_weights_path("li2020_depth"), backend="onnxruntime")
    depth_of = DepthCache(Networks({"li2020": depth}))
    cache = Path(tempfile.mkdtemp(prefix="motion_int8_scope_"))
    rows = {"fp32": load_motion("fp32", None, cache / "fp32", euroc), "bf16": load_motion("bf16", None, cache / "bf16", euroc)}
    for i, (name, nodes) in enumerate(SCOPES.items()):
        rows[name] = load_motion("int8", nodes, cache / f"int8_{i}", euroc)
    errors = {}
    for name, motion in rows.items():
        if name == "bf16":
            continue
        result = evaluate_motion_set(kitti, Networks({"li2020": depth}, motion), depth_of)
        errors[name] = {k: np.asarray(result["per_pair"]["li2020"][k]) for k in BOUND_DEG}
    print("\n| float scope (the rest int8) | runs as | rotation change per pair (deg) | direction change per pair (deg) | within the bound |")
    print("|---|---|---|---|---|")
    for name in SCOPES:
        change = {k: np.abs(errors[name][k] - errors["fp32"][k]) for k in BOUND_DEG}
        ok = all(change[k].max() <= BOUND_DEG[k] for k in BOUND_DEG)
        print(f"| {name} | {rows[name].backend.effective_precision} | {change['rot_err_deg'].min():.3f}-"
              f"{change['rot_err_deg'].max():.3f} | {change['dir_err_deg'].min():.2f}-{change['dir_err_deg'].max():.2f} "
              f"| {'yes' if ok else 'no'} |")
    print(f"fp32 alone: rotation error {np.round(errors['fp32']['rot_err_deg'], 3)} deg, direction "
          f"{np.round(errors['fp32']['dir_err_deg'], 2)} deg per pair; bound {BOUND_DEG}")
    x = calibration_inputs(calibration_frames(euroc, 1, 2), spec_module.get_spec("li2020_motion"),
                           rows["fp32"].input_hw, depth_of=bundled_calibration_depth())[0]
    times = {name: [] for name in rows}
    for _ in range(args.rounds):
        for name, motion in rows.items():
            for _ in range(3):
                motion.backend.infer({"frames": x})
            start = time.perf_counter()
            for _ in range(args.calls):
                motion.backend.infer({"frames": x})
            times[name].append((time.perf_counter() - start) / args.calls * 1e3)
    print(f"\n| network (one thread, {x.shape[2]}x{x.shape[3]}) | ms per pair, median (min-max) | against fp32 (per round, median) |")
    print("|---|---|---|")
    for name, t in times.items():
        print(f"| {name} | {np.median(t):.2f} ({min(t):.2f}-{max(t):.2f}) | {np.median(np.divide(times['fp32'], t)):.2f}x |")
    print("\ndepth planes the encoder reads (the depth net's metres):")
    print(f"  EuRoC (calibration): {depth_plane_range(euroc, 32, rows['fp32'].input_hw)}")
    print(f"  KITTI: {depth_plane_range(args.data_root / 'kitti_odometry00_6frames' / 'image_0', 3, rows['fp32'].input_hw)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
