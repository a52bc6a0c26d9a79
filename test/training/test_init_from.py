"""``training train --init-from``: start from the bundled weights or a checkpoint, strict shapes, recorded."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
import yaml

import mono_depth_ros
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.inference.checkpoint import load_model_checkpoint, read_checkpoint_payload
from training.__main__ import main
from training.config import load_config
from training.loop import initialise_from
from training.methods import build_method

BUNDLED_DIR = Path(mono_depth_ros.__file__).parent / "weights"
#: the bundled li2020 depth net's variant (stage 17's: lite0); the motion net is the same in every variant
BUNDLED_VARIANT = read_checkpoint_payload(BUNDLED_DIR / "li2020_depth.pt")["model_kwargs"]["variant"]
TINY = [f"model.variant={BUNDLED_VARIANT}", "data.input_hw=[48, 64]", "data.train_split=all", "trainer.batch_size=2",
        "trainer.num_workers=0", "trainer.val_batches=0", "trainer.accelerator=cpu", "trainer.max_steps=2",
        "trainer.checkpoint_every_n_steps=2", "data.duplicates_filter_threshold=0"]


def _params(net: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().float() for k, v in net.named_parameters()}


@pytest.fixture(scope="module")
def adapted_run(tiny_dataset, tmp_path_factory):
    """A 2-step li2020 run from the bundled weights with lr 0 (its parameters must stay the bundled ones)."""
    run_dir = tmp_path_factory.mktemp("adapt") / "run"
    sets = [arg for item in TINY + ["optimizer.lr=0"] for arg in ("--set", item)]
    assert main(["train", "--method", "li2020", "--data", str(tiny_dataset), "--init-from", "bundled",
                 "--out", str(run_dir), "--no-progress", *sets]) == 0
    return run_dir


def test_bundled_weights_are_the_starting_point_and_recorded(adapted_run):
    for spec in ("li2020_depth", "li2020_motion"):
        bundled = read_checkpoint_payload(BUNDLED_DIR / f"{spec}.pt")["state_dict"]
        model, _, payload = load_model_checkpoint(adapted_run / f"{spec}.pt")
        params = _params(model)
        assert params and all(torch.equal(v, bundled[k].float()) for k, v in params.items())
        assert payload["config"]["trainer"]["init_from"] == "bundled"
    assert yaml.safe_load((adapted_run / "config.yaml").read_text())["trainer"]["init_from"] == "bundled"
    ckpt = torch.load(adapted_run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert ckpt["resolved_config"]["trainer"]["init_from"] == "bundled"
    used = json.loads((adapted_run / "result.json").read_text())["init_from"]
    assert used == {s: str(BUNDLED_DIR / f"{s}.pt") for s in ("li2020_depth", "li2020_motion")}


def test_lightning_checkpoint_and_folder_sources(adapted_run):
    config = load_config("li2020", overrides=TINY)
    fresh = build_method(config)
    bundled_depth = read_checkpoint_payload(BUNDLED_DIR / "li2020_depth.pt")["state_dict"]
    first = next(iter(_params(fresh.depth_net)))
    assert not torch.equal(_params(fresh.depth_net)[first], bundled_depth[first].float())  # random init differs: the check bites
    ckpt = torch.load(adapted_run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    used = initialise_from(fresh, str(adapted_run / "checkpoints" / "last.ckpt"))
    assert set(used) == {"li2020_depth", "li2020_motion"}
    state = fresh.state_dict()
    assert all(torch.equal(state[k], v) for k, v in ckpt["state_dict"].items())
    other = build_method(config)
    initialise_from(other, str(adapted_run))  # the run folder holds li2020_depth.pt and li2020_motion.pt
    assert all(torch.equal(a, b) for a, b in zip(other.state_dict().values(), fresh.state_dict().values()))


@pytest.mark.parametrize("source, overrides, match", [
    ("bundled", ["model.variant=paper"],
     r"li2020_depth network: 60 missing \(encoder.conv1.weight, .*; 288 unexpected \(encoder._conv_stem.weight, .*"
     r"5 of another shape \(up_convs.0.0.weight \(256, 320, 3, 3\) != \(256, 512, 3, 3\), .*"
     r"the file has model variant='lite0', this config 'paper'"),
    ("empty_dir", [], r"folder lacks li2020_depth.pt, li2020_motion.pt"),
    ("nowhere.pt", [], r"not found"),
])
def test_mismatches_raise_naming_the_tensors_or_files(tmp_path, source, overrides, match):
    module = build_method(load_config("li2020", overrides=TINY + overrides))
    path = {"bundled": "bundled", "li2020_depth.pt": str(BUNDLED_DIR / "li2020_depth.pt"),
            "empty_dir": str(tmp_path), "nowhere.pt": str(tmp_path / "nowhere.pt")}[source]
    with pytest.raises(InputError, match=match):
        initialise_from(module, path)


def test_one_network_file_starts_that_network_under_an_imagenet_depth_encoder(caplog):
    """li2020 lite0 as stage 16 starts it: the depth net's encoder from ImageNet (the paper's start),
    the motion net from the bundled li2020_motion.pt (its light widths), said in one WARNING."""
    import logging

    from training.pretrained import imagenet_weights_file

    caplog.set_level(logging.WARNING, logger="training.loop")
    module = build_method(load_config("li2020", overrides=TINY + ["model.variant=lite0", "model.encoder_init=imagenet"]))
    used = initialise_from(module, str(BUNDLED_DIR / "li2020_motion.pt"))
    assert list(used) == ["li2020_motion"]
    bundled = read_checkpoint_payload(BUNDLED_DIR / "li2020_motion.pt")["state_dict"]
    assert all(torch.equal(v, bundled[k].float()) for k, v in module.motion_net.state_dict().items())
    stem = torch.load(imagenet_weights_file(), map_location="cpu", weights_only=True)["_conv_stem.weight"]
    assert torch.equal(module.depth_net.encoder._conv_stem.weight, stem)
    lines = [r.getMessage() for r in caplog.records if "own start" in r.getMessage()]
    assert len(lines) == 1 and "holds no li2020_depth: li2020_depth keeps its own start" in lines[0]


def test_depth_lr_scale_zero_adapts_the_motion_network_only(tiny_dataset, tmp_path):
    """optimizer.depth_lr_scale=0: 2 steps at lr 1e-3 leave the depth network (its batch-norm
    statistics too) bit-identical to the bundled one while the motion network moves; a scale of 0.5 halves the depth group's rate."""
    sets = [arg for item in TINY + ["optimizer.lr=1e-3", "optimizer.depth_lr_scale=0",
                                    "model.layer_norm_noise_stddev=0", "schedule.motion_field_burnin_steps=0"]
            for arg in ("--set", item)]
    assert main(["train", "--method", "li2020", "--data", str(tiny_dataset), "--init-from", "bundled",
                 "--out", str(tmp_path / "run"), "--no-progress", *sets]) == 0
    for spec, should_move in (("li2020_depth", False), ("li2020_motion", True)):
        bundled = read_checkpoint_payload(BUNDLED_DIR / f"{spec}.pt")["state_dict"]
        # parameters and buffers (a batch-norm net's running statistics must not move either);
        # exported weights are fp16: compare after the same rounding
        state = load_model_checkpoint(tmp_path / "run" / f"{spec}.pt")[0].state_dict()
        moved = sum(not torch.equal(v.half().float() if v.is_floating_point() else v, bundled[k].to(v.dtype))
                    for k, v in state.items())
        assert (moved > 0) == should_move, (spec, moved)
    module = build_method(load_config("li2020", overrides=TINY + ["optimizer.lr=1e-3", "optimizer.depth_lr_scale=0.5"]))
    groups = module.configure_optimizers().param_groups
    assert [g["lr"] for g in groups] == [1e-3, 5e-4]
    assert sum(p.numel() for p in groups[1]["params"]) == sum(p.numel() for p in module.depth_net.parameters())


