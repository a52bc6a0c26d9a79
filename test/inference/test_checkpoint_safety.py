"""No model file can run code when loaded: every checkpoint goes through torch.load(weights_only=True)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mono_depth_ros.core.errors import InputError
from mono_depth_ros.inference.checkpoint import read_checkpoint_payload, safe_torch_load

RAN = []


def _record(text: str) -> None:
    RAN.append(text)


class Payload:
    """Unpickling this calls ``_record``: what a malicious checkpoint would do with os.system."""

    def __reduce__(self):
        return _record, ("code ran at load time",)


def test_a_checkpoint_that_would_run_code_is_refused(tmp_path):
    path = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {}, "hyper_parameters": {"config": Payload()}}, path)
    with pytest.raises(InputError, match=r"holds \S*_record, which is not on the allow-list") as info:
        safe_torch_load(path)
    assert "weights_only=False" not in str(info.value) and "add_safe_globals" not in str(info.value)
    with pytest.raises(InputError, match="not a model checkpoint"):
        read_checkpoint_payload(path)
    assert RAN == []


def test_a_file_that_is_no_checkpoint_is_named_so(tmp_path):
    """Random bytes, a cut-off checkpoint and an empty file: one line, no advice to load unsafely."""
    good = tmp_path / "good.pt"
    torch.save({"state_dict": {"w": torch.ones(1000)}}, good)
    (tmp_path / "cut.pt").write_bytes(good.read_bytes()[:700])
    (tmp_path / "random.pt").write_bytes(np.random.default_rng(0).bytes(3000))
    (tmp_path / "empty.pt").write_bytes(b"")
    for name in ("cut.pt", "random.pt", "empty.pt"):
        with pytest.raises(InputError, match="not a readable PyTorch checkpoint \\(cut off, or another kind of file\\)") \
                as info:
            safe_torch_load(tmp_path / name)
        assert "\n" not in str(info.value) and "weights_only" not in str(info.value)


def test_what_lightning_stores_is_allow_listed(tmp_path):
    from pathlib import PosixPath

    path = tmp_path / "run.ckpt"
    hparams = {"config": {"method": "eigen2014", "data": {"input_hw": [64, 96]}}}
    torch.save({"state_dict": {"w": torch.ones(2)}, "hyper_parameters": hparams,
                "callbacks": {"ModelCheckpoint": {"dirpath": PosixPath("/runs/a"), "best_model_score": torch.tensor(0.5)}}},
               path)
    ckpt = safe_torch_load(path)
    assert ckpt["hyper_parameters"]["config"]["data"]["input_hw"] == [64, 96]
    assert float(ckpt["callbacks"]["ModelCheckpoint"]["best_model_score"]) == 0.5
    assert torch.equal(ckpt["state_dict"]["w"], torch.ones(2))
