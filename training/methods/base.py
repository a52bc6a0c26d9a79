"""The one Lightning module shape shared by the three methods.

A method builds its networks, returns a dict of *named, unweighted* loss terms from
:meth:`MethodModule.loss_terms`, and says which networks to export. This base multiplies the
terms by ``config.loss_weights`` (a dataclass: names must match exactly), logs every term and
the total, and stores the resolved config and git revision in every Lightning checkpoint.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import lightning as L
import torch
from torch import nn
from torch.utils.data import Dataset

from mono_depth_ros.inference.checkpoint import git_revision
from training.config import config_from_dict, config_to_dict
from training.data.batches import to_device



class MethodModule(L.LightningModule):
    """Base of the method modules. Subclasses set ``method_name`` and implement the abstract methods."""

    method_name = ""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.config = config
        # stored under hyper_parameters so load_from_checkpoint(path) rebuilds the same config
        self.save_hyperparameters({"config": config_to_dict(config)})

    @classmethod
    def from_config_dict(cls, config: dict, **kwargs: Any) -> "MethodModule":
        return cls(config_from_dict(config), **kwargs)

    # ------------------------------------------------------------------ to implement
    @abstractmethod
    def loss_terms(self, batch: Any) -> dict[str, torch.Tensor]:
        """Named scalar loss terms (unweighted), keys == fields of config.loss_weights."""

    @abstractmethod
    def make_dataset(self, folder: Any, split: str, train: bool) -> Dataset:
        """The dataset of this method over an extracted folder (a DatasetFolder)."""

    @abstractmethod
    def export_models(self) -> list[tuple[str, nn.Module, dict]]:
        """[(spec_name, network, model_kwargs)] to save with save_model_checkpoint."""

    def after_init_from(self) -> None:
        """Called once the networks hold the ``trainer.init_from`` weights (not on --resume)."""

    # ------------------------------------------------------------------ generic part
    def weighted_total(self, terms: dict[str, torch.Tensor]) -> torch.Tensor:
        weights = config_to_dict(self.config.loss_weights)
        if set(terms) != set(weights):
            raise KeyError(f"loss terms {sorted(terms)} != loss_weights keys {sorted(weights)}")
        return sum(weights[name] * value for name, value in terms.items())

    def _step(self, batch: Any, stage: str) -> torch.Tensor:
        terms = self.loss_terms(batch)
        total = self.weighted_total(terms)
        size = int(batch.rgb.shape[0])
        self.log_dict({f"{stage}/{k}": v.detach() for k, v in terms.items()}, batch_size=size,
                      on_step=stage == "train", on_epoch=stage != "train", sync_dist=stage != "train")
        self.log(f"{stage}/loss", total.detach(), prog_bar=True, batch_size=size, on_step=stage == "train",
                 on_epoch=stage != "train", sync_dist=stage != "train")
        return total

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        total = self._step(batch, "train")
        if not torch.isfinite(total):
            raise FloatingPointError(f"step {self.global_step}: non-finite training loss {total.item()}")
        return total

    def validation_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return self._step(batch, "val")

    def transfer_batch_to_device(self, batch: Any, device: torch.device, dataloader_idx: int) -> Any:
        return to_device(batch, device)

    def on_train_epoch_start(self) -> None:
        # new augmentation draws every epoch (datasets seed by (seed, epoch, index))
        loader = self.trainer.train_dataloader
        dataset = getattr(loader, "dataset", None)
        for part in getattr(dataset, "datasets", [dataset]):  # ConcatDataset of several folders
            if part is not None and hasattr(part, "epoch"):
                part.epoch = self.current_epoch

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["resolved_config"] = config_to_dict(self.config)
        checkpoint["git_rev"] = git_revision()
        checkpoint["method"] = self.method_name
