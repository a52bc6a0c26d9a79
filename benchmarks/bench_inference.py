"""Inference benchmark: every backend x precision, its error against fp32 and its speed beside torch eager fp32.

Speed and error (random-weight networks, default the paper variants at 192x640, batch 1): each
row runs in a fresh child process (spawn) that loads torch eager fp32 AND the row's backend and
times them side by side, alternating frame by frame. ``vs torch`` is the ratio of the two
best-of-N frame times (other load on the machine only ever adds time, so the minimum is the
figure least moved by it; the medians are printed beside it). ``err`` is max |out - torch fp32| over
the torch output's range on one random input (for li2020_motion over rotation, translation and
intrinsics; its residual_translation is cut by a threshold mask, where reduced precision flips
single pixels). Goal: the best CPU path >= 5x torch eager fp32 for every network.
The children run with ``OMP_WAIT_POLICY=PASSIVE`` (unless set): torch's OpenMP threads would
otherwise spin after each torch frame on the cores the next row frame needs (measured: OpenVINO
bf16 eigen2014 12.9 -> 11.2 ms, torch unchanged). A ``*`` marks a row whose torch reference ran
over 25 % slower than the best torch figure of that network in the run (the row's runtime kept
the cores busy between its frames, or the machine was loaded): its ratio is flattered.

Real-data accuracy (the bundled demo weights at their own input size): median-scaled AbsRel on
the real sets with ground-truth depth (benchmarks/bench_real.py's sets and metric code), per
backend x precision and network, and its difference to torch fp32 (goal: within 0.005). Each
network is scored alone on its own valid pixels (a precision may be refused for one network:
bf16_w8 needs fully connected layers), so figures can differ slightly from bench_real's joint
table. int8 rows calibrate on ``--calibration-dir`` (default: the real EuRoC video, not one of
the scored sets; the motion network on its consecutive pairs with li2020 depths).

Real ego-motion accuracy (li2020_motion, bundled weights): rotation and translation-direction
error per pair on the real KITTI pairs with ground-truth poses (bench_real's code), each row's
motion network fed the same torch fp32 li2020 depths, so only the motion network changes; and
the largest change per pair against torch fp32 (bound: 0.05 deg rotation, 1 deg direction, about
a quarter of the fp32 network's own errors there, 0.22 and 4.1 deg).

The goal line takes, per network, the fastest CPU row whose real-data accuracy stays within the
bound of torch fp32: AbsRel within 0.005 for the depth networks, the ego-motion bound for
li2020_motion.
``--profile`` prints OpenVINO's per-layer times (PERF_COUNT) of each openvino row instead.

    .venv/bin/python benchmarks/bench_inference.py                          # CPU rows, both parts
    .venv/bin/python benchmarks/bench_inference.py --rows tensorrt:fp32,tensorrt:fp16 --no-real   # GPU
    .venv/bin/python benchmarks/bench_inference.py --models eigen2014 --rows openvino:bf16,openvino:bf16_w4 --profile
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SPEC_NAMES = ("eigen2014", "xian2018", "li2020_depth", "li2020_motion")
CPU_ROWS = ("torch:fp32", "torch:bf16", "onnxruntime:fp32", "onnxruntime:fp16", "openvino:fp32", "openvino:bf16",
            "openvino:bf16_w8", "openvino:bf16_w4", "openvino:int8")
GPU_ROWS = ("tensorrt:fp32", "tensorrt:fp16", "tensorrt:int8", "onnxruntime-cuda:fp32", "onnxruntime-cuda:fp16",
            "torch-cuda:fp32", "torch-cuda:fp16")
DATA_ROOT = REPO.parent / "shared" / "data" / "real"
DEFAULT_CALIBRATION = DATA_ROOT / "euroc_v101_micro" / "cam0" / "data"
GOAL_SPEEDUP, GOAL_ABSREL = 5.0, 0.005
#: li2020_motion on real KITTI pairs: largest change per pair of each error against torch fp32
GOAL_MOTION_DEG = {"rot_err_deg": 0.05, "dir_err_deg": 1.0}
MOTION_SETS = ("kitti",)
SKIP_ERROR_OUTPUTS = ("residual_translation",)


def _hw(text: str) -> tuple[int, int]:
    h, w = (int(v) for v in text.lower().split("x"))
    return h, w


def _row(text: str) -> tuple[str, str, str]:
    """'onnxruntime-cuda:fp16' -> (backend, device, precision)."""
    name, precision = text.split(":")
    backend, _, device = name.partition("-")
    return backend, (device or ("cuda" if backend == "tensorrt" else "cpu")), precision


def make_checkpoint(folder: Path, spec_name: str, variant: str, hw: tuple[int, int]) -> Path:
    import torch

    from mono_depth_ros.inference.spec import get_spec
    from mono_depth_ros.inference.checkpoint import save_model_checkpoint

    torch.manual_seed(0)
    model = get_spec(spec_name).build(variant=variant)
    return save_model_checkpoint(folder / f"{spec_name}-{variant}-{hw[0]}x{hw[1]}.pt", spec_name, model,
                                 {"variant": variant}, {"data": {"input_hw": list(hw)}})


def run_pair(checkpoint: str, onnx_path: str, row: str, hw: tuple[int, int], threads: int, iterations: int,
             warmup: int, cache_dir: str, calibration_dir: str | None) -> dict:
    """Child process: torch eager fp32 and the row's backend on the same input, timed alternately."""
    import torch

    torch.set_num_threads(threads)
    from mono_depth_ros.inference.backends.registry import create_backend
    from mono_depth_ros.inference.backends.torch_backend import TorchBackend
    from mono_depth_ros.inference.ego_motion_estimator import bundled_calibration_depth
    from mono_depth_ros.inference.loading import spec_name_of
    from mono_depth_ros.inference.spec import get_spec

    spec = get_spec(spec_name_of(Path(checkpoint), None))
    backend, device, precision = _row(row)
    if (backend, device, precision) == ("torch", "cpu", "bf16") and not (
            torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()):
        raise RuntimeError("this CPU has no native bf16 (AVX512-BF16/AMX): torch emulates it, minutes per frame")
    reference = TorchBackend(checkpoint, spec, hw, "fp32", "cpu", threads=threads).load()
    depth_of = bundled_calibration_depth() if spec.output_kind == "motion" and calibration_dir else None
    runner, _ = create_backend(backend, checkpoint if backend == "torch" else onnx_path, spec, precision,
                               device=device, input_hw=hw, threads=threads, cache_dir=cache_dir,
                               calibration_dir=calibration_dir, calibration_depth=depth_of)
    x = {n: np.random.default_rng(0).random(s, dtype=np.float32) for n, s in reference.input_shapes.items()}
    ref, got = reference.infer(x), runner.infer(x)
    err = max(float(np.abs(got[n] - ref[n]).max()) / (float(np.ptp(ref[n])) or 1.0)
              for n in ref if n not in SKIP_ERROR_OUTPUTS)
    reference.warmup(warmup)
    runner.warmup(warmup)
    t_ref, t_run = [], []
    for _ in range(iterations):
        start = time.perf_counter()
        reference.infer(x)
        middle = time.perf_counter()
        runner.infer(x)
        t_ref.append(middle - start)
        t_run.append(time.perf_counter() - middle)
    t_ref, t_run = np.array(t_ref) * 1e3, np.array(t_run) * 1e3
    return {"ms": float(np.median(t_run)), "torch_ms": float(np.median(t_ref)), "best_ms": float(t_run.min()),
            "torch_best_ms": float(t_ref.min()), "speedup": float(t_ref.min() / t_run.min()), "err": err,
            "effective": runner.effective_precision, "describe": runner.describe()}