def test_negative_depth_lr_scale_is_refused():
    from training.config import ConfigError, validate_config

    with pytest.raises(ConfigError, match=r"optimizer.depth_lr_scale.*must be >= 0"):
        validate_config(load_config("li2020", overrides=["optimizer.depth_lr_scale=-1"]))


def test_cli_reports_a_mismatch_in_one_line(tiny_dataset, tmp_path, capsys):
    assert main(["train", "--method", "li2020", "--data", str(tiny_dataset), "--init-from", "bundled",
                 "--set", "model.variant=paper", "--out", str(tmp_path / "run"), "--no-progress"]) == 2
    assert re.search(r"^error: invalid init_from=.*li2020_depth.pt.*of another shape", capsys.readouterr().err,
                     re.MULTILINE)


def test_adapt_benchmark_no_motion_baseline_is_the_plain_frame_difference(tiny_dataset, load_benchmark):
    """benchmarks/adapt_euroc.py: the identity warp counts every pixel and its figures are |b - a|."""
    from training.data.datasets import Li2020Dataset

    bench = load_benchmark("adapt_euroc")
    settings = bench.weights_settings(BUNDLED_DIR) + bench.FINETUNE
    identity = bench.photometric(tiny_dataset, "all", None, settings)
    from mono_depth_ros.inference.checkpoint import read_checkpoint_payload

    input_hw = tuple(read_checkpoint_payload(BUNDLED_DIR / "li2020_depth.pt")["config"]["data"]["input_hw"])
    assert f"data.input_hw=[{input_hw[0]},{input_hw[1]}]" in settings  # the bundled network's own size
    dataset = Li2020Dataset(tiny_dataset, "all", input_hw, length=2)
    diff = torch.stack([(s.rgb[1] - s.rgb[0]).abs().mean() for s in (dataset[i] for i in range(len(dataset)))])
    assert identity["pairs"] == 7 and identity["counted_fraction"] == 1.0
    assert identity["inview_l1"] == pytest.approx(float(diff.mean()), rel=1e-5)
    assert identity["rgb_consistency"] == pytest.approx(2 * float(diff.mean()), rel=1e-5)
    bundled = bench.photometric(tiny_dataset, "all", BUNDLED_DIR, settings)
    assert 0 < bundled["counted_fraction"] < 1 and 0 < bundled["inview_l1"] < 1 and bundled["pairs"] == 7


