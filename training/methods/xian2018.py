"""Xian et al. 2018 (ReDWeb): relative depth network trained with the (improved) ranking loss
on point pairs sampled online per image."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from training.config import Xian2018Config
from training.data.batches import RelativeDepthBatch
from training.data.datasets import Xian2018Dataset
from training.losses import ranking_loss
from training.methods.base import MethodModule


class Xian2018Method(MethodModule):
    method_name = "xian2018"

    def __init__(self, config: Xian2018Config, dataset_has_intrinsics: bool = True) -> None:
        super().__init__(config)
        from mono_depth_ros.models.xian2018 import Xian2018

        self.model_kwargs = {"variant": config.model.variant}
        self.model = Xian2018(**self.model_kwargs)
        from training.pretrained import apply_encoder_init

        # the paper's start: an ImageNet-trained encoder
        apply_encoder_init(config.model.encoder_init, self.model.encoder)

    def loss_terms(self, batch: RelativeDepthBatch) -> dict[str, torch.Tensor]:
        pred = self.model(batch.rgb)
        if pred.shape[-2:] != batch.target.shape[-2:]:
            pred = nn.functional.interpolate(pred, size=batch.target.shape[-2:], mode="bilinear", align_corners=False)
        loss = self.config.loss
        return {"ranking": ranking_loss(pred, batch.target, batch.valid, loss.pairs_per_image, loss.ratio_threshold,
                                        loss.improved, loss.ignore_fraction, ignore_among=loss.ignore_among)}

    def configure_optimizers(self):
        opt = self.config.optimizer
        return torch.optim.Adam(self.model.parameters(), lr=opt.lr, weight_decay=opt.weight_decay)

    def make_dataset(self, folder: Any, split: str, train: bool) -> Xian2018Dataset:
        data = self.config.data
        augment = train and data.augment
        return Xian2018Dataset(folder, split, data.input_hw, source=self.config.loss.target_source, flip=augment,
                               seed=self.config.trainer.seed, resize_mode=data.resize_mode,
                               camera_augment=augment and data.camera_augment,
                               colour_jitter=data.colour_jitter,
                               exposure_metering=data.exposure_metering)

    def export_models(self) -> list[tuple[str, nn.Module, dict]]:
        return [("xian2018", self.model, self.model_kwargs)]
