"""Model cards: a user's ONNX (Depth Anything V2 / MiDaS conventions) through the same estimator,
backends and post-processing as the papers' networks; strict card YAML; card vs ONNX checks.

The networks are tiny torch modules exported here (no third-party weights, no network): one whose
output is a known function of its input, so every number can be computed by hand.
"""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from torch import nn

from mono_depth_ros.inference.card import CardError, load_card, sibling_card
from mono_depth_ros.inference.depth_estimator import DepthEstimator
from mono_depth_ros.inference.processing import normalize_inverse, plan_input, preprocess
from mono_depth_ros.inference.spec import SizeRule

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
#: the known network: disparity = exp(W . x), x the normalised input, per pixel
KNOWN_W = (0.3, 0.2, -0.1)

DA_CARD = """\
name: tiny_depth_anything
description: Depth Anything V2 conventions at a test size
input:
  name: image
  layout: NCHW
  channel_order: RGB
  value_range: [0, 1]
  mean: [0.485, 0.456, 0.406]
  std: [0.229, 0.224, 0.225]
  size: {multiple_of: 14, long_side: 56}
output:
  name: depth
  kind: relative_inverse_depth
  shape: 1xHxW
"""
MIDAS_CARD = """\
input:
  name: input
  mean: [0.485, 0.456, 0.406]
  std: [0.229, 0.224, 0.225]
  size: {fixed: [256, 256]}
output:
  name: output
  kind: relative_inverse_depth
  shape: 1xHxW
"""


