"""Inference benchmark: every backend x precision, its error against fp32 and its speed beside torch eager fp32.

Speed and error (random-weight networks, default the paper variants at 192x640, batch 1): each
row runs in a fresh child process (spawn) that loads torch eager fp32 AND the row's backend and
times them side by side, alternating frame by frame. ``vs torch`` is the ratio of the two
best-of-N frame times (other load on the machine only ever adds time, so the minimum is the
figure least moved by it; the medians are printed beside it). ``err`` is max |out - torch fp32| over
the torch output's range on one random input (for li2020_motion over rotation, translation and
intrinsics; its residual_translation is cut by a threshold mask, where reduced precision flips
single pixels). Goal: the best CPU path >= 5x torch eager fp32 for every network.

Real-data accuracy (the bundled demo weights at their own input size): median-scaled AbsRel on
the real sets with ground-truth depth (benchmarks/bench_real.py's sets and metric code), per
backend x precision, and its difference to torch fp32 (goal: within 0.005). int8 rows calibrate
on ``--calibration-dir`` (default: the real EuRoC video, not one of the scored sets).

    .venv/bin/python benchmarks/bench_inference.py                          # CPU rows, both parts
    .venv/bin/python benchmarks/bench_inference.py --rows tensorrt:fp32,tensorrt:fp16 --no-real   # GPU
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
            "openvino:int8")
GPU_ROWS = ("tensorrt:fp32", "tensorrt:fp16", "tensorrt:int8", "onnxruntime-cuda:fp32", "onnxruntime-cuda:fp16",
            "torch-cuda:fp32", "torch-cuda:fp16")
DATA_ROOT = REPO.parent / "shared" / "data" / "real"
DEFAULT_CALIBRATION = DATA_ROOT / "euroc_v101_micro" / "cam0" / "data"
GOAL_SPEEDUP, GOAL_ABSREL = 5.0, 0.005
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
    from mono_depth_ros.models.checkpoint import save_model_checkpoint

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
    from mono_depth_ros.inference.loading import spec_name_of
    from mono_depth_ros.inference.spec import get_spec

    spec = get_spec(spec_name_of(Path(checkpoint), None))
    reference = TorchBackend(checkpoint, spec, hw, "fp32", "cpu", threads=threads).load()
    backend, device, precision = _row(row)
    runner, _ = create_backend(backend, checkpoint if backend == "torch" else onnx_path, spec, precision,
                               device=device, input_hw=hw, threads=threads, cache_dir=cache_dir,
                               calibration_dir=calibration_dir)
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
            "torch_best_ms": float(t_ref.min()), "speedup": float(t_ref.min() / t_run.min()), "err": err, "effective": runner.effective_precision,
            "describe": runner.describe()}


def speed_table(args: argparse.Namespace) -> list[tuple]:
    from tqdm import tqdm

    from mono_depth_ros.inference.onnx_export import cached_onnx_for_checkpoint

    rows, ctx = [], mp.get_context("spawn")
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
    for model, row, r in rows:
        if "error" in r:
            print(f"| {model} | {row} | not run | - | - | - | - | - | {r['error'][:90]} |")
            continue
        if not row.startswith(("tensorrt", "torch-cuda", "onnxruntime-cuda")):
            best[model] = max(best.get(model, 0.0), r["speedup"])
        print(f"| {model} | {row} | {r['effective']} | {r['err']:.1e} | {r['ms']:.1f} | {r['best_ms']:.1f} | "
              f"{1e3 / r['best_ms']:.1f} | {r['torch_ms']:.0f} / {r['torch_best_ms']:.0f} | {r['speedup']:.1f}x |")
    if best:
        slow = {m: round(s, 1) for m, s in best.items() if s < GOAL_SPEEDUP}
        print(f"\nspeed only: best CPU path >= {GOAL_SPEEDUP:.0f}x torch eager fp32 for every network: "
              + ("met (" if not slow else "NOT met for ") + (str(slow) if slow else
                 ", ".join(f"{m} {s:.1f}x" for m, s in best.items()) + ")"))


def real_accuracy(args: argparse.Namespace) -> dict:
    """{(row, set, method): median-scaled AbsRel} with the bundled weights, via bench_real's code."""
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
    out: dict = {}
    for row in args.rows.split(","):
        backend, device, precision = _row(row)
        nets = Networks({})
        try:
            for method, spec_name in DEPTH_SPECS.items():
                nets.depth[method] = DepthEstimator.from_path(
                    model_file(None, spec_name), backend=backend, precision=precision, spec_name=spec_name,
                    device=device, threads=args.threads, calibration_dir=calibration)
        except Exception as exc:  # noqa: BLE001 - a row not offered here
            out[(row, "error")] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            continue
        depth_of = DepthCache(nets)
        for real in sets:
            scores = evaluate_depth_set(real, list(nets.depth), depth_of, DepthCaps(), whdr_pairs=200)
            for method in nets.depth:
                out[(row, real.name, method)] = scores["rows"][method].get("abs_rel_med", float("nan"))
    return out


