"""Each method: a few optimisation steps on tiny synthetic data give finite losses that go down."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from training.config import load_config
from training.data.batches import collate
from training.data.datasets import DatasetFolder
from training.methods import build_method

TINY = {
    "eigen2014": ["model.variant=light", "data.input_hw=[48, 64]", "schedule.coarse_steps=6",
                  "data.augment=false"],
    "xian2018": ["model.variant=light", "data.input_hw=[48, 64]", "loss.pairs_per_image=500",
                 "optimizer.lr=1e-3", "data.augment=false"],
    "li2020": ["model.variant=light", "data.input_hw=[48, 64]", "schedule.motion_field_burnin_steps=4",
               "optimizer.lr=1e-3"],
}


def _fixed_batch(method, folder, n=2):
    ds = method.make_dataset(folder, "all", train=False)
    return collate([ds[i] for i in range(n)])


@pytest.mark.parametrize("name", ["eigen2014", "xian2018", "li2020"])
def test_losses_finite_and_decrease(name, tiny_dataset):
    torch.manual_seed(0)
    config = load_config(name, overrides=TINY[name])
    folder = DatasetFolder(tiny_dataset)
    method = build_method(config, dataset_has_intrinsics=True)
    batch = _fixed_batch(method, folder)
    optimizer = method.configure_optimizers()
    weights = config.loss_weights
    totals = []
    for step in range(12):
        method.on_train_batch_start(batch, step)
        terms = method.loss_terms(batch)
        assert set(terms) == set(vars(weights)), terms.keys()
        assert all(torch.isfinite(v) for v in terms.values()), {k: float(v) for k, v in terms.items()}
        total = method.weighted_total(terms)
        optimizer.zero_grad()
        total.backward()
        torch.nn.utils.clip_grad_norm_(method.parameters(), 10.0)
        optimizer.step()
        totals.append(float(total))
    assert min(totals[-3:]) < totals[0], totals


def test_li2020_collapse_guard_stops_and_records_the_step():
    """A blank (constant) depth map, or a photometric term that counts no pixel, is a collapse."""
    import torch

    from training.config import Li2020Config
    from training.methods.li2020 import Li2020Method

    method = Li2020Method(Li2020Config(), dataset_has_intrinsics=True).train()
    structured = torch.exp(torch.randn(2, 1, 8, 8))
    method._check_collapse(structured, counted_fraction=0.5)
    assert method.collapsed_at_step is None
    method._check_collapse(torch.full((2, 1, 8, 8), 3.0), counted_fraction=0.5)  # blank depth
    assert method.collapsed_at_step == 0
    method.collapsed_at_step = None
    method._check_collapse(structured, counted_fraction=0.0)  # every pixel excluded
    assert method.collapsed_at_step == 0


def test_li2020_blur_levels_average_the_photometric_terms_over_the_pyramid(tiny_dataset):
    """photometric_blur_levels 0 is the official terms exactly; N averages them with the same warp's
    on the frames blurred at sigma 2 .. 2^N px, and leaves every other term as it was."""
    from training.evaluate.photometric import recorded_warps
    from training.losses import gaussian_blur

    terms = {}
    for levels in (0, 2):
        torch.manual_seed(0)
        config = load_config("li2020", overrides=TINY["li2020"] + [f"loss.photometric_blur_levels={levels}"])
        method = build_method(config, dataset_has_intrinsics=True).eval()
        batch = _fixed_batch(method, DatasetFolder(tiny_dataset))
        calls: list = []
        with torch.no_grad(), recorded_warps(calls):
            terms[levels] = method.loss_terms(batch)
        assert len(calls) == levels + 1
    moved, rgb, rgb_2, full = calls[0]  # levels 2's unblurred call: the official terms
    assert float(terms[0]["rgb_consistency"]) == pytest.approx(2 * float(full["rgb_error"]), rel=1e-6)
    assert float(terms[0]["ssim"]) == pytest.approx(float(full["ssim_error"]), rel=1e-6)
    for (warp, blurred_1, blurred_2, _), sigma in zip(calls[1:], (2.0, 4.0)):  # the same warp, blurred frames
        assert warp is moved
        torch.testing.assert_close(blurred_1, gaussian_blur(rgb, sigma))
        torch.testing.assert_close(blurred_2, gaussian_blur(rgb_2, sigma))
    assert float(terms[2]["rgb_consistency"]) == pytest.approx(2 * sum(float(c[3]["rgb_error"]) for c in calls) / 3,
                                                               rel=1e-6)
    assert float(terms[2]["ssim"]) == pytest.approx(sum(float(c[3]["ssim_error"]) for c in calls) / 3, rel=1e-6)
    assert float(terms[2]["rgb_consistency"]) != pytest.approx(float(terms[0]["rgb_consistency"]), rel=1e-3)
    for key in ("depth_smoothing", "rotation_cycle_consistency", "translation_cycle_consistency", "motion_smoothing"):
        assert float(terms[2][key]) == pytest.approx(float(terms[0][key]), rel=1e-6), key


def test_li2020_blur_levels_out_of_range_is_a_config_error_naming_the_key():
    from training.config import ConfigError, validate_config

    with pytest.raises(ConfigError, match=r"loss.photometric_blur_levels.*must be 0"):
        validate_config(load_config("li2020", overrides=["loss.photometric_blur_levels=5"]))
    with pytest.raises(ConfigError, match=r"loss.photometric_blur_levels"):
        validate_config(load_config("li2020", overrides=["loss.photometric_blur_levels=-1"]))
    validate_config(load_config("li2020", overrides=["loss.photometric_blur_levels=2"]))


def test_li2020_flipped_samples_carry_mirrored_poses(tiny_dataset):
    """The official augmentation flips half the samples: their poses are mirrored with them, so the
    relative rotation is M R M (rotations about y and z change sign) and the translation's x too."""
    from training.data.augment import mirror_pose
    from training.data.datasets import DatasetFolder, Li2020Dataset

    folder = DatasetFolder(tiny_dataset)
    plain = Li2020Dataset(folder, "all", (48, 64), length=2, augment=False)
    seen = {True: 0, False: 0}
    for seed in range(12):
        augmented = Li2020Dataset(folder, "all", (48, 64), length=2, augment=True, seed=seed)
        sample, reference = augmented[0], plain[0]
        truth = [folder.pose(augmented.starts[0] + k) for k in range(2)]
        if truth[0] is None:
            pytest.skip("the tiny dataset has no poses")
        mirrored = torch.allclose(sample.pose[0], torch.from_numpy(mirror_pose(truth[0])).float(), atol=1e-6)
        same = torch.allclose(sample.pose[0], reference.pose[0], atol=1e-6)
        assert mirrored != same or np.allclose(truth[0][0, 1:3], 0)  # one or the other, unless symmetric
        seen[mirrored] += 1
        rel = np.linalg.inv(sample.pose[1].double().numpy()) @ sample.pose[0].double().numpy()
        true_rel = np.linalg.inv(truth[1]) @ truth[0]
        expected = np.diag([-1.0, 1, 1, 1]) @ true_rel @ np.diag([-1.0, 1, 1, 1]) if mirrored else true_rel
        np.testing.assert_allclose(rel, expected, atol=1e-5)
        assert np.isclose(np.linalg.det(sample.pose[0][:3, :3].double().numpy()), 1.0, atol=1e-5)
    assert seen[True] and seen[False], seen
