"""DepthEstimator / EgoMotionEstimator end to end on ONNX Runtime and torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mono_depth_ros.core.errors import InputError
from mono_depth_ros.inference.depth_estimator import DepthEstimator
from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.inference.ego_motion_estimator import EgoMotionEstimator
from mono_depth_ros.inference.pose_refinement import refine_direction, rest_check
from mono_depth_ros.inference.processing import MIN_IMAGE_SIDE_PX, RELATIVE_NEAR_OFFSET, preprocess
from mono_depth_ros.inference.checkpoint import load_model_checkpoint


@pytest.mark.parametrize("name", ["eigen2014", "xian2018", "li2020_depth"])
def test_depth_from_onnx_matches_torch_checkpoint(name, checkpoints, onnx_files, rgb):
    from_onnx = DepthEstimator.from_path(onnx_files[name], backend="onnxruntime", threads=1)  # spec from metadata
    from_pt = DepthEstimator.from_path(checkpoints[name], backend="torch", device="cpu", threads=1)
    assert from_onnx.spec.name == name and from_onnx.input_hw == from_pt.input_hw
    a, b = from_onnx.estimate(rgb), from_pt.estimate(rgb)
    assert a.depth_m.shape == rgb.shape[:2] and a.is_metric == (name == "eigen2014")
    seen = a.fit.seen_mask()  # default crop: 90x120 (4:3) into a 5:4 or 2:3 input
    finite = np.isfinite(a.depth_m[seen])
    assert not seen.all() and finite.mean() > 0.99 and np.all(a.depth_m[seen][finite] > 0)
    assert finite.all() or name == "xian2018"  # relative depth: its nearest pixel is 0 = invalid
    assert np.isnan(a.depth_m[~seen]).all()
    np.testing.assert_allclose(a.depth_m, b.depth_m, rtol=1e-3, atol=1e-4)
    assert "onnxruntime" in from_onnx.backend_description and "torch" in from_pt.backend_description


def test_eigen_estimate_is_exp_of_the_network_output(checkpoints, rgb):
    est = DepthEstimator.from_path(checkpoints["eigen2014"], backend="torch", device="cpu")
    model, spec, _ = load_model_checkpoint(checkpoints["eigen2014"])
    with torch.no_grad():
        log_depth = model(torch.from_numpy(preprocess(rgb, spec, est.fit_for((90, 120)))))[0, 0].numpy()
    result = est.estimate(rgb)
    assert result.depth_m.shape == (90, 120)
    assert log_depth.shape == (32, 40) and result.net_depth.shape == (128, 160)  # output at 1/4, spans the input
    np.testing.assert_allclose(result.net_depth[::4, ::4].mean(), np.exp(log_depth).mean(), rtol=0.02)
    assert np.nanmedian(result.depth_m) == pytest.approx(float(np.exp(np.median(log_depth))), rel=0.05)


def test_wrong_model_kind_is_rejected(checkpoints, onnx_files):
    with pytest.raises(InputError, match="expected a depth model"):
        DepthEstimator.from_path(checkpoints["li2020_motion"], backend="torch")
    with pytest.raises(InputError, match="holds a 'eigen2014' model"):
        DepthEstimator.from_path(onnx_files["eigen2014"], spec_name="xian2018")


def test_ego_motion_matches_the_network(checkpoints, onnx_files, rgb):
    est = EgoMotionEstimator.from_path(onnx_files["li2020_motion"], backend="onnxruntime", threads=1,
                                       refinement="none")
    depth = np.full(rgb.shape[:2], 4.0, np.float32)
    depth[0, 0] = np.nan
    rgb_b = np.roll(rgb, 3, axis=1)
    result = est.estimate(rgb, depth, rgb_b, depth)
    model, _, _ = load_model_checkpoint(checkpoints["li2020_motion"])
    with torch.no_grad():
        out = model(torch.from_numpy(est.make_input(rgb, depth, rgb_b, depth)))
    T = result.T_b_from_a
    assert T.shape == (4, 4) and np.allclose(T[:3, :3] @ T[:3, :3].T, np.eye(3), atol=1e-6)
    np.testing.assert_allclose(T[:3, 3], out.translation[0].numpy(), rtol=1e-4, atol=1e-7)
    # at the 64x96 input; the camera is 90x120: crop rows 5..84 (80x120), then x0.8 in both axes
    k = out.intrinsics[0].numpy()
    assert result.intrinsics.width == 120 and result.intrinsics.height == 90
    assert result.intrinsics.fx == pytest.approx(k[0, 0] * 1.25, rel=1e-4)
    assert result.intrinsics.fy == pytest.approx(k[1, 1] * 1.25, rel=1e-4)
    assert result.intrinsics.cy == pytest.approx(k[1, 2] * 1.25 + 5, rel=1e-4)
    field = result.residual_translation
    assert field.shape == (90, 120, 3) and np.isnan(field[:5]).all() and np.isfinite(field[5:85]).all()
    with pytest.raises(InputError, match="depth_b.shape"):
        est.estimate(rgb, depth, rgb_b, depth[:10])
    # motion_refinement photometric starts from this estimate, with the given intrinsics
    # (test_pose_refinement.py tests what the alignment finds)
    est.refinement = "photometric"
    intr = CameraIntrinsics(120, 90, 100.0, 100.0, 59.5, 44.5)
    expected = refine_direction(rgb, depth, rgb_b, T, intr).T_b_from_a
    np.testing.assert_array_equal(est.estimate(rgb, depth, rgb_b, depth, intr).T_b_from_a, expected)
    learned = refine_direction(rgb, depth, rgb_b, T, result.intrinsics).T_b_from_a
    np.testing.assert_array_equal(est.estimate(rgb, depth, rgb_b, depth).T_b_from_a, learned)
    # auto (the default): refined with the camera's intrinsics, the network's alone without them
    est.refinement = "auto"
    np.testing.assert_array_equal(est.estimate(rgb, depth, rgb_b, depth, intr).T_b_from_a, expected)
    np.testing.assert_array_equal(est.estimate(rgb, depth, rgb_b, depth).T_b_from_a, T)
    # rest (the default): rest_check of the network's estimate, with the learned intrinsics when none given
    est.refinement = "rest"
    checked = rest_check(rgb, depth, rgb_b, T, result.intrinsics).T_b_from_a
    np.testing.assert_array_equal(est.estimate(rgb, depth, rgb_b, depth).T_b_from_a, checked)
    with pytest.raises(InputError, match="motion_refinement"):
        EgoMotionEstimator.from_path(onnx_files["li2020_motion"], backend="onnxruntime", refinement="ba")


def test_motion_net_is_fed_the_depth_net_output_at_network_resolution(onnx_files, rgb):
    """As in training: the depth channel is the depth net's own output, not a camera-size resample."""
    depth_net = DepthEstimator.from_path(onnx_files["li2020_depth"], backend="onnxruntime", threads=1)
    motion = EgoMotionEstimator.from_path(onnx_files["li2020_motion"], backend="onnxruntime", threads=1)
    rgb_b = np.roll(rgb, 3, axis=1)
    depth_a, depth_b = depth_net.estimate(rgb), depth_net.estimate(rgb_b)
    x = motion.make_input(rgb, depth_a, rgb_b, depth_b)
    raw_a = depth_net.infer_raw(rgb)[0, 0]
    np.testing.assert_array_equal(x[0, 3], raw_a)
    resampled = motion.make_input(rgb, depth_a.depth_m, rgb_b, depth_b.depth_m)[0, 3]
    assert np.abs(resampled - raw_a).max() > 0  # the old path (up to camera size and back) differs