def print_real(acc: dict, args: argparse.Namespace) -> dict[str, float]:
    """Prints the table; returns the worst |AbsRel - torch fp32 AbsRel| per row that ran."""
    if "note" in acc:
        print("\n" + acc["note"])
        return {}
    print("\nreal-data accuracy (bundled weights): median-scaled AbsRel, and its difference to torch fp32\n")
    keys = sorted({(s, m) for k in acc if len(k) == 3 for s, m in [k[1:]]})
    print("| backend:precision | " + " | ".join(f"{s} {m}" for s, m in keys) + " |")
    print("|---|" + "---:|" * len(keys))
    worst = {}
    for row in args.rows.split(","):
        if (row, "error") in acc:
            print(f"| {row} | not run: {acc[(row, 'error')][:100]} |")
            continue
        cells = []
        for s, m in keys:
            value, ref = acc.get((row, s, m), np.nan), acc.get(("torch:fp32", s, m), np.nan)
            delta = value - ref
            worst[row] = max(worst.get(row, 0.0), abs(delta)) if np.isfinite(delta) else worst.get(row, 0.0)
            cells.append(f"{value:.4f} ({delta:+.4f})" if np.isfinite(delta) else f"{value:.4f}")
        print(f"| {row} | " + " | ".join(cells) + " |")
    bad = {r: round(v, 4) for r, v in worst.items() if v > GOAL_ABSREL}
    print(f"\ngoal: AbsRel within {GOAL_ABSREL} of fp32: " + ("met for every row run" if not bad
                                                              else f"NOT met for {bad}"))
    return worst


def print_goal(rows: list[tuple], worst: dict[str, float]) -> None:
    """The issue's goal: per network the fastest CPU row whose real-data AbsRel stays within GOAL_ABSREL."""
    best: dict[str, tuple[float, str]] = {}
    for model, row, r in rows:
        if "error" in r or row.startswith(("tensorrt", "torch-cuda", "onnxruntime-cuda")) or row not in worst:
            continue
        if worst[row] <= GOAL_ABSREL and r["speedup"] > best.get(model, (0.0, ""))[0]:
            best[model] = (r["speedup"], row)
    text = ", ".join(f"{m} {s:.1f}x ({row})" for m, (s, row) in best.items())
    met = best and all(s >= GOAL_SPEEDUP for s, _ in best.values())
    print(f"\ngoal: fastest CPU path within {GOAL_ABSREL} AbsRel of fp32 >= {GOAL_SPEEDUP:.0f}x torch eager fp32: "
          + ("met" if met else "NOT met") + f" ({text})")


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
    args = parser.parse_args(argv)
    rows = [] if args.no_speed else speed_table(args)
    if rows:
        print_speed(rows, args)
    worst = {} if args.no_real else print_real(real_accuracy(args), args)
    if rows and worst:
        print_goal(rows, worst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
