"""Batch-norm statistics from a camera's own frames (training/adapt/batch_norm.py) and its real-set
benchmark (benchmarks/bn_adaptation_real.py): the statistics are those of the layer inputs, nothing
else moves, and the benchmark scores the bundled network exactly as bench_real does."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from mono_depth_ros.core.errors import InputError
from training.adapt.batch_norm import batch_norm_layers, network_inputs, recompute_batch_norm


def _net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 2, 1),
                         nn.BatchNorm2d(2))


def test_running_statistics_become_those_of_the_frames_and_nothing_else_moves():
    net = _net().eval()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    x = torch.rand(6, 3, 8, 10) * 3 + 1  # far from the initial mean 0, variance 1
    assert recompute_batch_norm(net, x, batch_size=6) == 2
    assert not net.training and all(not m.training for m in net.modules())
    first_in = net[0](x)
    np.testing.assert_allclose(net[1].running_mean, first_in.mean(dim=(0, 2, 3)).detach(), rtol=1e-5, atol=1e-6)
    # PyTorch keeps the unbiased variance
    np.testing.assert_allclose(net[1].running_var, first_in.var(dim=(0, 2, 3), unbiased=True).detach(), rtol=1e-4)
    # the second layer sees the first normalised by the batch's own statistics (biased variance), as
    # a training-mode forward normalises
    mean, var = first_in.mean(dim=(0, 2, 3), keepdim=True), first_in.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    normed = (first_in - mean) / torch.sqrt(var + net[1].eps) * net[1].weight[:, None, None] + net[1].bias[:, None, None]
    second_in = net[3](net[2](normed))
    np.testing.assert_allclose(net[4].running_mean, second_in.mean(dim=(0, 2, 3)).detach(), rtol=1e-4, atol=1e-6)
    for key, value in net.state_dict().items():
        if "running" in key or "num_batches" in key:
            continue
        assert torch.equal(value, before[key]), key  # weights, biases, affine parameters untouched
    assert [m.momentum for m in batch_norm_layers(net)] == [0.1, 0.1]  # restored


def test_batches_average_their_statistics_and_the_order_does_not_matter():
    x = torch.rand(8, 3, 8, 10)
    a, b = _net(), _net()
    recompute_batch_norm(a, x, batch_size=4)
    recompute_batch_norm(b, x.flip(0), batch_size=4)
    np.testing.assert_allclose(a[1].running_mean, b[1].running_mean, rtol=1e-5)
    # two halves: the mean of the halves' means is the whole batch's mean
    np.testing.assert_allclose(a[1].running_mean, a[0](x).mean(dim=(0, 2, 3)).detach(), rtol=1e-5, atol=1e-6)


def test_a_network_without_batch_norm_and_no_frames_are_refused():
    with pytest.raises(InputError, match="no BatchNorm"):
        recompute_batch_norm(nn.Conv2d(3, 3, 1), torch.zeros(1, 3, 4, 4))
    from mono_depth_ros.inference.spec import get_spec
    with pytest.raises(InputError, match="at least one frame"):
        network_inputs([], get_spec("xian2018"), (120, 160), "crop")


def test_frames_are_fed_as_the_node_feeds_them():
    """network_inputs is the node's preprocess with the crop fit: a 1241x376 KITTI-shaped frame
    becomes its centre 4:3 window at 120x160 on [0, 1]."""
    from mono_depth_ros.inference.processing import plan_input, preprocess
    from mono_depth_ros.inference.spec import get_spec

    spec = get_spec("xian2018")
    rng = np.random.default_rng(0)
    wide, mono = rng.integers(0, 256, (376, 1241, 3), np.uint8), rng.integers(0, 256, (480, 640), np.uint8)
    x = network_inputs([wide, mono], spec, (120, 160), "crop")
    assert x.shape == (2, 3, 120, 160) and 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    np.testing.assert_array_equal(x[0].numpy(), preprocess(wide, spec, plan_input((376, 1241), (120, 160), "crop"))[0])


def test_the_benchmark_scores_the_bundled_network_as_bench_real_and_adapts_from_other_frames(
        shared_data, load_benchmark):
    """KITTI, xian2018: the bundled row is bench_real's own (same pixels, defaults), and the adapted
    network, whose statistics come from frames 1-5, gives another depth map of frame 0."""
    bn = load_benchmark("bn_adaptation_real")
    real = load_benchmark("bench_real")
    ours = bn.run(["kitti"], ["xian2018"], shared_data, bn.STEREODEMO_DIR, replicates=5, level=0.9)
    theirs = real.run(sets=["kitti"], methods=["xian2018"], data_root=shared_data, progress=False, bootstrap=0)
    entry = ours["sets"]["kitti"]
    assert entry["adapted_from"] == 5
    bundled, adapted = entry["rows"]["xian2018"], entry["rows"]["xian2018 +bn"]
    # bench_real's mask holds its one method; ours holds both, whose coverage is the same (crop)
    assert bundled["abs_rel_med"] == pytest.approx(theirs["sets"]["kitti"]["depth"]["rows"]["xian2018"]["abs_rel_med"],
                                                   abs=1e-6)
    assert abs(adapted["abs_rel_med"] - bundled["abs_rel_med"]) > 1e-4 or abs(adapted["whdr"] - bundled["whdr"]) > 1e-4
    low, high = entry["intervals"]["xian2018"]["xian2018"]["whdr"]
    assert low <= adapted["whdr"] - bundled["whdr"] + 0.05 and high >= adapted["whdr"] - bundled["whdr"] - 0.05


def test_domain_gap_reads_each_layers_input_and_measures_in_the_reference_units(load_benchmark):
    gap = load_benchmark("bn_domain_gap")
    net = _net().eval()
    x = torch.rand(4, 3, 8, 10)
    stats = gap.layer_statistics(net, x)
    assert len(stats) == 2
    np.testing.assert_allclose(stats[0][0], net[0](x).mean(dim=(0, 2, 3)).detach(), rtol=1e-5, atol=1e-6)
    ref = [(np.zeros(2), np.full(2, 4.0))]  # std 2
    shift, spread = gap.gaps([(np.array([1.0, -3.0]), np.array([4.0, 16.0]))], ref)
    assert shift[0] == pytest.approx((0.5 + 1.5) / 2, rel=1e-4)  # |1| / 2 and |-3| / 2
    assert spread[0] == pytest.approx(np.log(4.0) / 2, rel=1e-4)  # log 1 and log 4
    assert gap.thirds([1, 1, 2, 2, 3, 3]) == (1.0, 2.0, 3.0)


def test_methods_are_parsed_with_the_unknown_named():
    from training.evaluate.real_bench import parse_methods

    assert parse_methods("xian2018,,li2020") == ["xian2018", "li2020"]
    with pytest.raises(ValueError, match="unknown midas, foo"):
        parse_methods("eigen2014,midas,foo")