@pytest.mark.parametrize("hw", [(32, 32), (4096, 4096), (32, 128), (128, 32), (1024, 4096), (4096, 1024),
                                (17, 600)])
@pytest.mark.parametrize("mode", ["crop", "pad", "stretch"])
def test_any_image_size_and_aspect_mono_and_colour(onnx_files, hw, mode):
    est = DepthEstimator.from_path(onnx_files["li2020_depth"], backend="onnxruntime", threads=1, resize_mode=mode)
    rng = np.random.default_rng(1)
    mono = rng.integers(0, 255, hw, dtype=np.uint8)
    for image in (mono, np.repeat(mono[:, :, None], 3, axis=2)):
        result = est.estimate(image)
        seen = result.fit.seen_mask()
        assert result.depth_m.shape == hw and result.depth_m.dtype == np.float32
        assert np.isfinite(result.depth_m[seen]).all() and np.isnan(result.depth_m[~seen]).all()
        aspect = (hw[1] / hw[0]) / (96 / 64)  # image aspect over the 64x96 input's
        assert seen.mean() == pytest.approx(min(aspect, 1 / aspect) if mode == "crop" else 1.0, abs=1 / min(hw))
    with pytest.raises(InputError, match=f"at least {MIN_IMAGE_SIDE_PX}x{MIN_IMAGE_SIDE_PX}"):
        est.estimate(np.zeros((MIN_IMAGE_SIDE_PX - 1, 64), np.uint8))


