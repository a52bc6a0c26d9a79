"""Label-free score of li2020 weights on held-out video: the method's own photometric terms.

Adapting li2020 to a user's camera needs no labels, and neither should choosing the checkpoint:
this scores weights on consecutive frame pairs of a held-out split with exactly the loss the
method trains on (``Li2020Method.loss_terms``: RGB L1 x 2 and SSIM, occlusion-masked, weighted by
the config's ``loss_weights``), no gradient, residual motion field on, no layer-norm noise. It also
reports the share of pixels those masked terms count and the plain L1 over every pixel that lands
inside frame b: the masked terms alone favour a warp that masks more pixels, so read both.

Used by ``training select --criterion photometric`` and ``benchmarks/adapt_euroc.py``.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from mono_depth_ros.core.errors import InputError

#: pairs per forward pass (memory stays bounded on a long user recording)
CHUNK_PAIRS = 16


def _source_config(weights: Path) -> dict:
    """The resolved config dict stored with li2020 weights (Lightning .ckpt, model .pt or a folder)."""
    from mono_depth_ros.inference.checkpoint import read_checkpoint_payload, safe_torch_load

    if weights.suffix == ".ckpt":
        config = safe_torch_load(weights).get("hyper_parameters", {}).get("config")
    else:
        depth = weights / "li2020_depth.pt" if weights.is_dir() else weights
        if not depth.is_file():
            raise InputError("weights", str(weights), "no li2020_depth.pt there")
        config = read_checkpoint_payload(depth).get("config")
    if not config or config.get("method") != "li2020":
        raise InputError("weights", str(weights), "not li2020 weights (the photometric score needs its two networks)")
    return config


def li2020_for_scoring(weights: str | Path, has_intrinsics: bool = True) -> Any:
    """An eval-mode li2020 method module holding ``weights`` (a run's .ckpt, a folder with
    li2020_depth.pt and li2020_motion.pt, or li2020_depth.pt with its motion sibling), configured as
    trained but with the residual motion field on from step 0 and plain layer norm."""
    from training.config import config_from_dict
    from training.loop import initialise_from
    from training.methods import build_method

    weights = Path(weights)
    config = _source_config(weights)
    config["schedule"] = {**config["schedule"], "motion_field_burnin_steps": 0}
    config["model"] = {**config["model"], "layer_norm_noise_stddev": 0.0}
    module = build_method(config_from_dict(config), dataset_has_intrinsics=has_intrinsics)
    source = weights.parent if weights.suffix == ".pt" else weights
    initialise_from(module, str(source))
    return module.eval()


@contextmanager
def recorded_warps(calls: list):
    """Record what li2020's loss_terms passes to ``rgbd_consistency_loss`` (warp, images, result),
    so the in-view L1 and the counted share come from the method's own computation."""
    import training.methods.li2020 as li

    original = li.rgbd_consistency_loss

    def record(transformed, rgb_1, depth_2, rgb_2, *args, **kwargs):
        out = original(transformed, rgb_1, depth_2, rgb_2, *args, **kwargs)
        calls.append((transformed, rgb_1, rgb_2, out))
        return out

    li.rgbd_consistency_loss = record
    try:
        yield
    finally:
        li.rgbd_consistency_loss = original


def inview_l1(transformed: Any, rgb_1: torch.Tensor, rgb_2: torch.Tensor) -> tuple[float, float]:
    """(mean |rgb_2 warped - rgb_1| over in-view pixels, in-view share); rgb (B, 3, H, W) in [0, 1]."""
    from training.losses import resample

    warped = resample(rgb_2, transformed.pixel_x, transformed.pixel_y)
    mask = transformed.mask.to(rgb_1.dtype)[:, None]
    return float(((warped - rgb_1).abs() * mask).sum() / (3 * mask.sum()).clamp_min(1)), float(mask.mean())


@torch.no_grad()
def photometric_terms(module: Any, folder: str | Path, split: str = "val") -> dict:
    """li2020's photometric terms of ``module`` on every consecutive pair of ``folder``'s ``split``.

    Returns rgb_consistency, ssim, weighted (with the config's loss weights), counted_fraction,
    inview_fraction, inview_l1 (means over pairs) and pairs. InputError when the split has no pair.
    """
    from training.data.batches import collate
    from training.data.datasets import DatasetFolder

    dataset = module.make_dataset(DatasetFolder(folder), split, train=False)
    if len(dataset) == 0:
        raise InputError("data", f"{folder} ({split} split)", "no consecutive frame pair to score")
    sums = dict.fromkeys(("rgb_consistency", "ssim", "counted_fraction", "inview_fraction", "inview_l1"), 0.0)
    for start in range(0, len(dataset), CHUNK_PAIRS):
        batch = collate([dataset[i] for i in range(start, min(start + CHUNK_PAIRS, len(dataset)))])
        n = int(batch.rgb.shape[0])
        calls: list = []
        with recorded_warps(calls):
            terms = module.loss_terms(batch)
        transformed, rgb_1, rgb_2, out = calls[-1]
        l1, inview = inview_l1(transformed, rgb_1, rgb_2)
        for key, value in (("rgb_consistency", terms["rgb_consistency"]), ("ssim", terms["ssim"]),
                           ("counted_fraction", out["frame1_closer_to_camera"].float().mean()),
                           ("inview_fraction", inview), ("inview_l1", l1)):
            sums[key] += float(value) * n
    pairs = len(dataset)
    result = {key: value / pairs for key, value in sums.items()}
    w = module.config.loss_weights
    result["weighted"] = w.rgb_consistency * result["rgb_consistency"] + w.ssim * result["ssim"]
    result["pairs"] = pairs
    return result


def photometric_score(weights: str | Path, folder: str | Path, split: str = "val") -> dict:
    """:func:`photometric_terms` of li2020 ``weights`` on ``folder`` (the folder's intrinsics when
    it has them, else the learned ones)."""
    from training.data.datasets import DatasetFolder

    has_intrinsics = DatasetFolder(folder).intrinsics is not None
    return photometric_terms(li2020_for_scoring(weights, has_intrinsics), folder, split)
