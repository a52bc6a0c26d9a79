"""The generic loop end to end on tiny data: train, checkpoint contents, resume, export, evaluate, CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch

import mono_depth_ros
from mono_depth_ros.inference.checkpoint import safe_torch_load
from training.__main__ import main
from training.config import load_config
from training.loop import train

LOOP = ["model.variant=light", "data.input_hw=[48, 64]", "data.train_split=all", "data.val_split=all",
        "trainer.batch_size=2", "trainer.num_workers=0", "trainer.log_every_n_steps=1",
        "trainer.val_every_n_steps=2", "trainer.val_batches=1", "trainer.checkpoint_every_n_steps=2",
        "trainer.accelerator=cpu"]


@pytest.fixture(scope="module")
def eigen_run(tiny_dataset, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("eigen_run")
    config = load_config("eigen2014", overrides=LOOP + ["trainer.max_steps=4", "schedule.coarse_steps=2"])
    return train(config, tiny_dataset, run_dir, progress=False), run_dir


def test_run_writes_checkpoint_logs_and_models(eigen_run):
    result, run_dir = eigen_run
    ckpt = safe_torch_load(result.last_checkpoint)
    assert ckpt["global_step"] == 4
    assert ckpt["resolved_config"]["schedule"]["coarse_steps"] == 2
    assert ckpt["git_rev"] and ckpt["method"] == "eigen2014"
    rows = list(csv.DictReader(open(run_dir / "logs" / "metrics.csv")))
    losses = [float(r["train/scale_invariant"]) for r in rows if r.get("train/scale_invariant")]
    assert len(losses) == 4 and all(v == v for v in losses)
    stages = [float(r["train/stage_fine"]) for r in rows if r.get("train/stage_fine")]
    assert stages == [0.0, 0.0, 1.0, 1.0]  # coarse stage, then fine
    assert (run_dir / "config.yaml").is_file() and (run_dir / "checkpoints" / "last.ckpt").is_file()


def test_fine_stage_freezes_coarse(tiny_dataset, tmp_path):
    config = load_config("eigen2014", overrides=LOOP + ["trainer.max_steps=3", "schedule.coarse_steps=1",
                                                         "trainer.val_batches=0"])
    result = train(config, tiny_dataset, tmp_path, progress=False)
    first = safe_torch_load(result.run_dir / "checkpoints" / "step2.ckpt")
    last = safe_torch_load(result.last_checkpoint)
    coarse = [k for k in last["state_dict"] if ".coarse." in k]
    fine = [k for k in last["state_dict"] if ".fine." in k]
    assert all(torch.equal(first["state_dict"][k], last["state_dict"][k]) for k in coarse)
    assert any(not torch.equal(first["state_dict"][k], last["state_dict"][k]) for k in fine)


def test_resume_and_export_round_trip(eigen_run, tiny_dataset, tmp_path):
    from mono_depth_ros.inference.checkpoint import load_model_checkpoint

    result, run_dir = eigen_run
    config = load_config("eigen2014", overrides=LOOP + ["trainer.max_steps=6", "schedule.coarse_steps=2"])
    resumed = train(config, tiny_dataset, run_dir, resume=result.last_checkpoint, progress=False)
    assert json.loads((run_dir / "result.json").read_text())["global_step"] == 6
    # the first sitting's log survives the resume (Lightning's CSV logger rewrites metrics.csv)
    steps = {name: [int(r["step"]) for r in csv.DictReader(open(run_dir / "logs" / name))
                    if r.get("train/scale_invariant")] for name in ("metrics.before_resume_1.csv", "metrics.csv")}
    assert steps["metrics.before_resume_1.csv"] == [0, 1, 2, 3], steps
    assert len(steps["metrics.csv"]) == 2 and min(steps["metrics.csv"]) > 3, steps  # the two resumed steps
    model, _, payload = load_model_checkpoint(resumed.model_files["eigen2014"])
    assert payload["config"]["trainer"]["max_steps"] == 6 and payload["git_rev"]
    ckpt = safe_torch_load(resumed.last_checkpoint)
    x = torch.rand(1, 3, 48, 64)
    from training.evaluate.predict import load_models
    from_lightning = load_models([resumed.last_checkpoint]).nets["eigen2014"]
    assert ckpt["global_step"] == 6
    torch.testing.assert_close(model(x), from_lightning(x))


def test_evaluate_cli_writes_reports(eigen_run, tiny_dataset, tmp_path):
    result, _ = eigen_run
    out = tmp_path / "eval"
    assert main(["evaluate", "--checkpoint", str(result.model_files["eigen2014"]), "--data", str(tiny_dataset),
                 "--split", "all", "--pictures", "2", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())["depth"]
    assert metrics["frames"] == 8 and 0 < metrics["abs_rel"] and 0 <= metrics["whdr"] <= 1
    report = (out / "metrics.md").read_text()
    assert report.count("| abs_rel |") == 1 and "constant_depth_abs_rel" in report
    # beside the trivial baselines, as every accuracy figure here: the vertical ramp's WHDR is a real
    # ordering (below a constant map's ~1), and the table names all three rows
    assert 0 < metrics["ramp_abs_rel"] < 1 and 0 < metrics["ramp_whdr"] < 0.9
    assert "| vertical ramp | " in report and "| constant depth | " in report and "| network | " in report
    assert len(list(out.glob("depth_*.png"))) == 2
    # the layout share of the 8 predictions beside that of their ground truth (one short sequence:
    # consecutive frames share most of their layout, so the truth's own share is high)
    assert 0.0 <= metrics["layout_share"] <= 1.0 and 0.3 < metrics["layout_share_ground_truth"] <= 1.0
    assert "layout_share_ground_truth" in report


def test_li2020_train_and_ego_motion_eval(tiny_dataset, tmp_path):
    config = load_config("li2020", overrides=LOOP + ["trainer.max_steps=2", "trainer.val_batches=0"])
    result = train(config, tiny_dataset, tmp_path / "run", progress=False)
    assert set(result.model_files) == {"li2020_depth", "li2020_motion"}
    out = tmp_path / "eval"
    assert main(["evaluate", "--checkpoint", str(result.model_files["li2020_depth"]), "--data", str(tiny_dataset),
                 "--split", "all", "--pictures", "1", "--out", str(out)]) == 0
    results = json.loads((out / "metrics.json").read_text())
    assert results["depth"]["median_scaling"] is True
    network = results["ego_motion"]["network"]
    assert network["pairs"] == 7 and network["ate_rmse_m"] >= 0 and network["rotation_error_deg"] >= 0
    # the CLI's default motion_refinement (rest, as the node's): what it made of each of the 7 pairs
    outcomes = {choice: network[f"refinement_{choice}_pairs"] for choice in ("network", "no_rotation", "no_motion")}
    assert sum(outcomes.values()) == 7 and network["refinement_aligned_pairs"] == 0, outcomes
    assert "classical_orb" in results["ego_motion"] and (out / "trajectory.png").is_file()


def test_cli_help_and_config_errors(capsys, tiny_dataset, tmp_path):
    with pytest.raises(SystemExit) as info:
        main(["train", "--help"])
    assert info.value.code == 0 and "--max-minutes" in capsys.readouterr().out
    assert main(["train", "--method", "eigen2014", "--data", str(tiny_dataset), "--set", "optimizer.bogus=1",
                 "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: invalid optimizer.bogus=1: unknown key")


def test_select_exports_the_checkpoint_with_the_best_validation_score(eigen_run, tiny_dataset, tmp_path, capsys):
    from mono_depth_ros.core.errors import InputError
    from mono_depth_ros.inference.checkpoint import load_model_checkpoint
    from training.evaluate.predict import load_models
    from training.select import select_checkpoint

    _, run_dir = eigen_run
    assert main(["select", "--run", str(run_dir), "--data", str(tiny_dataset), "--criterion", "abs_rel",
                 "--split", "all", "--no-progress"]) == 0
    selection = json.loads((run_dir / "selected" / "selection.json").read_text())
    steps = [c["step"] for c in selection["candidates"]]
    assert steps == sorted(steps) and {2, 4} <= set(steps)
    for c in selection["candidates"]:  # each score is that checkpoint's AbsRel on the validation folder
        report = json.loads((run_dir / "selection" / f"step{c['step']}" / tiny_dataset.name / "metrics.json").read_text())
        assert c["score"] == pytest.approx(report["depth"]["abs_rel"])
    assert selection["best_score"] == min(c["score"] for c in selection["candidates"])
    assert f"step {selection['best_step']}" in capsys.readouterr().out
    model, _, payload = load_model_checkpoint(run_dir / "selected" / "eigen2014.pt")
    assert payload["metrics"]["global_step"] == selection["best_step"]
    chosen = load_models([run_dir / "checkpoints" / f"step{selection['best_step']}.ckpt"]).nets["eigen2014"]
    x = torch.rand(1, 3, 48, 64)
    torch.testing.assert_close(model(x), chosen(x))
    with pytest.raises(InputError, match="no checkpoints/stepN.ckpt"):
        select_checkpoint(tmp_path, [tiny_dataset])


def test_select_scores_last_ckpt_where_no_periodic_checkpoint_has_its_step(eigen_run, tiny_dataset, tmp_path, capsys):
    """A run stopped between periodic checkpoints (or too short for one): its last.ckpt is a candidate
    at its own step; with --every (a recipe's subsampling) it is not; 'bundled' is the incumbent."""
    import shutil

    _, run_dir = eigen_run
    run = tmp_path / "run"
    shutil.copytree(run_dir / "checkpoints", run / "checkpoints")
    step = safe_torch_load(run / "checkpoints" / "last.ckpt")["global_step"]
    (run / "checkpoints" / f"step{step}.ckpt").unlink(missing_ok=True)
    periodic = sorted(int(p.stem[4:]) for p in (run / "checkpoints").glob("step*.ckpt"))
    assert main(["select", "--run", str(run), "--data", str(tiny_dataset), "--criterion", "abs_rel",
                 "--split", "all", "--no-progress", "--incumbent", "bundled"]) == 0
    selection = json.loads((run / "selected" / "selection.json").read_text())
    assert [c["step"] for c in selection["candidates"]] == periodic + [step] and 2 in periodic
    last = json.loads((run / "selection" / f"step{step}" / tiny_dataset.name / "metrics.json").read_text())
    assert selection["candidates"][-1]["score"] == pytest.approx(last["depth"]["abs_rel"])
    assert selection["incumbent"]["paths"] == [str(Path(mono_depth_ros.__file__).parent / "weights" / "eigen2014.pt")]
    assert main(["select", "--run", str(run), "--data", str(tiny_dataset), "--criterion", "abs_rel",
                 "--split", "all", "--no-progress", "--every", "2"]) == 0
    assert [c["step"] for c in json.loads((run / "selected" / "selection.json").read_text())["candidates"]] == periodic


def test_select_ships_only_what_beats_the_incumbent(eigen_run, tiny_dataset, tmp_path, capsys):
    import shutil

    _, run_dir = eigen_run
    args = ["select", "--run", str(run_dir), "--data", str(tiny_dataset), "--criterion", "abs_rel",
            "--split", "all", "--no-progress"]
    assert main(args) == 0
    shipped = tmp_path / "eigen2014.pt"  # today's model = the run's own best: the run cannot beat it
    shutil.copy(run_dir / "selected" / "eigen2014.pt", shipped)
    assert main(args + ["--incumbent", str(shipped)]) == 0
    selection = json.loads((run_dir / "selected" / "selection.json").read_text())
    assert selection["incumbent"]["score"] == pytest.approx(selection["best_score"], rel=1e-4)
    assert selection["ship"] is False and "keep the incumbent" in capsys.readouterr().out
    worst = max(selection["candidates"], key=lambda c: c["score"])  # a worse incumbent is replaced
    assert main(args + ["--incumbent", str(run_dir / "checkpoints" / f"step{worst['step']}.ckpt")]) == 0
    selection = json.loads((run_dir / "selected" / "selection.json").read_text())
    assert selection["incumbent"]["score"] == pytest.approx(worst["score"])
    assert selection["ship"] is (selection["best_score"] < worst["score"])


def test_select_with_a_second_criterion_ships_only_within_tolerance_of_the_incumbent(eigen_run, tiny_dataset):
    """``also``: both criteria from the same evaluation; a checkpoint ships when it is no worse than
    the incumbent by more than ``tolerance`` on either and better on one (li2020: odometry, depth)."""
    from mono_depth_ros.core.errors import InputError
    from training.select import _eligible, select_checkpoint

    _, run_dir = eigen_run
    kw = dict(criterion="abs_rel", opts=None, progress=False, also="whdr")
    best, candidates = select_checkpoint(run_dir, [tiny_dataset], **kw)
    for c in candidates:  # each second score is that checkpoint's WHDR, from the same report
        report = json.loads((run_dir / "selection" / f"step{c.step}" / tiny_dataset.name / "metrics.json").read_text())
        assert (c.score, c.also_score) == pytest.approx((report["depth"]["abs_rel"], report["depth"]["whdr"]))
    assert best.score == min(c.score for c in candidates)  # no incumbent: the first criterion alone
    last = max(candidates, key=lambda c: c.step)
    incumbent = [run_dir / "checkpoints" / f"step{last.step}.ckpt"]
    for tolerance in (0.0, 0.5):
        best, candidates = select_checkpoint(run_dir, [tiny_dataset], incumbent=incumbent, tolerance=tolerance, **kw)
        selection = json.loads((run_dir / "selected" / "selection.json").read_text())
        inc = selection["incumbent"]
        eligible = [c for c in candidates if _eligible(c, inc["score"], inc["also_score"], tolerance)]
        assert selection["ship"] is bool(eligible) and selection["tolerance"] == tolerance
        if eligible:
            assert best.score == min(c.score for c in eligible)
            assert best.score <= inc["score"] * (1 + tolerance) and best.also_score <= inc["also_score"] * (1 + tolerance)
    # the rule itself, on numbers: 2 % worse on one criterion and better on the other
    from pathlib import Path
    from training.select import Candidate

    def cand(p, s):
        return Candidate(1, Path("x"), p, {}, also_score=s)
    assert _eligible(cand(10.2, 0.7), 10.0, 1.0, 0.02) and not _eligible(cand(10.3, 0.7), 10.0, 1.0, 0.02)
    assert not _eligible(cand(10.0, 1.0), 10.0, 1.0, 0.02)  # a tie on both is not better
    with pytest.raises(InputError, match="other than --criterion"):
        select_checkpoint(run_dir, [tiny_dataset], criterion="abs_rel", also="abs_rel")


def test_select_by_silog_scores_structure_whatever_the_overall_scale(eigen_run, tiny_dataset):
    """``silog`` (the scale-invariant log error): each checkpoint's score is its report's silog, and
    that figure does not move when every predicted depth is scaled, where AbsRel does."""
    import numpy as np

    from training.evaluate.depth_metrics import depth_errors
    from training.select import select_checkpoint

    _, run_dir = eigen_run
    best, candidates = select_checkpoint(run_dir, [tiny_dataset], criterion="silog", opts=None, progress=False,
                                         also="abs_rel")
    for c in candidates:
        report = json.loads((run_dir / "selection" / f"step{c.step}" / tiny_dataset.name / "metrics.json").read_text())
        assert (c.score, c.also_score) == pytest.approx((report["depth"]["silog"], report["depth"]["abs_rel"]))
    assert best.score == min(c.score for c in candidates)
    rng = np.random.default_rng(0)
    gt = rng.uniform(1.0, 10.0, (24, 32))
    pred = gt * np.exp(rng.normal(0.0, 0.2, gt.shape))
    one, scaled = depth_errors(pred, gt), depth_errors(1.6 * pred, gt)
    assert scaled["silog"] == pytest.approx(one["silog"], rel=1e-9) and one["silog"] > 10.0
    assert scaled["abs_rel"] > one["abs_rel"] + 0.3


def test_select_average_scores_the_mean_weights_of_the_checkpoints_around_the_best(eigen_run, tiny_dataset,
                                                                                    tmp_path, capsys):
    from mono_depth_ros.core.errors import InputError
    from mono_depth_ros.inference.checkpoint import safe_torch_load
    from training.select import average_checkpoints, select_checkpoint

    _, run_dir = eigen_run
    steps = [2, 4]
    ckpts = [run_dir / "checkpoints" / f"step{s}.ckpt" for s in steps]
    mean_path = average_checkpoints(ckpts, tmp_path / "mean.ckpt")
    states = [safe_torch_load(p)["state_dict"] for p in ckpts]
    mean = safe_torch_load(mean_path)["state_dict"]
    for key, value in mean.items():
        if torch.is_floating_point(value):
            torch.testing.assert_close(value, (states[0][key] + states[1][key]) / 2)
    assert not all(torch.equal(states[0][k], states[1][k]) for k in mean)  # the two steps differ
    assert main(["select", "--run", str(run_dir), "--data", str(tiny_dataset), "--criterion", "abs_rel",
                 "--split", "all", "--no-progress", "--average", "2"]) == 0
    selection = json.loads((run_dir / "selected" / "selection.json").read_text())
    window = selection["average"]["steps"]
    assert len(window) == 2 and selection["best_step"] in window
    report = json.loads((run_dir / "selection" / f"average_{window[0]}-{window[-1]}" / tiny_dataset.name
                         / "metrics.json").read_text())
    assert selection["average"]["score"] == pytest.approx(report["depth"]["abs_rel"])
    singles = min(c["score"] for c in selection["candidates"])
    assert selection["average"]["selected"] is (selection["average"]["score"] < singles)
    assert selection["best_score"] == pytest.approx(min(singles, selection["average"]["score"]))
    assert "mean" in capsys.readouterr().out
    with pytest.raises(InputError, match="average"):
        select_checkpoint(run_dir, [tiny_dataset], average=0)


def test_the_duplicates_note_names_the_data_s_own_differences():
    """li2020's duplicate filter at the paper's 0.01 on a 20 Hz camera: most runs left out, and the
    line says by how much this data's runs differ and what threshold would keep them."""
    from types import SimpleNamespace

    from training.loop import _round_down, duplicates_note

    def part(differences, threshold=0.01):
        return SimpleNamespace(run_differences=differences, duplicates_filter_threshold=threshold,
                               dropped_duplicates=sum(d <= threshold for d in differences))
    assert duplicates_note([part([0.02, 0.03])]) is None and duplicates_note([SimpleNamespace()]) is None
    note = duplicates_note([part([0.0039, 0.004, 0.02]), part([0.0035, 0.05])])
    assert note.startswith("3 of 5 frame runs left out as near-duplicates: mean |RGB difference| <= 0.01")
    assert "differ by 0.0040 (median)" in note and note.endswith("(e.g. 0.001) to keep more, 0 keeps all")
    assert duplicates_note([part([0.005, 0.02, 0.03, 0.04, 0.05])]).endswith("data.duplicates_filter_threshold=0 "
                                                                           "keeps them")
    assert [_round_down(v) for v in (0.00093, 0.001, 0.0236, 0.0)] == ["0.0009", "0.001", "0.02", "0"]


def test_the_crop_note_says_how_much_of_a_frame_another_aspect_ratio_loses():
    """README step 2 once used KITTI's 128x416 on any camera: on 480x752 frames the centre crop kept
    48 % of each (the node then published NaN over the rest)."""
    from types import SimpleNamespace

    import numpy as np

    from training.loop import crop_note

    folder = SimpleNamespace(by_index={3: None}, rgb=lambda i: np.zeros((480, 752, 3), np.uint8),
                             path=Path("/data/my_bag"))
    note = crop_note([folder], (128, 416), "crop")
    assert note.startswith("data.input_hw=128x416 on my_bag's 480x752 frames: resize_mode crop keeps 48 % of each")
    assert note.endswith("e.g. data.input_hw=[128, 200]")
    assert crop_note([folder], (120, 160), "crop") is None  # 4:3 on 752x480: 85 % kept
    assert crop_note([folder], (128, 416), "pad") is None


def test_the_progress_bar_counts_steps_of_the_whole_run(tiny_dataset, tmp_path, capsys, monkeypatch):
    """One bar over the run's optimizer steps (max_steps), not one per epoch of a small dataset."""
    import training.progress

    monkeypatch.setattr(training.progress, "on_terminal", lambda stream=None: True)  # capsys is no terminal
    config = load_config("eigen2014", overrides=LOOP + ["trainer.max_steps=6", "schedule.coarse_steps=2",
                                                        "trainer.log_every_n_steps=4"])
    train(config, tiny_dataset, tmp_path / "run", progress=True, max_minutes=30)
    captured = capsys.readouterr()
    text = (captured.out + captured.err).replace("\r", "\n")
    assert "train steps, stops after 30 min" in text and "6/6 [" in text and "Epoch " not in text


def test_without_a_terminal_training_prints_plain_status_lines_not_a_bar(tiny_dataset, tmp_path, capsys):
    """nohup ... > train.log: the bar's carriage-return redraws went into the log; now one plain
    line after the first step and one at the end (and every 30 s between)."""
    config = load_config("eigen2014", overrides=LOOP + ["trainer.max_steps=3", "schedule.coarse_steps=2",
                                                        "trainer.val_batches=0"])
    train(config, tiny_dataset, tmp_path / "run", progress=True)  # capsys's stdout is not a terminal
    captured = capsys.readouterr()
    assert "\r" not in captured.out + captured.err and "train steps" not in captured.out + captured.err
    lines = [line for line in captured.out.splitlines() if line.startswith("step ")]
    assert [line.split(",")[0] for line in lines] == ["step 1/3 (33 %)", "step 3/3 (100 %)"], captured.out
    assert " elapsed, loss " in lines[-1] and lines[-1].endswith("ETA 0s")


def test_status_lines_every_interval_with_elapsed_loss_and_eta(monkeypatch):
    """--no-progress printed nothing for minutes; a status line comes every ``every_s`` seconds of the
    clock (injected: no sleeping), with the step, elapsed time, losses and ETA."""
    import io
    from types import SimpleNamespace

    from lightning.pytorch.callbacks import Timer

    import training.progress
    from training.progress import StatusLines, progress_callback

    monkeypatch.setattr(training.progress, "on_terminal", lambda stream=None: True)
    assert isinstance(progress_callback(False, 1, None)[0], StatusLines)  # --no-progress on a terminal
    assert progress_callback(False, 1, None)[1] is False
    now, out = [100.0], io.StringIO()
    status = StatusLines(every_s=30.0, clock=lambda: now[0], stream=out)
    trainer = SimpleNamespace(global_step=200, max_steps=2000, callback_metrics={"train/loss": torch.tensor(0.43)},
                              callbacks=[], is_global_zero=True)
    status.on_train_start(trainer, None)  # a resumed run: 200 steps were done before
    for step, t in ((201, 102.0), (220, 129.0), (221, 132.0), (300, 150.0), (301, 162.0)):
        trainer.global_step, now[0] = step, t
        status.on_train_batch_end(trainer, None, None, None, 0)
    trainer.callback_metrics["val/loss"] = torch.tensor(0.5)
    trainer.global_step, now[0] = 400, 3700.0
    status.on_train_end(trainer, None)
    assert out.getvalue().splitlines() == [
        "step 201/2000 (10 %), 2s elapsed, loss 0.4300, ETA 59m58s",  # 2 s a step, 1799 steps to go
        "step 221/2000 (11 %), 32s elapsed, loss 0.4300, ETA 45m11s",  # 30 s after the first; 32 s / 21 x 1779
        "step 301/2000 (15 %), 1m02s elapsed, loss 0.4300, ETA 17m23s",
        "step 400/2000 (20 %), 1h00m elapsed, loss 0.4300, val loss 0.5000, ETA 8h00m"]
    status.on_train_end(trainer, None)  # the last step's line is not repeated
    assert len(out.getvalue().splitlines()) == 4
    timer = Timer(duration="00:00:30:00")
    timer.time_remaining = lambda stage=None: 600.0  # --max-minutes stops it before the steps are done
    trainer.callbacks, trainer.global_step = [timer], 401
    assert status.line(trainer, 3709.0).endswith("ETA 10m00s (--max-minutes)")
    trainer.is_global_zero, trainer.global_step, now[0] = False, 402, 9000.0  # other DDP processes print nothing
    status.on_train_batch_end(trainer, None, None, None, 0)
    assert len(out.getvalue().splitlines()) == 4


def test_frames_a_method_cannot_use_are_counted_in_one_line():
    """xian2018 on a stereo bag whose right camera sent 1 of 6 frames trained on that one frame and
    said nothing; eigen2014 drops frames without depth the same way."""
    from types import SimpleNamespace

    from training.loop import unused_frames_note

    folder = SimpleNamespace(indices=lambda split: list(range(6)))
    needs = "frames with depth or a right stereo image"
    assert unused_frames_note([SimpleNamespace(indices=[0])], [folder], "train", needs) == (
        "1 of 6 frames used: the method needs frames with depth or a right stereo image")
    assert unused_frames_note([SimpleNamespace(indices=list(range(6)))], [folder], "train", needs) is None
    assert unused_frames_note([SimpleNamespace(starts=[0, 1])], [folder], "train", needs) is None  # li2020: runs
