"""Light, randomly initialised checkpoints at a small input size (structure and parity tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SPEC_NAMES = ("eigen2014", "xian2018", "li2020_depth", "li2020_motion")
INPUT_HW = {"eigen2014": (128, 160), "xian2018": (64, 96), "li2020_depth": (64, 96), "li2020_motion": (64, 96)}


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory) -> dict[str, Path]:
    import torch

    from mono_depth_ros.inference.spec import get_spec
    from mono_depth_ros.inference.checkpoint import save_model_checkpoint

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("ckpt")
    paths = {}
    for name in SPEC_NAMES:
        model = get_spec(name).build(variant="light")
        paths[name] = save_model_checkpoint(folder / f"{name}.pt", name, model, {"variant": "light"},
                                            {"data": {"input_hw": list(INPUT_HW[name])}})
    return paths


@pytest.fixture(scope="session")
def onnx_files(checkpoints, tmp_path_factory) -> dict[str, Path]:
    from training.export import export_onnx

    folder = tmp_path_factory.mktemp("onnx")
    return {name: export_onnx(path, folder / f"{name}.onnx").path for name, path in checkpoints.items()}


@pytest.fixture(scope="session")
def input_hw() -> dict[str, tuple[int, int]]:
    return dict(INPUT_HW)


@pytest.fixture
def rgb() -> np.ndarray:
    """(90, 120, 3) uint8 textured frame."""
    return textured_rgb()


def textured_rgb(height: int = 90, width: int = 120, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 200, width, dtype=np.float32)[None, :, None]
    return np.clip(ramp + rng.integers(0, 55, (height, width, 3)), 0, 255).astype(np.uint8)
