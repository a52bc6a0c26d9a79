"""Li et al. 2020, "Unsupervised Monocular Depth Learning in Dynamic Scenes", following the
official code's defaults (google-research/depth_and_motion_learning).

Per pair (a, b) both directions are stacked in the batch ([a; b] and flipped [b; a]) so the
motion network predicts a->b and b->a; losses: occlusion-aware RGB L1 + weighted SSIM,
edge-aware disparity smoothness (disparity normalised by its mean), rotation and translation
cycle consistency, motion-field smoothness and L1/2 sparsity of the residual translation
normalised by the total translation's RMS. As in the official aggregator, every term is
multiplied by 2 (and SSIM by 0.5) before its weight.

Schedules: the residual translation is multiplied by clip(2 step / burnin - 1, 0, 1) (zero for
the first half of ``motion_field_burnin_steps``); the depth network's randomized layer
normalisation noise ramps up quadratically over ``layer_norm_noise_rampup_steps``.
Intrinsics: the dataset's when known; learned by the motion network when
``model.learn_intrinsics`` is "always", or "auto" and the dataset has none.

Collapse guard (training from scratch, no ImageNet weights): published PyTorch ports reported
the depth collapsing to a blank (constant) map, a fixed point where every photometric term is
flat. Three things guard against it here: (1) ``depth_mean``: (log mean depth)^2 for the first
``schedule.depth_mean_steps`` steps pins the free monocular scale so the depth cannot run off to
0 or infinity while structure forms; (2) ``depth_variance``: the official 1/var(depth/mean)
barrier (weight 0 by default as in the official code; raise it, e.g. 1e-6, if collapse shows);
(3) a sanity check every ``collapse_check_every_n_steps`` logs ``train/log_depth_std`` and
``train/counted_pixel_fraction`` and stops training when either falls below its limit.

Options that depart from the official defaults (all default to the official values):
``model.layer_norm_noise_stddev`` (0 turns the randomized layer normalisation into a plain one),
``loss.occluded_pixel_weight`` (a positive weight keeps pixels that fail the occlusion test in
the RGB term), ``model.auto_mask`` (false: keep the whole residual translation field),
``loss.photometric_blur_levels`` (N > 0: the RGB and SSIM terms averaged with the same warp's on
both frames blurred at sigma 2 .. 2^N px, an image pyramid's reach for large motions),
``data.max_frame_stride`` (pairs up to N frames apart), ``loss_weights.rotation_supervision``
(the rotation against the renders' exact poses, for the bundled weights' synthetic training; the
paper is self-supervised, and a user's bag without poses gets no such term).

Data (official): random crop-and-resize with intrinsics adjusted plus a random horizontal flip
(``data.augment``), pairs whose frames differ by a mean |rgb difference| <= 0.01 dropped
(``data.duplicates_filter_threshold``). Ours: ``data.camera_augment`` (grayscale, photometric
jitter, blur, noise; not from the paper), ``data.resize_mode``.

Known differences from the official code, kept and documented (they need retraining or an
interface change to remove): the networks take rgb in [0, 1] (official: ``2 * rgb - 1``; the model
card's normalisation is shared with the nodes); the depth decoder upsamples by nearest neighbour
+ 3x3 convolution with ELU (official: transposed convolutions; ``model.decoder_upsample=bilinear``
upsamples bilinearly instead, against the horizontal bands nearest leaves); rotations are axis-angle vectors
(official: Euler angles; the same to first order at the small inter-frame rotations); the
background-motion convolution has a bias (official: none; removing it changes the bundled weights'
layout); bilinear resampling uses ``align_corners=True`` pixel-centre coordinates in the warp
(official: TF's resampler, the same convention) and ``align_corners=False`` when upsampling the
motion field (official: ``tf.image.resize`` default); learned intrinsics are kept physical
(``model.max_pixel_aspect``, principal point inside the image; official: unbounded).
"""

from __future__ import annotations

import logging
from typing import Any

