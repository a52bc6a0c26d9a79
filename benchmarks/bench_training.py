"""Training throughput of each method (small variants, low resolution, CPU or GPU): prints a table.

    python benchmarks/bench_training.py [--hw 96 128] [--batch 4] [--steps 5] [--threads 2]

Measures seconds per optimisation step (forward + losses + backward + optimizer) on a synthetic
batch rendered on the fly; the first step is a warm-up and is not counted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from training.config import load_config
from training.data.batches import collate, to_device
from training.data.datasets import DatasetFolder
from training.data.extract import extract_bag
from mono_depth_ros.synth import write_synthetic_bag
from training.methods import build_method


def _dataset(root: Path, hw: tuple[int, int]) -> DatasetFolder:
    write_synthetic_bag(root / "bag", frames=6, seed=1, size_wh=(hw[1], hw[0]), scene="street", stereo=False,
                        moving_objects=0, fps=10.0)
    extract_bag(root / "bag", root / "ds")
    return DatasetFolder(root / "ds")


def bench(name: str, folder: DatasetFolder, hw, batch: int, steps: int, device: str) -> float:
    config = load_config(name, overrides=["model.variant=light", f"data.input_hw=[{hw[0]}, {hw[1]}]"])
    method = build_method(config).to(device)
    ds = method.make_dataset(folder, "all", train=False)
    data = to_device(collate([ds[i % len(ds)] for i in range(batch)]), device)
    optimizer = method.configure_optimizers()
    times = []
    for step in range(steps + 1):
        start = time.perf_counter()
        method.on_train_batch_start(data, step)
        total = method.weighted_total(method.loss_terms(data))
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return sum(times[1:]) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hw", type=int, nargs=2, default=(96, 128), metavar=("H", "W"))
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    with tempfile.TemporaryDirectory() as tmp:
        folder = _dataset(Path(tmp), tuple(args.hw))
        print(f"device={device} threads={args.threads} input={args.hw[0]}x{args.hw[1]} batch={args.batch}")
        print(f"| method | s/step | samples/s |\n|---|---|---|")
        for name in ("eigen2014", "xian2018", "li2020"):
            sec = bench(name, folder, tuple(args.hw), args.batch, args.steps, device)
            print(f"| {name} (light) | {sec:.3f} | {args.batch / sec:.1f} |")


if __name__ == "__main__":
    main()