class KnownDisparity(nn.Module):
    """(1, 3, H, W) -> (1, H, W) ``exp(0.3 x_R + 0.2 x_G - 0.1 x_B)``: positive, a known function."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(KNOWN_W[0] * x[:, 0] + KNOWN_W[1] * x[:, 1] + KNOWN_W[2] * x[:, 2])


class SmallDepthNet(nn.Module):
    """A few conv layers with random weights: (1, C, H, W) -> (1, H, W) positive (softplus)."""

    def __init__(self, channels: int = 3) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1),
                                  nn.ReLU(), nn.Conv2d(8, 1, 3, padding=1), nn.Softplus())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)[:, 0]


def export(model: nn.Module, path: Path, input_name: str, output_name: str, shape: tuple[int, ...],
           dynamic_hw: bool) -> Path:
    """Export like the public ONNX releases: opset 17, dynamic H/W axes (Depth Anything) or fixed (MiDaS)."""
    axes = {input_name: {2: "height", 3: "width"}, output_name: {1: "height", 2: "width"}} if dynamic_hw else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (torch.rand(shape),), str(path), input_names=[input_name],
                          output_names=[output_name], opset_version=17, dynamic_axes=axes, dynamo=False)
    return path


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    """{"known", "random", "midas", "grey"}: ONNX files, each with its card beside it (not grey)."""
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("cards")
    out = {"known": export(KnownDisparity(), folder / "known.onnx", "image", "depth", (1, 3, 42, 56), True),
           "random": export(SmallDepthNet(), folder / "random.onnx", "image", "depth", (1, 3, 42, 56), True),
           "midas": export(SmallDepthNet(), folder / "midas.onnx", "input", "output", (1, 3, 256, 256), False),
           "grey": export(SmallDepthNet(1), folder / "grey.onnx", "image", "depth", (1, 1, 42, 56), True)}
    for name in ("known", "random"):
        write(folder / f"{name}.card.yaml", DA_CARD)
    write(folder / "midas.card.yaml", MIDAS_CARD)
    return out


def rgb_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 180, width, dtype=np.float32)[None, :, None]
    return np.clip(ramp + rng.integers(0, 75, (height, width, 3)), 0, 255).astype(np.uint8)


def normalised(rgb: np.ndarray) -> np.ndarray:
    """(1, 3, H, W) ``(rgb / 255 - mean) / std`` computed by hand in float64."""
    x = (rgb.astype(np.float64) / 255.0 - np.array(IMAGENET_MEAN)) / np.array(IMAGENET_STD)
    return x.transpose(2, 0, 1)[None]


def test_size_rule_gives_depth_anything_sizes():
    long = SizeRule(multiple_of=14, long_side=518)
    assert long.net_hw((480, 640)) == (392, 518)  # 480 * 518 / 640 = 388.5 -> 28 * 14
    assert long.net_hw((720, 1280)) == (294, 518) and long.static_hw() == (518, 518)
    # the official preprocessing (short side 518, "lower_bound") gives 518x686 for 640x480
    assert SizeRule(multiple_of=14, short_side=518).net_hw((480, 640)) == (518, 686)
    assert long.static_problem((518, 518)) is None and long.static_problem((392, 518)) is None
    assert "cannot produce 512x512" in long.static_problem((512, 512))
    assert SizeRule(fixed_hw=(256, 256)).static_problem((256, 256)) is None


def test_card_preprocessing_equals_hand_computed_tensor(models):
    spec = load_card(sibling_card(models["known"]))
    rgb = rgb_image(42, 56)
    fit = plan_input((42, 56), (42, 56), "crop")
    np.testing.assert_allclose(preprocess(rgb, spec, fit), normalised(rgb), atol=1e-5)
    # BGR pixels on [0, 255], NHWC: ((bgr - mean) / std), channels last
    card = write(models["known"].with_name("bgr.card.yaml"), DA_CARD.replace("NCHW", "NHWC").replace(
        "channel_order: RGB", "channel_order: BGR").replace("[0, 1]", "[0, 255]").replace(
        "[0.485, 0.456, 0.406]", "[103.53, 116.28, 123.675]").replace("[0.229, 0.224, 0.225]", "[57.375, 57.12, 58.395]"))
    bgr_spec = load_card(card)
    expected = (rgb[:, :, ::-1].astype(np.float64) - [103.53, 116.28, 123.675]) / [57.375, 57.12, 58.395]
    got = preprocess(rgb, bgr_spec, fit)
    assert got.shape == (1, 42, 56, 3) and bgr_spec.input_shape((42, 56)) == (1, 42, 56, 3)
    np.testing.assert_allclose(got[0], expected, atol=1e-5)


def test_depth_anything_style_estimate_equals_the_onnx_run_by_hand(models):
    import onnxruntime as ort

    est = DepthEstimator.from_path(models["known"], backend="onnxruntime", threads=1)  # card found beside
    assert est.spec.name == "tiny_depth_anything" and est.size_per_image and not est.spec.is_metric
    rgb = rgb_image(48, 64)
    result = est.estimate(rgb)
    assert result.fit.net_hw == (42, 56) and not result.is_metric
    # by hand: shrink (area), normalise, run the ONNX, d / median(d), resample to 48x64, invert
    x = normalised(cv2.resize(rgb, (56, 42), interpolation=cv2.INTER_AREA)).astype(np.float32)
    session = ort.InferenceSession(str(models["known"]), providers=["CPUExecutionProvider"])
    disparity = session.run(["depth"], {"image": x})[0]
    assert disparity.shape == (1, 42, 56)
    np.testing.assert_allclose(disparity[0], np.exp(np.tensordot(KNOWN_W, x[0], axes=1)), rtol=1e-5)
    ratio = disparity[0] / np.median(disparity[0])
    expected = 1.0 / cv2.resize(ratio, (64, 48), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_allclose(result.depth_m, expected, rtol=1e-5)
    np.testing.assert_allclose(result.net_depth, 1.0 / ratio, rtol=1e-5)
    assert np.median(result.net_depth) == pytest.approx(1.0, rel=1e-6)  # 1 at the median, unitless
    # another image size: another network size (H/W dynamic), same rule
    assert est.fit_for((64, 48)).net_hw == (56, 42) and est.estimate(rgb_image(64, 48)).depth_m.shape == (64, 48)


def test_midas_style_fixed_graph_crops_and_maps_back(models):
    import onnxruntime as ort

    est = DepthEstimator.from_path(models["midas"], backend="onnxruntime", threads=1)
    assert est.input_hw == (256, 256) and not est.size_per_image
    rgb = rgb_image(240, 320)
    result = est.estimate(rgb)  # crop: columns 40..279 seen, resized up to 256x256
    x = normalised(cv2.resize(rgb[:, 40:280], (256, 256), interpolation=cv2.INTER_LINEAR)).astype(np.float32)
    session = ort.InferenceSession(str(models["midas"]), providers=["CPUExecutionProvider"])
    disparity = session.run(["output"], {"input": x})[0][0]
    ratio = disparity / np.median(disparity)
    expected = np.full((240, 320), np.nan, np.float32)
    expected[:, 40:280] = 1.0 / cv2.resize(ratio, (240, 240), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_allclose(result.depth_m, expected, rtol=1e-4)
    assert np.isnan(result.depth_m[:, :40]).all() and np.isnan(result.depth_m[:, 280:]).all()


def test_metric_card_keeps_its_depth_range(models, tmp_path):
    card = write(tmp_path / "metric.card.yaml", DA_CARD.replace("relative_inverse_depth", "metric_depth")
                 + "  depth_range_m: [1.0, 2.0]\n")
    est = DepthEstimator.from_path(models["known"], backend="onnxruntime", card=card, threads=1)
    rgb = rgb_image(42, 56)
    result = est.estimate(rgb)
    depth = np.exp(np.tensordot(KNOWN_W, normalised(rgb)[0], axes=1))  # metres as predicted
    inside = (depth >= 1.0) & (depth <= 2.0)
    assert result.is_metric and 0 < inside.mean() < 1
    np.testing.assert_allclose(result.depth_m[inside], depth[inside], rtol=1e-5)
    assert np.isnan(result.depth_m[~inside]).all()


def test_normalize_inverse_is_nan_where_disparity_is_not_positive():
    d = np.array([[4.0, 2.0, 1.0], [0.0, -1.0, np.nan], [1e-4, 2.0, 8.0]], np.float32)
    out = normalize_inverse(d)
    assert np.isnan(out[1]).all() and np.isnan(out[2, 0])  # 0, negative, NaN, below 1e-3 * max
    np.testing.assert_allclose(out[[0, 0, 0, 2, 2], [0, 1, 2, 1, 2]], np.array([4, 2, 1, 2, 8]) / 2.0)
    assert np.isnan(normalize_inverse(np.zeros((2, 2), np.float32))).all()


def _card_error(models, tmp_path, text: str, model: str = "known") -> str:
    card = write(tmp_path / "bad.card.yaml", text)
    with pytest.raises(CardError) as info:
        DepthEstimator.from_path(models[model], backend="onnxruntime", card=card, threads=1)
    message = str(info.value)
    assert "\n" not in message and message.startswith("card bad.card.yaml: ")
    return message


def test_mismatching_cards_give_one_line_naming_the_mismatch(models, tmp_path):
    msg = _card_error(models, tmp_path, DA_CARD.replace("name: image", "name: pixel_values"))
    assert msg == "card bad.card.yaml: input 'pixel_values' not in the ONNX model (inputs: image[1,3,height,width])"
    msg = _card_error(models, tmp_path, DA_CARD, model="grey")
    assert "input 'image' is image[1,1,height,width]" in msg and "1 channel(s)" in msg and "feeds 3" in msg
    msg = _card_error(models, tmp_path, DA_CARD.replace("name: image", "name: input").replace(
        "name: depth", "name: output"), model="midas")
    assert msg.endswith("fixed at 256x256, but the size rule (multiple of 14, long side 56) cannot produce "
                        "256x256; use size: {fixed: [256, 256]}")
    msg = _card_error(models, tmp_path, DA_CARD.replace("name: depth", "name: disparity"))
    assert "output 'disparity' not in the ONNX model (outputs: depth[1,height,width])" in msg
    msg = _card_error(models, tmp_path, DA_CARD.replace("shape: 1xHxW", "shape: 1x1xHxW"))
    assert "output 'depth' is depth[1,height,width]" in msg and "needs (1, 1, h, w)" in msg


@pytest.mark.parametrize("edit, expected", [
    (("mean:", "mena:"), "unknown key 'input.mena' (allowed: name, layout, channel_order, value_range, mean, std, "
                         "size)"),
    (("relative_inverse_depth", "disparity"), "output.kind='disparity': must be one of metric_depth, log_depth, "
                                             "relative_depth, relative_inverse_depth, depth_up_to_scale"),
    (("name: tiny", "colour: x\nname: tiny"), "unknown key 'colour'"),
    (("  std: [0.229, 0.224, 0.225]\n", ""), "missing key 'input.std'"),
    (("long_side: 56", "long_side: 50"), "input.size.long_side=50: must be a multiple of multiple_of=14"),
    (("shape: 1xHxW", "shape: 1xWxH"), "output.shape='1xWxH': must be one of 1x1xHxW, 1xHxW, HxW"),
    (("shape: 1xHxW", "shape: 1xHxW\n  depth_range_m: [0.1, 80]"), "output.depth_range_m applies to metric "
                                                                  "outputs"),
    (("RGB", "RGBA"), "input.channel_order='RGBA': must be one of RGB, BGR"),
])
def test_malformed_cards_name_the_key_and_file(models, tmp_path, edit, expected):
    message = _card_error(models, tmp_path, DA_CARD.replace(*edit))
    assert expected in message


def test_onnxruntime_and_openvino_agree(models):
    from mono_depth_ros.inference.backends.openvino_backend import openvino_available

    ok, why = openvino_available()
    if not ok:
        pytest.skip(why)
    for name, sizes in (("random", ((48, 64), (64, 48), (90, 120))), ("midas", ((240, 320),))):
        ort_est = DepthEstimator.from_path(models[name], backend="onnxruntime", threads=1)
        ov_est = DepthEstimator.from_path(models[name], backend="openvino", threads=1)
        assert ov_est.size_per_image == ort_est.size_per_image == (name == "random")
        for hw in sizes:
            rgb = rgb_image(*hw, seed=hw[0])
            a, b = ort_est.estimate(rgb), ov_est.estimate(rgb)
            assert a.fit == b.fit and np.isfinite(a.depth_m[a.fit.seen_mask()]).all()
            np.testing.assert_allclose(b.depth_m, a.depth_m, rtol=1e-4, atol=1e-6)


def test_dynamic_card_gives_tensorrt_one_static_profile(models, tmp_path):
    spec = load_card(sibling_card(models["known"]))
    assert spec.concrete_input_shape((-1, 3, -1, -1)) == (1, 3, 56, 56)  # long_side x long_side
    card = write(tmp_path / "p.card.yaml",
                 DA_CARD.replace("long_side: 56}", "long_side: 56, profile_hw: [42, 56]}"))
    assert load_card(card).concrete_input_shape((1, 3, -1, -1)) == (1, 3, 42, 56)
    assert load_card(card).input_hw == (42, 56)


def test_int8_calibration_size_of_a_dynamic_graph_is_the_tensorrt_profile(models, tmp_path):
    import onnx

    from mono_depth_ros.inference.calibration import calibration_hw

    spec = load_card(sibling_card(models["known"]))  # dynamic H/W, multiple of 14, long side 56
    assert calibration_hw(onnx.load(str(models["known"])), spec) == (56, 56)
    card = write(tmp_path / "p.card.yaml",
                 DA_CARD.replace("long_side: 56}", "long_side: 56, profile_hw: [42, 56]}"))
    assert calibration_hw(onnx.load(str(models["known"])), load_card(card)) == (42, 56)
    midas = load_card(sibling_card(models["midas"]))  # a static graph calibrates at its own size
    assert calibration_hw(onnx.load(str(models["midas"])), midas) == (256, 256)


def test_training_evaluate_loads_an_onnx_with_its_card(models):
    from training.evaluate.predict import load_models, predict_depth

    loaded = load_models([models["known"]])
    assert loaded.depth_spec == "tiny_depth_anything" and loaded.depth_kind == "relative_inverse_depth"
    rgb = rgb_image(48, 64)
    expected = DepthEstimator.from_path(models["known"], backend="onnxruntime", threads=1).estimate(rgb).depth_m
    np.testing.assert_allclose(predict_depth(loaded, rgb), expected, rtol=1e-6)
    assert loaded.fit_for((48, 64)).net_hw == (42, 56)


class TwoInputs(nn.Module):
    """An export that takes the image and a second tensor (intrinsics, a prompt, ...)."""

    def forward(self, x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        return torch.exp(0.1 * x.mean(1)) + 0.0 * k.sum()


class TracedPatchGrid(nn.Module):
    """A ViT-like export whose reshape baked in the traced patch grid (14 px patches of a 56x56 image):
    the graph says dynamic H/W, but only 56x56 runs."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        patches = x.mean(1).reshape(1, 4, 14, 4, 14)  # constant shape: the traced size
        return torch.exp(0.1 * patches).reshape(1, 56, 56)


