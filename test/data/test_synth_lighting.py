"""`training synth --lighting shadows`: cast shadows where the geometry puts them, a lamp's fall-off,
darkened creases, and the flat light of every earlier render left exactly as it was."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.synth import SynthConfig, SyntheticSequence
from mono_depth_ros.synth.lighting import Lighting, crease_darkening, lamp_falloff, occluded, sample_lighting
from mono_depth_ros.synth.raycast import Raycaster
from mono_depth_ros.synth.textures import Texture
from mono_depth_ros.synth.world import Scene, box


def _grey_scene(sun_dir) -> Scene:
    """A flat grey ground (z <= 0) and a 1 m cube floating 1 m above it at x = 4, y = 0."""
    tex = [Texture(np.full((8, 8, 3), 160, np.uint8), 1.0)]
    boxes = [box([0.0, 0.0, -0.05], [50.0, 50.0, 0.05], 0), box([4.0, 0.0, 1.5], [0.5, 0.5, 0.5], 0)]
    return Scene("street", boxes, tex, sky=False, sun_dir=np.asarray(sun_dir, float), length_m=10.0,
                 half_width_m=2.0, ambient=0.4)


def _camera_looking_down(size: int = 160):
    """A 90 deg camera at (4, 6, 4) m looking at (4, 0, 0): it sees the ground under the cube from
    the side, past the cube."""
    f = size / 2.0
    cam = CameraIntrinsics(size, size, f, f, (size - 1) / 2.0, (size - 1) / 2.0)
    position = np.array([4.0, 6.0, 4.0])
    forward = np.array([4.0, 0.0, 0.0]) - position
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    T = np.eye(4)
    T[:3, :3] = np.stack([right, np.cross(forward, right), forward], axis=1)  # optical x right, y down, z ahead
    T[:3, 3] = position
    return cam, T


def _ground_xy(cam, T, depth):
    v, u = np.mgrid[0:cam.height, 0:cam.width]
    rays = np.stack([(u - cam.cx) / cam.fx, (v - cam.cy) / cam.fy, np.ones_like(u, float)], -1)
    points = T[:3, 3] + (rays * np.where(np.isfinite(depth), depth, 0.0)[..., None]) @ T[:3, :3].T
    return points[..., 0], points[..., 1], points[..., 2]


@pytest.mark.parametrize("sun", [(0.0, 0.0, 1.0), (0.6, 0.0, 0.8)])
def test_shadow_falls_where_the_sun_projects_the_cube(sun):
    scene = _grey_scene(sun)
    cam, T = _camera_looking_down()
    lighting = Lighting(np.asarray(sun, float), 0.4, None, 0.0, ao_strength=0.0)
    rgb, depth = Raycaster(scene, cam, lighting).render(T, 0.0)
    x, y, z = _ground_xy(cam, T, depth)
    ground = (np.abs(z) < 1e-3) & np.isfinite(depth)
    # the cube's shadow on the ground: the ray towards the sun crosses the cube's x span [3.5, 4.5]
    # somewhere while it climbs through the cube's z span [1, 2] (y is untouched: the sun has no y)
    sx, sz = sun[0], sun[2]
    x_lo, x_hi = x + sx * 1.0 / sz, x + sx * 2.0 / sz  # the ray's x at z = 1 and z = 2
    margin = 0.1
    in_shadow = ground & (np.abs(y) < 0.5 - margin) & (x_hi > 3.5 + margin) & (x_lo < 4.5 - margin)
    near_shadow = (np.abs(y) < 0.5 + margin) & (x_hi > 3.5 - margin) & (x_lo < 4.5 + margin)
    lit = ground & ~near_shadow
    assert in_shadow.sum() > 20 and lit.sum() > 200
    grey = rgb[..., 0].astype(float)
    # shadowed ground: ambient only; lit ground: ambient + direct (Lambert cos = sun z); one exposure for both
    expected_ratio = 0.4 / (0.4 + 0.6 * sun[2])
    assert np.median(grey[in_shadow]) / np.median(grey[lit]) == pytest.approx(expected_ratio, abs=0.03)
    assert np.ptp(grey[lit]) <= 2.0  # no shadow outside it


def test_flat_light_has_no_shadow_and_is_unchanged_by_the_new_code():
    scene = _grey_scene((0.0, 0.0, 1.0))
    cam, T = _camera_looking_down()
    rgb, depth = Raycaster(scene, cam).render(T, 0.0)
    x, y, z = _ground_xy(cam, T, depth)
    ground = (np.abs(z) < 1e-3) & np.isfinite(depth)
    grey = rgb[..., 0].astype(float)
    assert np.ptp(grey[ground]) <= 1.0  # the ground under the cube is as bright as the rest
    assert np.median(grey[ground]) == pytest.approx(160.0, abs=1.0)  # ambient + (1 - ambient) * cos 0 = 1


def test_occluded_segments():
    cube = box([0.0, 0.0, 0.0], [0.5, 0.5, 0.5], 0)
    origins = np.array([[-2.0, 0.0, 0.0], [-2.0, 0.9, 0.0], [-2.0, 0.0, 0.0], [-2.0, 0.0, 0.0]])
    dirs = np.tile([1.0, 0.0, 0.0], (4, 1))
    limit = np.array([np.inf, np.inf, 1.0, np.inf])  # ray 2 stops 0.5 m before the cube
    skip = np.array([-1, -1, -1, 0])  # ray 3 starts on the cube itself
    assert occluded([cube], [cube.center_m], skip, origins, dirs, limit).tolist() == [True, False, False, False]
    room = box([0.0, 0.0, 0.0], [5.0, 5.0, 5.0], 0, inside=True)  # rooms seen from inside never occlude
    assert not occluded([room], [room.center_m], np.array([-1]), origins[:1], dirs[:1], limit[:1]).any()


def test_lamp_falloff_is_one_at_reference_and_decreases():
    d = np.array([0.2, 1.5, 3.0, 6.0])
    fall = lamp_falloff(d, 4.0)
    assert fall[1] == pytest.approx(1.0)
    assert fall[0] <= 1.5 and np.all(np.diff(fall) < 0)
    assert fall[3] == pytest.approx((1 + (1.5 / 4) ** 2) / (1 + (6 / 4) ** 2), rel=1e-5)


def test_crease_darkening_darkens_a_corner_not_a_plane_nor_a_depth_edge():
    w = 80
    plane = np.full((60, w), 3.0, np.float32)
    assert crease_darkening(plane, 0.5).min() == pytest.approx(1.0)
    # two walls meeting in a corner, far at the middle: a plane's inverse depth is affine in the pixel
    corner = (1.0 / (1.0 / 3.0 + 0.02 * np.abs(np.arange(w) - w / 2)))[None, :].repeat(60, 0).astype(np.float32)
    dark = crease_darkening(corner, 0.5)
    assert dark[30, w // 2] < 0.9 and dark[30, w // 2] == dark.min() and dark[30, 5] == pytest.approx(1.0, abs=0.02)
    edge = np.where(np.arange(w) < w // 2, 1.0, 3.0)[None, :].repeat(60, 0).astype(np.float32)  # x3: a depth edge
    assert crease_darkening(edge, 0.5).min() > 0.99


def test_sequence_lighting_keeps_the_geometry_and_is_deterministic():
    def render(lighting, seed=3, scene="indoor"):
        seq = SyntheticSequence(SynthConfig(frames=3, seed=seed, size_wh=(80, 60), scene=scene, layout="rich",
                                            textures="photos", camera="real", look="real", lighting=lighting))
        return seq, seq.frame(2)

    flat_seq, flat = render("flat")
    lit_seq, lit = render("shadows")
    _, again = render("shadows")
    assert flat_seq.lighting is None and lit_seq.lighting.lamp_m is not None
    np.testing.assert_array_equal(flat.depth_m, lit.depth_m)  # same scene, path and camera
    np.testing.assert_array_equal(lit.rgb, again.rgb)
    assert np.abs(flat.rgb.astype(int) - lit.rgb.astype(int)).mean() > 2.0
    room = [b for b in lit_seq.scene.boxes if b.inside][0]
    assert np.all(np.abs(lit_seq.lighting.lamp_m - room.center_m) <= room.half_m)  # the lamp is in the room
    street_seq, _ = render("shadows", seed=4, scene="street")
    assert street_seq.lighting.lamp_m is None and 0.25 < street_seq.lighting.sun_dir[2] < 0.91


def test_sample_lighting_is_drawn_from_its_rng():
    seq = SyntheticSequence(SynthConfig(frames=1, seed=9, size_wh=(40, 30), scene="desk"))
    a = sample_lighting(np.random.default_rng(1), seq.scene)
    b = sample_lighting(np.random.default_rng(1), seq.scene)
    assert a.describe() == b.describe() and "lamp" in a.describe()


def test_cli_rejects_an_unknown_lighting(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "training", "synth", "--out", str(tmp_path / "b"), "--frames", "1",
                           "--lighting", "studio"], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "--lighting" in proc.stderr and "studio" in proc.stderr
