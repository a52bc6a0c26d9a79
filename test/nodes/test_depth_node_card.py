"""depth_node with a user's ONNX and its model card (Depth Anything V2 conventions), on a real
rclpy graph: the published depth equals the numbers computed by hand from the ONNX's known function."""

from __future__ import annotations

import warnings

import cv2
import numpy as np
import pytest

from mono_depth_ros.core.depth import depth_from_image
from mono_depth_ros.core.pointcloud import pointcloud2_to_xyz
from mono_depth_ros.core.stamps import stamp_to_ns

from .conftest import add_depth_node, depth_node_io, make_image, make_info, publish_info, require_inference, rgb_frame

T0_NS = 1_700_000_000_000_000_000
W, H = 64, 48  # the card's rule (multiple of 14, long side 56) gives the network 56x42 for it
MEAN, STD = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
CARD = """\
name: tiny_depth_anything
input:
  name: image
  mean: [0.485, 0.456, 0.406]
  std: [0.229, 0.224, 0.225]
  size: {multiple_of: 14, long_side: 56}
output:
  name: depth
  kind: relative_inverse_depth
  shape: 1xHxW
"""


@pytest.fixture(scope="module")
def carded_onnx(tmp_path_factory):
    """An ONNX as the public Depth Anything V2 exports (input ``image`` 1x3xHxW with dynamic H/W,
    output ``depth`` 1xHxW relative inverse depth) computing exp(0.3 x_R + 0.2 x_G - 0.1 x_B),
    with ``known.card.yaml`` beside it."""
    require_inference()
    import torch

    class Known(torch.nn.Module):
        def forward(self, x):
            return torch.exp(0.3 * x[:, 0] + 0.2 * x[:, 1] - 0.1 * x[:, 2])

    folder = tmp_path_factory.mktemp("card_node")
    path = folder / "known.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Known(), (torch.rand(1, 3, 42, 56),), str(path), input_names=["image"],
                          output_names=["depth"], opset_version=17, dynamo=False,
                          dynamic_axes={"image": {2: "height", 3: "width"}, "depth": {1: "height", 2: "width"}})
    (folder / "known.card.yaml").write_text(CARD)
    return path


def expected_depth(rgb: np.ndarray) -> np.ndarray:
    """By hand: 64x48 -> 56x42 (area), ImageNet-normalised, the known disparity d, d / median(d)
    resampled back to 64x48 (bilinear) and inverted: median(d) / d."""
    small = cv2.resize(rgb, (56, 42), interpolation=cv2.INTER_AREA).astype(np.float64) / 255.0
    x = (small - MEAN) / STD
    d = np.exp(0.3 * x[..., 0] + 0.2 * x[..., 1] - 0.1 * x[..., 2]).astype(np.float32)
    return 1.0 / cv2.resize(d / np.median(d), (W, H), interpolation=cv2.INTER_LINEAR)


def test_depth_node_runs_a_carded_onnx(graph, carded_onnx):
    node = add_depth_node(graph, {"card": carded_onnx}, spec="card", backend="onnxruntime",
                          nonmetric_median_depth_m=3.0)
    assert node.estimator.spec.name == "tiny_depth_anything" and node.stats()["method"].startswith(
        "tiny_depth_anything (card known.card.yaml)")
    assert node.get_parameter("depth_is_metric").value is False
    pub_img, pub_info, outs = depth_node_io(graph, node)
    rgb = rgb_frame(W, H, seed=3)
    publish_info(pub_info, make_info(W, H, T0_NS), node)
    pub_img.publish(make_image(rgb, T0_NS))
    out = outs["depth"].wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == T0_NS)[0]
    assert (out.width, out.height, out.encoding) == (W, H, "32FC1")
    expected = expected_depth(rgb)
    np.testing.assert_allclose(depth_from_image(out), expected, rtol=1e-5)
    # ~/points: the explicit rule for a non-metric model, each frame scaled to a median of 3 m
    cloud = outs["points"].wait_for(1, where=lambda m: stamp_to_ns(m.header.stamp) == T0_NS)[0]
    z = pointcloud2_to_xyz(cloud)[..., 2]
    middle_m = np.sort(expected.ravel())[expected.size // 2]  # the rule's median: the middle point
    np.testing.assert_allclose(z, expected * (3.0 / middle_m), rtol=1e-5)


def test_a_card_that_does_not_match_stops_the_node_naming_model_card(graph, carded_onnx, tmp_path):
    from mono_depth_ros.nodes.params import ConfigError

    bad = tmp_path / "bad.card.yaml"
    bad.write_text(CARD.replace("name: image", "name: pixel_values"))
    with pytest.raises(ConfigError) as info:
        add_depth_node(graph, {"card": carded_onnx}, spec="card", backend="onnxruntime", model_card=str(bad))
    assert info.value.name == "model_card" and "\n" not in str(info.value)
    assert str(info.value).endswith("card bad.card.yaml: input 'pixel_values' not in the ONNX model "
                                    "(inputs: image[1,3,height,width])")
