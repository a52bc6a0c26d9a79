"""Eigen et al. 2014: coarse + fine networks, scale-invariant log loss, staged training.

Stage 1 (steps < ``schedule.coarse_steps``) trains the coarse network on its own output;
stage 2 freezes the coarse network (eval mode, no gradients) and trains the fine network.
SGD with momentum 0.9 and the paper's per-layer learning rates (config keys
``optimizer.lr_coarse_conv``, ``lr_coarse_fc``, ``lr_fine_layer1..3``); ``optimizer.kind: adam``
(ours: stage 20's coarse stage from ImageNet) uses Adam over the same groups and rates.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from training.config import Eigen2014Config
from training.data.batches import DepthBatch
from training.data.datasets import Eigen2014Dataset
from training.losses import scale_invariant_log_loss
from training.methods.base import MethodModule


def eigen_param_groups(model: nn.Module, opt) -> list[dict]:
    """SGD parameter groups with the paper's per-layer learning rates.

    Coarse: Linear layers -> lr_coarse_fc, all other coarse parameters -> lr_coarse_conv.
    Fine: its Conv2d layers in order are the paper's layers 1, 2 (all middle ones) and 3 (the
    last); other fine parameters (e.g. normalisation) follow layer 1.
    """
    coarse_fc = [p for m in model.coarse.modules() if isinstance(m, nn.Linear) for p in m.parameters(recurse=False)]
    fc_ids = {id(p) for p in coarse_fc}
    coarse_conv = [p for p in model.coarse.parameters() if id(p) not in fc_ids]
    convs = [m for m in model.fine.modules() if isinstance(m, nn.Conv2d)]
    layer1 = list(convs[0].parameters()) if convs else []
    layer3 = list(convs[-1].parameters()) if len(convs) > 1 else []
    layer2 = [p for m in convs[1:-1] for p in m.parameters()]
    seen = {id(p) for p in layer1 + layer2 + layer3}
    layer1 += [p for p in model.fine.parameters() if id(p) not in seen]
    groups = [("coarse_conv", coarse_conv, opt.lr_coarse_conv), ("coarse_fc", coarse_fc, opt.lr_coarse_fc),
              ("fine_layer1", layer1, opt.lr_fine_layer1), ("fine_layer2", layer2, opt.lr_fine_layer2),
              ("fine_layer3", layer3, opt.lr_fine_layer3)]
    return [{"params": params, "lr": lr, "name": name} for name, params, lr in groups if params]


class Eigen2014Method(MethodModule):
    method_name = "eigen2014"

    def __init__(self, config: Eigen2014Config, dataset_has_intrinsics: bool = True) -> None:
        super().__init__(config)
        from mono_depth_ros.models.eigen2014 import Eigen2014

        self.model_kwargs = {"variant": config.model.variant}
        self.model = Eigen2014(**self.model_kwargs)
        from training.pretrained import apply_encoder_init

        # the paper's start: ImageNet-trained coarse convolutions
        apply_encoder_init(config.model.encoder_init, self.model.coarse.encoder)

    @property
    def stage(self) -> str:
        return "coarse" if self.global_step < self.config.schedule.coarse_steps else "fine"

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        frozen = self.stage == "fine"
        for p in self.model.coarse.parameters():
            p.requires_grad_(not frozen)
        if frozen:
            self.model.coarse.eval()  # dropout off in the frozen coarse network

    def loss_terms(self, batch: DepthBatch) -> dict[str, torch.Tensor]:
        log_depth = self.model(batch.rgb, stage=self.stage)
        size = log_depth.shape[-2:]
        depth = F.interpolate(batch.depth_m, size=size, mode="nearest")
        valid = F.interpolate(batch.valid.float(), size=size, mode="nearest") > 0.5
        return {"scale_invariant": scale_invariant_log_loss(log_depth, depth, valid, self.config.loss.lambda_si)}

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        self.log("train/stage_fine", float(self.stage == "fine"), batch_size=int(batch.rgb.shape[0]))
        return super().training_step(batch, batch_idx)

    def configure_optimizers(self):
        opt = self.config.optimizer
        if opt.kind == "adam":  # ours; the paper's SGD below
            return torch.optim.Adam(eigen_param_groups(self.model, opt), lr=opt.lr_coarse_conv,
                                    weight_decay=opt.weight_decay)
        return torch.optim.SGD(eigen_param_groups(self.model, opt), lr=opt.lr_coarse_conv, momentum=opt.momentum,
                               weight_decay=opt.weight_decay)

    def make_dataset(self, folder: Any, split: str, train: bool) -> Eigen2014Dataset:
        data = self.config.data
        augment = train and data.augment
        return Eigen2014Dataset(folder, split, data.input_hw, augment=augment, seed=self.config.trainer.seed,
                                resize_mode=data.resize_mode, camera_augment=augment and data.camera_augment,
                                colour_jitter=data.colour_jitter,
                                exposure_metering=data.exposure_metering)

    def export_models(self) -> list[tuple[str, nn.Module, dict]]:
        return [("eigen2014", self.model, self.model_kwargs)]
