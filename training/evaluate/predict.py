"""Load trained networks (model .pt files or a Lightning .ckpt) and run them as the nodes do.

Networks see what the training datasets gave them and what the nodes give them: the frame fitted
to the run's ``data.input_hw`` by ``core.fit`` with the run's ``data.resize_mode``, through the
same pre/post-processing functions as DepthEstimator / EgoMotionEstimator
(``mono_depth_ros.inference.processing``). Depth comes back at the frame's size, NaN where the
network saw nothing (outside a crop); relative depth is the nodes' documented quantity.
A user's ONNX with a model card (``<stem>.card.yaml`` beside it, or ``card``) runs through the
node's DepthEstimator on ONNX Runtime, so it is evaluated exactly as the node runs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.errors import InputError, one_line
from mono_depth_ros.core.fit import DEFAULT_RESIZE_MODE, ImageFit
from mono_depth_ros.inference.ego_motion_estimator import EgoMotionResult, finish_result, motion_flip_enabled, \
    motion_result, run_motion
from mono_depth_ros.inference.processing import DepthResult, estimate_depth, flip_enabled, guided_filter_setting, \
    motion_input, plan_input, plan_windows
from mono_depth_ros.inference.spec import get_spec

DEPTH_KIND = {"eigen2014": "metric_depth", "xian2018": "relative_depth", "li2020_depth": "depth_up_to_scale"}


@dataclass
class LoadedModels:
    """Networks by spec name ('eigen2014' | 'xian2018' | 'li2020_depth' | 'li2020_motion'), the
    resolved training config (dict), the input size (H, W) and how frames are fitted to it;
    ``estimators``: a carded ONNX's DepthEstimator by its card name (fits frames itself)."""

    nets: dict[str, nn.Module] = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    input_hw: tuple[int, int] = (128, 416)
    resize_mode: str = DEFAULT_RESIZE_MODE
    estimators: dict[str, Any] = field(default_factory=dict)
    flip_average: str = "never"  # auto | always | never, as the depth node's parameter (processing.flip_enabled)
    motion_flip_average: str = "never"  # the same words for li2020's motion net, as ego_motion_node's parameter
    guided_filter: str = "never"  # auto | always | never, as the depth node's (processing.guided_filter_setting)
    motion_intrinsics: str = "learned"  # camera | learned, as ego_motion_node's (finish_result)

    @property
    def depth_spec(self) -> str | None:
        return next((name for name in DEPTH_KIND if name in self.nets), next(iter(self.estimators), None))

    @property
    def depth_kind(self) -> str | None:
        """The depth network's output kind ("metric_depth" for every metric one)."""
        name = self.depth_spec
        if name in self.estimators:
            spec = self.estimators[name].spec
            return "metric_depth" if spec.is_metric else spec.output_kind
        return DEPTH_KIND.get(name) if name else None

    def fit_for(self, image_hw: tuple[int, int]) -> ImageFit:
        """How a frame of ``image_hw`` = (H, W) is fitted to the depth network's input."""
        if self.depth_spec in self.estimators:
            return self.estimators[self.depth_spec].fit_for(image_hw)
        return plan_input(image_hw, self.input_hw, self.resize_mode)


def method_from_lightning(path: str | Path) -> tuple[nn.Module, dict]:
    """(method module with the checkpoint's weights, resolved config dict) of a Lightning .ckpt."""
    from training.config import config_from_dict
    from training.methods import method_class

    from mono_depth_ros.inference.checkpoint import safe_torch_load

    ckpt = safe_torch_load(path)  # weights_only=True: a checkpoint cannot run code when loaded
    config = ckpt["hyper_parameters"]["config"]
    module = method_class(config["method"])(config_from_dict(config))
    module.load_state_dict(ckpt["state_dict"])
    return module, config


def _from_lightning(path: Path) -> LoadedModels:
    module, config = method_from_lightning(path)
    nets = {name: net.eval() for name, net, _ in module.export_models()}
    return LoadedModels(nets, config, tuple(config["data"]["input_hw"]),
                        config["data"].get("resize_mode", DEFAULT_RESIZE_MODE))


def _from_onnx(path: Path, card: str | Path | None) -> LoadedModels:
    from mono_depth_ros.inference.depth_estimator import DepthEstimator

    from mono_depth_ros.inference.card import CardError

    try:
        est = DepthEstimator.from_path(path, backend="onnxruntime", card=card)  # the nodes' default fit (crop)
    except (CardError, OSError, ValueError):
        raise
    except Exception as exc:  # noqa: BLE001 - a runtime's own exceptions -> one line naming the model
        raise ValueError(f"checkpoint={str(path)!r}: ONNX Runtime could not run it ({one_line(exc, 300)})") from None
    return LoadedModels(estimators={est.spec.name: est}, input_hw=est.input_hw, resize_mode=est.resize_mode)