def test_depth_anchor_needs_init_from():
    from training.config import ConfigError, validate_config

    with pytest.raises(ConfigError, match=r"loss_weights.depth_anchor.*needs trainer.init_from"):
        validate_config(load_config("li2020", overrides=["loss_weights.depth_anchor=10"]))
    validate_config(load_config("li2020", overrides=["loss_weights.depth_anchor=10", "trainer.init_from=bundled"]))


def test_depth_anchor_is_the_starting_network_and_ignores_scale(tiny_dataset):
    """The anchor holds the --init-from depth weights, takes no gradient and is not exported; its
    term is 0 for the starting network and for any global rescaling of its depth, and grows when
    the depth network's structure changes."""
    from training.data.batches import collate

    module = build_method(load_config("li2020", overrides=TINY + ["loss_weights.depth_anchor=10",
                                                                  "trainer.init_from=bundled",
                                                                  "model.layer_norm_noise_stddev=0"]))
    initialise_from(module, "bundled")
    bundled = read_checkpoint_payload(BUNDLED_DIR / "li2020_depth.pt")["state_dict"]
    anchor = module.anchor_depth_net.state_dict()
    assert all(torch.equal(anchor[k], v.float()) for k, v in bundled.items())
    assert not any(p.requires_grad for p in module.anchor_depth_net.parameters())
    optimised = {id(p) for g in module.configure_optimizers().param_groups for p in g["params"]}
    assert not optimised & {id(p) for p in module.anchor_depth_net.parameters()}
    assert [name for name, _, _ in module.export_models()] == ["li2020_depth", "li2020_motion"]
    module.train()
    assert not module.anchor_depth_net.training and module.depth_net.training

    dataset = module.make_dataset(__import__("training.data.datasets", fromlist=["DatasetFolder"]).DatasetFolder(
        tiny_dataset), "all", train=False)
    rgb = collate([dataset[0], dataset[1]]).rgb[:, 0]
    with torch.no_grad():
        depth = module.depth_net.eval()(rgb).clamp_min(1e-3)
        assert float(module._anchor_term(rgb, depth)) < 1e-10
        assert float(module._anchor_term(rgb, 3.7 * depth)) < 1e-5  # float32 cancellation only
        ramp = torch.linspace(0.5, 1.5, depth.shape[-2])[None, None, :, None]
        assert float(module._anchor_term(rgb, depth * ramp)) > 1e-3  # a changed layout pays
    assert float(module.loss_terms(collate([dataset[0], dataset[1]]))["depth_anchor"]) < 1e-10


