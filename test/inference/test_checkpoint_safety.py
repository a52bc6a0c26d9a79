"""No model file can run code when loaded: every checkpoint goes through torch.load(weights_only=True)."""

from __future__ import annotations

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
    with pytest.raises(InputError, match="cannot be loaded safely.*_record"):
        safe_torch_load(path)
    with pytest.raises(InputError, match="not a model checkpoint"):
        read_checkpoint_payload(path)
    assert RAN == []


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
