"""Loss functions on hand-computed cases, input checks and a float64 gradcheck."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mono_depth_ros.core.errors import InputError
from training.losses import (axis_angle_to_matrix, depth_variance_loss, l1_smoothness, motion_field_consistency,
                             ordinal_labels, ranking_loss_pairs, rgbd_consistency_loss, rotation_cycle_error,
                             scale_invariant_log_loss, sqrt_sparsity, ssim, transform_depth_map)
from training.losses.ranking import ranking_loss


def _depth(seed: int = 0, shape=(2, 1, 6, 7)) -> torch.Tensor:
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 5 + 0.5


def test_scale_invariant_zero_for_constant_factor_with_lambda_one():
    depth = _depth()
    valid = torch.ones_like(depth, dtype=torch.bool)
    pred = torch.log(depth * 3.7)
    assert scale_invariant_log_loss(pred, depth, valid, lambda_si=1.0).item() == pytest.approx(0.0, abs=1e-12)
    # lambda 0.5: mean(d^2) - 0.5 mean(d)^2 with d = log 3.7 everywhere
    expected = math.log(3.7) ** 2 * 0.5
    assert scale_invariant_log_loss(pred, depth, valid, 0.5).item() == pytest.approx(expected, rel=1e-9)


def test_scale_invariant_ignores_invalid_pixels():
    depth = _depth()
    valid = torch.ones_like(depth, dtype=torch.bool)
    valid[..., :3] = False
    pred = torch.log(depth).clone()
    pred[..., :3] = 100.0  # garbage where invalid
    assert scale_invariant_log_loss(pred, depth, valid).item() == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(InputError, match="valid"):
        scale_invariant_log_loss(pred, depth, torch.zeros_like(valid))
    with pytest.raises(InputError, match="depth_m.shape"):
        scale_invariant_log_loss(pred, depth[:, :, :3], valid)


def test_ranking_labels_at_threshold():
    a = torch.tensor([1.03, 1.01, 1.0, 1.0, 2.0])
    b = torch.tensor([1.0, 1.0, 1.03, 1.01, 2.0])
    assert ordinal_labels(a, b, 0.02).tolist() == [1.0, 0.0, -1.0, 0.0, 0.0]


def test_ranking_loss_pairs_hand_computed():
    z_a = torch.tensor([0.5, 0.0, 1.0, 2.0])
    z_b = torch.tensor([0.0, 0.5, 0.0, 1.5])
    labels = torch.tensor([1.0, 1.0, -1.0, 0.0])
    logistic = [math.log1p(math.exp(-0.5)), math.log1p(math.exp(0.5)), math.log1p(math.exp(1.0))]
    plain = (sum(logistic) + 0.25) / 4
    assert ranking_loss_pairs(z_a, z_b, labels, improved=False).item() == pytest.approx(plain, rel=1e-6)
    # improved, among unequal pairs (old option), 1/3 dropped: the smallest unequal-pair loss goes
    kept = (logistic[1] + logistic[2] + 0.25) / 3
    assert ranking_loss_pairs(z_a, z_b, labels, True, 1 / 3 + 1e-9, "unequal").item() == pytest.approx(kept, rel=1e-6)
    # improved among all pairs (the paper's description, default): the easiest 25 % of all 4 pairs
    # is the equal pair (0.25 < log1p(exp(-0.5)) = 0.474); at 50 % the smallest logistic goes too
    assert ranking_loss_pairs(z_a, z_b, labels, True, 0.25).item() == pytest.approx(sum(logistic) / 3, rel=1e-6)
    half = (logistic[1] + logistic[2]) / 2
    assert ranking_loss_pairs(z_a, z_b, labels, True, 0.5).item() == pytest.approx(half, rel=1e-6)
    with pytest.raises(InputError, match="ignore_among"):
        ranking_loss_pairs(z_a, z_b, labels, True, 0.25, "some")


def test_ranking_loss_prefers_correct_order():
    target = _depth(1).float()
    valid = torch.ones_like(target, dtype=torch.bool)
    gen = torch.Generator().manual_seed(0)
    good = ranking_loss(torch.log(target) * 5, target, valid, 200, generator=gen)
    bad = ranking_loss(-torch.log(target) * 5, target, valid, 200, generator=gen)
    assert good.item() < 0.25 < bad.item()  # easiest 25 % of all pairs dropped: good 0.20


def _identity_setup(b=2, h=12, w=16):
    k = torch.tensor([[20.0, 0, w / 2], [0, 20.0, h / 2], [0, 0, 1]], dtype=torch.float64).expand(b, 3, 3)
    depth = _depth(2, (b, 1, h, w))
    rgb = torch.rand((b, 3, h, w), generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    return k, depth, rgb


def test_photometric_loss_zero_for_identity_warp():
    k, depth, rgb = _identity_setup()
    moved = transform_depth_map(depth, torch.eye(3, dtype=torch.float64).expand(2, 3, 3),
                                torch.zeros(2, 3, dtype=torch.float64), k)
    assert torch.allclose(moved.depth, depth[:, 0]) and moved.mask.all()
    # frame 2 depth slightly farther, so every pixel counts as "closer" (not occluded)
    out = rgbd_consistency_loss(moved, rgb, depth + 1e-3, rgb)
    assert out["frame1_closer_to_camera"].mean().item() == 1.0
    assert out["rgb_error"].item() == pytest.approx(0.0, abs=1e-9)
    assert out["ssim_error"].item() == pytest.approx(0.0, abs=1e-6)
    shifted = rgbd_consistency_loss(moved, rgb, depth + 1e-3, rgb.roll(1, dims=3))
    assert shifted["rgb_error"].item() > 0.1


def test_occluded_pixels_count_with_their_weight():
    k, depth, rgb = _identity_setup()
    moved = transform_depth_map(depth, torch.eye(3, dtype=torch.float64).expand(2, 3, 3),
                                torch.zeros(2, 3, dtype=torch.float64), k)
    other = rgb.roll(1, dims=3)
    full_error = (other - rgb).abs().mean().item()
    # frame 2 nearer everywhere: every pixel fails the occlusion test
    nearer = depth - 1e-3
    dropped = rgbd_consistency_loss(moved, rgb, nearer, other)
    assert dropped["frame1_closer_to_camera"].sum().item() == 0.0
    assert dropped["rgb_error"].item() == 0.0  # official: occluded pixels leave the RGB term
    for weight in (0.25, 1.0):
        kept = rgbd_consistency_loss(moved, rgb, nearer, other, occluded_pixel_weight=weight)
        assert kept["rgb_error"].item() == pytest.approx(weight * full_error, rel=1e-9)
    # pixels that pass the test keep weight 1 whatever the occluded weight
    passed = rgbd_consistency_loss(moved, rgb, depth + 1e-3, other, occluded_pixel_weight=0.25)
    assert passed["rgb_error"].item() == pytest.approx(full_error, rel=1e-9)


def test_warp_matches_pinhole_translation():
    k, depth, _ = _identity_setup()
    depth = torch.full_like(depth, 2.0)
    moved = transform_depth_map(depth, torch.eye(3, dtype=torch.float64).expand(2, 3, 3),
                                torch.tensor([[0.1, 0.0, 0.0]] * 2, dtype=torch.float64), k)
    # x shift = fx * tx / z = 20 * 0.1 / 2 = 1 pixel
    assert torch.allclose(moved.pixel_x[:, :, :-1] - torch.arange(15, dtype=torch.float64), torch.ones(1, dtype=torch.float64))


def test_ssim_matches_skimage():
    skimage_metrics = pytest.importorskip("skimage.metrics")
    rng = np.random.default_rng(0)
    x = rng.random((32, 40))
    y = np.clip(x + 0.1 * rng.standard_normal((32, 40)), 0, 1)
    _, full = skimage_metrics.structural_similarity(x, y, data_range=1.0, gaussian_weights=True, sigma=1.5,
                                                    use_sample_covariance=False, full=True)
    ours = ssim(torch.from_numpy(x)[None, None], torch.from_numpy(y)[None, None])[0, 0].numpy()
    r = 5  # skimage: truncate 3.5 * sigma 1.5 -> radius 5 (11x11 window)
    np.testing.assert_allclose(ours, full[r:-r, r:-r], atol=1e-6)


def test_cycle_consistency_zero_for_exact_inverses():
    rot = axis_angle_to_matrix(torch.tensor([[0.1, -0.2, 0.05], [0.0, 0.3, 0.0]], dtype=torch.float64))
    t = torch.tensor([[0.3, 0.1, -0.2], [1.0, 0.0, 0.5]], dtype=torch.float64)
    rot_inv = rot.transpose(1, 2)
    t_inv = -(rot_inv @ t[..., None])[..., 0]
    assert rotation_cycle_error(rot, rot_inv).item() == pytest.approx(0.0, abs=1e-20)
    h, w = 5, 6
    field_1 = t[:, :, None, None].expand(2, 3, h, w)
    field_2 = t_inv[:, :, None, None].expand(2, 3, h, w)
    px = torch.rand(2, h, w, dtype=torch.float64) * (w - 1)
    py = torch.rand(2, h, w, dtype=torch.float64) * (h - 1)
    out = motion_field_consistency(px, py, torch.ones(2, h, w, dtype=torch.float64), rot, field_1, rot_inv, field_2)
    assert out["rotation_error"].item() == pytest.approx(0.0, abs=1e-20)
    assert out["translation_error"].item() == pytest.approx(0.0, abs=1e-20)
    assert rotation_cycle_error(rot, rot).item() > 0.1


def test_axis_angle_matches_known_rotation():
    r = axis_angle_to_matrix(torch.tensor([0.0, 0.0, math.pi / 2], dtype=torch.float64))
    assert torch.allclose(r, torch.tensor([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]], dtype=torch.float64), atol=1e-12)
    assert torch.allclose(axis_angle_to_matrix(torch.zeros(3)), torch.eye(3))


def test_regularisers_values():
    constant = torch.ones(1, 3, 4, 4)
    assert l1_smoothness(constant).item() == pytest.approx(0.0, abs=1e-10)
    # sqrt_sparsity of a constant field c: 2 c sqrt(2)
    assert sqrt_sparsity(constant * 0.5).item() == pytest.approx(2 * 0.5 * math.sqrt(2), rel=1e-6)
    assert depth_variance_loss(_depth().float()).item() < depth_variance_loss(torch.ones(1, 1, 4, 4) + 1e-3 *
                                                                              torch.rand(1, 1, 4, 4)).item()


def test_gradcheck_losses_float64():
    depth = _depth(4, (1, 1, 5, 6))
    valid = torch.ones_like(depth, dtype=torch.bool)
    pred = torch.log(depth * 1.3).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda p: scale_invariant_log_loss(p, depth, valid), (pred,))
    rotvec = torch.tensor([0.2, -0.1, 0.3], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(axis_angle_to_matrix, (rotvec,))
    x = torch.rand(1, 1, 13, 13, dtype=torch.float64, requires_grad=True)
    y = torch.rand(1, 1, 13, 13, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda a: ssim(a, y).mean(), (x,))


@pytest.mark.parametrize("sigma", [0.7, 2.0, 4.0])
def test_gaussian_blur_matches_scipy_nearest_mode(sigma):
    from scipy.ndimage import gaussian_filter

    from training.losses import gaussian_blur

    image = torch.rand(2, 3, 20, 27, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    ours = gaussian_blur(image, sigma).numpy()
    for b in range(2):
        for c in range(3):
            reference = gaussian_filter(image[b, c].numpy(), sigma, mode="nearest", truncate=3.0)
            np.testing.assert_allclose(ours[b, c], reference, atol=1e-12)
    assert gaussian_blur(image, 0.0) is image
    with pytest.raises(InputError, match="image"):
        gaussian_blur(image[0], 2.0)


def _shifted_warp(h: int, w: int, shift_px: float):
    """Frame 1 pixel (x, y) landing on (x + shift_px, y) in frame 2, every point in front of frame 2's depth."""
    from training.losses import TransformedDepth

    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64), indexing="ij")
    x = (xs + shift_px)[None]
    mask = (x >= 0) & (x <= w - 1)
    return TransformedDepth(x, ys[None], torch.ones(1, h, w, dtype=torch.float64), mask)