def test_depth_anchor_run_keeps_depth_nearer_the_start(tiny_dataset, tmp_path):
    """4 steps at lr 1e-3 from the bundled weights: with the anchor (weight 100) the depth network's
    output on a training frame stays closer to the bundled network's (scale-invariant log) than
    without it; the anchor is logged and saved in the Lightning checkpoint unchanged."""
    from training.data.batches import collate
    from training.data.datasets import DatasetFolder

    base = TINY + ["optimizer.lr=1e-3", "model.layer_norm_noise_stddev=0", "schedule.motion_field_burnin_steps=0",
                   "schedule.depth_mean_steps=0", "trainer.max_steps=4", "trainer.checkpoint_every_n_steps=4",
                   "trainer.log_every_n_steps=1"]
    drift = {}
    start = build_method(load_config("li2020", overrides=TINY))
    initialise_from(start, "bundled")
    for weight in (0, 100):
        sets = [arg for item in base + [f"loss_weights.depth_anchor={weight}"] for arg in ("--set", item)]
        run = tmp_path / f"run{weight}"
        assert main(["train", "--method", "li2020", "--data", str(tiny_dataset), "--init-from", "bundled",
                     "--out", str(run), "--no-progress", *sets]) == 0
        # in train mode, as the anchor term compares them: a batch-norm net (lite0) normalises with
        # the batch's statistics, whose running averages follow the new frames whatever the anchor says
        net = load_model_checkpoint(run / "li2020_depth.pt")[0].train()
        start.train()
        rgb = collate([start.make_dataset(DatasetFolder(tiny_dataset), "all", train=False)[i] for i in range(4)]).rgb[:, 0]
        with torch.no_grad():
            d = torch.log(net(rgb).clamp_min(1e-3)) - torch.log(start.depth_net(rgb).clamp_min(1e-3))
        drift[weight] = float((d.flatten(1).var(dim=1)).mean())
        if weight:
            assert "train/depth_anchor" in (run / "logs" / "metrics.csv").read_text().splitlines()[0]
            state = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)["state_dict"]
            bundled = read_checkpoint_payload(BUNDLED_DIR / "li2020_depth.pt")["state_dict"]
            assert all(torch.equal(state[f"anchor_depth_net.{k}"], v.float()) for k, v in bundled.items())
    assert drift[0] > 0 and drift[100] < 0.5 * drift[0], drift


@pytest.mark.parametrize("mode, has_k, learns", [("auto", True, False), ("auto", False, True),
                                                  ("always", True, True), ("never", True, False)])
def test_learn_intrinsics_uses_the_dataset_k_when_known(tiny_dataset, mode, has_k, learns):
    """``model.learn_intrinsics``: auto learns only when the dataset has no intrinsics; when it does
    not learn, the warp uses the dataset's K (scaled to the network input by the dataset), the same
    for every pair of a sequence and both directions, not the motion network's prediction."""
    from training.data.batches import collate
    from training.data.datasets import DatasetFolder

    module = build_method(load_config("li2020", overrides=TINY + [f"model.learn_intrinsics={mode}"]),
                          dataset_has_intrinsics=has_k)
    assert module.learn_intrinsics is learns
    dataset = module.make_dataset(DatasetFolder(tiny_dataset), "all", train=False)
    batch = collate([dataset[0], dataset[1]])
    predicted = torch.eye(3).expand(4, 3, 3) * 7.0  # what a motion network would say: far from K
    k = module._intrinsics(batch, predicted, pairs=2)
    if learns:
        assert torch.equal(k, predicted)
    else:
        expected = batch.intrinsics.to(k.dtype)
        assert torch.equal(k, torch.cat([expected, expected])) and float(k[0, 0, 0]) != 7.0


