"""Held-out textures (``textures="heldout"``): the validation sequences' twins whose photographic
surfaces come from photographs no training render uses. The geometry, the camera and the depth
must be the same pixel for pixel (only the surfaces change), and no held-out photograph may be one
of the training photographs."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.synth import SynthConfig, SyntheticSequence
from mono_depth_ros.synth.textures import HELDOUT_PHOTOS, PHOTOS, _photo


@pytest.mark.parametrize("scene", ["indoor", "street", "desk"])
def test_heldout_twin_has_the_same_depth_and_other_pixels(scene):
    frames = {}
    for textures in ("photos", "heldout"):
        seq = SyntheticSequence(SynthConfig(frames=3, seed=9003, size_wh=(80, 60), scene=scene, layout="rich",
                                            textures=textures, camera="real", look="real"))
        frames[textures] = seq.frame(2)
    a, b = frames["photos"], frames["heldout"]
    np.testing.assert_array_equal(a.depth_m, b.depth_m)
    differ = np.abs(a.rgb.astype(int) - b.rgb.astype(int)).max(axis=2) > 8
    assert differ.mean() > 0.3, differ.mean()  # most surfaces are photographs or noise-modulated photos


def test_heldout_photographs_are_real_photos_not_in_the_training_bank():
    assert not set(HELDOUT_PHOTOS) & set(PHOTOS)
    train = [_photo(name) for name in PHOTOS]
    for name in HELDOUT_PHOTOS:
        img = _photo(name)
        assert img.ndim == 3 and img.shape[2] == 3 and min(img.shape[:2]) >= 400, (name, img.shape)
        assert 0.1 < float(img.std()) < 0.45, (name, img.std())  # a photograph, not a flat or binary image
        assert all(t.shape != img.shape or not np.allclose(t, img) for t in train), name


@pytest.mark.parametrize("argv, textures", [(["--realistic", "--textures", "heldout"], "heldout"),
                                            (["--realistic"], "photos"), ([], "basic"),
                                            (["--textures", "heldout"], "heldout")])
def test_synth_cli_keeps_an_explicit_textures_under_realistic(argv, textures):
    import argparse

    from training.cli.synth import add_parser, synth_options

    parser = add_parser(argparse.ArgumentParser().add_subparsers())
    assert synth_options(parser.parse_args(["--out", "x", *argv]))["textures"] == textures
