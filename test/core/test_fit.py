"""ImageFit: crop / pad / stretch onto a network input, exact intrinsics, mapping back."""

import dataclasses

import numpy as np
import pytest

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.fit import plan_fit


def _project(intr: CameraIntrinsics, xyz: np.ndarray) -> np.ndarray:
    return np.array([intr.fx * xyz[0] / xyz[2] + intr.cx, intr.fy * xyz[1] / xyz[2] + intr.cy])


@pytest.mark.parametrize("mode", ["crop", "pad", "stretch"])
def test_wide_image_keeps_geometry(mode):
    # KITTI-like 3.3:1 image onto a 4:3 network input
    intr = CameraIntrinsics(1241, 376, 718.856, 718.856, 607.19, 185.22)
    fit = plan_fit((376, 1241), (96, 128), mode)
    net = fit.intrinsics(intr)
    assert (net.height, net.width) == (96, 128)
    if mode != "stretch":
        assert net.fx == pytest.approx(net.fy, rel=0.02)  # aspect ratio kept
    # a point seen by both projects consistently: source pixel -> network pixel by the fit's map
    xyz = np.array([0.3, 0.2, 5.0])
    u, v = _project(intr, xyz)
    un, vn = _project(net, xyz)
    sx, sy = fit.content_w / fit.src_w, fit.content_h / fit.src_h
    assert un == pytest.approx((u - fit.src_x0) * sx + fit.net_left, abs=1e-6)
    assert vn == pytest.approx((v - fit.src_y0) * sy + fit.net_top, abs=1e-6)


def test_crop_map_back_nan_outside():
    fit = plan_fit((376, 1241), (96, 128), "crop")
    assert fit.src_h == 376 and fit.src_w == round(376 * 128 / 96)
    out = fit.map_back(np.full((96, 128), 2.0, np.float32))
    assert out.shape == (376, 1241)
    assert np.isnan(out[:, 0]).all() and np.isnan(out[:, -1]).all()
    assert np.isfinite(out[:, 620]).all() and np.nanmax(out) == pytest.approx(2.0)
    assert fit.seen_mask().sum() == np.isfinite(out).sum()


def test_pad_roundtrip_recovers_image():
    rng = np.random.default_rng(0)
    img = rng.uniform(0, 1, (60, 200)).astype(np.float32)
    fit = plan_fit((60, 200), (120, 400), "pad")  # same aspect: plain 2x resize, no border
    assert fit.net_top == 0 and fit.content_h == 120
    fit = plan_fit((60, 240), (96, 128), "pad")
    net = fit.apply(img := rng.uniform(0, 1, (60, 240)).astype(np.float32))
    assert net.shape == (96, 128) and fit.net_top == (96 - 32) // 2 and fit.content_h == 32
    assert np.allclose(net[0], net[fit.net_top])  # replicated border
    back = fit.map_back(net)
    assert back.shape == (60, 240) and np.isfinite(back).all()


def test_tall_image_and_bad_mode():
    fit = plan_fit((400, 100), (96, 128), "crop")
    assert fit.src_w == 100 and fit.src_h == 75 and fit.src_y0 == (400 - 75) // 2
    with pytest.raises(InputError, match="resize_mode"):
        plan_fit((10, 10), (8, 8), "squash")
    with pytest.raises(InputError, match="expected"):
        fit.apply(np.zeros((10, 10), np.float32))


@pytest.mark.parametrize("hw", [(376, 1241), (720, 1280), (480, 640), (640, 160), (100, 100), (32, 4096)])
def test_tiles_cover_the_image_with_overlapping_crop_windows(hw):
    from mono_depth_ros.core.fit import MAX_TILES, TILE_MIN_OVERLAP, plan_tiles

    net_hw = (96, 128)
    tiles = plan_tiles(hw, net_hw)
    covered = np.zeros(hw, dtype=int)
    for tile in tiles:
        assert tile.mode == "tile" and tile.net_hw == net_hw and (tile.content_h, tile.content_w) == net_hw
        assert tile.src_w * net_hw[0] == pytest.approx(tile.src_h * net_hw[1], rel=0.01)  # the network's aspect
        covered += tile.seen_mask()
    # every pixel is seen, up to MAX_TILES windows (a 128:1 strip keeps gaps between its 7)
    assert covered.min() >= 1 or len(tiles) == MAX_TILES
    if len(tiles) == 1:
        assert tiles[0] == dataclasses.replace(plan_fit(hw, net_hw, "crop"), mode="tile")
        assert hw[0] * net_hw[1] == hw[1] * net_hw[0]  # only an image of the network's aspect needs one
    else:
        wide = tiles[0].src_w < hw[1]
        starts = [t.src_x0 if wide else t.src_y0 for t in tiles]
        length = tiles[0].src_w if wide else tiles[0].src_h
        assert starts[0] == 0 and starts[-1] + length == (hw[1] if wide else hw[0])
        overlaps = [length - (b - a) for a, b in zip(starts, starts[1:])]
        assert len(tiles) == MAX_TILES or min(overlaps) >= TILE_MIN_OVERLAP * length - 1
    assert len(tiles) % 2 == 1  # so that the middle one is the crop window, what the motion network pairs with
    assert tiles[len(tiles) // 2] == plan_fit(hw, net_hw, "tile")
    assert dataclasses.replace(tiles[len(tiles) // 2], mode="crop") == plan_fit(hw, net_hw, "crop")
