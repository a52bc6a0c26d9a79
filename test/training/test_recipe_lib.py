"""The demo training recipes' shell library (benchmarks/recipe_lib.sh), run for real in bash.

The recipes reproduce the bundled weights; their rendering helpers decide which sequences a
stage trains and selects on, so their names, frame counts and lenses are checked on real renders
(training synth + training extract), and every recipe script is parsed by bash.
"""

from __future__ import annotations

import os
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