def load_models(paths: list[str | Path], card: str | Path | None = None) -> LoadedModels:
    """Load one Lightning checkpoint (.ckpt), model files (.pt, save_model_checkpoint format), or
    one ONNX with its model card (``card``, else ``<stem>.card.yaml`` beside it).

    For ``li2020_depth.pt`` the sibling ``li2020_motion.pt`` is loaded too when present.
    """
    paths = [Path(p) for p in paths]
    if len(paths) == 1 and paths[0].suffix == ".ckpt":
        return _from_lightning(paths[0])
    if any(p.suffix == ".onnx" for p in paths):
        if len(paths) != 1:
            raise InputError("checkpoint", [str(p) for p in paths], "an .onnx is evaluated on its own")
        return _from_onnx(paths[0], card)
    if card is not None:
        raise InputError("card", str(card), "a model card describes an .onnx checkpoint")
    from mono_depth_ros.inference.checkpoint import load_model_checkpoint

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
        out.resize_mode = out.config["data"].get("resize_mode", DEFAULT_RESIZE_MODE)
    return out


@torch.no_grad()
def predict_depth_result(models: LoadedModels, rgb: np.ndarray, name: str | None = None) -> DepthResult:
    """(H, W, 3) uint8 -> DepthResult of depth network ``name`` (default: the loaded one)."""
    name = name or models.depth_spec
    if name in models.estimators:
        return models.estimators[name].estimate(rgb)
    if name is None or name not in models.nets:
        raise InputError("checkpoint", sorted(models.nets), "no depth network among the loaded models")
    def run(net_input: np.ndarray) -> np.ndarray:
        return models.nets[name](torch.from_numpy(net_input)).float().numpy()
    return estimate_depth(rgb, get_spec(name), plan_windows(rgb.shape[:2], models.input_hw, models.resize_mode),
                          run, flip_enabled(models.flip_average),
                          guided=guided_filter_setting(models.guided_filter, name))


def predict_depth(models: LoadedModels, rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 -> (H, W) float32 depth (metric for eigen2014, relative/up to scale else),
    NaN where invalid or not seen by the network."""
    return predict_depth_result(models, rgb).depth_m


@torch.no_grad()
def predict_motion_result(models: LoadedModels, rgb_a: np.ndarray, rgb_b: np.ndarray, refinement: str = "none",
                          intrinsics: CameraIntrinsics | None = None) -> EgoMotionResult:
    """EgoMotionResult of b's camera relative to a from li2020 nets fed as EgoMotionEstimator feeds
    them (each depth at the network resolution); ``refinement`` and ``intrinsics`` (else the
    learned ones) as EgoMotionEstimator's (``finish_result``, with ``models.motion_intrinsics``; its
    ``choice`` says what the refinement made of the network's estimate)."""
    if "li2020_motion" not in models.nets or "li2020_depth" not in models.nets:
        raise InputError("checkpoint", sorted(models.nets), "ego-motion needs li2020_depth and li2020_motion")
    depth_a = predict_depth_result(models, rgb_a, "li2020_depth")
    depth_b = predict_depth_result(models, rgb_b, "li2020_depth")
    fit = models.fit_for(rgb_a.shape[:2])
    x = motion_input(rgb_a, depth_a, rgb_b, depth_b, get_spec("li2020_motion"), fit)
    net = models.nets["li2020_motion"]
    outputs = run_motion(lambda inp: tuple(t.float().numpy() for t in net(torch.from_numpy(inp))), x,
                         motion_flip_enabled(models.motion_flip_average))
    result = motion_result(outputs, fit)
    return finish_result(result, rgb_a, depth_a, rgb_b, refinement, intrinsics, models.motion_intrinsics)


def predict_motion(models: LoadedModels, rgb_a: np.ndarray, rgb_b: np.ndarray, refinement: str = "none",
                   intrinsics: CameraIntrinsics | None = None) -> np.ndarray:
    """(4, 4) motion of b's camera relative to a (maps a's camera points into b's): the
    ``T_b_from_a`` of ``predict_motion_result``."""
    return predict_motion_result(models, rgb_a, rgb_b, refinement, intrinsics).T_b_from_a