import torch
from torch import nn

from training.config import Li2020Config
from training.data.batches import FramesBatch
from training.data.datasets import Li2020Dataset
from training.losses import (axis_angle_to_matrix, depth_variance_loss, disparity_smoothness, gaussian_blur,
                             l1_smoothness, log_depth_mean_loss, motion_field_consistency, normalize_motion_map,
                             rgbd_consistency_loss, scale_invariant_log_loss, sqrt_sparsity, transform_depth_map)
from training.methods.base import MethodModule

LOG = logging.getLogger(__name__)


def burnin_factor(step: int, burnin_steps: int) -> float:
    """Residual-motion multiplier: 0 for the first half of burn-in, then a linear ramp to 1."""
    if burnin_steps <= 0:
        return 1.0
    return float(min(max(2.0 * step / burnin_steps - 1.0, 0.0), 1.0))


def layer_norm_noise_ramp(step: int, rampup_steps: int) -> float:
    """Fraction (0..1) of the randomized layer-normalisation noise: quadratic ramp-up."""
    if rampup_steps <= 0:
        return 1.0
    return float(min(step / rampup_steps, 1.0) ** 2)


def rotation_supervision(rotation: torch.Tensor, pose: torch.Tensor, pose_valid: torch.Tensor) -> torch.Tensor:
    """Mean L1 norm (radians) of sin(angle) * axis of each predicted rotation's error against the truth.

    Args: rotation (2P, 3, 3): the motion network's, a->b for the P consecutive pairs, then b->a (as
    loss_terms stacks them); pose (B, T, 4, 4) optical-frame poses in odom, P = B * (T - 1);
    pose_valid (B, T) bool. Pairs without both poses count for nothing (0 when none has them).
    """
    a, b = pose[:, :-1].flatten(0, 1).double(), pose[:, 1:].flatten(0, 1).double()
    valid = (pose_valid[:, :-1] & pose_valid[:, 1:]).flatten(0, 1)
    b_from_a = torch.linalg.solve(b, a)[:, :3, :3]
    truth = torch.cat([b_from_a, b_from_a.transpose(-1, -2)]).to(rotation.dtype)
    valid = torch.cat([valid, valid]).to(rotation.dtype)
    error = rotation @ truth.transpose(-1, -2)
    sin_axis = 0.5 * torch.stack([error[:, 2, 1] - error[:, 1, 2], error[:, 0, 2] - error[:, 2, 0],
                                  error[:, 1, 0] - error[:, 0, 1]], -1)
    return (sin_axis.abs().sum(-1) * valid).sum() / valid.sum().clamp_min(1.0)