@pytest.mark.parametrize("mode", ["crop", "tile"])
def test_unseen_border_is_nan_and_out_of_a_relative_outputs_statistics(onnx_files, mode):
    """A rectified image's black border (``seen`` False) gets no depth, and xian2018's relative
    depth is normalised over the seen pixels only: 1 at their median (without the mask the border's
    predictions move the median); eigen2014's metric depth is only masked (one window)."""
    from mono_depth_ros.core.rectify import Rectifier

    rgb = np.random.default_rng(5).integers(0, 256, (120, 240, 3), dtype=np.uint8)
    intr = CameraIntrinsics(240, 120, 100.0, 100.0, 119.5, 59.5, "plumb_bob", (-0.3, 0.08, 0.0, 0.0, 0.0),
                            p=(55.0, 0.0, 119.5, 0.0, 0.0, 55.0, 59.5, 0.0, 0.0, 0.0, 1.0, 0.0))
    rectifier = Rectifier.build(intr)
    rectified, seen = rectifier.apply(rgb), rectifier.valid_mask()
    for name in ("xian2018", "eigen2014"):
        est = DepthEstimator.from_path(onnx_files[name], backend="onnxruntime", threads=1, resize_mode=mode)
        masked, plain = est.estimate(rectified, seen=seen).depth_m, est.estimate(rectified).depth_m
        assert np.isnan(masked[~seen]).all() and np.isfinite(masked[seen & np.isfinite(plain)]).mean() > 0.99
        if name == "xian2018":
            visible = np.isfinite(masked)
            assert np.median(masked[visible]) == pytest.approx(1.0, abs=0.005)
            assert abs(np.median(plain[visible]) - 1.0) > 0.01  # the border's predictions moved it
        elif mode == "crop":  # (tile aligns its windows over the seen pixels only: a slightly other scale)
            np.testing.assert_array_equal(masked[seen], plain[seen])
    with pytest.raises(InputError, match="seen"):
        est.estimate(rectified, seen=seen[:-1])


