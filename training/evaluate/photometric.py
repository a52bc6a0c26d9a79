"""Label-free score of li2020 weights on held-out video: the method's own photometric terms.

Adapting li2020 to a user's camera needs no labels, and neither should choosing the checkpoint:
this scores weights on consecutive frame pairs of a held-out split with exactly the loss the
method trains on (``Li2020Method.loss_terms``: RGB L1 x 2 and SSIM, occlusion-masked, weighted by
the config's ``loss_weights``), no gradient, residual motion field on, no layer-norm noise, on
the sharp frames only (weights trained with ``loss.photometric_blur_levels`` score on the same
scale as any other). It also
reports the share of pixels those masked terms count and the plain L1 over every pixel that lands
inside frame b: the masked terms alone favour a warp that masks more pixels, so read both.

Used by ``training select --criterion photometric``, ``training evaluate`` (li2020, beside
:func:`no_motion_terms`, the identity warp on the same pairs) and ``benchmarks/adapt_euroc.py``.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from mono_depth_ros.core.errors import InputError

#: pairs per forward pass (memory stays bounded on a long user recording)
CHUNK_PAIRS = 16
#: the per-pair means that photometric_terms and no_motion_terms return (with weighted and pairs)
MEAN_TERMS = ("rgb_consistency", "ssim", "counted_fraction", "inview_fraction", "inview_l1")


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
    trained but with the residual motion field on from step 0, plain layer norm and the photometric
    terms on the sharp frames only (``loss.photometric_blur_levels`` 0: weights trained with blurred
    terms would otherwise score on a lower scale than any other)."""
    from training.config import config_from_dict
    from training.loop import initialise_from
    from training.methods import build_method

    weights = Path(weights)
    config = _source_config(weights)
    config["schedule"] = {**config["schedule"], "motion_field_burnin_steps": 0}
    config["model"] = {**config["model"], "layer_norm_noise_stddev": 0.0}
    config["loss"] = {**config.get("loss", {}), "photometric_blur_levels": 0}
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


def _pairs_of(module: Any, folder: str | Path, split: str) -> Any:
    """The frame-pair dataset ``module`` trains on, for ``folder``'s ``split``; InputError when empty."""
    from training.data.datasets import DatasetFolder

    dataset = module.make_dataset(DatasetFolder(folder), split, train=False)
    if len(dataset) == 0:
        raise InputError("data", f"{folder} ({split} split)", "no consecutive frame pair to score")
    return dataset


def _means(sums: dict, pairs: int, module: Any) -> dict:
    """Per-pair means of ``sums``, their weighted sum with the config's loss weights, and pairs."""
    result = {key: value / pairs for key, value in sums.items()}
    w = module.config.loss_weights
    result["weighted"] = w.rgb_consistency * result["rgb_consistency"] + w.ssim * result["ssim"]
    result["pairs"] = pairs
    return result


def _chunks(dataset: Any, progress: bool, desc: str):
    """Collated FramesBatch of at most CHUNK_PAIRS pairs each, in order."""
    from tqdm import tqdm

    from training.data.batches import collate

    with tqdm(total=len(dataset), desc=desc, unit="pair", disable=not progress) as bar:
        for start in range(0, len(dataset), CHUNK_PAIRS):
            batch = collate([dataset[i] for i in range(start, min(start + CHUNK_PAIRS, len(dataset)))])
            yield batch
            bar.update(int(batch.rgb.shape[0]))


@torch.no_grad()
def photometric_terms(module: Any, folder: str | Path, split: str = "val", progress: bool = False) -> dict:
    """li2020's photometric terms of ``module`` (from :func:`li2020_for_scoring`) on every consecutive
    pair of ``folder``'s ``split``.

    Returns rgb_consistency, ssim, weighted (with the config's loss weights), counted_fraction,
    inview_fraction, inview_l1 (means over pairs) and pairs. InputError when the split has no pair.
    ``progress``: a progress bar over the pairs.
    """
    dataset = _pairs_of(module, folder, split)
    sums = dict.fromkeys(MEAN_TERMS, 0.0)
    for batch in _chunks(dataset, progress, "photometric"):
        n = int(batch.rgb.shape[0])
        calls: list = []
        with recorded_warps(calls):
            terms = module.loss_terms(batch)
        transformed, rgb_1, rgb_2, out = calls[0]
        l1, inview = inview_l1(transformed, rgb_1, rgb_2)
        for key, value in (("rgb_consistency", terms["rgb_consistency"]), ("ssim", terms["ssim"]),
                           ("counted_fraction", out["frame1_closer_to_camera"].float().mean()),
                           ("inview_fraction", inview), ("inview_l1", l1)):
            sums[key] += float(value) * n
    return _means(sums, len(dataset), module)


@torch.no_grad()
def no_motion_terms(module: Any, folder: str | Path, split: str = "val") -> dict:
    """:func:`photometric_terms`' keys for the identity warp ("no motion": frame b compared with
    frame a as is, pixel for pixel, every pixel counted), on the pairs ``module`` scores (same frames,
    input size and loss weights); no network runs. The baseline a warp must beat: a network that
    explains the motion has lower weighted and inview_l1 (the weighted terms of the network also
    drop the pixels its occlusion test masks; read inview_l1, over every pixel, beside them).
    As ``benchmarks/adapt_euroc.py``'s "no motion (identity warp)" row, computed in chunks.
    """
    from training.losses import TransformedDepth, rgbd_consistency_loss

    dataset = _pairs_of(module, folder, split)
    sums = dict.fromkeys(MEAN_TERMS, 0.0)
    for batch in _chunks(dataset, False, "no motion"):
        n = int(batch.rgb.shape[0])
        rgb_a, rgb_b = batch.rgb[:, :-1].flatten(0, 1), batch.rgb[:, 1:].flatten(0, 1)  # (B, T, 3, H, W), as li2020
        rgb, flipped = torch.cat([rgb_a, rgb_b]), torch.cat([rgb_b, rgb_a])  # both directions, as li2020
        b, _, h, w = rgb.shape
        ys, xs = torch.meshgrid(torch.arange(h, dtype=rgb.dtype), torch.arange(w, dtype=rgb.dtype), indexing="ij")
        ones = torch.ones(b, h, w, dtype=rgb.dtype)
        same = TransformedDepth(xs.expand(b, h, w), ys.expand(b, h, w), ones, ones.bool())
        # frame 2 a hair farther everywhere, so the occlusion test counts every pixel
        out = rgbd_consistency_loss(same, rgb, torch.full((b, 1, h, w), 1.0001, dtype=rgb.dtype), flipped,
                                    module.config.loss.occluded_pixel_weight)
        l1, inview = inview_l1(same, rgb, flipped)
        for key, value in (("rgb_consistency", 2 * out["rgb_error"]), ("ssim", out["ssim_error"]),  # li2020's factors
                           ("counted_fraction", out["frame1_closer_to_camera"].float().mean()),
                           ("inview_fraction", inview), ("inview_l1", l1)):
            sums[key] += float(value) * n
    return _means(sums, len(dataset), module)


def photometric_score(weights: str | Path, folder: str | Path, split: str = "val") -> dict:
    """:func:`photometric_terms` of li2020 ``weights`` on ``folder`` (the folder's intrinsics when
    it has them, else the learned ones)."""
    from training.data.datasets import DatasetFolder

    has_intrinsics = DatasetFolder(folder).intrinsics is not None
    return photometric_terms(li2020_for_scoring(weights, has_intrinsics), folder, split)