def _split_pairs(rgb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, T, 3, H, W) -> consecutive pairs stacked on the batch: (B*(T-1), 3, H, W) twice."""
    return rgb[:, :-1].flatten(0, 1), rgb[:, 1:].flatten(0, 1)


class Li2020Method(MethodModule):
    method_name = "li2020"

    def __init__(self, config: Li2020Config, dataset_has_intrinsics: bool = True) -> None:
        super().__init__(config)
        from mono_depth_ros.models.li2020 import Li2020DepthNet, Li2020MotionNet

        self.model_kwargs = {"variant": config.model.variant}
        # the noise only acts in training, so exported models are rebuilt without it
        self.depth_kwargs = {**self.model_kwargs, "decoder_upsample": config.model.decoder_upsample}
        self.depth_net = Li2020DepthNet(**self.depth_kwargs, noise_stddev=config.model.layer_norm_noise_stddev)
        from training.pretrained import apply_encoder_init

        # the paper's start: an ImageNet-trained depth encoder
        apply_encoder_init(config.model.encoder_init, self.depth_net.encoder)
        self.motion_kwargs = {**self.model_kwargs, "auto_mask": config.model.auto_mask,
                              "max_pixel_aspect": config.model.max_pixel_aspect}
        self.motion_net = Li2020MotionNet(**self.motion_kwargs)
        mode = config.model.learn_intrinsics
        self.learn_intrinsics = mode == "always" or (mode == "auto" and not dataset_has_intrinsics)
        self.collapsed_at_step: int | None = None  # set by the collapse guard; the loop then stops
        # adaptation (ours): a frozen copy of the starting depth network, filled by after_init_from
        self.anchor_depth_net: nn.Module | None = None
        if config.loss_weights.depth_anchor > 0:
            self.anchor_depth_net = Li2020DepthNet(**self.depth_kwargs, noise_stddev=0.0).requires_grad_(False)

    def after_init_from(self) -> None:
        """Freeze a copy of the depth network as loaded from ``trainer.init_from`` (the anchor)."""
        if self.anchor_depth_net is not None:
            self.anchor_depth_net.load_state_dict(self.depth_net.state_dict())

    def train(self, mode: bool = True) -> "Li2020Method":
        super().train(mode)
        self._keep_frozen_nets_in_eval()
        return self

    def _keep_frozen_nets_in_eval(self) -> None:
        """The anchor copy, and the depth net when ``optimizer.depth_lr_scale`` is 0, stay in eval
        mode: a batch-norm net (``lite0``) in train mode would update its running statistics, so a
        "frozen" network would still change. Lightning never calls ``train()`` on a module built in
        train mode, so this also runs before every training batch. With ``optimizer.depth_bn_stats``
        frozen, the depth net's batch-norm layers stay in eval (stored statistics, kept)."""
        if self.anchor_depth_net is not None:
            self.anchor_depth_net.eval()
        if self.training and self.config.optimizer.depth_lr_scale == 0:
            self.depth_net.eval()
        elif self.training and self._bn_stats_frozen:
            for module in self.depth_net.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()

    @property
    def _bn_stats_frozen(self) -> bool:
        return self.config.optimizer.depth_bn_stats == "frozen"

    def _anchor_term(self, rgb: torch.Tensor, depth: torch.Tensor) -> torch.Tensor:
        """Scale-invariant log difference (Eigen 2014, lambda 1) between ``depth`` (N,1,H,W) and the
        anchor network's depth of the same ``rgb`` (N,3,H,W): 0 for any global rescaling of the
        starting depth, so adaptation may change the scale but pays for changing the structure."""
        if self.anchor_depth_net is None or not self.training or self.config.optimizer.depth_lr_scale == 0:
            return depth.sum() * 0  # a training regulariser: nothing to anchor when scoring or frozen
        with torch.no_grad():
            anchor = self._anchor_depth(rgb).clamp_min(1e-3)
        return scale_invariant_log_loss(torch.log(depth), anchor, torch.ones_like(depth, dtype=torch.bool), 1.0)

    def _anchor_depth(self, rgb: torch.Tensor) -> torch.Tensor:
        """The anchor's depth (N,1,H,W) normalised as the training depth net's is: a batch-norm net
        (``lite0``) in train mode uses the batch's statistics, so the anchor does too (its stored
        statistics are put back after), and the term then measures what the parameters changed;
        with ``depth_bn_stats`` frozen both use the stored statistics."""
        anchor = self.anchor_depth_net
        if not self.depth_net.training or self._bn_stats_frozen:
            return anchor(rgb)
        stored = {name: buffer.clone() for name, buffer in anchor.named_buffers()}
        try:
            return anchor.train()(rgb)
        finally:
            anchor.eval()
            for name, buffer in anchor.named_buffers():
                buffer.copy_(stored[name])

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        self._keep_frozen_nets_in_eval()
        ramp = layer_norm_noise_ramp(self.global_step, self.config.schedule.layer_norm_noise_rampup_steps)
        setter = getattr(self.depth_net, "set_noise_ramp", None)
        if callable(setter):
            setter(ramp)

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        self.motion_net.project_scales()  # the official scale constraint, applied after each step

    def _intrinsics(self, batch: FramesBatch, predicted: torch.Tensor, pairs: int) -> torch.Tensor:
        """(2P, 3, 3) intrinsics: the averaged prediction of both directions, or the dataset's."""
        if self.learn_intrinsics:
            mean = 0.5 * (predicted[:pairs] + predicted[pairs:])
            return torch.cat([mean, mean])
        if not bool(batch.intrinsics_known.all()):
            raise ValueError("intrinsics_known: dataset has no intrinsics; set model.learn_intrinsics to auto/always")
        per_pair = batch.intrinsics[:, None].expand(-1, batch.rgb.shape[1] - 1, 3, 3).flatten(0, 1)
        return torch.cat([per_pair, per_pair]).to(predicted.dtype)

    def _blurred_levels(self, moved: Any, rgb: torch.Tensor, depth_2: torch.Tensor, flip: torch.Tensor,
                        full: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """(rgb_error, ssim_error): ``full``'s, averaged with the same warp's on both frames blurred
        at sigma 2, 4, .. px for ``loss.photometric_blur_levels`` levels (0: ``full``'s as they are).
        Frame 2 is ``rgb[flip]`` (both directions are stacked), so each level blurs the batch once."""
        levels = self.config.loss.photometric_blur_levels
        rgb_error, ssim_error = full["rgb_error"], full["ssim_error"]
        for level in range(1, levels + 1):
            blurred_rgb = gaussian_blur(rgb, 2.0 ** level)
            blurred = rgbd_consistency_loss(moved, blurred_rgb, depth_2, blurred_rgb[flip],
                                            self.config.loss.occluded_pixel_weight)
            rgb_error, ssim_error = rgb_error + blurred["rgb_error"], ssim_error + blurred["ssim_error"]
        return rgb_error / (levels + 1), ssim_error / (levels + 1)

    def loss_terms(self, batch: FramesBatch) -> dict[str, torch.Tensor]:
        rgb_a, rgb_b = _split_pairs(batch.rgb)
        pairs = rgb_a.shape[0]
        rgb = torch.cat([rgb_a, rgb_b])
        flipped_rgb = torch.cat([rgb_b, rgb_a])
        # floor: softplus depth can underflow to 0 under full layer-norm noise (1/depth -> inf -> NaN)
        depth = self.depth_net(rgb).clamp_min(1e-3)
        depth_a, depth_b = depth[:pairs], depth[pairs:]
        flipped_depth = torch.cat([depth_b, depth_a])
        motion = self.motion_net(torch.cat([torch.cat([rgb, depth, flipped_rgb, flipped_depth], 1)]))
        residual = motion.residual_translation * burnin_factor(self.global_step,
                                                               self.config.schedule.motion_field_burnin_steps)
        translation = residual + motion.translation[:, :, None, None]
        rotation = axis_angle_to_matrix(motion.rotation_rad)
        k = self._intrinsics(batch, motion.intrinsics, pairs)
        moved = transform_depth_map(depth, rotation, translation, k)
        rgbd = rgbd_consistency_loss(moved, rgb, flipped_depth.detach(), flipped_rgb,
                                     self.config.loss.occluded_pixel_weight)
        flip = torch.cat([torch.arange(pairs, 2 * pairs), torch.arange(0, pairs)]).to(depth.device)
        rgb_error, ssim_error = self._blurred_levels(moved, rgb, flipped_depth.detach(), flip, rgbd)
        cycle = motion_field_consistency(moved.pixel_x, moved.pixel_y, rgbd["frame1_closer_to_camera"],
                                         rotation, translation, rotation[flip], translation[flip])
        normalized = normalize_motion_map(residual, translation)
        weights = self.config.loss_weights
        self._check_collapse(depth, float(rgbd["frame1_closer_to_camera"].mean()))
        mean_on = float(self.global_step < self.config.schedule.depth_mean_steps)
        return {"rgb_consistency": 2 * rgb_error, "ssim": ssim_error,
                "depth_smoothing": 2 * disparity_smoothness(depth, rgb),
                "rotation_cycle_consistency": 2 * cycle["rotation_error"],
                "translation_cycle_consistency": 2 * cycle["translation_error"],
                "motion_smoothing": 2 * l1_smoothness(normalized, wrap_around=weights.motion_drift == 0),
                "motion_drift": 2 * sqrt_sparsity(normalized),
                "depth_variance": 2 * depth_variance_loss(depth) if weights.depth_variance > 0 else depth.sum() * 0,
                "depth_mean": mean_on * log_depth_mean_loss(depth),
                "depth_anchor": self._anchor_term(rgb, depth),
                "rotation_supervision": rotation_supervision(rotation, batch.pose, batch.pose_valid)
                if weights.rotation_supervision > 0 else depth.sum() * 0}

    def _check_collapse(self, depth: torch.Tensor, counted_fraction: float) -> None:
        """Every ``collapse_check_every_n_steps``: log the spread of log depth and the fraction of
        pixels the photometric terms count; stop training when either has collapsed.

        Both collapses seen here from scratch (at ~2100 steps) drove every pixel out of the
        photometric terms (they fell to 0) and the log-depth spread to ~0.01. Stopping keeps the
        periodic checkpoints from before the collapse; the loop exports no collapsed model.
        """
        every = self.config.schedule.collapse_check_every_n_steps
        if not self.training or every <= 0 or self.global_step % every:
            return
        std = float(torch.log(depth.detach().clamp_min(1e-6)).std())
        if self._trainer is not None:
            self.log("train/log_depth_std", std, batch_size=depth.shape[0])
            self.log("train/counted_pixel_fraction", counted_fraction, batch_size=depth.shape[0])
        schedule = self.config.schedule
        if std < schedule.collapse_min_log_depth_std or counted_fraction < schedule.collapse_min_counted_fraction:
            self.collapsed_at_step = int(self.global_step)
            LOG.error("step %d: training collapsed (std of log depth %.4g, limit %.4g; counted pixel fraction "
                      "%.4g, limit %.4g): stopping; use a checkpoint from before this step", self.global_step,
                      std, schedule.collapse_min_log_depth_std, counted_fraction,
                      schedule.collapse_min_counted_fraction)
            if self._trainer is not None:
                self.trainer.should_stop = True

    def configure_optimizers(self):
        """Adam over both networks (and the learned intrinsics); the depth network's rate is scaled
        by ``optimizer.depth_lr_scale`` and, at 0, it is frozen (no gradients, not in the optimizer)."""
        opt = self.config.optimizer
        depth_params = list(self.depth_net.parameters())
        fixed = {id(p) for p in depth_params}
        if self.anchor_depth_net is not None:
            fixed |= {id(p) for p in self.anchor_depth_net.parameters()}
        groups = [{"params": [p for p in self.parameters() if id(p) not in fixed], "lr": opt.lr}]
        if opt.depth_lr_scale > 0:
            groups.append({"params": depth_params, "lr": opt.lr * opt.depth_lr_scale})
        else:
            for p in depth_params:
                p.requires_grad_(False)
        return torch.optim.Adam(groups, lr=opt.lr, weight_decay=opt.weight_decay)

    def make_dataset(self, folder: Any, split: str, train: bool) -> Li2020Dataset:
        data = self.config.data
        augment = train and data.augment
        return Li2020Dataset(folder, split, data.input_hw, length=2, augment=augment, seed=self.config.trainer.seed,
                             resize_mode=data.resize_mode, camera_augment=augment and data.camera_augment,
                             duplicates_filter_threshold=data.duplicates_filter_threshold if train else 0.0,
                             colour_jitter=data.colour_jitter,
                             exposure_metering=data.exposure_metering,
                             max_stride=data.max_frame_stride if train else 1)

    def export_models(self) -> list[tuple[str, nn.Module, dict]]:
        return [("li2020_depth", self.depth_net, self.depth_kwargs),
                ("li2020_motion", self.motion_net, self.motion_kwargs)]
