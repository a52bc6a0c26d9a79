"""Strict configuration: YAML files equal the defaults, unknown keys and bad types are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.config import ConfigError, config_from_dict, config_to_dict, load_config

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config" / "training"


@pytest.mark.parametrize("method", ["eigen2014", "xian2018", "li2020"])
def test_yaml_files_load_and_match_defaults(method):
    from_file = load_config(method, CONFIG_DIR / f"{method}.yaml")
    assert from_file == load_config(method)
    assert config_from_dict(config_to_dict(from_file)) == from_file


def test_paper_hyperparameters():
    eigen = load_config("eigen2014")
    assert eigen.loss.lambda_si == 0.5 and eigen.optimizer.momentum == 0.9
    assert (eigen.optimizer.lr_coarse_fc, eigen.optimizer.lr_fine_layer2) == (0.1, 0.01)
    li = load_config("li2020")
    assert (li.loss_weights.ssim, li.loss_weights.motion_drift, li.trainer.gradient_clip_norm) == (3.0, 0.2, 10.0)
    assert li.optimizer.lr == 2e-4


def test_eigen_optimizer_kind_builds_the_named_optimizer_over_the_paper_groups():
    import torch

    from training.methods.eigen2014 import Eigen2014Method

    assert load_config("eigen2014").optimizer.kind == "sgd"  # the paper's
    for kind, cls in (("sgd", torch.optim.SGD), ("adam", torch.optim.Adam)):
        cfg = load_config("eigen2014", overrides=[f"optimizer.kind={kind}", "model.variant=light",
                                                  "optimizer.lr_coarse_fc=0.002"])
        opt = Eigen2014Method(cfg).configure_optimizers()
        assert type(opt) is cls
        assert [g["lr"] for g in opt.param_groups] == [0.001, 0.002, 0.001, 0.01, 0.001]
    with pytest.raises(ConfigError, match="optimizer.kind"):
        load_config("eigen2014", overrides=["optimizer.kind=rmsprop"])


def test_unknown_key_is_named(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("optimizer:\n  lr_coarse_fcc: 0.1\n")
    with pytest.raises(ConfigError, match="optimizer.lr_coarse_fcc") as info:
        load_config("eigen2014", path)
    assert info.value.field == "optimizer.lr_coarse_fcc"


def test_overrides_and_type_errors():
    cfg = load_config("li2020", overrides=["trainer.max_steps=7", "data.input_hw=[32, 48]"])
    assert cfg.trainer.max_steps == 7 and cfg.data.input_hw == (32, 48)
    assert cfg.trainer.gradient_clip_norm == 10.0  # partial section keeps the method's defaults
    with pytest.raises(ConfigError, match="trainer.max_steps"):
        load_config("li2020", overrides=["trainer.max_steps=many"])
    with pytest.raises(ConfigError, match="data.input_hw"):
        load_config("li2020", overrides=["data.input_hw=[32]"])
    with pytest.raises(ConfigError, match="loss_weights.ssim"):
        load_config("li2020", overrides=["loss_weights.ssim=-1"])
    with pytest.raises(ConfigError, match="--set"):
        load_config("li2020", overrides=["novalue"])
    with pytest.raises(ConfigError, match="method"):
        load_config("eigen2014", overrides={"method": "li2020"})