def test_model_problems_found_at_load_as_one_line(models, tmp_path):
    """Models that would load and then fail on every frame, or read the wrong input, are refused at
    load with one line: an input the node does not feed, a graph traced at one size although it
    declares dynamic H/W, an empty file; mean/std on the other value scale."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(TwoInputs().eval(), (torch.rand(1, 3, 42, 56), torch.rand(1, 4)), str(tmp_path / "two.onnx"),
                          input_names=["image", "intrinsics"], output_names=["depth"], opset_version=17,
                          dynamic_axes={"image": {2: "height", 3: "width"}, "depth": {1: "height", 2: "width"}},
                          dynamo=False)
    msg = _card_error({"two": tmp_path / "two.onnx"}, tmp_path, DA_CARD, model="two")
    assert "has input(s) intrinsics[1,4] besides 'image'" in msg
    export(TracedPatchGrid(), tmp_path / "vit.onnx", "image", "depth", (1, 3, 56, 56), True)
    msg = _card_error({"vit": tmp_path / "vit.onnx"}, tmp_path, DA_CARD, model="vit")
    assert "declares a dynamic input size but fails at 42x56" in msg and "input.size: {fixed: [H, W]}" in msg
    fixed = write(tmp_path / "fixed.card.yaml", DA_CARD.replace("{multiple_of: 14, long_side: 56}", "{fixed: [56, 56]}"))
    est = DepthEstimator.from_path(tmp_path / "vit.onnx", backend="onnxruntime", card=fixed, threads=1)
    assert est.estimate(rgb_image(48, 64)).depth_m.shape == (48, 64)  # as the message says: fixed size works
    (tmp_path / "empty.onnx").write_bytes(b"")
    with pytest.raises(CardError, match="^model empty.onnx: empty file, not an ONNX model$"):
        DepthEstimator.from_path(tmp_path / "empty.onnx", backend="onnxruntime", card=fixed, threads=1)
    msg = _card_error(models, tmp_path, DA_CARD.replace("[0.485, 0.456, 0.406]", "[123.675, 116.28, 103.53]")
                      .replace("[0.229, 0.224, 0.225]", "[58.395, 57.12, 57.375]"))
    assert "are on the 0-255 scale but input.value_range is [0, 1]: set input.value_range: [0, 255]" in msg
    msg = _card_error(models, tmp_path, DA_CARD.replace("value_range: [0, 1]", "value_range: [0, 255]"))
    assert "are on the 0-1 scale but input.value_range is [0, 255]" in msg
    with pytest.raises(CardError, match="is a folder; give the card's .yaml file$"):
        load_card(tmp_path)
    with pytest.raises(FileNotFoundError, match="is a folder; give the model file"):
        DepthEstimator.from_path(tmp_path, backend="onnxruntime", card=fixed, threads=1)


class Squeezed(nn.Module):
    """KnownDisparity with its batch axis squeezed: (1, 3, H, W) -> (H, W)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return KnownDisparity()(x)[0]


