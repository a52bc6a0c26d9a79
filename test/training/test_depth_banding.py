"""benchmarks/depth_banding.py: the vertical / horizontal roughness figure, and a run on extracted frames."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def banding(load_benchmark):
    return load_benchmark("depth_banding")


def _noise(seed: int, hw=(240, 320)) -> np.ndarray:
    return np.exp(0.05 * np.random.default_rng(seed).standard_normal(hw))


def test_bands_read_above_one_and_their_transpose_below(banding):
    rows = np.arange(240)[:, None]
    bands = 3.0 * np.exp(0.2 * (rows // 16 % 2)) * _noise(0)  # an 8-row period at 120 rows, as li2020's
    assert banding.banding_ratio(bands) > 1.5  # jumps of 0.2 in log on 2 rows of 8, noise 0.025 a cell
    assert banding.banding_ratio(bands.T.copy()) < 1 / 1.5
    assert banding.banding_ratio(3.0 * _noise(1)) == pytest.approx(1.0, abs=0.1)
    assert banding.banding_ratio(7.0 * _noise(1)) == pytest.approx(banding.banding_ratio(3.0 * _noise(1)), rel=1e-9)


def test_unknown_pixels_are_left_out_and_too_few_give_nan(banding):
    depth = 3.0 * _noise(2)
    holed = depth.copy()
    holed[100:140, :] = np.nan  # a band of unknown depth must not read as a jump
    holed[:, :5] = 0.0
    assert banding.banding_ratio(holed) == pytest.approx(banding.banding_ratio(depth), abs=0.1)
    assert np.isnan(banding.banding_ratio(np.full((240, 320), np.nan)))
    assert np.isnan(banding.banding_ratio(np.full((240, 320), 2.0)))  # flat: no roughness either way


def test_runs_on_extracted_frames_beside_the_truth(banding, tiny_dataset, capsys):
    """The bundled li2020 depth net on a synthetic folder (no real sets): one table row with the truth."""
    assert banding.main(["--networks", "li2020_depth", "--val", str(tiny_dataset), "--sets", ""]) == 0
    row = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| synthetic")]
    assert len(row) == 1
    truth, li = (float(c) for c in row[0].strip("| ").split(" | ")[1:])
    assert 0.05 < truth < 20 and 0.05 < li < 20


def test_bad_arguments_are_one_line_errors(banding, tmp_path, capsys):
    with pytest.raises(SystemExit, match="no manifest.csv"):
        banding.main(["--networks", "li2020_depth", "--val", str(tmp_path), "--sets", ""])
    for args, message in ((["--sets", "kitti,nyu"], "--sets: unknown nyu"),
                          (["--networks", "li2020"], "--networks: unknown li2020"),
                          (["--weights-dir", str(tmp_path)], "no eigen2014.pt")):
        with pytest.raises(SystemExit) as exc:
            banding.main(args)
        assert exc.value.code == 2 and message in capsys.readouterr().err


def test_guided_filter_figure_and_table_on_a_real_frame(banding, tmp_path, capsys):
    """--guided-filter auto smooths what the table measures (Middlebury's frame: li2020's bands
    fall toward the truth's ratio), and --figure draws the frame unfiltered and filtered."""
    ratios = {}
    for mode in ("never", "auto"):
        figure = ["--figure", str(tmp_path / "filter.png")] if mode == "auto" else []
        assert banding.main(["--networks", "li2020_depth", "--sets", "middlebury", "--guided-filter", mode,
                             *figure]) == 0
        out = capsys.readouterr().out
        if "middlebury: skipped" in out:
            pytest.skip(out.strip().splitlines()[-1])
        row = [line for line in out.splitlines() if line.startswith("| middlebury")][0]
        truth, ratios[mode] = (float(c) for c in row.strip("| ").split(" | ")[1:])
    assert ratios["never"] > 1.5 and abs(ratios["auto"] - truth) < abs(ratios["never"] - truth)
    assert (tmp_path / "filter.png").stat().st_size > 20_000
