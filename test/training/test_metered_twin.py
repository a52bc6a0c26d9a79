"""benchmarks/metered_twin.py: validation folders copied with frames metered like auto exposure."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from training.data.augment import MIDDLE_GREY_LINEAR, srgb_to_linear


@pytest.fixture(scope="module")
def twin(load_benchmark):
    return load_benchmark("metered_twin")


def _folder(root, name, level, grey=False):
    """A two-frame dataset folder: dark grey-brown (or grey) left and right frames, a depth map, a manifest."""
    d = root / name
    for sub in ("rgb", "right", "depth"):
        (d / sub).mkdir(parents=True)
    rng = np.random.default_rng(0)
    rows = ["index,stamp_ns,rgb,depth,right,camera"]
    for i in range(2):
        tint = [1.0, 1.0, 1.0] if grey else [1.0, 0.8, 0.6]
        img = np.clip(rng.normal(level, 5, (24, 32, 1)) * tint, 0, 255).astype(np.uint8)
        cv2.imwrite(str(d / "rgb" / f"{i:06d}.png"), img)
        cv2.imwrite(str(d / "right" / f"{i:06d}.png"), img[:, ::-1])
        cv2.imwrite(str(d / "depth" / f"{i:06d}.png"), np.full((24, 32), 1000 + i, np.uint16))
        rows.append(f"{i},{i * 100_000_000},rgb/{i:06d}.png,depth/{i:06d}.png,right/{i:06d}.png,0")
    (d / "poses_tum.txt").write_text("0 0 0 0 0 0 0 1\n")
    (d / "manifest.csv").write_text("\n".join(rows) + "\n")
    return d


def _mean_linear_luminance(path):
    rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
    return float(np.mean(srgb_to_linear(rgb) @ np.float32([0.2126, 0.7152, 0.0722])))


def test_a_twin_is_metered_to_its_offset_and_keeps_everything_else(twin, tmp_path):
    src = _folder(tmp_path, "cvval_indoor", 70)
    assert twin.main(["--rename", "cvval:mtval", str(src)]) == 0
    dst = tmp_path / "mtval_indoor"
    offset = twin.sequence_offset_ev("_indoor")
    assert -1.0 <= offset <= 1.0
    target = MIDDLE_GREY_LINEAR * 2.0 ** offset
    before = _mean_linear_luminance(src / "rgb" / "000000.png")
    after = _mean_linear_luminance(dst / "rgb" / "000000.png")
    assert before < 0.5 * target  # a dark render, brought up
    assert after == pytest.approx(target, rel=0.05)  # 8-bit rounding and clipping
    # one gain for the sequence: the right frame (the same pixels mirrored) gets the same, frame 1 too
    left = cv2.imread(str(dst / "rgb" / "000000.png"))
    np.testing.assert_array_equal(cv2.imread(str(dst / "right" / "000000.png")), left[:, ::-1])
    assert _mean_linear_luminance(dst / "rgb" / "000001.png") == pytest.approx(target, rel=0.1)
    np.testing.assert_array_equal(cv2.imread(str(dst / "depth" / "000001.png"), cv2.IMREAD_UNCHANGED),
                                  np.full((24, 32), 1001, np.uint16))
    assert (dst / "poses_tum.txt").read_text() == "0 0 0 0 0 0 0 1\n"
    assert not (tmp_path / "mtval_indoor.partial").exists()
    assert (dst / "manifest.csv").read_text() == (src / "manifest.csv").read_text()


def test_a_grey_camera_stays_grey(twin, tmp_path):
    src = _folder(tmp_path, "cvval_street_c", 60, grey=True)
    assert twin.main(["--rename", "cvval:mtval", str(src)]) == 0
    for sub in ("rgb", "right"):
        out = cv2.imread(str(tmp_path / "mtval_street_c" / sub / "000001.png"), cv2.IMREAD_UNCHANGED)
        assert out.ndim == 2  # written as extraction writes a mono camera's frame
        assert out.mean() > 1.3 * cv2.imread(str(src / sub / "000001.png"), cv2.IMREAD_GRAYSCALE).mean()


def test_the_draw_follows_the_name_without_its_prefix(twin):
    draws = [twin.sequence_offset_ev(f"b_desk_{s}") for s in range(9801, 9825)]
    assert draws == [twin.sequence_offset_ev(f"b_desk_{s}") for s in range(9801, 9825)]
    assert min(draws) < -0.3 and max(draws) > 0.3  # spread over +-1 EV, not one value


def test_bad_arguments_name_what_is_wrong(twin, tmp_path, capsys):
    src = _folder(tmp_path, "cvval_street", 60)
    with pytest.raises(SystemExit):
        twin.main(["--rename", "cvval", str(src)])
    assert "OLD:NEW" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        twin.main(["--rename", "litval:mtval", str(src)])
    assert "does not start with 'litval'" in capsys.readouterr().err
    (tmp_path / "cvval_empty").mkdir()
    with pytest.raises(SystemExit):
        twin.main(["--rename", "cvval:mtval", str(tmp_path / "cvval_empty")])
    assert "no manifest.csv" in capsys.readouterr().err
