"""The usual mistakes with ``python -m training``: each gives one ``error:`` line on stderr naming what
was wrong and exit status 2 (no traceback), before anything is written where that matters."""

from __future__ import annotations

import csv
import re
import shutil

import pytest
import torch

from mono_depth_ros.inference.checkpoint import save_model_checkpoint
from mono_depth_ros.models.li2020 import Li2020DepthNet
from mono_depth_ros.models.xian2018 import Xian2018
from training.__main__ import main

TINY = ["--set", "model.variant=light", "--set", "data.input_hw=[48,64]", "--set", "trainer.max_steps=2",
        "--set", "trainer.num_workers=0", "--set", "trainer.accelerator=cpu", "--no-progress"]


def _fails(capsys, argv: list[str], pattern: str) -> str:
    """``main(argv)`` returns 2 with exactly one error line on stderr, matching ``pattern``; no traceback."""
    capsys.readouterr()
    assert main([str(a) for a in argv]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err and [line for line in lines if line.startswith("error:")] == lines[-1:], err
    assert re.fullmatch(pattern, lines[-1]), lines[-1]
    return lines[-1]


def _train(data, out, *extra) -> list[str]:
    return ["train", "--method", "li2020", "--data", data, "--out", out, *TINY, *extra]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A light li2020 depth .pt and a light xian2018 .pt (random weights)."""
    root = tmp_path_factory.mktemp("models")
    torch.manual_seed(0)
    li = save_model_checkpoint(root / "li" / "li2020_depth.pt", "li2020_depth", Li2020DepthNet(variant="light"),
                               {"variant": "light"}, {"method": "li2020", "data": {"input_hw": [48, 64]}})
    xian = save_model_checkpoint(root / "xian" / "xian2018.pt", "xian2018", Xian2018(variant="light"),
                                 {"variant": "light"}, {"method": "xian2018", "data": {"input_hw": [48, 64]}})
    return {"li2020_depth": li, "xian2018": xian}


@pytest.fixture(scope="module")
def no_depth(tiny_dataset, tmp_path_factory):
    """The tiny dataset without its depth column (an extraction without --depth-topic)."""
    out = tmp_path_factory.mktemp("nodepth") / "ds"
    shutil.copytree(tiny_dataset, out)
    with open(out / "manifest.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(out / "manifest.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**r, "depth": ""} for r in rows)
    return out


# ----------------------------------------------------------------------------- train: config
@pytest.mark.parametrize("item, pattern", [
    ("trainer.max_steps=abc", r"error: invalid trainer\.max_steps='abc': expected an integer"),
    ("trainer.max_steps=[1, 2]", r"error: invalid trainer\.max_steps=\[1, 2\]: expected an integer"),
    ("trainer.bogus=1", r"error: invalid trainer\.bogus=1: unknown key \(known in this section: .*\)"),
    ("data.input_hw=[48,", r"error: invalid data\.input_hw='\[48,': value is not valid YAML \(.* at line 1, column 5\)"),
    ("trainer.devices=abc", r"error: invalid trainer\.devices='abc': expected 'auto', a count >= 1, .*"),
    ("model.variant=huge", r"error: invalid model\.variant='huge': expected one of \['light', 'lite0', 'paper'\]"),
    ("trainer.checkpoint_every_n_steps=0", r"error: invalid trainer\.checkpoint_every_n_steps=0: must be >= 1"),
    ("trainer.num_workers=-1", r"error: invalid trainer\.num_workers=-1: must be >= 0"),
    ("optimizer.lr=-1", r"error: invalid optimizer\.lr=-1\.0: must be >= 0"),
])
def test_set_mistakes(capsys, tiny_dataset, tmp_path, item, pattern):
    _fails(capsys, _train(tiny_dataset, tmp_path / "run", "--set", item), pattern)
    assert not (tmp_path / "run").exists()


def test_config_file_mistakes(capsys, tiny_dataset, tmp_path):
    (tmp_path / "bad.yaml").write_text("trainer: [1,\n")
    (tmp_path / "list.yaml").write_text("- a\n")
    for config, pattern in ((tmp_path / "none.yaml", r"error: invalid config='.*none\.yaml': no such file"),
                            (tmp_path, r"error: invalid config='.*': is not a file"),
                            (tmp_path / "bad.yaml", r"error: invalid config='.*bad\.yaml': not valid YAML \(.*line 2.*\)"),
                            (tmp_path / "list.yaml", r"error: invalid config='.*': top level must be a mapping"),
                            ("config/training/eigen2014.yaml",
                             r"error: invalid method='eigen2014': config file is for another method than 'li2020'")):
        _fails(capsys, _train(tiny_dataset, tmp_path / "run", "--config", config), pattern)


# ----------------------------------------------------------------------------- train: paths
def test_data_that_is_not_a_dataset_folder(capsys, tmp_path):
    bag = tmp_path / "my_bag"
    bag.mkdir()
    (bag / "metadata.yaml").write_text("rosbag2_bagfile_information: {}\n")
    (bag / "my_bag_0.mcap").write_bytes(b"")
    partial = tmp_path / "half"
    partial.mkdir()
    (partial / "manifest.partial.csv").write_text("index\n")
    (tmp_path / "empty").mkdir()
    for data, pattern in (
            (tmp_path / "nope", r"error: invalid --data='.*nope': no such folder"),
            (bag, r"error: invalid --data='.*my_bag': is a rosbag, not a dataset folder: run 'python -m training "
                  r"extract .*my_bag --out DIR' first and give DIR"),
            (bag / "my_bag_0.mcap", r"error: invalid --data='.*\.mcap': is a rosbag, not a dataset folder: .*"),
            (partial, r"error: invalid --data='.*half': its extraction did not finish .*run the same .* again.*"),
            (tmp_path / "empty", r"error: invalid --data='.*empty': no manifest\.csv: not a dataset folder .*")):
        _fails(capsys, _train(data, tmp_path / "run"), pattern)
    assert not (tmp_path / "run").exists()


def test_frames_that_cannot_train(capsys, tiny_dataset, no_depth, tmp_path):
    one = tmp_path / "one"
    shutil.copytree(tiny_dataset, one)
    lines = (one / "manifest.csv").read_text().splitlines()
    (one / "manifest.csv").write_text("\n".join(lines[:2]) + "\n")
    _fails(capsys, _train(one, tmp_path / "r1"),
           r"error: invalid data='.*one': split 'train' has no usable frames: li2020 needs pairs of consecutive "
           r"frames \(2 or more frames in a row\)")
    static = tmp_path / "static"
    shutil.copytree(tiny_dataset, static)
    for png in sorted((static / "rgb").glob("*.png"))[1:]:
        shutil.copy(static / "rgb" / "000000.png", png)
    _fails(capsys, _train(static, tmp_path / "r2"),
           r"error: invalid data='.*static': .* 7 of 7 frame runs left out as near-duplicates: mean \|RGB difference\| "
           r"<= 0\.01 \(the paper's filter\); this data's runs differ by 0\.0000 \(median\), .*; the frames are "
           r"identical: did the camera move\? data\.duplicates_filter_threshold=0 keeps them$")
    assert not (tmp_path / "r2").exists()  # nothing written: the data was checked first
    _fails(capsys, ["train", "--method", "eigen2014", "--data", no_depth, "--out", tmp_path / "r3", *TINY],
           r"error: invalid data='.*ds': split 'train' has no usable frames: eigen2014 needs frames with depth "
           r"\(extract with --depth-topic\)")


def test_out_max_minutes_resume_and_init_from(capsys, tiny_dataset, models, tmp_path):
    (tmp_path / "a_file").write_text("x")
    _fails(capsys, _train(tiny_dataset, tmp_path / "a_file"), r"error: invalid --out='.*a_file': is a file; expected a folder")
    for minutes in ("0", "-5"):
        _fails(capsys, _train(tiny_dataset, tmp_path / "r", "--max-minutes", minutes),
               r"error: invalid --max-minutes=-?\d\.0: must be > 0 \(leave it out for no time limit\)")
    run = tmp_path / "done"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "step2.ckpt").write_bytes(b"finished work")
    _fails(capsys, _train(tiny_dataset, run),
           r"error: invalid --out='.*done': already holds a run \(1 checkpoints in checkpoints/\): continue it "
           r"with --resume .*done/checkpoints/last\.ckpt, or give another --out")
    assert (run / "checkpoints" / "step2.ckpt").read_bytes() == b"finished work"
    _fails(capsys, _train(tiny_dataset, tmp_path / "r", "--resume", run),
           r"error: invalid --resume='.*done': is a folder; give a Lightning checkpoint: RUN/checkpoints/last\.ckpt .*")
    _fails(capsys, _train(tiny_dataset, tmp_path / "r", "--resume", models["li2020_depth"]),
           r"error: invalid resume='.*li2020_depth\.pt': is a model file \(li2020_depth\.pt\), not a Lightning "
           r"checkpoint: to start from its weights use --init-from .*")
    _fails(capsys, _train(tiny_dataset, tmp_path / "r", "--resume", tmp_path / "a_file"),
           r"error: invalid resume='.*a_file': not a Lightning checkpoint \(.*\)")
    assert not (tmp_path / "r").exists()  # nothing written for a mistake in the command
    _fails(capsys, _train(tiny_dataset, tmp_path / "r", "--init-from", models["xian2018"]),
           r"error: invalid init_from='.*xian2018\.pt': holds a 'xian2018' network; li2020 trains "
           r"\['li2020_depth', 'li2020_motion'\]: give 'bundled' or a li2020 run folder \(RUN or RUN/selected\)")


# ----------------------------------------------------------------------------- evaluate
def test_evaluate_mistakes(capsys, tiny_dataset, models, tmp_path):
    base = ["evaluate", "--classical", "none", "--pictures", "0"]
    _fails(capsys, base + ["--checkpoint", tmp_path / "nope.pt", "--data", tiny_dataset, "--out", tmp_path / "e"],
           r"error: invalid --checkpoint='.*nope\.pt': no such file")
    assert not (tmp_path / "e").exists()
    _fails(capsys, base + ["--checkpoint", models["li2020_depth"], "--data", tiny_dataset, "--out", tmp_path / "e"],
           r"error: invalid split='test': no frames in .* \(its splits: train 8, val 0, test 0 frames; 'all' takes "
           r"every frame\)")
    _fails(capsys, base + ["--checkpoint", models["li2020_depth"], "--data", tiny_dataset, "--out", tmp_path / "e",
                           "--pictures", "-1"], r"error: invalid --pictures=-1: must be >= 0 \(0: no pictures\)")
    _fails(capsys, base + ["--checkpoint", models["li2020_depth"], "--data", tmp_path, "--out", tmp_path / "e"],
           r"error: invalid --data='.*': no manifest\.csv: not a dataset folder .*")


def test_evaluate_says_why_depth_is_not_scored(capsys, no_depth, models, tmp_path):
    import json

    assert main(["evaluate", "--checkpoint", str(models["li2020_depth"]), "--data", str(no_depth), "--split", "all",
                 "--classical", "none", "--pictures", "0", "--out", str(tmp_path / "e")]) == 0
    why = ("no frame of split 'all' has depth ground truth (extract with --depth-topic, or evaluate on a folder "
           "with depth/)")
    assert f"- depth: {why}" in capsys.readouterr().out.splitlines()
    assert json.loads((tmp_path / "e" / "metrics.json").read_text())["depth"]["not_scored"] == why


def test_select_score_without_depth_names_the_reason():
    from mono_depth_ros.core.errors import InputError
    from training.select import score_of

    results = {"data": "data/cam", "depth": {"frames": 0, "not_scored": "no frame of split 'val' has depth"}}
    with pytest.raises(InputError, match=r"^invalid criterion='abs_rel': needs a depth network and frames with "
                                         r"depth \(data/cam: no frame of split 'val' has depth\); "
                                         r"what each criterion needs: abs_rel_vs_constant, abs_rel, whdr, silog: .*; "
                                         r"sgbm_whdr, sgbm_abs_rel_vs_constant: a depth network and frames with a "
                                         r"right image and no depth, .*; photometric: a li2020 run and consecutive "
                                         r"frames \(no labels\)$"):
        score_of(results, "abs_rel")


# ----------------------------------------------------------------------------- select
def test_select_mistakes(capsys, tiny_dataset, models, tmp_path):
    base = ["select", "--data", tiny_dataset, "--split", "all", "--no-progress"]
    _fails(capsys, base + ["--run", tmp_path / "nope"],
           r"error: invalid run_dir='.*nope': no such run folder \(written by 'python -m training train --out'\)")
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.ckpt").write_bytes(b"")
    _fails(capsys, base + ["--run", run], r"error: invalid checkpoint='.*last\.ckpt': not a readable PyTorch checkpoint .*")
    _fails(capsys, base + ["--run", run, "--every", "5"],
           r"error: invalid run_dir='.*run': no checkpoints/stepN\.ckpt \(N a multiple of 5\) \(it has last\.ckpt: "
           r"train with --set trainer\.checkpoint_every_n_steps=N to keep periodic checkpoints\)")
    torch.save({"method": "li2020", "state_dict": {}}, run / "checkpoints" / "step2.ckpt")
    _fails(capsys, base + ["--run", run, "--incumbent", models["xian2018"]],
           r"error: invalid incumbent='.*xian2018\.pt': holds a 'xian2018' model; the run trains 'li2020': give "
           r"the li2020 model\(s\) shipped today")
    _fails(capsys, base + ["--run", run, "--every", "0"], r"error: invalid --every=0: must be >= 1")


# ----------------------------------------------------------------------------- export
def test_export_mistakes(capsys, models, tmp_path):
    pt = models["li2020_depth"]
    (tmp_path / "last.ckpt").write_bytes(b"")
    (tmp_path / "a_file").write_text("x")
    for argv, pattern in (
            (["--checkpoint", tmp_path / "nope.pt"], r"error: invalid checkpoint='.*nope\.pt': no such file"),
            (["--checkpoint", tmp_path / "last.ckpt"],
             r"error: invalid checkpoint='.*last\.ckpt': is a Lightning checkpoint \(the training state\); export a "
             r"model \.pt: RUN/<spec>\.pt or RUN/selected/<spec>\.pt"),
            (["--checkpoint", pt, "--opset", "99"], r"error: invalid opset=99: must be in \[13, \d+\] .*"),
            (["--checkpoint", pt, "--opset", "5"], r"error: invalid opset=5: must be in \[13, \d+\] .*"),
            (["--checkpoint", pt, "--tolerance", "-1"], r"error: invalid tolerance=-1\.0: must be > 0 .*"),
            (["--checkpoint", pt, "--out", tmp_path], r"error: invalid out='.*': is a folder; give the ONNX file .*"),
            (["--checkpoint", pt, "--out", tmp_path / "a_file" / "m.onnx"],
             r"error: invalid out='.*m\.onnx': is under .*a_file, a file; expected a folder there")):
        argv = ["export", "--out", tmp_path / "m.onnx", *argv] if "--out" not in argv else ["export", *argv]
        _fails(capsys, argv, pattern)
    assert not (tmp_path / "m.onnx").exists()


# ----------------------------------------------------------------------------- import, synth, help
def test_import_never_overwrites_an_extracted_dataset(capsys, tiny_dataset, tmp_path):
    before = (tiny_dataset / "manifest.csv").read_text()
    _fails(capsys, ["import", "--format", "kitti", tmp_path, "--out", tiny_dataset],
           r"error: invalid --out='.*': holds a dataset extracted from a bag; importing would overwrite its frames: "
           r"give a new folder")
    assert (tiny_dataset / "manifest.csv").read_text() == before
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    _fails(capsys, ["import", "--format", "kinect", tmp_path, "--out", tmp_path / "other"],
           r"error: invalid --out='.*other': is a folder with other files in it; give a new folder")
    _fails(capsys, ["import", "--format", "euroc", tmp_path / "nope", "--out", tmp_path / "ds"],
           r"error: invalid src='.*nope': no EuRoC camera folder .*")


def test_synth_refuses_a_size_it_cannot_render(capsys, tmp_path):
    with pytest.raises(SystemExit) as info:
        main(["synth", "--out", str(tmp_path / "bag"), "--size", "100000x100000"])
    assert info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(
        "argument --size: --size '100000x100000': width and height must be in [8, 4096]")
    assert not (tmp_path / "bag").exists()


@pytest.mark.parametrize("command", ["synth", "extract", "train", "evaluate", "select", "export", "import"])
def test_every_command_has_help(capsys, command):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0 and out.startswith("usage: python -m training " + command) and "--out" in out


def test_import_cut_off_before_its_manifest_can_be_run_again(tmp_path):
    """An import stopped after some frames (rgb/ written, no manifest.csv yet) is replaced by the
    same command; a folder with anything else in it is still refused."""
    from mono_depth_ros.core.errors import InputError
    from training.cli.import_frames import _check_out

    cut = tmp_path / "cut"
    (cut / "rgb").mkdir(parents=True)
    (cut / "rgb" / "000000.png").write_bytes(b"x")
    _check_out(cut)  # no error: dataset entries only
    (cut / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="other files in it"):
        _check_out(cut)
