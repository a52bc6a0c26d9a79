"""Fixtures of the training tests: one tiny extracted synthetic dataset (depth, poses, intrinsics),
and ``load_benchmark`` for the tests of the scripts in benchmarks/."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
import torch

from training.data.extract import extract_bag
from mono_depth_ros.synth import write_synthetic_bag


BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load_benchmark(name: str) -> ModuleType:
    """benchmarks/<name>.py as a module (benchmarks/ on sys.path for the scripts' own imports)."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def load_benchmark():
    """``load_benchmark("bench_real")`` -> benchmarks/bench_real.py as a module."""
    return _load_benchmark


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory):
    """Dataset folder of 8 street frames at 64x48 (with depth, poses and intrinsics)."""
    root = tmp_path_factory.mktemp("train_data")
    write_synthetic_bag(root / "bag", frames=8, seed=5, size_wh=(64, 48), scene="street", stereo=False,
                        moving_objects=0, fps=10.0)
    extract_bag(root / "bag", root / "ds")
    return root / "ds"


@pytest.fixture(autouse=True)
def _single_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
