"""ONNX export of every network (light variants): PyTorch vs ONNX Runtime parity, CLI, metadata."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from mono_depth_ros.inference.backends.onnxruntime_backend import OnnxRuntimeBackend
from mono_depth_ros.inference.backends.torch_backend import TorchBackend
from mono_depth_ros.inference.onnx_export import ExportParityError, check_parity, read_onnx_metadata
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
        span = float(ref[out].max() - ref[out].min()) or 1.0
        assert got[out].shape == ref[out].shape
        assert float(np.abs(got[out] - ref[out]).max()) <= 1e-4 * span, out


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
