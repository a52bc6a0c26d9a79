"""The demo training recipes' shell library (benchmarks/recipe_lib.sh), run for real in bash.

The recipes reproduce the bundled weights; their rendering helpers decide which sequences a
stage trains and selects on, so their names, frame counts and lenses are checked on real renders
(training synth + training extract), and every recipe script is parsed by bash.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def _bash(script: str, out: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", f'set -euo pipefail; . benchmarks/recipe_lib.sh; recipe_setup "{out}"; {script}'],
                          cwd=REPO, env={**os.environ, "PY": sys.executable, **env}, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.parametrize("script", sorted((REPO / "benchmarks").glob("*.sh")), ids=lambda p: p.name)
def test_recipe_scripts_parse(script: Path):
    done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_render_seeds_names_frames_and_lens(tmp_path: Path):
    """FRAMES and PREFIX reach the renders (the broad validation set's 12-frame valb_* sequences);
    seed 4 of the rooms goes through a distorting lens (every 4th seed), seed 5 does not, and
    extraction rectifies it: the dataset's intrinsics then carry no distortion."""
    done = _bash("FRAMES=3 PREFIX=t render_seeds indoor 4 5", tmp_path)
    assert done.returncode == 0, done.stderr
    for seed in (4, 5):
        folder = tmp_path / "data" / f"t_indoor_{seed}"
        rows = (folder / "manifest.csv").read_text().strip().splitlines()
        assert len(rows) == 1 + 3, rows  # header + FRAMES
    logs = {seed: (tmp_path / "bags" / f"t_indoor_{seed}.synth.log").read_text() for seed in (4, 5)}
    assert "wrote 3 frames" in logs[4] and "wrote 3 frames" in logs[5]
    assert not (tmp_path / "data" / "more_indoor_4").exists()  # PREFIX replaced the default name
    lensed = yaml.safe_load((tmp_path / "data" / "t_indoor_4" / "intrinsics.yaml").read_text())
    plain = yaml.safe_load((tmp_path / "data" / "t_indoor_5" / "intrinsics.yaml").read_text())
    assert lensed["raw"]["d"][0] == pytest.approx(-0.28) and lensed["d"] == [0.0] * 5  # rectified
    assert "raw" not in plain and plain["d"] == [0.0] * 5


def test_broad_validation_refuses_an_incomplete_set(tmp_path: Path):
    """render_broad_validation counts what it found: with the 48 short sequences present but none of
    the 8 long ones it fails with one line naming the count, instead of selecting on a partial set."""
    for scene, seeds in (("indoor", range(9001, 9025)), ("street", range(9501, 9525))):
        for seed in seeds:  # present: render() skips a folder that has its manifest
            folder = tmp_path / "data" / f"valb_{scene}_{seed}"
            folder.mkdir(parents=True)
            (folder / "manifest.csv").write_text("index\n")
    done = _bash("render_broad_validation", tmp_path)
    assert done.returncode != 0
    assert "error: 48 validation sequences, not 56" in done.stderr


def test_desk_validation_joins_the_broad_set_only_when_asked(tmp_path: Path):
    """DESK_VAL=1 (stages 23-24) adds the 24 desk sequences to the 56: 80 found; without it the desk
    folders are left out, so earlier stages' selections see the same 56 as before."""
    names = [f"val_x{i}" for i in range(8)] + [f"valb_indoor_{s}" for s in range(9001, 9025)] \
        + [f"valb_street_{s}" for s in range(9501, 9525)] + [f"valb_desk_{s}" for s in range(9801, 9825)]
    for name in names:
        folder = tmp_path / "data" / name
        folder.mkdir(parents=True)
        (folder / "manifest.csv").write_text("index\n")
    count = 'echo "n=${#BROAD_VAL[@]} desk=$(printf "%s\\n" "${BROAD_VAL[@]}" | grep -c valb_desk_ || true)"'
    plain = _bash(f"render_broad_validation; {count}", tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert "n=56 desk=0" in plain.stdout
    desk = _bash(f"render_broad_validation; {count}", tmp_path, DESK_VAL="1")
    assert desk.returncode == 0, desk.stderr
    assert "n=80 desk=24" in desk.stdout


def test_desk_data_renders_close_range_sequences_into_data(tmp_path: Path):
    """desk_data renders `--scene desk` sequences (two processes) and appends them to DATA; seed 4
    goes through the indoor lens, as every 4th seed does."""
    done = _bash('DATA=(); FRAMES=2 desk_data 3 4; printf "%s\\n" "${DATA[@]}"', tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [f"{tmp_path}/data/more_desk_3", f"{tmp_path}/data/more_desk_4"]
    for seed in (3, 4):
        assert len((tmp_path / "data" / f"more_desk_{seed}" / "manifest.csv").read_text().strip().splitlines()) == 3
    log = (tmp_path / "bags" / "more_desk_3.synth.log").read_text()
    pitch, yaw = (float(re.search(rf"{key} (-?[0-9.]+) deg", log).group(1)) for key in ("pitch", "yaw"))
    assert 15.0 <= pitch <= 45.0 and 45.0 <= yaw <= 90.0, log  # the desk rig: turned to the desks, looking down
    lensed = yaml.safe_load((tmp_path / "data" / "more_desk_4" / "intrinsics.yaml").read_text())
    assert lensed["raw"]["d"][0] == pytest.approx(-0.28)


def test_size_renders_the_same_sequence_at_the_camera_resolution(tmp_path: Path):
    """SIZE reaches the render: seed 5 at 640x480 is the same scene and camera path as at the default
    160x120 (identical poses), with the focal length scaled by 4 (render_camera_resolution_validation's
    valhr_* sequences mirror the validation set at the camera's resolution)."""
    small = _bash("FRAMES=2 PREFIX=s render_seeds indoor 5", tmp_path)
    large = _bash("SIZE=640x480 FRAMES=2 PREFIX=l render_seeds indoor 5", tmp_path)
    assert small.returncode == 0 and large.returncode == 0, small.stderr + large.stderr
    s_dir, l_dir = tmp_path / "data" / "s_indoor_5", tmp_path / "data" / "l_indoor_5"
    assert (s_dir / "poses_tum.txt").read_text() == (l_dir / "poses_tum.txt").read_text()
    s_intr = yaml.safe_load((s_dir / "intrinsics.yaml").read_text())
    l_intr = yaml.safe_load((l_dir / "intrinsics.yaml").read_text())
    assert l_intr["height"] == 480 and s_intr["height"] == 120
    # the width follows the camera's aspect at each height (rounded: 854 px against 4 x 214)
    assert abs(l_intr["width"] - 4 * s_intr["width"]) <= 3
    assert l_intr["fy"] == pytest.approx(4 * s_intr["fy"], rel=5e-3)



def test_camera_resolution_validation_finds_the_80(tmp_path: Path):
    """With the 80 valhr_* folders present (the 8 long ones' and the 72 short ones'), nothing is
    rendered (the python given does not exist) and HR_VAL holds all 80; with one missing and the
    render failing, the function fails instead of returning a partial set."""
    names = ["valhr_indoor", "valhr_indoor_b", "valhr_indoor_c", "valhr_indoor_d", "valhr_street",
             "valhr_street_b", "valhr_street_c", "valhr_street_d"] \
        + [f"valhr_indoor_{s}" for s in range(9001, 9025)] + [f"valhr_street_{s}" for s in range(9501, 9525)] \
        + [f"valhr_desk_{s}" for s in range(9801, 9825)]
    for name in names:
        folder = tmp_path / "data" / name
        folder.mkdir(parents=True)
        (folder / "manifest.csv").write_text("index\n")
    done = _bash('render_camera_resolution_validation; echo "n=${#HR_VAL[@]}"', tmp_path, PY="/nonexistent/python")
    assert done.returncode == 0, done.stderr
    assert "n=80" in done.stdout
    (tmp_path / "data" / "valhr_desk_9824" / "manifest.csv").unlink()
    partial = _bash('render_camera_resolution_validation; echo "n=${#HR_VAL[@]}"', tmp_path, PY="/nonexistent/python")
    assert partial.returncode != 0 and "n=" not in partial.stdout


def _twins_present_then_one_missing(tmp_path: Path, val: str, valb: str, function: str, array: str) -> None:
    """With the 80 validation twins VAL_* and VALB_* present (empty folders with a manifest), the
    recipe FUNCTION renders nothing and ARRAY holds all 80; with one missing and the render failing
    (no python), it fails before it prints ARRAY's size."""
    names = [f"{val}_{n}" for n in ("indoor", "indoor_b", "indoor_c", "indoor_d", "street", "street_b", "street_c",
                                     "street_d")] \
        + [f"{valb}_{scene}_{s}" for scene, first in (("indoor", 9001), ("street", 9501), ("desk", 9801))
           for s in range(first, first + 24)]
    for name in names:
        folder = tmp_path / "data" / name
        folder.mkdir(parents=True)
        (folder / "manifest.csv").write_text("index\n")
    done = _bash(f'{function}; echo "n=${{#{array}[@]}}"', tmp_path, PY="/nonexistent/python")
    assert done.returncode == 0 and "n=80" in done.stdout, done.stderr
    (tmp_path / "data" / f"{valb}_desk_9824" / "manifest.csv").unlink()
    partial = _bash(f'{function}; echo "n=${{#{array}[@]}}"', tmp_path, PY="/nonexistent/python")
    assert partial.returncode != 0 and "n=" not in partial.stdout


def test_textures_reach_the_render_and_heldout_validation_finds_the_80(tmp_path: Path):
    """TEXTURES=heldout reaches `training synth` after --realistic: the same sequence, identical
    depth, other pixels (heldout_texture_validation's htval_* twins). With the 80 twins present
    nothing is rendered and HT_VAL holds all 80; with one missing and the render failing, it fails."""
    plain = _bash("FRAMES=2 PREFIX=p render_seeds indoor 5", tmp_path)
    held = _bash("TEXTURES=heldout FRAMES=2 PREFIX=h render_seeds indoor 5", tmp_path)
    assert plain.returncode == 0 and held.returncode == 0, plain.stderr + held.stderr
    import cv2
    import numpy as np

    p_dir, h_dir = tmp_path / "data" / "p_indoor_5", tmp_path / "data" / "h_indoor_5"
    assert (p_dir / "poses_tum.txt").read_text() == (h_dir / "poses_tum.txt").read_text()
    for sub, same in (("depth", True), ("rgb", False)):
        a, b = (sorted((d / sub).iterdir())[-1] for d in (p_dir, h_dir))
        assert np.array_equal(cv2.imread(str(a), cv2.IMREAD_UNCHANGED), cv2.imread(str(b), cv2.IMREAD_UNCHANGED)) is same
    _twins_present_then_one_missing(tmp_path, "htval", "htvalb", "heldout_texture_validation", "HT_VAL")


def test_shapes_reach_the_render_and_curved_validation_finds_the_80(tmp_path: Path):
    """SHAPES=curved reaches `training synth`: the same path, other depth where a prop turned round
    (curved_validation's cvval_* twins). With the 80 twins present nothing is rendered and
    CURVED_VAL_SET holds all 80; with one missing and the render failing, it fails."""
    plain = _bash("FRAMES=2 PREFIX=p render_seeds street 7", tmp_path)
    round_ = _bash("SHAPES=curved FRAMES=2 PREFIX=c render_seeds street 7", tmp_path)
    assert plain.returncode == 0 and round_.returncode == 0, plain.stderr + round_.stderr
    import cv2
    import numpy as np

    p_dir, c_dir = tmp_path / "data" / "p_street_7", tmp_path / "data" / "c_street_7"
    assert (p_dir / "poses_tum.txt").read_text() == (c_dir / "poses_tum.txt").read_text()
    a, b = (sorted((d / "depth").iterdir())[-1] for d in (p_dir, c_dir))
    assert not np.array_equal(cv2.imread(str(a), cv2.IMREAD_UNCHANGED), cv2.imread(str(b), cv2.IMREAD_UNCHANGED))
    _twins_present_then_one_missing(tmp_path, "cvval", "cvvalb", "curved_validation", "CURVED_VAL_SET")


def test_li_start_from_pick_copies_a_runs_pick_once_and_names_a_missing_one(tmp_path: Path):
    """Stages 41-43 start from stage 40's pick: its two files are copied to the stage's start folder
    once (a resumed run keeps the same start), and a run without a pick stops with one line naming it."""
    pick = tmp_path / "runs" / "li2020_stage40" / "selected"
    missing = _bash("li_start_from_pick 41 li2020_stage40", tmp_path)
    assert missing.returncode == 1 and f"no {pick}" in missing.stderr, missing.stderr
    pick.mkdir(parents=True)
    for name in ("li2020_depth.pt", "li2020_motion.pt"):
        (pick / name).write_text(name)
    assert _bash("li_start_from_pick 41 li2020_stage40", tmp_path).returncode == 0
    start = tmp_path / "runs" / "li2020_stage41_start"
    assert (start / "li2020_motion.pt").read_text() == "li2020_motion.pt"
    (pick / "li2020_motion.pt").write_text("changed")  # a later pick does not replace the start
    assert _bash("li_start_from_pick 41 li2020_stage40", tmp_path).returncode == 0
    assert (start / "li2020_motion.pt").read_text() == "li2020_motion.pt"
