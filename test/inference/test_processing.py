"""Pre/post-processing: fitting with core.fit, normalisation, output kinds, exact intrinsics."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.fit import plan_fit
from mono_depth_ros.inference.processing import (MIN_IMAGE_SIDE_PX, MOTION_DEPTH_FLOOR, RELATIVE_NEAR_OFFSET,
                                                 DepthResult, as_rgb8,
                                                 intrinsics_to_source, motion_depth_plane, normalize_relative,
                                                 plan_input, postprocess_depth, preprocess)
from mono_depth_ros.inference.spec import get_spec


def test_preprocess_fits_and_scales():
    rgb = np.zeros((60, 80, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 255, 51, 0
    x = preprocess(rgb, get_spec("li2020_depth"), plan_fit((60, 80), (30, 40), "crop"))
    assert x.shape == (1, 3, 30, 40) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, :, 5, 5], [1.0, 0.2, 0.0], atol=1e-6)


def test_crop_keeps_the_aspect_ratio_and_centre():
    # a 60x160 image with a bright centre column block; crop to 30x40 keeps the central 60x80
    rgb = np.zeros((60, 160, 3), np.uint8)
    rgb[:, 76:84] = 255
    fit = plan_input((60, 160), (30, 40), "crop")
    assert (fit.src_x0, fit.src_w, fit.src_h) == (40, 80, 60)
    x = preprocess(rgb, get_spec("li2020_depth"), fit)[0, 0]
    np.testing.assert_allclose(x[:, 18:22], 1.0) and x[:, :18].max() == 0.0 and x[:, 22:].max() == 0.0
    stretched = preprocess(rgb, get_spec("li2020_depth"), plan_input((60, 160), (30, 40), "stretch"))[0, 0]
    assert stretched[0].sum() == pytest.approx(2.0)  # squashed x4 horizontally, 8 columns -> 2
    assert x[0].sum() == pytest.approx(4.0)  # crop: x2 in both axes, 8 columns -> 4


def test_mono_is_fed_as_grey_rgb():
    mono = np.full((40, 50), 102, np.uint8)
    assert as_rgb8(mono).shape == (40, 50, 3) and (as_rgb8(mono[:, :, None]) == 102).all()
    x = preprocess(mono, get_spec("xian2018"), plan_fit((40, 50), (20, 20), "pad"))
    np.testing.assert_allclose(x, 0.4, atol=1e-6)


@pytest.mark.parametrize("bad, match", [(np.zeros((4, 4, 2), np.uint8), "expected a uint8"),
                                        (np.zeros((40, 40, 3), np.float32), "expected a uint8"),
                                        ("image", "expected a uint8"),
                                        (np.zeros((MIN_IMAGE_SIDE_PX - 1, 64, 3), np.uint8), "at least 16x16")])
def test_bad_images_are_rejected(bad, match):
    with pytest.raises(InputError, match=match):
        preprocess(bad, get_spec("eigen2014"), plan_fit((40, 40), (20, 20), "crop"))


def test_log_depth_becomes_metres_and_unseen_is_nan():
    raw = np.full((1, 1, 8, 10), np.log(2.5), np.float32)
    fit = plan_fit((16, 40), (8, 10), "crop")  # wider image: 10 columns cropped left and right
    result = postprocess_depth(raw, get_spec("eigen2014"), fit)
    assert result.is_metric and result.depth_m.shape == (16, 40) and result.fit == fit
    np.testing.assert_allclose(result.depth_m[:, 10:30], 2.5, rtol=1e-6)
    assert np.isnan(result.depth_m[:, :10]).all() and np.isnan(result.depth_m[:, 30:]).all()
    np.testing.assert_allclose(result.net_depth, 2.5, rtol=1e-6)


def test_log_depth_is_resampled_in_log_space():
    raw = np.log(np.array([[[[1.0, 4.0]]]], np.float32))
    fit = plan_fit((1, 3), (1, 2), "stretch")
    # the middle pixel of 3 lies halfway between the two network pixels: exp(mean log) = 2, not 2.5
    assert postprocess_depth(raw, get_spec("eigen2014"), fit).depth_m[0, 1] == pytest.approx(2.0, rel=1e-5)


def test_coarse_output_spans_the_input_view():
    raw = np.log(np.array([[[[1.0, 4.0], [1.0, 4.0]]]], np.float32))  # 2x2 output of an 8x8 input
    result = postprocess_depth(raw, get_spec("eigen2014"), plan_fit((8, 16), (8, 8), "crop"))
    assert result.net_depth.shape == (8, 8) and np.isnan(result.depth_m[:, :4]).all()
    assert result.depth_m[0, 4] == pytest.approx(1.0) and result.depth_m[0, 11] == pytest.approx(4.0)


def test_pad_border_is_dropped_when_mapping_back():
    raw = np.full((1, 1, 20, 20), 7.0, np.float32)
    raw[0, 0, :5] = raw[0, 0, 15:] = -1.0  # what the network says on the replicated border
    fit = plan_fit((30, 60), (20, 20), "pad")  # content 10x20 at rows 5..14
    result = postprocess_depth(raw, get_spec("li2020_depth"), fit)
    assert (fit.net_top, fit.content_h) == (5, 10)
    np.testing.assert_allclose(result.depth_m, 7.0)  # the whole image seen, no border value leaks


def test_up_to_scale_depth_is_not_metric_and_invalid_is_nan():
    raw = np.ones((1, 1, 4, 4), np.float32) * 3.0
    raw[0, 0, 0, 0] = np.inf
    result = postprocess_depth(raw, get_spec("li2020_depth"), plan_fit((4, 4), (4, 4)))
    assert not result.is_metric and np.isnan(result.depth_m[0, 0]) and result.depth_m[2, 2] == 3.0


def test_relative_depth_is_offset_at_min_one_at_median_not_clipped():
    raw = np.arange(100, dtype=np.float32).reshape(1, 1, 10, 10) * -7.0 + 40.0
    raw[0, 0, 0, 0] = 1e4  # an outlier is kept (no percentile clipping)
    depth = postprocess_depth(raw, get_spec("xian2018"), plan_fit((10, 10), (10, 10))).depth_m
    z, c = raw[0, 0], RELATIVE_NEAR_OFFSET
    z_min, z_med = z.min(), np.median(z)
    np.testing.assert_allclose(depth[0, 0], ((1e4 - z_min) / (z_med - z_min) + c) / (1 + c), rtol=1e-5)
    assert c == 0.35 and depth[9, 9] == pytest.approx(c / (1 + c))  # the nearest pixel: 0.26, valid
    assert np.median(depth) == pytest.approx(1.0, abs=0.02) and np.isfinite(depth).all()
    assert np.all(np.diff(depth.ravel()[1:]) < 0)  # order kept
    np.testing.assert_allclose(normalize_relative(np.array([[40.0, 33.0, 26.0]]), offset=0.0), [[2.0, 1.0, 0.0]])
    assert np.isnan(normalize_relative(np.full((2, 2), np.nan))).all()
    assert np.isnan(normalize_relative(np.full((2, 2), 3.0))).all()  # no spread: nothing to say


def test_relative_statistics_ignore_the_pad_border():
    raw = np.zeros((1, 1, 20, 20), np.float32)
    raw[0, 0, 5:15] = np.linspace(1.0, 3.0, 20)[None, :]  # content rows; border rows 0 (below min)
    fit = plan_fit((30, 60), (20, 20), "pad")
    net = postprocess_depth(raw, get_spec("xian2018"), fit).net_depth
    # over the content z_min = 1, z_median = 2: t = (z - 1) / 1; with the border it would be (z - 0) / 2
    c = RELATIVE_NEAR_OFFSET
    np.testing.assert_allclose(net[5:15, 19], (2.0 + c) / (1 + c), rtol=1e-6)
    np.testing.assert_allclose(net[5:15, 0], c / (1 + c), rtol=1e-6)  # the content's nearest pixel
    assert np.isnan(net[:5]).all()  # the border, below the content's zero: invalid


def test_intrinsics_round_trip_exactly():
    cam = CameraIntrinsics(1241, 376, 718.856, 718.856, 607.1928, 185.2157)
    for mode in ("crop", "pad", "stretch"):
        fit = plan_input((376, 1241), (128, 416), mode)
        net = fit.intrinsics(cam)
        back = intrinsics_to_source(fit, net)
        np.testing.assert_allclose([back.fx, back.fy, back.cx, back.cy], [cam.fx, cam.fy, cam.cx, cam.cy],
                                   rtol=1e-12, atol=1e-9)
        assert (back.width, back.height) == (1241, 376)
    crop = plan_input((376, 1241), (128, 416), "crop").intrinsics(cam)
    assert crop.fx == pytest.approx(crop.fy)  # aspect kept: square pixels stay square (KITTI fx=fy)


def test_motion_depth_uses_net_depth_of_the_same_fit():
    fit = plan_fit((30, 60), (10, 10), "crop")
    net = np.arange(100, dtype=np.float32).reshape(10, 10) + 1
    camera = np.full((30, 60), 5.0, np.float32)
    same = DepthResult(camera, False, net, fit)
    np.testing.assert_array_equal(motion_depth_plane(same, fit, "d"), net)
    net[0, 0], net[0, 1] = np.nan, 1e-5  # an underflow (NaN after postprocess) and a tiny depth
    floored = motion_depth_plane(same, fit, "d")
    assert floored[0, 0] == floored[0, 1] == np.float32(MOTION_DEPTH_FLOOR) and floored[0, 2] == 3.0
    other = DepthResult(camera, False, net, plan_fit((30, 60), (10, 10), "pad"))
    np.testing.assert_array_equal(motion_depth_plane(other, fit, "d"), 5.0)
    camera[0, 15:45] = np.nan  # the whole first row the crop sees
    plane = motion_depth_plane(camera, fit, "d")
    assert plane[0].max() == 0.0 and (plane[1:] == 5.0).all()  # invalid fed as 0
    with pytest.raises(InputError, match="d.shape"):
        motion_depth_plane(camera[:10], fit, "d")


def test_postprocess_rejects_bad_shapes():
    fit = plan_fit((4, 4), (4, 4))
    with pytest.raises(InputError, match="raw"):
        postprocess_depth(np.ones((1, 2, 4, 4)), get_spec("eigen2014"), fit)
    with pytest.raises(InputError, match="output_kind"):
        postprocess_depth(np.ones((1, 1, 4, 4)), get_spec("li2020_motion"), fit)
    with pytest.raises(InputError, match="resize_mode"):
        plan_input((40, 40), (20, 20), "squash")


@pytest.mark.parametrize("kind", ["metric_depth", "relative_depth", "relative_inverse_depth"])
def test_merged_tiles_follow_the_middle_window_and_cover_the_image(kind):
    """Windows that each see the same scene up to their own scale (depth kinds) or affine map
    (relative depth) merge into that scene over the whole image, no seams: in the middle window's
    units for depth, in the kind's published quantity over the whole image for relative kinds.
    The scene is nearest in the left window (below anything the middle one sees): aligned to the
    middle window, that is below the middle's 0, yet the merge stays positive, 0 only at the
    image's nearest pixel (c / (1 + c), as in one window) and 1 at its median."""
    import dataclasses

    from mono_depth_ros.core.fit import plan_tiles
    from mono_depth_ros.inference.processing import merge_tiles

    hw = (376, 1241)
    yy, xx = np.mgrid[0:hw[0], 0:hw[1]].astype(np.float32)
    scene = 2.0 + 3.0 * (xx / hw[1]) ** 2 + np.sin(yy / 37.0)  # any smooth positive depth field
    tiles = plan_tiles(hw, (96, 128))
    assert len(tiles) == 3
    assert scene[tiles[0].seen_mask()].min() < scene[tiles[1].seen_mask()].min()
    maps = [(0.5, -0.7), (1.0, 0.0), (3.0, 1.5)] if kind == "relative_depth" else [(0.5, 0.0), (1.0, 0.0), (2.0, 0.0)]
    results = []
    for fit, (a, b) in zip(tiles, maps):
        seen = np.where(fit.seen_mask(), a * scene + b, np.nan).astype(np.float32)
        if kind == "relative_depth":  # as postprocess_depth publishes a window
            seen = normalize_relative(seen)
        results.append(DepthResult(seen, kind == "metric_depth", None, fit))
    spec = get_spec("eigen2014" if kind == "metric_depth" else "xian2018")
    spec = dataclasses.replace(spec, output_kind=kind) if kind == "relative_inverse_depth" else spec
    merged = merge_tiles(results, spec)
    expected = {"metric_depth": scene, "relative_depth": normalize_relative(scene),
                "relative_inverse_depth": scene * np.median(1.0 / scene)}[kind]  # median(d) / d, d = 1 / scene
    finite = np.isfinite(merged.depth_m)
    assert merged.fit == tiles[1] and finite.all()
    assert np.all(merged.depth_m[finite] > 0)
    np.testing.assert_allclose(merged.depth_m[finite], expected[finite], rtol=1e-4, atol=1e-4)
    if kind == "relative_depth":  # the documented quantity over the whole image, not the middle window
        c = RELATIVE_NEAR_OFFSET  # the image's nearest pixel, not the middle window's
        assert merged.depth_m.ravel()[np.argmin(scene)] == pytest.approx(c / (1 + c), abs=1e-4)
        assert np.median(merged.depth_m[finite]) == pytest.approx(1.0, abs=1e-4)
    # a window whose error grows across it (alignment cannot remove that) is blended with a ramp
    # across the overlap [370, 501): the merged depth has no step there, unlike a hard cut
    warped = np.where(tiles[0].seen_mask(), scene * (1.0 + 0.3 * xx / 501.0), np.nan).astype(np.float32)
    results[0] = DepthResult(warped, results[0].is_metric, None, tiles[0])
    merged = merge_tiles(results, spec).depth_m
    own_step = np.abs(np.diff(scene[:, 350:520], axis=1)).max()
    cut = np.where(xx < 436, np.nan_to_num(warped), scene)  # windows cut at the overlap's middle
    assert np.abs(np.diff(cut[:, 350:520], axis=1)).max() > 20 * own_step
    published_step = np.abs(np.diff(expected[:, 350:520], axis=1)).max()  # the scene's step in merge units
    assert np.abs(np.diff(merged[:, 350:520], axis=1)).max() < 5 * published_step


