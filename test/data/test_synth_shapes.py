"""`training synth --shapes curved`: the cylinders and ellipsoids inscribed in some boxes, their exact
depth, normals and shadows, and what the pass turns round (and what it leaves a box)."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.synth import SynthConfig, SyntheticSequence
from mono_depth_ros.synth.lighting import Lighting, occluded
from mono_depth_ros.synth.raycast import Raycaster
from mono_depth_ros.synth.scene import build_scene
from mono_depth_ros.synth.shapes import round_props
from mono_depth_ros.synth.solids import local_interval, local_normals
from mono_depth_ros.synth.textures import Texture
from mono_depth_ros.synth.world import Scene, box


def _rays(*dirs):
    d = np.asarray(dirs, np.float32)
    return d[:, 0], d[:, 1], d[:, 2]


def test_ellipsoid_interval_is_the_analytic_one():
    half = np.array([2.0, 1.0, 0.5])
    # from x = -10 along +x through the centre: enters at x = -2, leaves at x = +2
    near, far = local_interval("ellipsoid", half, (-10.0, 0.0, 0.0), _rays((1, 0, 0), (0, 1, 0), (1, 0, 0.04)))
    assert near[0] == pytest.approx(8.0) and far[0] == pytest.approx(12.0)
    assert near[1] > far[1]  # along +y from (-10, 0, 0): misses
    # the third ray: z = 0.04 t, x = -10 + t; (x/2)^2 + (z/0.5)^2 = 1 solved directly
    t = np.roots([0.25 + 0.0064, -5.0, 25.0 - 1.0])
    assert sorted([near[2], far[2]]) == pytest.approx(sorted(t.real), abs=1e-4)


def test_cylinder_interval_sides_caps_and_the_axis():
    half = np.array([0.5, 0.5, 1.0])
    origin = (-5.0, 0.0, 0.0)
    near, far = local_interval("cylinder", half, origin, _rays((1, 0, 0), (1, 0, 0.5), (1, 0, 0.1)))
    assert near[0] == pytest.approx(4.5) and far[0] == pytest.approx(5.5)  # through the side
    assert near[1] > far[1]  # climbs above the top (z = 2.25 at x = -0.5) before it reaches the side
    assert near[2] == pytest.approx(4.5) and far[2] == pytest.approx(5.5)
    # from above, straight down the axis: the top cap at z = 1, the bottom at z = -1
    near, far = local_interval("cylinder", half, (0.2, 0.0, 5.0), _rays((0, 0, -1), (0, 0, -1)))
    assert near[0] == pytest.approx(4.0) and far[0] == pytest.approx(6.0)
    near, far = local_interval("cylinder", half, (0.7, 0.0, 5.0), _rays((0, 0, -1)))  # outside the disc
    assert near[0] > far[0]
    with pytest.raises(ValueError, match="expected cylinder or ellipsoid"):
        local_interval("cone", half, origin, _rays((1, 0, 0)))


def test_normals_point_outward_and_caps_are_flat():
    half = np.array([2.0, 1.0, 0.5])
    pts = np.array([[2.0, 0, 0], [0, -1.0, 0], [0, 0, 0.5]], np.float32)
    np.testing.assert_allclose(local_normals("ellipsoid", half, pts), [[1, 0, 0], [0, -1, 0], [0, 0, 1]], atol=1e-6)
    angle = 0.7
    p = np.array([[2 * np.cos(angle), np.sin(angle), 0.1]], np.float32)  # the side of an elliptic cylinder
    expected = np.array([np.cos(angle) / 2, np.sin(angle), 0.0])
    np.testing.assert_allclose(local_normals("cylinder", half, p)[0], expected / np.linalg.norm(expected), atol=1e-5)
    cap = np.array([[0.3, 0.2, -0.5]], np.float32)
    np.testing.assert_allclose(local_normals("cylinder", half, cap)[0], [0, 0, -1])


def _camera_and_pose(size: int = 121):
    """A 90 deg camera at the origin looking along world +x (optical z = world x)."""
    f = (size - 1) / 2.0
    cam = CameraIntrinsics(size, size, f, f, f, f)
    T = np.eye(4)
    T[:3, :3] = np.array([[0, 0, 1], [-1, 0, 0], [0, -1, 0]], float)  # columns: optical x, y, z in world
    return cam, T


def _scene(shape: str, sun=(0.0, 0.0, 1.0)) -> Scene:
    tex = [Texture(np.full((8, 8, 3), 160, np.uint8), 1.0)]
    obj = box([5.0, 0.0, 0.0], [1.0, 1.0, 1.0], 0)
    obj.shape = shape
    return Scene("t", [obj], tex, sky=False, sun_dir=np.asarray(sun, float), length_m=10.0, half_width_m=2.0,
                 ambient=0.2)


@pytest.mark.parametrize("shape", ["ellipsoid", "cylinder"])
def test_rendered_depth_is_the_optical_z_of_the_solid(shape):
    cam, T = _camera_and_pose()
    rgb, depth = Raycaster(_scene(shape), cam).render(T, 0.0)
    c = 60
    assert depth[c, c] == pytest.approx(4.0, abs=1e-4)  # the nearest point, straight ahead
    v, u = np.mgrid[0:cam.height, 0:cam.width]
    x, y = (u - c) / cam.fx, (v - c) / cam.fy  # the ray of each pixel, world (1, -x, -y) per unit depth
    hit = np.isfinite(depth)
    if shape == "ellipsoid":  # unit sphere at 5 m: hit where the ray passes within 1 m of the centre
        expected = (5.0 ** 2) * (x ** 2 + y ** 2) / (1 + x ** 2 + y ** 2) < 1.0
        z = depth[hit]
        # every hit lies on the sphere
        np.testing.assert_allclose((z - 5.0) ** 2 + (x[hit] * z) ** 2 + (y[hit] * z) ** 2, 1.0, atol=2e-3)
    else:
        expected = (np.abs(y) * 4.0 <= 1.0 + 1e-9) & ((5.0 ** 2) * x ** 2 / (1 + x ** 2) < 1.0)
        side = hit & (np.abs(y * depth) < 0.999)
        np.testing.assert_allclose((depth[side] - 5.0) ** 2 + (x[side] * depth[side]) ** 2, 1.0, atol=2e-3)
    boundary = np.abs(np.diff(expected.astype(int), axis=1)).sum()
    assert np.sum(hit != expected) <= boundary + 4  # at most the silhouette's pixels
    # a round solid is shaded round: brighter at the top (the sun is overhead), not one flat face
    top, middle = rgb[c - 10:c - 8, c - 2:c + 3].mean(), rgb[c - 1:c + 2, c - 2:c + 3].mean()
    assert top > middle + 10 if shape == "ellipsoid" else abs(top - middle) < 3


def test_a_round_solid_casts_its_own_shadow():
    sphere = box([0.0, 0.0, 2.0], [0.5, 0.5, 0.5], 0)
    sphere.shape = "ellipsoid"
    square = box([0.0, 0.0, 2.0], [0.5, 0.5, 0.5], 0)
    # rays straight up from the ground; (0.45, 0.45) is under the cube's corner but outside the sphere
    origins = np.array([[0.0, 0.0, 0.0], [0.3, 0.0, 0.0], [0.45, 0.45, 0.0], [0.8, 0.0, 0.0]])
    dirs = np.tile([0.0, 0.0, 1.0], (4, 1))
    skip, limit = np.full(4, -1), np.full(4, np.inf)
    assert occluded([sphere], [sphere.center_m], skip, origins, dirs, limit).tolist() == [True, True, False, False]
    assert occluded([square], [square.center_m], skip, origins, dirs, limit).tolist() == [True, True, True, False]
    # and the renderer lights with the solid's normals and shadows (one pass, lighting on)
    cam, T = _camera_and_pose()
    lighting = Lighting(np.array([0.0, 0.0, 1.0]), 0.3, None, 0.0, ao_strength=0.0)
    rgb, depth = Raycaster(_scene("ellipsoid"), cam, lighting).render(T, 0.0)
    assert rgb[50:52, 58:63].mean() > rgb[68:70, 58:63].mean() + 20  # lit top, dark underside


def test_round_props_turns_posts_blobs_and_slabs_and_leaves_walls():
    tex = [Texture(np.full((8, 8, 3), 160, np.uint8), 1.0)]
    room = box([0, 0, 1.5], [10, 4, 1.5], 0, inside=True)
    wall = box([9.9, 0, 1.5], [0.1, 4, 1.5], 0)
    poster = box([3, 3.9, 1.5], [0.5, 0.02, 0.4], 0)
    boxes = [room, wall, poster] + [box([i, 0, 0.85], [0.18, 0.25, 0.85], 0) for i in range(200)]  # people
    boxes += [box([i, 1, 4.0], [1.5, 1.5, 1.5], 0) for i in range(200)]  # crowns
    boxes += [box([i, -1, 0.7], [0.6, 0.4, 0.02], 0) for i in range(200)]  # table tops
    scene = Scene("t", boxes, tex, sky=False, sun_dir=np.array([0, 0, 1.0]), length_m=10.0, half_width_m=2.0)
    count = round_props(scene, np.random.default_rng(0))
    shapes = [b.shape for b in scene.boxes]
    assert shapes[:3] == ["box", "box", "box"]  # the room, a wall and a poster stay boxes
    people, crowns, tops = shapes[3:203], shapes[203:403], shapes[403:]
    assert set(people) <= {"cylinder", "box"} and 0.75 < people.count("cylinder") / 200 < 0.95
    assert 0.45 < crowns.count("ellipsoid") / 200 < 0.65 and 0.12 < crowns.count("cylinder") / 200 < 0.28
    assert set(tops) <= {"cylinder", "box"} and 0.25 < tops.count("cylinder") / 200 < 0.45
    assert count == sum(s != "box" for s in shapes)


def test_curved_scenes_keep_the_layout_and_draw_from_their_own_stream():
    for name in ("indoor", "street", "desk"):
        flat = build_scene(name, 31, 20.0, 1, layout="rich", textures="photos")
        curved = build_scene(name, 31, 20.0, 1, layout="rich", textures="photos", shapes="curved")
        assert len(flat.boxes) == len(curved.boxes)
        for a, b in zip(flat.boxes, curved.boxes):  # the same boxes in the same places
            np.testing.assert_array_equal(a.center_m, b.center_m)
            np.testing.assert_array_equal(a.half_m, b.half_m)
        assert sum(b.shape != "box" for b in curved.boxes) >= 3, name
        assert all(b.shape == "box" for b in flat.boxes)
        again = build_scene(name, 31, 20.0, 1, layout="rich", textures="photos", shapes="curved")
        assert [b.shape for b in again.boxes] == [b.shape for b in curved.boxes]
    with pytest.raises(ValueError, match="shapes='round': expected one of"):
        build_scene("indoor", 1, 20.0, shapes="round")


def test_a_curved_sequence_renders_the_same_path_and_camera():
    common = dict(frames=3, seed=12, size_wh=(80, 60), scene="street", layout="rich", textures="photos",
                  camera="real", look="real", stereo=True)
    flat, curved = SyntheticSequence(SynthConfig(**common)), SyntheticSequence(SynthConfig(**common, shapes="curved"))
    a, b = flat.frame(2), curved.frame(2)
    np.testing.assert_array_equal(a.T_odom_optical, b.T_odom_optical)
    assert flat.camera == curved.camera
    assert np.isfinite(b.depth_m).any() and b.right_rgb is not None
    with pytest.raises(ValueError, match="shapes="):
        SynthConfig(shapes="round").validate()
