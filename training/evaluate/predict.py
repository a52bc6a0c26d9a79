"""Load trained networks (model .pt files or a Lightning .ckpt) and run them exactly as in training.

Networks see what the training datasets gave them: rgb in [0, 1], (B, 3, H, W) at the run's
``data.input_hw``. Outputs are brought back to the frame's size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from mono_depth_ros.core.errors import InputError
from training.losses.geometry import axis_angle_to_matrix

DEPTH_KIND = {"eigen2014": "metric_depth", "xian2018": "relative_depth", "li2020_depth": "depth_up_to_scale"}


@dataclass
class LoadedModels:
    """Networks by spec name ('eigen2014' | 'xian2018' | 'li2020_depth' | 'li2020_motion'), the
    resolved training config (dict) and the input size (H, W)."""

    nets: dict[str, nn.Module] = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    input_hw: tuple[int, int] = (128, 416)

    @property
    def depth_spec(self) -> str | None:
        return next((name for name in DEPTH_KIND if name in self.nets), None)


def method_from_lightning(path: str | Path) -> tuple[nn.Module, dict]:
    """(method module with the checkpoint's weights, resolved config dict) of a Lightning .ckpt."""
    from training.config import config_from_dict
    from training.methods import method_class

    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    config = ckpt["hyper_parameters"]["config"]
    module = method_class(config["method"])(config_from_dict(config))
    module.load_state_dict(ckpt["state_dict"])
    return module, config


def _from_lightning(path: Path) -> LoadedModels:
    module, config = method_from_lightning(path)
    nets = {name: net.eval() for name, net, _ in module.export_models()}
    return LoadedModels(nets, config, tuple(config["data"]["input_hw"]))


def load_models(paths: list[str | Path]) -> LoadedModels:
    """Load one Lightning checkpoint (.ckpt) or model files (.pt, save_model_checkpoint format).

    For ``li2020_depth.pt`` the sibling ``li2020_motion.pt`` is loaded too when present.
    """
    paths = [Path(p) for p in paths]
    if len(paths) == 1 and paths[0].suffix == ".ckpt":
        return _from_lightning(paths[0])
    from mono_depth_ros.models.checkpoint import load_model_checkpoint

    sibling = paths[0].with_name("li2020_motion.pt")
    if paths[0].name == "li2020_depth.pt" and sibling.is_file() and sibling not in paths:
        paths.append(sibling)
    out = LoadedModels()
    for path in paths:
        if not path.is_file():
            raise InputError("checkpoint", str(path), "file not found")
        model, _, payload = load_model_checkpoint(path)
        out.nets[payload["spec_name"]] = model.eval()
        out.config = payload.get("config") or out.config
    if out.config:
        out.input_hw = tuple(out.config["data"]["input_hw"])
    return out


def _to_tensor(rgb: np.ndarray, input_hw: tuple[int, int]) -> torch.Tensor:
    h, w = input_hw
    resized = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA if rgb.shape[0] > h else cv2.INTER_LINEAR)
    return torch.from_numpy(np.ascontiguousarray(resized.transpose(2, 0, 1))).float().div_(255.0)[None]


@torch.no_grad()
def predict_depth(models: LoadedModels, rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 -> (H, W) float32 depth (metric for eigen2014, relative/up to scale else)."""
    name = models.depth_spec
    if name is None:
        raise InputError("checkpoint", sorted(models.nets), "no depth network among the loaded models")
    out = models.nets[name](_to_tensor(rgb, models.input_hw))
    if name == "eigen2014":
        out = torch.exp(out)
    depth = out[0, 0].float().numpy()
    return cv2.resize(depth, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)


@torch.no_grad()
def predict_motion(models: LoadedModels, rgb_a: np.ndarray, rgb_b: np.ndarray) -> np.ndarray:
    """(4, 4) motion of b's camera relative to a (maps a's camera points into b's), from li2020 nets."""
    if "li2020_motion" not in models.nets or "li2020_depth" not in models.nets:
        raise InputError("checkpoint", sorted(models.nets), "ego-motion needs li2020_depth and li2020_motion")
    a, b = _to_tensor(rgb_a, models.input_hw), _to_tensor(rgb_b, models.input_hw)
    depth = models.nets["li2020_depth"](torch.cat([a, b]))
    motion = models.nets["li2020_motion"](torch.cat([a, depth[:1], b, depth[1:]], 1))
    T = np.eye(4)
    T[:3, :3] = axis_angle_to_matrix(motion.rotation_rad[0].double()).numpy()
    T[:3, 3] = motion.translation[0].double().numpy()
    return T
