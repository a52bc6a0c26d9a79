"""Checkpoint files rebuild the model from the file alone."""

from __future__ import annotations

import pytest
import torch

from mono_depth_ros.core.errors import InputError
from mono_depth_ros.inference.spec import MODEL_SPECS, get_spec
from mono_depth_ros.inference.checkpoint import load_model_checkpoint, save_model_checkpoint, write_half_precision_copy


@pytest.mark.parametrize("name", sorted(MODEL_SPECS))
def test_roundtrip_rebuilds_identical_model(tmp_path, name):
    torch.manual_seed(3)
    model = get_spec(name).build(variant="light").eval()
    path = save_model_checkpoint(tmp_path / f"{name}.pt", name, model, {"variant": "light"},
                                 {"data": {"input_hw": [64, 96]}}, metrics={"loss": 0.5})
    loaded, spec, payload = load_model_checkpoint(path)
    assert spec.name == name and not loaded.training
    assert payload["model_kwargs"] == {"variant": "light"} and payload["metrics"] == {"loss": 0.5}
    assert payload["config"]["data"]["input_hw"] == [64, 96] and payload["git_rev"]
    assert spec.input_hw_for(payload["model_kwargs"], payload["config"]) == (64, 96)
    x = torch.rand(1, spec.input_channels, 64, 96)
    with torch.no_grad():
        a, b = model(x), loaded(x)
    for u, v in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
        assert torch.equal(u, v)


def test_missing_key_and_unknown_spec(tmp_path):
    torch.save({"spec_name": "eigen2014", "state_dict": {}}, tmp_path / "bad.pt")
    with pytest.raises(InputError, match="model_kwargs"):
        load_model_checkpoint(tmp_path / "bad.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="checkpoint"):
        load_model_checkpoint(tmp_path / "junk.pt")
    with pytest.raises(KeyError, match="unknown model"):
        save_model_checkpoint(tmp_path / "x.pt", "midas", torch.nn.Linear(1, 1), {}, {})


def test_spec_defaults_per_variant():
    assert get_spec("eigen2014").input_hw_for({"variant": "light"}) == (128, 160)
    assert get_spec("eigen2014").input_hw_for({"variant": "paper"}, {}) == (228, 304)
    assert get_spec("li2020_motion").input_shape((64, 96)) == (1, 8, 64, 96)
    assert get_spec("eigen2014").is_metric and not get_spec("xian2018").is_metric


def test_half_precision_copy_halves_the_file_and_keeps_outputs(tmp_path):
    torch.manual_seed(0)
    model = get_spec("eigen2014").build(variant="light").eval()
    full = save_model_checkpoint(tmp_path / "full.pt", "eigen2014", model, {"variant": "light"}, {})
    half = write_half_precision_copy(full, tmp_path / "half.pt")
    assert half.stat().st_size < 0.55 * full.stat().st_size
    restored, spec, payload = load_model_checkpoint(half)
    assert payload["storage_dtype"] == "float16" and spec.name == "eigen2014"
    assert all(p.dtype == torch.float32 for p in restored.parameters())  # cast back on load
    x = torch.rand(1, 3, 128, 160)
    with torch.no_grad():
        reference, rounded = model(x), restored(x)
    scale = reference.abs().max()
    assert 0 < (reference - rounded).abs().max() <= 1e-2 * scale  # fp16 rounding: small but real