def test_blurred_terms_reach_a_shift_the_sharp_terms_cannot_see():
    """Per-pixel noise texture moved 8 px: the sharp RGB error is flat between warps of 0 and 4 px
    (the texture decorrelates past a pixel), the sigma-4 one falls toward the true shift."""
    from training.losses import gaussian_blur

    g = torch.Generator().manual_seed(5)
    texture = torch.rand(1, 3, 40, 168, generator=g, dtype=torch.float64)
    frame_1, frame_2 = texture[..., 8:168], texture[..., 0:160]  # frame 1 pixel x shows frame 2 pixel x + 8
    depth_2 = torch.full((1, 1, 40, 160), 2.0, dtype=torch.float64)

    def error(shift: float, sigma: float) -> float:
        a, b = gaussian_blur(frame_1, sigma), gaussian_blur(frame_2, sigma)
        return float(rgbd_consistency_loss(_shifted_warp(40, 160, shift), a, depth_2, b)["rgb_error"]
                     / _shifted_warp(40, 160, shift).mask.double().mean())

    sharp = [error(s, 0.0) for s in (0.0, 2.0, 4.0)]
    blurred = [error(s, 4.0) for s in (0.0, 2.0, 4.0)]
    # the true warp explains both (the blurred frames differ near the borders each one replicates)
    assert error(8.0, 0.0) < 1e-12 and error(8.0, 4.0) < 0.15 * blurred[0]
    assert max(sharp) - min(sharp) < 0.05 * sharp[0], sharp  # noise: no slope toward 8 px
    assert blurred[0] > 1.15 * blurred[1] > 1.15 ** 2 * blurred[2], blurred  # a slope all the way


