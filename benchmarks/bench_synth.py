"""Synthetic renderer throughput (goal: >= 20 frames/s at 320x240 on one core, mono).

Prints a table: scene, size, stereo, render-only frames/s, render + rosbag2 (MCAP) write frames/s.
Run: .venv/bin/python benchmarks/bench_synth.py [--frames N]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from mono_depth_ros.synth import SynthConfig, SyntheticSequence, write_synthetic_bag  # noqa: E402


def _render_fps(config: SynthConfig) -> float:
    seq = SyntheticSequence(config)
    seq.frame(0)  # warm-up
    start = time.perf_counter()
    for index in range(config.frames):
        seq.frame(index)
    return config.frames / (time.perf_counter() - start)


def _bag_fps(config: SynthConfig) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        write_synthetic_bag(f"{tmp}/bag", frames=config.frames, seed=config.seed, size_wh=config.size_wh,
                            scene=config.scene, stereo=config.stereo, moving_objects=config.moving_objects)
        return config.frames / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=40)
    args = parser.parse_args()
    print(f"{'scene':8s} {'size':>8s} {'stereo':>6s} {'render fps':>11s} {'bag fps':>8s}  goal >= 20 (mono 320x240)")
    for scene in ("indoor", "street"):
        for size, stereo in (((320, 240), False), ((320, 240), True), ((640, 480), False)):
            config = SynthConfig(frames=args.frames, seed=0, size_wh=size, scene=scene, stereo=stereo,
                                 moving_objects=3)
            print(f"{scene:8s} {size[0]:>4d}x{size[1]:<3d} {str(stereo):>6s} {_render_fps(config):11.1f} "
                  f"{_bag_fps(config):8.1f}")


if __name__ == "__main__":
    main()