def test_an_export_with_the_batch_squeezed_runs_with_an_hxw_card(models, tmp_path):
    """Some exports return (H, W): with ``shape: HxW`` they give what the (1, H, W) export gives; with
    the 1xHxW card they are refused at load naming the shape the card needs."""
    path = tmp_path / "squeezed.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Squeezed().eval(), (torch.rand(1, 3, 42, 56),), str(path), input_names=["image"],
                          output_names=["depth"], opset_version=17, dynamo=False,
                          dynamic_axes={"image": {2: "height", 3: "width"}, "depth": {0: "height", 1: "width"}})
    msg = _card_error({"squeezed": path}, tmp_path, DA_CARD, model="squeezed")
    assert "output 'depth' is depth[height,width]" in msg and "needs (1, h, w)" in msg
    card = write(tmp_path / "hw.card.yaml", DA_CARD.replace("shape: 1xHxW", "shape: HxW"))
    rgb = rgb_image(48, 64)
    got = DepthEstimator.from_path(path, backend="onnxruntime", card=card, threads=1).estimate(rgb).depth_m
    want = DepthEstimator.from_path(models["known"], backend="onnxruntime", threads=1).estimate(rgb).depth_m
    assert got.shape == (48, 64) and np.isfinite(got).mean() > 0.9
    np.testing.assert_allclose(got, want, rtol=1e-5, equal_nan=True)


