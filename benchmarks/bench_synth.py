"""Synthetic renderer throughput (goal: >= 20 frames/s at 320x240 on one core, mono).

Prints a table: scene, realism (clean: original world; real: --realistic, i.e. rich layout,
photo textures, real camera rig, sensor look; the rig changes the width; lit: real and
--lighting shadows), size, stereo,
render-only frames/s, render + rosbag2 (MCAP) write frames/s.
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
                            scene=config.scene, stereo=config.stereo, moving_objects=config.moving_objects,
                            layout=config.layout, textures=config.textures, camera=config.camera, look=config.look)
        return config.frames / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=40)
    args = parser.parse_args()
    real = dict(layout="rich", textures="photos", camera="real", look="real")
    lit = dict(real, lighting="shadows")
    print(f"{'scene':8s} {'realism':7s} {'size':>8s} {'stereo':>6s} {'render fps':>11s} {'bag fps':>8s}"
          "  goal >= 20 (mono 320x240)")
    for scene in ("indoor", "street"):
        for options in ({}, real, lit):
            for size, stereo in (((160, 120), True), ((320, 240), False), ((320, 240), True), ((640, 480), False)):
                config = SynthConfig(frames=args.frames, seed=0, size_wh=size, scene=scene, stereo=stereo,
                                     moving_objects=3, **options)
                width = SyntheticSequence(config).camera.width
                name = "lit" if options.get("lighting") else "real" if options else "clean"
                print(f"{scene:8s} {name:7s} {width:>4d}x{size[1]:<3d} {str(stereo):>6s} "
                      f"{_render_fps(config):11.1f} {_bag_fps(config):8.1f}")


if __name__ == "__main__":
    main()
