"""benchmarks/eigen_lite0_start.py: stage 20's fine-stage start, a lite0 coarse network under the light fine one."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from mono_depth_ros.inference.checkpoint import load_model_checkpoint, save_model_checkpoint
from mono_depth_ros.models.eigen2014 import Eigen2014
from training.config import config_to_dict, load_config
from training.methods.eigen2014 import Eigen2014Method


@pytest.fixture(scope="module")
def start_tool(load_benchmark):
    return load_benchmark("eigen_lite0_start")


def _lightning_like(path: Path, variant: str, hw: str) -> Eigen2014Method:
    """A checkpoint file shaped as Lightning writes one (what method_from_lightning reads)."""
    torch.manual_seed(1)
    config = load_config("eigen2014", overrides=[f"model.variant={variant}", f"data.input_hw={hw}"])
    module = Eigen2014Method(config)
    torch.save({"hyper_parameters": {"config": config_to_dict(config)}, "state_dict": module.state_dict(),
                "method": "eigen2014"}, path)
    return module


def test_coarse_from_the_run_fine_from_the_light_file(start_tool, tmp_path):
    run = _lightning_like(tmp_path / "coarse.ckpt", "lite0", "[120, 160]")
    torch.manual_seed(2)
    light = Eigen2014("light")
    save_model_checkpoint(tmp_path / "light.pt", "eigen2014", light, {"variant": "light"}, {})
    assert start_tool.main(["--coarse", str(tmp_path / "coarse.ckpt"), "--fine", str(tmp_path / "light.pt"),
                            "--out", str(tmp_path / "start.pt")]) == 0
    model, _, payload = load_model_checkpoint(tmp_path / "start.pt")
    assert payload["model_kwargs"] == {"variant": "lite0"} and payload["config"]["data"]["input_hw"] == [120, 160]
    for name, value in model.coarse.state_dict().items():
        assert torch.equal(value, run.model.coarse.state_dict()[name]), name
    for name, value in model.fine.state_dict().items():
        assert torch.equal(value, light.fine.state_dict()[name]), name
    assert not torch.equal(model.fine.conv3.weight, Eigen2014("lite0").fine.conv3.weight)  # not a fresh start


def test_a_coarse_run_of_another_variant_is_refused(start_tool, tmp_path):
    _lightning_like(tmp_path / "light.ckpt", "light", "[48, 64]")
    save_model_checkpoint(tmp_path / "light.pt", "eigen2014", Eigen2014("light"), {"variant": "light"}, {})
    with pytest.raises(SystemExit, match="not lite0"):
        start_tool.compose(tmp_path / "light.ckpt", tmp_path / "light.pt", tmp_path / "start.pt")