def test_a_float16_export_runs_on_onnxruntime(models, tmp_path):
    """model.half() before export gives float16 inputs and outputs: fed float16, read back as float32,
    the same depth as the float32 export within fp16 precision."""
    net = KnownDisparity()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net.half().eval(), (torch.rand(1, 3, 42, 56).half(),), str(tmp_path / "half.onnx"),
                          input_names=["image"], output_names=["depth"], opset_version=17,
                          dynamic_axes={"image": {2: "height", 3: "width"}, "depth": {1: "height", 2: "width"}},
                          dynamo=False)
    card = write(tmp_path / "half.card.yaml", DA_CARD)
    half = DepthEstimator.from_path(tmp_path / "half.onnx", backend="onnxruntime", card=card, threads=1)
    full = DepthEstimator.from_path(models["known"], backend="onnxruntime", threads=1)
    image = rgb_image(48, 64)
    a, b = half.estimate(image).depth_m, full.estimate(image).depth_m
    assert a.dtype == np.float32 and a.shape == b.shape == (48, 64)
    assert np.nanmax(np.abs(a - b) / b) < 5e-3


def test_a_fixed_declared_output_of_a_dynamic_model_runs_without_onnxruntime_log_lines(models, tmp_path, capfd,
                                                                                        caplog):
    """An export that declares its output at the traced size (1x56x56) while its input size is
    dynamic: ONNX Runtime warns "VerifyOutputSizes" on every run at another size, the card's size
    probe at load (42x56 for a 640x480 camera) and then every frame of that size. That session
    logs only errors, and one line of ours (INFO) says why; the depth is still right (the output's
    real size is used), and a plain session of the same file still warns (ONNX Runtime's default
    logger is untouched)."""
    import logging

    import onnx
    import onnxruntime as ort

    proto = onnx.load(str(models["known"]))
    for dim, size in zip(proto.graph.output[0].type.tensor_type.shape.dim, (1, 56, 56)):
        dim.Clear()
        dim.dim_value = size
    path = tmp_path / "fixed_out.onnx"
    onnx.save(proto, str(path))
    write(tmp_path / "fixed_out.card.yaml", DA_CARD)
    capfd.readouterr()
    caplog.set_level(logging.INFO, logger="mono_depth_ros")
    est = DepthEstimator.from_path(path, backend="onnxruntime", threads=1)
    rgb = rgb_image(48, 64)
    got = est.estimate(rgb).depth_m
    assert est.net_hw_for((48, 64)) == (42, 56)
    assert capfd.readouterr().err == ""  # nothing from ONNX Runtime: probe and frame at 42x56
    ours = [r.getMessage() for r in caplog.records if "declares output" in r.getMessage()]
    assert len(ours) == 1 and "depth[1,56,56]" in ours[0] and "logs only its errors" in ours[0]
    want = DepthEstimator.from_path(models["known"], backend="onnxruntime", threads=1).estimate(rgb).depth_m
    np.testing.assert_allclose(got, want, rtol=1e-6, equal_nan=True)
    assert est.backend.session_options.log_severity_level == 3
    plain = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    plain.run(None, {"image": np.zeros((1, 3, 42, 56), np.float32)})
    assert "VerifyOutputSizes" in capfd.readouterr().err  # the default logger still warns
    normal = DepthEstimator.from_path(models["known"], backend="onnxruntime", threads=1)
    assert normal.backend.session_options.log_severity_level != 3  # a model whose output follows: default
