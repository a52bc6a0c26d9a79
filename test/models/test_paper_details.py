"""Details of the papers (and Li 2020's official code) checked on hand-made tensors."""

from __future__ import annotations

import torch

from mono_depth_ros.models.li2020 import Li2020MotionNet, auto_mask_residual
from mono_depth_ros.models.norm import RandomizedLayerNorm, truncated_normal_like


def test_truncated_noise_keeps_factor_in_0_2():
    torch.manual_seed(0)
    noise = truncated_normal_like(torch.zeros(200_000), 0.5)
    factor = 1.0 + noise
    assert float(factor.min()) >= 0.0 and float(factor.max()) <= 2.0
    # std of N(0, s) truncated at +-2 s is 0.8796 s; the old unbounded noise put 2.3 % at <= 0
    assert abs(float(noise.std()) - 0.8796 * 0.5) < 0.005
    assert torch.count_nonzero(truncated_normal_like(torch.ones(5), 0.0)) == 0


def test_randomized_layer_norm_output_bounded_by_noise():
    """With the variance factor >= 0 and the mean factor in [0, 2], a channel of values +-1
    (mean 0, var 1) is scaled by at most 1/sqrt(eps) and stays finite."""
    torch.manual_seed(1)
    layer = RandomizedLayerNorm(64, noise_stddev=0.5).train()
    x = torch.randn(4, 64, 8, 8)
    with torch.no_grad():
        y = layer(x)
    assert torch.isfinite(y).all()
    assert float(y.abs().max()) < float(x.abs().max() - x.mean()) / (1e-3 ** 0.5) + 1


def test_auto_mask_on_known_field():
    field = torch.zeros(2, 3, 2, 2)
    field[0, 0] = torch.tensor([[1.0, 3.0], [0.0, 0.0]])  # norms 1, 3, 0, 0
    field[1, 2] = torch.tensor([[4.0, 0.0], [0.0, 0.0]])  # norm 4: batch mean norm = 8 / 8 = 1
    out = auto_mask_residual(field)
    assert out[0, 0, 0, 0] == 0.0  # norm 1 == mean: zeroed (official: strictly greater kept)
    assert out[0, 0, 0, 1] == 3.0 and out[1, 2, 0, 0] == 4.0
    assert float(out.abs().sum()) == 7.0


def test_motion_net_auto_mask_option():
    torch.manual_seed(0)
    x = torch.rand(2, 8, 32, 48)
    masked = Li2020MotionNet("light", auto_mask=True).eval()
    plain = Li2020MotionNet("light", auto_mask=False).eval()
    plain.load_state_dict(masked.state_dict())
    field_m, field_p = masked(x).residual_translation, plain(x).residual_translation
    norm_p = field_p.norm(dim=1, keepdim=True)
    keep = (norm_p > norm_p.mean()).expand_as(field_p)
    assert torch.allclose(field_m[keep], field_p[keep], atol=1e-6)
    assert torch.count_nonzero(field_m[~keep]) == 0 and 0 < int(keep.sum()) < keep.numel()


def test_eigen_paper_coarse_map_is_6x8_fc_12288():
    """Eigen et al. 2014, Fig. 1: coarse 5 is 8x6 (w x h) at the 228x304 input."""
    from mono_depth_ros.models.eigen2014 import Eigen2014

    model = Eigen2014("paper")
    assert model.coarse.features(torch.zeros(1, 3, 228, 304)).shape[-2:] == (6, 8)
    assert model.coarse.fc[0].in_features == 256 * 6 * 8 == 12288
    light = Eigen2014("light")  # unchanged: the bundled light weights still load
    assert light.coarse.fc[0].in_features == 64 * 4 * 5


def test_learned_intrinsics_stay_physical():
    """Whatever the head's raw outputs, the principal point lies inside the image and the pixel
    aspect fy/fx stays within max_pixel_aspect (KITTI's 3.3:1 frames once came back 3:1)."""
    torch.manual_seed(0)
    net = Li2020MotionNet("light", max_pixel_aspect=1.1).eval()
    with torch.no_grad():
        for conv in (net.focal, net.offset):
            conv.weight.normal_(0, 50.0)  # drive the heads far into saturation
        k = net(torch.rand(4, 8, 32, 96)).intrinsics
    cx, cy, fx, fy = k[:, 0, 2], k[:, 1, 2], k[:, 0, 0], k[:, 1, 1]
    assert ((cx >= 0) & (cx <= 96) & (cy >= 0) & (cy <= 32)).all()
    assert ((fy / fx >= 1 / 1.1 - 1e-5) & (fy / fx <= 1.1 + 1e-5)).all() and (fx > 0).all()
    fresh = Li2020MotionNet("light").eval()
    with torch.no_grad():
        fresh.offset.weight.zero_()
        fresh.focal.weight.zero_()
        fresh.focal.bias.zero_()
        k0 = fresh(torch.rand(1, 8, 32, 96)).intrinsics[0]
    assert torch.allclose(k0[:2, 2], torch.tensor([48.0, 16.0])) and torch.isclose(k0[0, 0], k0[1, 1])