def test_resume_with_another_anchor_setting_is_one_line(tiny_dataset, tmp_path, capsys):
    """An anchored run's checkpoint holds the anchor's frozen copy: resuming it without the anchor
    (or an unanchored run with it) is refused in one line naming both settings, not deep in Lightning."""
    base = TINY + ["model.layer_norm_noise_stddev=0", "trainer.max_steps=1", "trainer.checkpoint_every_n_steps=1"]
    sets = [arg for item in base + ["loss_weights.depth_anchor=1"] for arg in ("--set", item)]
    assert main(["train", "--method", "li2020", "--data", str(tiny_dataset), "--init-from", "bundled",
                 "--out", str(tmp_path / "run"), "--no-progress", *sets]) == 0
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    plain = [arg for item in base + ["trainer.max_steps=2"] for arg in ("--set", item)]
    capsys.readouterr()
    assert main(["train", "--method", "li2020", "--data", str(tiny_dataset), "--out", str(tmp_path / "run"),
                 "--no-progress", "--resume", str(last), *plain]) == 2
    assert re.fullmatch(r"error: invalid resume=.*depth_anchor=1, this config has 0.*\n", capsys.readouterr().err)
    assert main(["train", "--method", "li2020", "--data", str(tiny_dataset), "--out", str(tmp_path / "run2"),
                 "--no-progress", "--resume", str(tmp_path / "nowhere.ckpt"), *plain]) == 2
    assert re.fullmatch(r"error: invalid resume=.*not found.*\n", capsys.readouterr().err)


def test_init_from_weights_of_another_input_size_says_so(caplog):
    """eigen2014's config trains at 228x304, its bundled weights (lite0) were trained at 120x160: one line."""
    import logging

    caplog.set_level(logging.WARNING, logger="training.loop")
    for size, warned in (("[64, 96]", True), ("[120, 160]", False)):
        caplog.clear()
        config = load_config("eigen2014", overrides=["model.variant=lite0", f"data.input_hw={size}"])
        initialise_from(build_method(config), "bundled")
        lines = [r.getMessage() for r in caplog.records if "--init-from" in r.getMessage()]
        assert lines == (['--init-from eigen2014 was trained at 120x160, this run trains at 64x96 (data.input_hw): '
                          '--set "data.input_hw=[120, 160]" continues at its size'] if warned else [])


@pytest.mark.parametrize("stats", ["frozen", "batch"])
def test_depth_bn_stats_frozen_keeps_the_stored_statistics_while_the_weights_adapt(tiny_dataset, tmp_path, stats):
    """optimizer.depth_bn_stats=frozen: 2 steps at lr 1e-3 move the depth net's parameters but no
    batch-norm buffer (running mean / var); with batch (plain training) the buffers move too."""
    if BUNDLED_VARIANT != "lite0":
        pytest.skip(f"the bundled li2020 depth net ({BUNDLED_VARIANT}) has no batch norm")
    sets = [arg for item in TINY + ["optimizer.lr=1e-3", f"optimizer.depth_bn_stats={stats}",
                                    "model.layer_norm_noise_stddev=0", "schedule.motion_field_burnin_steps=0"]
            for arg in ("--set", item)]
    assert main(["train", "--method", "li2020", "--data", str(tiny_dataset), "--init-from", "bundled",
                 "--out", str(tmp_path / "run"), "--no-progress", *sets]) == 0
    bundled = read_checkpoint_payload(BUNDLED_DIR / "li2020_depth.pt")["state_dict"]
    model = load_model_checkpoint(tmp_path / "run" / "li2020_depth.pt")[0]
    params = {k for k, _ in model.named_parameters()}

    def moved(keys):  # exported weights are fp16: compare after the same rounding
        state = model.state_dict()
        return sum(not torch.equal(state[k].half().float(), bundled[k].float()) for k in keys)

    stats_keys = [k for k in model.state_dict() if k.endswith(("running_mean", "running_var"))]
    assert len(stats_keys) > 50 and moved(params) > 0
    assert (moved(stats_keys) == 0) == (stats == "frozen"), moved(stats_keys)


def test_unknown_depth_bn_stats_is_refused():
    from training.config import ConfigError, validate_config

    with pytest.raises(ConfigError, match=r"optimizer.depth_bn_stats.*must be batch or frozen"):
        validate_config(load_config("li2020", overrides=["optimizer.depth_bn_stats=fixed"]))