def speed_table(args: argparse.Namespace) -> list[tuple]:
    from tqdm import tqdm

    from mono_depth_ros.inference.onnx_export import cached_onnx_for_checkpoint

    rows, ctx = [], mp.get_context("spawn")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # the children inherit it (module docstring)
    calibration = str(args.calibration_dir) if args.calibration_dir and args.calibration_dir.is_dir() else None
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(m, r) for m in args.models.split(",") for r in args.rows.split(",")]
        paths: dict[str, tuple[Path, Path]] = {}
        for model, row in tqdm(jobs, desc="speed", unit="row"):
            if model not in paths:  # export in the parent, once per network
                ckpt = make_checkpoint(Path(tmp), model, args.variant, args.size)
                paths[model] = (ckpt, cached_onnx_for_checkpoint(ckpt, tmp, args.size))
            ckpt, onnx_path = paths[model]
            with ctx.Pool(1) as pool:
                try:
                    res = pool.apply(run_pair, (str(ckpt), str(onnx_path), row, args.size, args.threads,
                                                args.iterations, args.warmup, tmp, calibration))
                except Exception as exc:  # a backend or precision not offered here: report the row, keep going
                    res = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}
            rows.append((model, row, res))
    return rows


def print_speed(rows: list[tuple], args: argparse.Namespace) -> None:
    h, w = args.size
    print(f"\n{args.variant} networks at {h}x{w}, batch 1, {args.threads} threads, {args.iterations} frames each, "
          "torch eager fp32 timed alternately in the same process\n")
    print("| model | backend:precision | effective | err vs fp32 | median ms | best ms | frames/s (best) | "
          "torch fp32 median / best ms | vs torch (best) |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    best: dict[str, float] = {}
    torch_best = {}
    for model, _, r in rows:
        if "error" not in r:
            torch_best[model] = min(torch_best.get(model, np.inf), r["torch_best_ms"])
    for model, row, r in rows:
        if "error" in r:
            print(f"| {model} | {row} | not run | - | - | - | - | - | {r['error'][:90]} |")
            continue
        if not row.startswith(("tensorrt", "torch-cuda", "onnxruntime-cuda")):
            best[model] = max(best.get(model, 0.0), r["speedup"])
        mark = "*" if r["torch_best_ms"] > 1.25 * torch_best[model] else ""
        print(f"| {model} | {row} | {r['effective']} | {r['err']:.1e} | {r['ms']:.1f} | {r['best_ms']:.1f} | "
              f"{1e3 / r['best_ms']:.1f} | {r['torch_ms']:.0f} / {r['torch_best_ms']:.0f} | {r['speedup']:.1f}x{mark} |")
    if best:
        slow = {m: round(s, 1) for m, s in best.items() if s < GOAL_SPEEDUP}
        print(f"\nspeed only: best CPU path >= {GOAL_SPEEDUP:.0f}x torch eager fp32 for every network: "
              + ("met (" if not slow else "NOT met for ") + (str(slow) if slow else
                 ", ".join(f"{m} {s:.1f}x" for m, s in best.items()) + ")"))


def real_accuracy(args: argparse.Namespace) -> dict:
    """{"scores": {(row, set, method): median-scaled AbsRel}, "errors": {(row, method): why not run}}
    with the bundled weights, each network scored alone, via bench_real's code."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import bench_real
        from training.evaluate.depth_metrics import DepthCaps
        from training.evaluate.real_bench import DEPTH_SPECS, DepthCache, Networks, evaluate_depth_set, model_file
    except ImportError as exc:
        return {"note": f"real-data accuracy not measured: {exc}"}
    from mono_depth_ros.inference.depth_estimator import DepthEstimator

    sets, skipped = bench_real.load_sets(list(bench_real.SET_NAMES), DATA_ROOT, args.max_frames,
                                         bench_real.STEREODEMO_DIR)
    sets = [s for s in sets if s.depth_source != "none"]
    if not sets:
        return {"note": f"real-data accuracy not measured: no real set with depth ({skipped})"}
    calibration = str(args.calibration_dir) if args.calibration_dir and args.calibration_dir.is_dir() else None
    scores, errors = {}, {}
    for row in args.rows.split(","):
        backend, device, precision = _row(row)
        for method, spec_name in DEPTH_SPECS.items():
            try:
                estimator = DepthEstimator.from_path(
                    model_file(None, spec_name), backend=backend, precision=precision, spec_name=spec_name,
                    device=device, threads=args.threads, calibration_dir=calibration)
            except Exception as exc:  # noqa: BLE001 - a row not offered here (for this network)
                errors[(row, method)] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                continue
            depth_of = DepthCache(Networks({method: estimator}))
            for real in sets:
                result = evaluate_depth_set(real, [method], depth_of, DepthCaps(), whdr_pairs=200)
                scores[(row, real.name, method)] = result["rows"][method].get("abs_rel_med", float("nan"))
    return {"scores": scores, "errors": errors, "specs": dict(DEPTH_SPECS)}


def print_real(acc: dict, args: argparse.Namespace) -> dict[tuple[str, str], float]:
    """Prints the table; returns the worst |AbsRel - torch fp32 AbsRel| per (row, spec name) that ran."""
    if "note" in acc:
        print("\n" + acc["note"])
        return {}
    scores, errors = acc["scores"], acc["errors"]
    print("\nreal-data accuracy (bundled weights, each network alone): median-scaled AbsRel, and its difference "
          "to torch fp32\n")
    keys = sorted({(s, m) for _, s, m in scores}, key=lambda k: (k[1], k[0]))  # grouped by network
    print("| backend:precision | " + " | ".join(f"{m} {s}" for s, m in keys) + " |")
    print("|---|" + "---:|" * len(keys))
    worst: dict[tuple[str, str], float] = {}
    for row in args.rows.split(","):
        cells = []
        for s, m in keys:
            value, ref = scores.get((row, s, m), np.nan), scores.get(("torch:fp32", s, m), np.nan)
            delta = value - ref
            key = (row, acc["specs"][m])
            if np.isfinite(delta):
                worst[key] = max(worst.get(key, 0.0), abs(delta))
            cells.append("not run" if (row, m) in errors else
                         f"{value:.4f} ({delta:+.4f})" if np.isfinite(delta) else f"{value:.4f}")
        print(f"| {row} | " + " | ".join(cells) + " |")
    for (row, method), why in errors.items():
        print(f"not run: {row} {method}: {why[:140]}")
    bad = {f"{r} {m}": round(v, 4) for (r, m), v in worst.items() if v > GOAL_ABSREL}
    print(f"\ngoal: AbsRel within {GOAL_ABSREL} of fp32: " + ("met for every row and network run" if not bad
                                                              else f"NOT met for {bad}"))
    return worst


def motion_accuracy(args: argparse.Namespace) -> dict:
    """{"per_pair": {(row, set): {"rot_err_deg": [...], "dir_err_deg": [...]}}, "errors": {row: why}}:
    li2020's motion network (bundled weights) at each row's backend and precision on the real pairs
    with poses, fed torch fp32 li2020 depths (only the motion network changes), via bench_real's code."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import bench_real
        from training.evaluate.real_bench import DepthCache, Networks, evaluate_motion_set, model_file
    except ImportError as exc:
        return {"note": f"real ego-motion accuracy not measured: {exc}"}
    from mono_depth_ros.inference.depth_estimator import DepthEstimator
    from mono_depth_ros.inference.ego_motion_estimator import EgoMotionEstimator

    sets, skipped = bench_real.load_sets(list(MOTION_SETS), DATA_ROOT, args.max_frames, bench_real.STEREODEMO_DIR)
    sets = [s for s in sets if s.video and s.has_poses]
    if not sets:
        return {"note": f"real ego-motion accuracy not measured: no real video with poses ({skipped})"}
    calibration = str(args.calibration_dir) if args.calibration_dir and args.calibration_dir.is_dir() else None
    depth = DepthEstimator.from_path(model_file(None, "li2020_depth"), backend="torch", precision="fp32",
                                     spec_name="li2020_depth", device="cpu", threads=args.threads)
    depth_of = DepthCache(Networks({"li2020": depth}))
    per_pair, errors = {}, {}
    for row in args.rows.split(","):
        backend, device, precision = _row(row)
        try:
            motion = EgoMotionEstimator.from_path(model_file(None, "li2020_motion"), backend=backend,
                                                  precision=precision, device=device, threads=args.threads,
                                                  calibration_dir=calibration)
        except Exception as exc:  # noqa: BLE001 - a row not offered here
            errors[row] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            continue
        for real in sets:
            result = evaluate_motion_set(real, Networks({"li2020": depth}, motion), depth_of)
            per_pair[(row, real.name)] = {k: result["per_pair"]["li2020"][k] for k in GOAL_MOTION_DEG}
    return {"per_pair": per_pair, "errors": errors}


def print_motion(acc: dict, args: argparse.Namespace) -> dict[str, bool]:
    """Prints the table; returns per row that ran whether its changes per pair stay within GOAL_MOTION_DEG."""
    if "note" in acc:
        print("\n" + acc["note"])
        return {}
    per_pair, errors = acc["per_pair"], acc["errors"]
    print("\nreal ego-motion accuracy (li2020_motion, bundled weights, torch fp32 depths): mean rotation / "
          "direction error per pair in degrees, and the largest change per pair against torch fp32\n")
    print("| backend:precision | set | rot_err_deg | dir_err_deg | max change rot / dir (deg) |")
    print("|---|---|---:|---:|---:|")
    within: dict[str, bool] = {}
    for (row, name), errs in per_pair.items():
        ref = per_pair.get(("torch:fp32", name))
        change = {k: max(abs(a - b) for a, b in zip(errs[k], ref[k])) if ref else np.nan for k in GOAL_MOTION_DEG}
        ok = all(np.isfinite(v) and v <= GOAL_MOTION_DEG[k] for k, v in change.items())
        within[row] = within.get(row, True) and ok
        print(f"| {row} | {name} | {np.mean(errs['rot_err_deg']):.3f} | {np.mean(errs['dir_err_deg']):.2f} | "
              f"{change['rot_err_deg']:.3f} / {change['dir_err_deg']:.2f}{'' if ok else ' (over)'} |")
    for row, why in errors.items():
        print(f"not run: {row} li2020_motion: {why[:140]}")
    bound = " and ".join(f"{k} {v} deg" for k, v in GOAL_MOTION_DEG.items())
    bad = [row for row, ok in within.items() if not ok]
    print(f"\ngoal: ego-motion change per pair within {bound}: "
          + (f"NOT met for {bad}" if bad else "met for every row run"))
    return within


def print_goal(rows: list[tuple], worst: dict[tuple[str, str], float], motion_within: dict[str, bool]) -> None:
    """The issue's goal: per network the fastest CPU row whose real-data accuracy stays within the
    bound (depth networks: AbsRel within GOAL_ABSREL; li2020_motion: GOAL_MOTION_DEG)."""
    best: dict[str, tuple[float, str]] = {}
    for model, row, r in rows:
        if model == "li2020_motion":
            accurate = motion_within.get(row)
        else:
            accuracy = worst.get((row, model))
            accurate = None if accuracy is None else accuracy <= GOAL_ABSREL
        if "error" in r or row.startswith(("tensorrt", "torch-cuda", "onnxruntime-cuda")) or accurate is None:
            continue
        if accurate and r["speedup"] > best.get(model, (0.0, ""))[0]:
            best[model] = (r["speedup"], row)
    missing = [m for m in dict.fromkeys(model for model, _, _ in rows) if m not in best]
    text = ", ".join([f"{m} {s:.1f}x ({row})" for m, (s, row) in best.items()]
                     + [f"{m}: no CPU row within the accuracy bound" for m in missing])
    met = best and not missing and all(s >= GOAL_SPEEDUP for s, _ in best.values())
    print(f"\ngoal: fastest CPU path within the accuracy bound of fp32 >= {GOAL_SPEEDUP:.0f}x torch eager fp32: "
          + ("met" if met else "NOT met") + f" ({text})")


def profile(args: argparse.Namespace) -> None:
    """OpenVINO's per-layer times (PERF_COUNT) of each openvino row: mean per frame over
    ``--iterations`` frames, the slowest layers and the share per layer type."""
    from mono_depth_ros.inference.backends.openvino_backend import OpenVinoBackend
    from mono_depth_ros.inference.ego_motion_estimator import bundled_calibration_depth
    from mono_depth_ros.inference.onnx_export import cached_onnx_for_checkpoint
    from mono_depth_ros.inference.spec import get_spec

    calibration = str(args.calibration_dir) if args.calibration_dir and args.calibration_dir.is_dir() else None
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models.split(","):
            onnx_path = cached_onnx_for_checkpoint(make_checkpoint(Path(tmp), model, args.variant, args.size), tmp,
                                                   args.size)
            for row in [r for r in args.rows.split(",") if r.startswith("openvino")]:
                spec = get_spec(model)
                depth_of = bundled_calibration_depth() if spec.output_kind == "motion" and calibration else None
                runner = OpenVinoBackend(onnx_path, _row(row)[2], threads=args.threads, spec=spec,
                                         calibration_dir=calibration, cache_dir=tmp, perf_count=True,
                                         calibration_depth=depth_of).load()
                x = {n: np.random.default_rng(0).random(s, dtype=np.float32) for n, s in runner.input_shapes.items()}
                runner.warmup(args.warmup)
                layers: dict[tuple[str, str], float] = {}
                for _ in range(args.iterations):
                    runner.infer(x)
                    for info in runner.request.get_profiling_info():
                        key = (info.node_name, f"{info.node_type} ({info.exec_type})")
                        layers[key] = layers.get(key, 0.0) + info.real_time.total_seconds() * 1e3 / args.iterations
                total = sum(layers.values())
                by_type: dict[str, float] = {}
                for (_, kind), ms in layers.items():
                    by_type[kind] = by_type.get(kind, 0.0) + ms
                print(f"\n{model} {row} ({runner.effective_precision}), {args.size[0]}x{args.size[1]}, "
                      f"{args.threads} threads: layers sum to {total:.1f} ms per frame\n")
                print("| layer | type (kernel) | ms | share |\n|---|---|---:|---:|")
                for (name, kind), ms in sorted(layers.items(), key=lambda kv: -kv[1])[:args.profile_layers]:
                    print(f"| {name[:70]} | {kind} | {ms:.2f} | {100 * ms / total:.0f} % |")
                print("| **per type** | | | |")
                for kind, ms in sorted(by_type.items(), key=lambda kv: -kv[1])[:6]:
                    print(f"| | {kind} | {ms:.2f} | {100 * ms / total:.0f} % |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(SPEC_NAMES), help="comma-separated spec names")
    parser.add_argument("--rows", default=",".join(CPU_ROWS),
                        help=f"comma-separated backend:precision; GPU rows: {','.join(GPU_ROWS)}")
    parser.add_argument("--size", type=_hw, default=(192, 640), help="HxW network input (default 192x640)")
    parser.add_argument("--variant", default="paper", choices=("light", "paper"))
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--calibration-dir", type=Path, default=DEFAULT_CALIBRATION,
                        help="frames for int8 rows (an extracted dataset folder or a folder of images)")
    parser.add_argument("--max-frames", type=int, default=None, help="real sets: first N frames of each")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--no-real", action="store_true")
    parser.add_argument("--profile", action="store_true", help="OpenVINO per-layer times of the openvino rows only")
    parser.add_argument("--profile-layers", type=int, default=12, help="slowest layers listed per row")
    args = parser.parse_args(argv)
    if args.profile:
        profile(args)
        return 0
    rows = [] if args.no_speed else speed_table(args)
    if rows:
        print_speed(rows, args)
    worst = {} if args.no_real else print_real(real_accuracy(args), args)
    motion_within = {} if args.no_real else print_motion(motion_accuracy(args), args)
    if rows and (worst or motion_within):
        print_goal(rows, worst, motion_within)
    return 0


if __name__ == "__main__":
    sys.exit(main())
