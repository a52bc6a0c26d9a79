"""ONNX export of every network (light variants): PyTorch vs ONNX Runtime parity, CLI, metadata."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from mono_depth_ros.inference.backends.onnxruntime_backend import OnnxRuntimeBackend
from mono_depth_ros.inference.backends.torch_backend import TorchBackend
from mono_depth_ros.inference.onnx_export import MAX_MASK_FLIP_FRACTION, ExportParityError, check_parity, \
    output_difference, read_onnx_metadata
from mono_depth_ros.inference.spec import get_spec
from mono_depth_ros.inference.checkpoint import load_model_checkpoint

SPEC_NAMES = ("eigen2014", "xian2018", "li2020_depth", "li2020_motion")


@pytest.mark.parametrize("name", SPEC_NAMES)
def test_onnxruntime_matches_torch(name, checkpoints, onnx_files, input_hw):
    spec = get_spec(name)
    ort_backend = OnnxRuntimeBackend(onnx_files[name], threads=1).load()
    torch_backend = TorchBackend(checkpoints[name], spec, input_hw[name], threads=1).load()
    assert ort_backend.input_shapes == {spec.input_names[0]: spec.input_shape(input_hw[name])}
    assert ort_backend.output_names == spec.output_names
    x = {spec.input_names[0]: np.random.default_rng(5).random(spec.input_shape(input_hw[name]), dtype=np.float32)}
    got, ref = ort_backend.infer(x), torch_backend.infer(x)
    for out in spec.output_names:
        assert got[out].shape == ref[out].shape
        error, flips = output_difference(ref[out], got[out], masked=out in spec.masked_outputs)
        assert error <= 1e-4 and flips <= MAX_MASK_FLIP_FRACTION, (out, error, flips)


def test_a_mask_tie_is_not_an_export_error_but_a_value_change_is():
    """li2020's auto_mask zeroes residual vectors whose norm is not above the mean: a vector at the
    threshold may be kept by one runtime and zeroed by the other (seen with one ONNX Runtime thread)."""
    ref = np.linspace(-1.0, 1.0, 3 * 40 * 50, dtype=np.float32).reshape(1, 3, 40, 50)
    ref[:, :, :20] = 0.0  # masked half
    tie = ref.copy()
    tie[0, :, 25, 7] = 0.0  # one pixel (3 of 6000 values = 0.05 %) falls on the other side
    assert output_difference(ref, tie, masked=True) == (0.0, 0.0005)
    assert output_difference(ref, tie, masked=False)[0] > 0.1  # the unmasked rule would call it an error
    shifted = tie + np.float32(1e-3) * (tie != 0)
    span = float(ref.max() - ref.min())
    assert output_difference(ref, shifted, masked=True)[0] == pytest.approx(1e-3 / span, rel=1e-3)  # kept values count
    many = ref.copy()
    many[0, :, 30:32] = 0.0  # 100 pixels: 5 % of the values, not a tie
    assert output_difference(ref, many, masked=True)[1] == pytest.approx(0.05)
    assert get_spec("li2020_motion").masked_outputs == ("residual_translation",)
    assert get_spec("li2020_depth").masked_outputs == ()


def test_metadata_names_the_model(onnx_files, checkpoints):
    meta = read_onnx_metadata(onnx_files["li2020_motion"])
    assert meta["spec_name"] == "li2020_motion" and json.loads(meta["input_hw"]) == [64, 96]
    assert json.loads(meta["model_kwargs"]) == {"variant": "light"} and len(meta["source_sha256"]) == 64


def test_parity_check_detects_a_different_model(onnx_files, checkpoints, input_hw):
    model, spec, _ = load_model_checkpoint(checkpoints["li2020_depth"])
    with torch.no_grad():
        model.head.bias.add_(0.5)  # the ONNX file no longer matches this model
    with pytest.raises(ExportParityError, match="depth"):
        check_parity(model, spec, onnx_files["li2020_depth"], input_hw["li2020_depth"])


def test_cli_export_with_input_size(checkpoints, tmp_path, capsys):
    from training.__main__ import main

    out = tmp_path / "eigen.onnx"
    assert main(["export", "--checkpoint", str(checkpoints["eigen2014"]), "--out", str(out),
                 "--input-hw", "96x128"]) == 0
    assert "input 96x128" in capsys.readouterr().out
    backend = OnnxRuntimeBackend(out, threads=1).load()
    assert backend.input_shapes == {"rgb": (1, 3, 96, 128)}
    assert backend.infer({"rgb": np.zeros((1, 3, 96, 128), np.float32)})["log_depth"].shape == (1, 1, 24, 32)


def test_bilinear_decoder_round_trips_through_checkpoint_and_onnx(tmp_path):
    """li2020_depth with model.decoder_upsample=bilinear: the file records it, loading rebuilds it
    (an output that differs from the same weights under nearest), and ONNX Runtime matches PyTorch."""
    from mono_depth_ros.inference.checkpoint import save_model_checkpoint
    from training.export import export_onnx

    torch.manual_seed(3)
    spec = get_spec("li2020_depth")
    kwargs = {"variant": "light", "decoder_upsample": "bilinear"}
    path = save_model_checkpoint(tmp_path / "li2020_depth.pt", "li2020_depth", spec.build(**kwargs), kwargs,
                                 {"data": {"input_hw": [64, 96]}})
    model = load_model_checkpoint(path)[0]
    assert model.decoder_upsample == "bilinear"
    nearest = spec.build(variant="light").eval()
    nearest.load_state_dict(model.state_dict())
    x = torch.from_numpy(np.random.default_rng(2).random((1, 3, 64, 96), dtype=np.float32))
    with torch.inference_mode():
        ref, other = model.eval()(x), nearest(x)
    assert float((ref - other).abs().max()) > 1e-3 * float(ref.abs().max())  # a different network
    onnx_path = export_onnx(path, tmp_path / "li2020_depth.onnx").path
    assert json.loads(read_onnx_metadata(onnx_path)["model_kwargs"]) == kwargs
    got = OnnxRuntimeBackend(onnx_path, threads=1).load().infer({spec.input_names[0]: x.numpy()})
    error, _ = output_difference(ref.numpy(), got[spec.output_names[0]], masked=False)
    assert error <= 1e-4
