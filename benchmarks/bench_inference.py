"""Inference benchmark: model x backend x input size -> latency, throughput, peak memory.

Each configuration runs in a fresh child process (spawn), so its peak resident memory (VmHWM, which
includes the runtime's own allocations; ru_maxrss without /proc) belongs to that row alone.
Models are randomly initialised checkpoints of the chosen variant (speed does not depend on the
weights) unless ``--checkpoint-dir`` holds ``<spec>.pt`` files. Goal on CPU: ONNX Runtime at least
2x faster than torch eager (column "vs torch").

    .venv/bin/python benchmarks/bench_inference.py --sizes 128x416 --iterations 20 --threads 2
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

SPEC_NAMES = ("eigen2014", "xian2018", "li2020_depth", "li2020_motion")
ORT_GOAL_SPEEDUP = 2.0


def _hw(text: str) -> tuple[int, int]:
    h, w = (int(v) for v in text.lower().split("x"))
    return h, w


def make_checkpoint(folder: Path, spec_name: str, variant: str, hw: tuple[int, int]) -> Path:
    import torch

    from mono_depth_ros.inference.spec import get_spec
    from mono_depth_ros.models.checkpoint import save_model_checkpoint

    torch.manual_seed(0)
    model = get_spec(spec_name).build(variant=variant)
    return save_model_checkpoint(folder / f"{spec_name}-{variant}-{hw[0]}x{hw[1]}.pt", spec_name, model,
                                 {"variant": variant}, {"data": {"input_hw": list(hw)}})


def peak_rss_mb() -> float:
    """This process's peak resident memory: VmHWM (reset at exec, so a spawned child does not inherit
    its parent's peak as ru_maxrss does); ru_maxrss where /proc is absent."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(checkpoint: str, backend: str, hw: tuple[int, int], threads: int, iterations: int, warmup: int,
            cache_dir: str) -> dict:
    """Child process: load, warm up, time ``iterations`` single-frame inferences."""
    if backend == "torch":
        import torch

        torch.set_num_threads(threads)
    from mono_depth_ros.inference.backends.registry import create_backend
    from mono_depth_ros.inference.loading import spec_name_of
    from mono_depth_ros.inference.spec import get_spec

    spec = get_spec(spec_name_of(Path(checkpoint), None))
    runner, _ = create_backend(backend, checkpoint, spec, device="cpu" if backend != "tensorrt" else "cuda",
                               input_hw=hw, threads=threads, cache_dir=cache_dir)
    x = {n: np.random.default_rng(0).random(s, dtype=np.float32) for n, s in runner.input_shapes.items()}
    runner.warmup(warmup)
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        runner.infer(x)
        times.append(time.perf_counter() - start)
    times_ms = np.array(times) * 1e3
    return {"median_ms": float(np.median(times_ms)), "p95_ms": float(np.percentile(times_ms, 95)),
            "fps": 1e3 / float(np.median(times_ms)), "peak_rss_mb": peak_rss_mb(),
            "describe": runner.describe()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(SPEC_NAMES), help="comma-separated spec names")
    parser.add_argument("--backends", default="torch,onnxruntime", help="comma-separated: torch,onnxruntime,tensorrt")
    parser.add_argument("--sizes", type=lambda s: [_hw(v) for v in s.split(",")], default=[(128, 416)],
                        help="comma-separated HxW input sizes (eigen2014 uses its own light size 128x160 when "
                             "--eigen-native is set)")
    parser.add_argument("--variant", default="light", choices=("light", "paper"))
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--checkpoint-dir", type=Path, help="use <spec>.pt from here instead of random weights")
    args = parser.parse_args(argv)
    models, backends = args.models.split(","), args.backends.split(",")
    rows, ctx = [], mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(m, hw, b) for m in models for hw in args.sizes for b in backends]
        for model, hw, backend in tqdm(jobs, desc="bench", unit="run"):
            ckpt = (args.checkpoint_dir / f"{model}.pt" if args.checkpoint_dir
                    else make_checkpoint(Path(tmp), model, args.variant, hw))
            if backend != "torch":  # export in the parent: the child's peak memory is the runtime's alone
                from mono_depth_ros.inference.onnx_export import cached_onnx_for_checkpoint

                ckpt = cached_onnx_for_checkpoint(ckpt, tmp, hw)
            with ctx.Pool(1) as pool:
                try:
                    res = pool.apply(run_one, (str(ckpt), backend, hw, args.threads, args.iterations, args.warmup, tmp))
                except Exception as exc:  # a backend missing here: report the row, keep going
                    res = {"error": f"{type(exc).__name__}: {exc}"}
            rows.append((model, hw, backend, res))
    print_table(rows, args)
    return 0


def print_table(rows: list, args: argparse.Namespace) -> None:
    torch_ms = {(m, hw): r["median_ms"] for m, hw, b, r in rows if b == "torch" and "median_ms" in r}
    print(f"\nvariant={args.variant}, threads={args.threads}, iterations={args.iterations}, batch 1, CPU unless noted\n")
    print("| model | input | backend | median ms | p95 ms | frames/s | peak RSS MB | vs torch |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for model, hw, backend, r in rows:
        if "error" in r:
            print(f"| {model} | {hw[0]}x{hw[1]} | {backend} | - | - | - | - | {r['error'][:60]} |")
            continue
        ref = torch_ms.get((model, hw))
        speed = f"{ref / r['median_ms']:.2f}x" if ref else "-"
        print(f"| {model} | {hw[0]}x{hw[1]} | {backend} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | "
              f"{r['fps']:.1f} | {r['peak_rss_mb']:.0f} | {speed} |")
    slow = [(m, hw) for m, hw, b, r in rows if b == "onnxruntime" and "median_ms" in r and (m, hw) in torch_ms
            and torch_ms[(m, hw)] / r["median_ms"] < ORT_GOAL_SPEEDUP]
    print(f"\ngoal: ONNX Runtime >= {ORT_GOAL_SPEEDUP:.0f}x torch eager on CPU: "
          + ("met" if not slow else f"NOT met for {slow}"))


if __name__ == "__main__":
    sys.exit(main())