def _striped_depth_and_edge_image(hw: tuple[int, int] = (120, 160)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(depth with horizontal bands the image does not have, the image: a bright left half and a dark
    right half, the banded depth's clean version: 2 m left, 6 m right)."""
    h, w = hw
    clean = np.where(np.arange(w)[None, :] < w // 2, 2.0, 6.0).repeat(h, axis=0).astype(np.float32)
    bands = np.where((np.arange(h) // 4) % 2 == 0, 1.15, 1 / 1.15)[:, None].astype(np.float32)
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[:, : w // 2] = 200
    rgb[:, w // 2:] = 40
    return clean * bands, rgb, clean


@pytest.mark.parametrize("hw", [(120, 160), (480, 640), (376, 1241)])
def test_guided_filter_removes_bands_the_image_lacks_and_keeps_its_edges(hw):
    """Bands of +-15 % down the image, not in the guide: the filter takes most of them out, and the
    2 m / 6 m step at the image's edge stays a step (columns a couple of working pixels either side
    of it keep their depth within 5 %), at the camera size and through the reduced working size."""
    from mono_depth_ros.inference.processing import guided_filter_depth

    banded, rgb, clean = _striped_depth_and_edge_image(hw)
    out = guided_filter_depth(banded, rgb, 0.04, 1e-2)
    assert out.shape == banded.shape and out.dtype == np.float32
    err_before = np.abs(np.log(banded / clean)).mean()
    err_after = np.abs(np.log(out / clean)).mean()
    assert err_before == pytest.approx(np.log(1.15), rel=1e-3)
    assert err_after < 0.35 * err_before
    w = hw[1]
    inner, near = slice(hw[0] // 4, 3 * hw[0] // 4), 2 + w // 80  # 1-2 working pixels
    np.testing.assert_allclose(np.median(out[inner, w // 2 - near - 1]), 2.0, rtol=0.05)
    np.testing.assert_allclose(np.median(out[inner, w // 2 + near]), 6.0, rtol=0.05)


def test_guided_filter_keeps_scale_nan_and_a_flat_map():
    """A constant map stays that constant (metric scale kept), a map times k comes out times k
    (up-to-scale stays so), invalid pixels stay NaN and take no part, mono guides work."""
    from mono_depth_ros.inference.processing import guided_filter_depth

    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    flat = np.full((60, 80), 3.5, np.float32)
    np.testing.assert_allclose(guided_filter_depth(flat, rgb, 0.02, 1e-3), 3.5, rtol=1e-5)
    depth = rng.uniform(1.0, 8.0, (60, 80)).astype(np.float32)
    depth[:, :10] = 1e6  # a far block: the output stays finite beside it
    depth[:5] = np.nan
    depth[10, 10] = 0.0
    out = guided_filter_depth(depth, rgb, 0.02, 1e-3)
    assert np.isnan(out[:5]).all() and np.isnan(out[10, 10]) and np.isfinite(out[5:, 11:]).all()
    np.testing.assert_allclose(guided_filter_depth(depth * 7.0, rgb, 0.02, 1e-3), out * 7.0, rtol=1e-4)
    mono = guided_filter_depth(depth, rgb[..., 0], 0.02, 1e-3)
    assert mono.shape == depth.shape and np.isnan(mono[:5]).all()
    empty = np.full((20, 30), np.nan, np.float32)
    assert np.isnan(guided_filter_depth(empty, rgb[:20, :30], 0.02, 1e-3)).all()


def test_guided_filter_setting_follows_the_validated_table():
    """auto: the bundled networks with their own (radius, eps), not a model card's; always: every
    network (a card's with the fallback); never: none; another word: a one-line error."""
    from mono_depth_ros.inference.processing import AUTO_GUIDED_FILTER, GUIDED_FILTER_FALLBACK, \
        guided_filter_setting

    for name, setting in AUTO_GUIDED_FILTER.items():
        assert guided_filter_setting("auto", name) == setting == guided_filter_setting("always", name)
        assert guided_filter_setting("never", name) is None
    assert guided_filter_setting("auto", "my_midas") is None
    assert guided_filter_setting("always", "my_midas") == GUIDED_FILTER_FALLBACK
    with pytest.raises(InputError, match="guided_filter='on'"):
        guided_filter_setting("on", "li2020_depth")