def test_rotation_supervision_is_the_error_angle_and_ignores_pairs_without_poses():
    """sin(angle) * axis of R_pred R_true^T, L1, both directions; a pair missing a pose counts for nothing."""
    from scipy.spatial.transform import Rotation

    from training.methods.li2020 import rotation_supervision

    rng = np.random.default_rng(2)
    pose = np.tile(np.eye(4), (2, 2, 1, 1))  # B=2 samples of T=2 frames -> P=2 pairs
    truth = []
    for i in range(2):
        pose[i, 0, :3, :3] = Rotation.from_rotvec(rng.normal(size=3) * 0.2).as_matrix()
        pose[i, 0, :3, 3] = rng.normal(size=3)
        pose[i, 1, :3, :3] = Rotation.from_rotvec(rng.normal(size=3) * 0.2).as_matrix()
        truth.append((np.linalg.inv(pose[i, 1]) @ pose[i, 0])[:3, :3])
    truth = np.stack(truth + [t.T for t in truth])  # a->b of both pairs, then b->a
    pose_t, valid = torch.from_numpy(pose), torch.ones(2, 2, dtype=torch.bool)
    exact = torch.from_numpy(truth)
    assert rotation_supervision(exact, pose_t, valid).item() == pytest.approx(0.0, abs=1e-12)
    off = Rotation.from_rotvec([0.0, 0.05, 0.0]).as_matrix()  # 0.05 rad about y on every prediction
    predicted = torch.from_numpy(off @ truth)
    assert rotation_supervision(predicted, pose_t, valid).item() == pytest.approx(math.sin(0.05), rel=1e-9)
    wrong_first = exact.clone()
    wrong_first[0] = torch.from_numpy(Rotation.from_rotvec([0.3, 0.0, 0.0]).as_matrix() @ truth[0])
    wrong_first[2] = torch.from_numpy(Rotation.from_rotvec([0.3, 0.0, 0.0]).as_matrix() @ truth[2])
    missing = valid.clone()
    missing[0, 1] = False  # sample 0's second frame has no pose: its pair, both directions, drop out
    assert rotation_supervision(wrong_first, pose_t, missing).item() == pytest.approx(0.0, abs=1e-12)
    assert rotation_supervision(wrong_first, pose_t, valid).item() == pytest.approx(2 * math.sin(0.3) / 4, rel=1e-9)
    assert rotation_supervision(exact, pose_t, torch.zeros(2, 2, dtype=torch.bool)).item() == 0.0