def test_a_file_whose_decoder_differs_starts_the_network_and_says_so(tmp_path, caplog):
    """Tensors that fit under a different model kwarg (li2020_depth's decoder_upsample) load, with a
    WARNING naming the kwarg and the --set that continues the file's network."""
    import logging

    from mono_depth_ros.inference.checkpoint import save_model_checkpoint
    from mono_depth_ros.models.li2020 import Li2020DepthNet

    caplog.set_level(logging.WARNING, logger="training.loop")
    kwargs = {"variant": BUNDLED_VARIANT, "decoder_upsample": "bilinear"}
    path = save_model_checkpoint(tmp_path / "li2020_depth.pt", "li2020_depth", Li2020DepthNet(**kwargs), kwargs,
                                 None)
    module = build_method(load_config("li2020", overrides=TINY))
    assert initialise_from(module, str(path)) == {"li2020_depth": str(path)}
    assert module.depth_net.decoder_upsample == "nearest"
    lines = [r.getMessage() for r in caplog.records if "decoder_upsample" in r.getMessage()]
    assert len(lines) == 1 and "'bilinear'" in lines[0] and "--set model.decoder_upsample=bilinear" in lines[0], lines
    module = build_method(load_config("li2020", overrides=TINY + ["model.decoder_upsample=bilinear"]))
    caplog.clear()
    initialise_from(module, str(path))
    assert module.depth_net.decoder_upsample == "bilinear" and not any("decoder_upsample" in r.getMessage()
                                                                       for r in caplog.records)


def test_unknown_decoder_upsample_is_refused():
    from training.config import ConfigError, validate_config

    with pytest.raises(ConfigError, match=r"model.decoder_upsample.*expected one of \['nearest', 'bilinear'\]"):
        validate_config(load_config("li2020", overrides=["model.decoder_upsample=cubic"]))


def test_cli_takes_the_architecture_from_the_starting_weights(tiny_dataset, tmp_path, capsys):
    """No model.variant or input size given: --init-from bundled with the adapt preset trains (2 steps),
    one line names what it took from the weights, and the run's config records it; an explicit --set
    still wins (input size), and the recipe's keys come from config/training/li2020_adapt.yaml."""
    repo = Path(__file__).resolve().parents[2]
    run = tmp_path / "run"
    argv = ["train", "--method", "li2020", "--data", str(tiny_dataset), "--init-from", "bundled",
            "--config", str(repo / "config" / "training" / "li2020_adapt.yaml"), "--out", str(run), "--no-progress",
            "--set", "data.input_hw=[48, 64]"] + [a for s in TINY[2:] for a in ("--set", s)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    line = next(t for t in out.splitlines() if t.startswith("--init-from bundled:"))
    assert f'model.variant="{BUNDLED_VARIANT}"' in line
    assert "input_hw" not in line  # overridden by --set: not claimed
    assert "auto_mask" not in line  # the method's default anyway: not claimed
    resolved = yaml.safe_load((run / "config.yaml").read_text())
    assert resolved["model"]["variant"] == BUNDLED_VARIANT and resolved["data"]["input_hw"] == [48, 64]
    assert resolved["model"]["layer_norm_noise_stddev"] == 0 and resolved["optimizer"]["lr"] == pytest.approx(1e-4)


def test_starting_settings_of_each_source(tmp_path):
    from training.loop import starting_settings

    eigen = read_checkpoint_payload(BUNDLED_DIR / "eigen2014.pt")
    assert starting_settings("eigen2014", "bundled") == {"model": {"variant": eigen["model_kwargs"]["variant"]},
                                                         "data": {"input_hw": eigen["config"]["data"]["input_hw"]}}
    assert starting_settings("eigen2014", str(BUNDLED_DIR / "eigen2014.pt")) == starting_settings("eigen2014", "bundled")
    assert starting_settings("xian2018", str(BUNDLED_DIR / "eigen2014.pt")) == {}  # another method's file
    assert starting_settings("li2020", str(tmp_path / "absent.pt")) == {}  # initialise_from names the problem
    li = starting_settings("li2020", "bundled")
    assert li["model"]["variant"] == BUNDLED_VARIANT and "decoder_upsample" in li["model"]