@pytest.mark.parametrize("hw", [(32, 32), (32, 128), (128, 32), (1024, 4096), (4096, 1024)])
@pytest.mark.parametrize("mode", ["crop", "pad", "tile"])
def test_ego_motion_for_any_image_size_and_aspect_mono_and_colour(onnx_files, hw, mode):
    """The depth + motion pair on frames from 32x32 to 4096 wide, 1:4 to 4:1, mono and colour, with
    every refinement that runs without calibration and with it: a finite rigid motion (a rotation
    matrix), a residual field and learned intrinsics at the frame's size; the learned principal
    point inside the frame."""
    depth_net = DepthEstimator.from_path(onnx_files["li2020_depth"], backend="onnxruntime", threads=1,
                                         resize_mode=mode)
    rng = np.random.default_rng(3)
    mono_a = rng.integers(0, 255, hw, dtype=np.uint8)
    mono_b = np.roll(mono_a, max(1, hw[1] // 50), axis=1)
    h, w = hw
    intr = CameraIntrinsics(w, h, 0.8 * w, 0.8 * w, (w - 1) / 2, (h - 1) / 2)
    for refinement in ("none", "rest", "auto"):
        motion = EgoMotionEstimator.from_path(onnx_files["li2020_motion"], backend="onnxruntime", threads=1,
                                              resize_mode="crop" if mode == "tile" else mode, refinement=refinement)
        first = None
        for a, b in ((mono_a, mono_b), (mono_a[:, :, None], mono_b[:, :, None]),  # (H, W, 1) as DepthEstimator takes
                     (np.repeat(mono_a[:, :, None], 3, 2), np.repeat(mono_b[:, :, None], 3, 2))):
            result = motion.estimate(a, depth_net.estimate(a), b, depth_net.estimate(b), intr)
            t = result.T_b_from_a
            if first is None:
                first = t
            elif a.shape[-1] == 1:  # the same mono frames, one more axis: the same motion
                np.testing.assert_array_equal(t, first)
            assert np.isfinite(t).all() and np.allclose(t[:3, :3] @ t[:3, :3].T, np.eye(3), atol=1e-5)
            assert result.residual_translation.shape == (h, w, 3)
            k = result.intrinsics
            assert (k.width, k.height) == (w, h) and 0 <= k.cx <= w and 0 <= k.cy <= h and k.fx > 0 and k.fy > 0


@pytest.mark.parametrize("name", ["eigen2014", "xian2018", "li2020_depth"])
def test_flip_average_is_the_mean_of_the_direct_and_the_mirrored_pass(name, onnx_files, input_hw):
    """``flip_average`` on: the raw output is (f(x) + mirror(f(mirror(x)))) / 2 in the network's own
    output space, which differs from one pass; auto is on for every depth network. ``net_depth``,
    what the motion network is fed, stays the direct pass's (li2020's motion net was trained on it)."""
    from mono_depth_ros.inference.processing import flip_enabled

    h, w = input_hw[name]  # the network's own size: no crop, so mirroring the frame mirrors the input
    frame = np.random.default_rng(4).integers(0, 256, (h, w, 3), dtype=np.uint8)
    frame[:, : w // 3] //= 4  # a dark left third: the two passes see different things
    single = DepthEstimator.from_path(onnx_files[name], backend="onnxruntime", threads=1)
    both = DepthEstimator.from_path(onnx_files[name], backend="onnxruntime", threads=1, flip_average="auto")
    assert not single.flip_average and both.flip_average
    direct, mirrored = single.infer_raw(frame), single.infer_raw(np.ascontiguousarray(frame[:, ::-1]))
    expected = 0.5 * (direct + mirrored[..., ::-1])
    np.testing.assert_allclose(both.infer_raw(frame), expected, rtol=1e-5, atol=1e-6)
    assert np.abs(expected - direct).max() > 1e-3
    flipped, one_pass = both.estimate(frame), single.estimate(frame)
    assert flipped.depth_m.shape == (h, w) and np.nanmax(np.abs(flipped.depth_m - one_pass.depth_m)) > 1e-4
    np.testing.assert_array_equal(flipped.net_depth, one_pass.net_depth)
    assert flip_enabled("auto") and flip_enabled("always")
    assert not flip_enabled("never")
    with pytest.raises(InputError, match="flip_average"):
        flip_enabled("sometimes")


@pytest.mark.parametrize("name", ["eigen2014", "xian2018", "li2020_depth"])
def test_guided_filter_changes_the_published_depth_only(name, onnx_files, rgb):
    """``guided_filter: auto`` filters a bundled network's ``depth_m`` (processing.guided_filter_depth
    of the unfiltered map, which ``unfiltered_m`` keeps for the ego-motion refinement); ``net_depth``,
    what the motion network is fed, is the same as without it."""
    from mono_depth_ros.inference.processing import AUTO_GUIDED_FILTER, guided_filter_depth

    frame = rgb
    plain = DepthEstimator.from_path(onnx_files[name], backend="onnxruntime", threads=1)
    smooth = DepthEstimator.from_path(onnx_files[name], backend="onnxruntime", threads=1, guided_filter="auto")
    assert plain.guided_filter is None and smooth.guided_filter == AUTO_GUIDED_FILTER[name]
    one, two = plain.estimate(frame), smooth.estimate(frame)
    assert one.unfiltered_m is None and one.network_depth_m is one.depth_m
    np.testing.assert_array_equal(two.unfiltered_m, one.depth_m)
    np.testing.assert_array_equal(two.net_depth, one.net_depth)
    expected = guided_filter_depth(one.depth_m, frame, *AUTO_GUIDED_FILTER[name])
    if name == "xian2018":  # a relative output stays the documented quantity: 1 at the median
        expected /= np.nanmedian(expected)
        assert np.nanmedian(two.depth_m) == pytest.approx(1.0, abs=1e-6)
        assert np.nanmedian(one.depth_m) == pytest.approx(1.0, abs=0.01)  # its median is the network grid's
        big = smooth.estimate(np.repeat(np.repeat(frame, 4, axis=0), 4, axis=1)).depth_m  # 360x480: every 2nd pixel
        grid = big[::2, ::2]
        assert np.median(grid[np.isfinite(grid)]) == pytest.approx(1.0, abs=1e-6)
        assert np.nanmedian(big) == pytest.approx(1.0, abs=0.01)
    np.testing.assert_allclose(two.depth_m, expected, rtol=1e-6, equal_nan=True)
    assert np.nanmax(np.abs(np.log(two.depth_m / one.depth_m))) > 1e-3
    assert (np.isnan(two.depth_m) == np.isnan(one.depth_m)).all()


@pytest.mark.parametrize("name", ["eigen2014", "xian2018"])
@pytest.mark.parametrize("hw", [(376, 1160), (360, 640)])
def test_tile_sees_the_whole_wide_image_and_keeps_the_crop_in_the_middle(name, hw, onnx_files):
    """A 3.1:1 and a 16:9 frame: ``crop`` sees its middle, ``tile`` all of it (3 windows, the middle
    one crop's: a 16:9 frame, which 2 would cover, also takes 3), positive on every pixel it keeps,
    in the output kind's published quantity: eigen2014 metres, in crop's scale (where only the
    middle window reaches, ``tile`` is exactly ``crop``); xian2018 ``(t + c) / (1 + c)``, ``t = (z -
    z_min) / (z_med - z_min)`` over the whole image (c / (1 + c) at its nearest pixel, 1 at its
    median; ``processing.RELATIVE_NEAR_OFFSET``), a positive affine map of
    crop's where only the middle window reaches. Its network-input depth (what the motion network
    pairs with) is crop's; ``fits_for`` lists what runs."""
    rgb = np.random.default_rng(2).integers(0, 256, hw + (3,), dtype=np.uint8)
    crop = DepthEstimator.from_path(onnx_files[name], backend="onnxruntime", threads=1, resize_mode="crop")
    tile = DepthEstimator.from_path(onnx_files[name], backend="onnxruntime", threads=1, resize_mode="tile")
    windows = tile.fits_for(rgb.shape[:2])
    assert len(windows) == 3 and len(crop.fits_for(rgb.shape[:2])) == 1
    a, b = crop.estimate(rgb), tile.estimate(rgb)
    assert np.isfinite(a.depth_m).mean() <= a.fit.seen_mask().mean() < 0.9  # crop: its window only
    finite = np.isfinite(b.depth_m)
    assert finite.all() and np.all(b.depth_m > 0)  # tile: everything
    if name == "xian2018":  # c / (1 + c) at the image's nearest pixel, 1 at its median
        assert np.median(b.depth_m) == pytest.approx(1.0, abs=1e-3)
        assert np.min(b.depth_m) == pytest.approx(RELATIVE_NEAR_OFFSET / (1 + RELATIVE_NEAR_OFFSET), abs=1e-5)
    assert b.fit == a.fit.__class__(**{**a.fit.__dict__, "mode": "tile"})  # the motion network's window
    np.testing.assert_array_equal(b.net_depth, a.net_depth)
    only_middle = windows[1].seen_mask() & ~windows[0].seen_mask() & ~windows[2].seen_mask()
    if hw[1] > 2 * hw[0]:  # at 16:9 the outer windows overlap and cover the middle one
        assert only_middle.sum() > 0.02 * only_middle.size
        both = only_middle & finite & np.isfinite(a.depth_m)
        crop_there, tile_there = a.depth_m[both].astype(np.float64), b.depth_m[both].astype(np.float64)
        if name == "xian2018":  # renormalised over the image: crop's values under a positive affine map
            scale, shift = np.polyfit(crop_there, tile_there, 1)
            assert scale > 0
            crop_there = scale * crop_there + shift
        np.testing.assert_allclose(tile_there, crop_there, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["xian2018", "eigen2014", "li2020_depth"])
def test_tile_gives_positive_depth_on_the_whole_real_kitti_frame(name, shared_data):
    """KITTI odometry 00 frame 0 (1241x376, 3.3:1: 3 windows) with the bundled weights and the
    node's default flip: ``tile`` publishes a positive value on at least 95 % of the frame and no
    value <= 0. (xian2018's relative depth aligned to the middle window went below 0 on 9 % of
    it, all in the outer windows, before the merge was re-normalised over the whole frame.)"""
    import cv2

    from mono_depth_ros.inference.processing import DEFAULT_FLIP_AVERAGE
    from mono_depth_ros.inference.weights import default_weights_path

    grey = cv2.imread(str(shared_data / "kitti_odometry00_6frames" / "image_0" / "000000.png"), cv2.IMREAD_GRAYSCALE)
    est = DepthEstimator.from_path(default_weights_path(name), backend="torch", device="cpu", threads=2,
                                   resize_mode="tile", flip_average=DEFAULT_FLIP_AVERAGE)
    assert grey.shape == (376, 1241) and len(est.fits_for(grey.shape)) == 3
    depth = est.estimate(grey).depth_m
    finite = np.isfinite(depth)
    assert finite.mean() >= 0.95 and not np.any(depth[finite] <= 0)
    if name == "xian2018":  # the relative quantity over the whole frame
        assert np.median(depth[finite]) == pytest.approx(1.0, abs=1e-3)


def test_tile_logs_its_coverage_once_per_image_size_and_warns_where_pixels_stay_unseen(onnx_files, caplog):
    """``resize_mode: tile`` at 4:1, 1:4 and 1:10 on a 96x64 (3:2) network, two frames of each size:
    one coverage line per size (not per frame), with the numbers worked out by hand from
    core.fit.plan_tiles. 4:1 (400x100): 5 windows of 150x100 px, starts 0, 62, 125, 188, 250, so
    neighbours share >= 87/150 = 58 %, all pixels seen. 1:4 (100x400): 7 windows of 100x67 px (the
    MAX_TILES cap), starts 0, 56, 111, 166, 222, 278, 333: still all seen, but neighbours share only
    11/67 = 16 % (below TILE_MIN_OVERLAP). 1:10 (64x640): 7 windows of 64x43 px leave 6 gaps, 339
    of 640 rows (47.0 % seen): one WARNING naming them, and exactly those rows are NaN."""
    import logging

    est = DepthEstimator.from_path(onnx_files["li2020_depth"], backend="onnxruntime", threads=1, resize_mode="tile")
    caplog.set_level(logging.INFO, logger="mono_depth_ros.inference.depth_estimator")
    rng = np.random.default_rng(0)
    depths = {}
    for hw in [(100, 400), (400, 100), (640, 64)] * 2:
        depths[hw] = est.estimate(rng.integers(0, 256, hw + (3,), dtype=np.uint8)).depth_m
    lines = [(r.levelno, r.getMessage()) for r in caplog.records if "resize_mode tile" in r.getMessage()]
    assert len(lines) == 3  # once per size
    wide, tall, thin = (text for _, text in lines)
    assert [level for level, _ in lines] == [logging.INFO, logging.INFO, logging.WARNING]
    assert wide.startswith("resize_mode tile: a 400x100 image runs 5 windows of 150x100 px (5 inferences a frame")
    assert "sharing >= 58% of a window: the network sees 100.0% of its pixels" in wide
    assert "runs 7 windows of 100x67 px" in tall and ">= 16% of a window: the network sees 100.0%" in tall
    assert "runs 7 windows of 64x43 px" in thin and "the network sees 47.0% of its pixels" in thin
    assert "339 rows in 6 gaps between its windows (y 43-99, 143-198, 242-297, 341-397, ...) are NaN" in thin
    assert np.isfinite(depths[(100, 400)]).all() and np.isfinite(depths[(400, 100)]).all()
    unseen = np.ones(640, dtype=bool)
    for y0 in (0, 100, 199, 298, 398, 498, 597):
        unseen[y0:y0 + 43] = False
    thin_depth = depths[(640, 64)]
    assert unseen.sum() == 339 and np.isnan(thin_depth[unseen]).all() and np.isfinite(thin_depth[~unseen]).all()


def test_tile_coverage_counts_windows_overlap_and_gaps():
    """depth_estimator.tile_coverage on core.fit.plan_tiles windows (no network): a KITTI frame (1241x376)
    on a 160x120 network takes 3 windows of 501x376 px sharing >= 26 %; one that fits is one window."""
    from mono_depth_ros.inference.depth_estimator import tile_coverage
    from mono_depth_ros.inference.processing import plan_windows

    kitti = tile_coverage(plan_windows((376, 1241), (120, 160), "tile"))
    assert (kitti.windows, kitti.window_hw, kitti.unseen, kitti.seen_fraction) == (3, (376, 501), (), 1.0)
    assert kitti.min_overlap == pytest.approx((501 - 370) / 501, abs=1e-9)  # starts 0, 370, 740
    same = tile_coverage(plan_windows((480, 640), (120, 160), "tile"))
    assert (same.windows, same.seen_fraction, same.unseen) == (1, 1.0, ())
    assert "runs 1 window of 640x480 px (2 inferences a frame" in same.describe(2)


def test_motion_flip_average_makes_the_estimate_mirror_equivariant(onnx_files, input_hw):
    """``motion_flip_average: always``: the motion of a mirrored pair is the mirror of the pair's
    motion (M R M, M t with M = diag(-1, 1, 1)), to float precision; one pass is not (a random
    network has no such symmetry). The averaged estimate is the mean of the two passes."""
    from mono_depth_ros.inference.ego_motion_estimator import AUTO_FLIPS_MOTION, motion_flip_enabled, \
        unmirror_motion

    h, w = input_hw["li2020_motion"]  # the network's own size: mirroring the frame mirrors the input
    rng = np.random.default_rng(5)
    rgb_a = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    rgb_b = np.roll(rgb_a, 2, axis=1)
    depth = np.linspace(2.0, 6.0, w, dtype=np.float32)[None].repeat(h, 0)
    mirror = lambda image: np.ascontiguousarray(image[:, ::-1])  # noqa: E731
    M = np.diag([-1.0, 1.0, 1.0, 1.0])
    poses = {}
    for mode in ("never", "always"):
        est = EgoMotionEstimator.from_path(onnx_files["li2020_motion"], backend="onnxruntime", threads=1,
                                           refinement="none", flip_average=mode)
        assert est.flip_average is (mode == "always")
        direct = est.estimate(rgb_a, depth, rgb_b, depth)
        mirrored = est.estimate(mirror(rgb_a), mirror(depth), mirror(rgb_b), mirror(depth))
        poses[mode] = (direct, mirrored)
    flipped, flipped_mirror = poses["always"]
    np.testing.assert_allclose(M @ flipped_mirror.T_b_from_a @ M, flipped.T_b_from_a, atol=1e-6)
    np.testing.assert_allclose(flipped_mirror.residual_translation[:, ::-1] * [-1, 1, 1],
                               flipped.residual_translation, atol=1e-6)
    assert flipped.intrinsics.cx == pytest.approx(w - 1 - flipped_mirror.intrinsics.cx, abs=1e-4)
    one, one_mirror = poses["never"]
    assert np.abs(M @ one_mirror.T_b_from_a @ M - one.T_b_from_a)[:3, 3].max() > 1e-5
    # the mean of the direct and the mapped-back mirrored pass
    np.testing.assert_allclose(flipped.T_b_from_a[:3, 3], 0.5 * (one.T_b_from_a[:3, 3]
                               + (M @ one_mirror.T_b_from_a @ M)[:3, 3]), atol=1e-6)
    outputs = (np.array([[0.1, -0.2, 0.3]]), np.array([[1.0, 2.0, 3.0]]), rng.normal(size=(1, 3, 2, 4)),
               np.array([[[5.0, 0, 1.0], [0, 6.0, 2.0], [0, 0, 1]]]))
    for a, b in zip(unmirror_motion(unmirror_motion(outputs, 4), 4), outputs):  # its own inverse
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert motion_flip_enabled("always") and not motion_flip_enabled("never")
    assert motion_flip_enabled("auto") is AUTO_FLIPS_MOTION
    with pytest.raises(InputError, match="motion_flip_average"):
        EgoMotionEstimator.from_path(onnx_files["li2020_motion"], backend="onnxruntime", flip_average="on")


def test_motion_intrinsics_camera_re_expresses_the_rotation_for_the_cameras_focal_length(onnx_files, rgb):
    """``motion_intrinsics: camera`` (the default since stage 25's li2020): with the camera's intrinsics given, the rotation
    about x and y is scaled by f_learned / f_camera (a pixel shift s is a rotation s / f), the roll
    and the translation stay; without intrinsics, or with ``learned``, the network's estimate."""
    from mono_depth_ros.core.transforms import matrix_to_axis_angle
    from mono_depth_ros.inference.ego_motion_estimator import with_camera_intrinsics

    depth = np.full(rgb.shape[:2], 4.0, np.float32)
    rgb_b = np.roll(rgb, 3, axis=1)
    est = EgoMotionEstimator.from_path(onnx_files["li2020_motion"], backend="onnxruntime", threads=1,
                                       refinement="none")
    assert est.motion_intrinsics == "camera"  # the default
    plain = est.estimate(rgb, depth, rgb_b, depth)
    learned = plain.intrinsics
    camera = CameraIntrinsics(120, 90, 2.0 * learned.fx, 0.5 * learned.fy, 59.5, 44.5)
    fixed = est.estimate(rgb, depth, rgb_b, depth, camera)
    r_plain, r_fixed = matrix_to_axis_angle(plain.T_b_from_a[:3, :3]), matrix_to_axis_angle(fixed.T_b_from_a[:3, :3])
    assert np.abs(r_plain[:2]).min() > 1e-6  # the check bites: both scaled components are non-zero
    np.testing.assert_allclose(r_fixed, r_plain * [2.0, 0.5, 1.0], rtol=1e-6, atol=1e-12)
    np.testing.assert_array_equal(fixed.T_b_from_a[:3, 3], plain.T_b_from_a[:3, 3])
    # the full form (rejected on validation, kept for benchmarks/sweep_motion_intrinsics.py) scales x/y too
    full = with_camera_intrinsics(plain, camera, translation=True)
    np.testing.assert_allclose(full.T_b_from_a[:3, 3], plain.T_b_from_a[:3, 3] * [0.5, 2.0, 1.0], rtol=1e-9)
    other_size = CameraIntrinsics(240, 180, 100.0, 100.0, 119.5, 89.5)  # not this image's: left alone
    np.testing.assert_array_equal(est.estimate(rgb, depth, rgb_b, depth, other_size).T_b_from_a, plain.T_b_from_a)
    est.motion_intrinsics = "learned"
    np.testing.assert_array_equal(est.estimate(rgb, depth, rgb_b, depth, camera).T_b_from_a, plain.T_b_from_a)
    with pytest.raises(InputError, match="motion_intrinsics"):
        EgoMotionEstimator.from_path(onnx_files["li2020_motion"], backend="onnxruntime", motion_intrinsics="given")


def test_axis_angle_round_trip_including_half_turns():
    from mono_depth_ros.core.transforms import axis_angle_to_matrix, matrix_to_axis_angle

    rng = np.random.default_rng(2)
    vectors = [np.zeros(3), np.array([1e-9, 0, 0]), np.array([0.0, np.pi, 0.0]), np.array([0, 0, np.pi - 1e-4])]
    vectors += list(rng.normal(size=(20, 3)))
    for v in vectors:
        back = matrix_to_axis_angle(axis_angle_to_matrix(v))
        assert 0 <= np.linalg.norm(back) <= np.pi + 1e-9
        np.testing.assert_allclose(axis_angle_to_matrix(back), axis_angle_to_matrix(v), atol=1e-9)
    np.testing.assert_allclose(matrix_to_axis_angle(axis_angle_to_matrix([0.1, -0.2, 0.3])), [0.1, -0.2, 0.3])
