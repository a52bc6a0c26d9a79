"""Procedural scenes made of textured oriented boxes (a ground plane is a thin, huge box).

World frame = ``odom`` (REP 103: x forward, y left, z up), metres. A box may move: its centre
follows ``center_m + motion_axis_m * triangle_wave(t / period_s)`` so it goes back and forth and
stays inside the scene. Rooms are boxes seen from inside (``inside=True``).
"""

from __future__ import annotations

import numpy as np

from mono_depth_ros.synth.layouts import build_desk, build_indoor_rich, build_street_rich
from mono_depth_ros.synth.textures import HELDOUT_PHOTOS, PHOTOS, make_texture
from mono_depth_ros.synth.shapes import SHAPE_MODES, round_props
from mono_depth_ros.synth.world import Box, Scene  # noqa: F401  (re-exported: the scene's types)
from mono_depth_ros.synth.world import box as _box
from mono_depth_ros.synth.world import unit as _unit

SCENES = ("indoor", "street", "desk")
LAYOUTS = ("basic", "rich")
TEXTURE_MODES = ("basic", "photos", "heldout")  # heldout: validation only, never a training render


def _moving(rng: np.random.Generator, scene: Scene, count: int, tex_ids: list[int],
            height_m: float, size_range_m: tuple[float, float]) -> None:
    """Append ``count`` boxes moving back and forth across or along the camera path."""
    for _ in range(count):
        x = rng.uniform(6.0, max(8.0, scene.length_m - 4.0))
        half = rng.uniform(*size_range_m, size=3)
        half[2] = min(half[2], height_m / 2)
        across = rng.random() < 0.5
        axis = np.array([0.0, scene.half_width_m * 0.9, 0.0]) if across else np.array([3.0, 0.0, 0.0])
        y = 0.0 if across else rng.choice([-1.0, 1.0]) * scene.half_width_m * 0.55
        scene.boxes.append(_box([x, y, half[2]], half, int(rng.choice(tex_ids)),
                                yaw_rad=rng.uniform(-0.4, 0.4), motion_axis_m=axis,
                                period_s=rng.uniform(3.0, 6.0)))


def build_indoor(rng: np.random.Generator, length_m: float, moving_objects: int, mk=make_texture) -> Scene:
    """A long room / corridor with furniture, pillars, and photo posters on the walls."""
    tex = [
        mk(rng, "camera", (0.95, 0.92, 0.85), 2.0, noise_mix=0.6),   # 0 walls
        mk(rng, "gravel", (0.75, 0.6, 0.45), 1.5, noise_mix=0.3),    # 1 floor
        mk(rng, None, (0.92, 0.92, 0.9), 3.0, noise_mix=0.25),       # 2 ceiling
        mk(rng, "brick", (1.0, 1.0, 1.0), 1.2),                      # 3 brick wall
        mk(rng, "astronaut", (1.0, 1.0, 1.0), 1.2, noise_mix=0.05),  # 4 poster
        mk(rng, "coffee", (1.0, 1.0, 1.0), 1.0, noise_mix=0.05),     # 5 poster
        mk(rng, "chelsea", (1.0, 1.0, 1.0), 0.9, noise_mix=0.05),    # 6 poster
        mk(rng, "rocket", (1.0, 1.0, 1.0), 1.5, noise_mix=0.1),      # 7 furniture
        mk(rng, None, (0.55, 0.35, 0.2), 0.8, noise_mix=0.5),        # 8 wood
    ]
    half_w, half_h = 2.5, 1.5
    room_len = length_m + 8.0
    walls = (3, 3, 0, 0, 1, 2)  # -x, +x, -y, +y, floor, ceiling
    boxes = [_box([room_len / 2 - 4.0, 0.0, half_h], [room_len / 2, half_w, half_h], walls, inside=True)]
    scene = Scene("indoor", boxes, tex, sky=False, sun_dir=_unit([0.3, 0.5, 0.8]),
                  length_m=length_m, half_width_m=1.2)
    x = 1.5
    while x < room_len - 5.0:
        side = rng.choice([-1.0, 1.0])
        kind = rng.random()
        if kind < 0.35:  # poster on the wall
            boxes.append(_box([x, side * (half_w - 0.02), 1.5], [0.6, 0.02, 0.45], int(rng.choice([4, 5, 6]))))
        elif kind < 0.7:  # cabinet / table against the wall
            h = rng.uniform(0.4, 1.0)
            boxes.append(_box([x, side * (half_w - 0.45), h], [rng.uniform(0.3, 0.7), 0.4, h],
                              int(rng.choice([7, 8])), yaw_rad=rng.uniform(-0.2, 0.2)))
        else:  # pillar
            boxes.append(_box([x, side * (half_w - 0.3), half_h], [0.25, 0.25, half_h], 0))
        x += rng.uniform(1.5, 3.0)
    _moving(rng, scene, moving_objects, [7, 8, 5], 1.6, (0.2, 0.45))
    return scene


def build_street(rng: np.random.Generator, length_m: float, moving_objects: int, mk=make_texture) -> Scene:
    """A street: road, sidewalks, building facades on both sides, parked cars, trees."""
    tex = [
        mk(rng, "gravel", (0.45, 0.45, 0.47), 2.0, noise_mix=0.3),   # 0 road
        mk(rng, "gravel", (0.85, 0.82, 0.78), 1.0, noise_mix=0.2),   # 1 sidewalk
        mk(rng, "brick", (1.0, 1.0, 1.0), 2.5),                      # 2 brick
        mk(rng, "camera", (1.0, 0.95, 0.85), 6.0, noise_mix=0.4),    # 3 facade
        mk(rng, "rocket", (1.0, 1.0, 1.0), 8.0, noise_mix=0.2),      # 4 facade
        mk(rng, None, (0.7, 0.1, 0.1), 1.0, noise_mix=0.4),          # 5 red car
        mk(rng, None, (0.15, 0.25, 0.6), 1.0, noise_mix=0.4),        # 6 blue car
        mk(rng, "grass", (1.0, 1.0, 1.0), 1.5),                      # 7 foliage/grass
        mk(rng, "coffee", (1.0, 1.0, 1.0), 3.0, noise_mix=0.1),      # 8 billboard
    ]
    road_half = 4.0
    scene = Scene("street", [], tex, sky=True, sun_dir=_unit([0.4, 0.6, 0.7]),
                  length_m=length_m, half_width_m=2.0)
    far = length_m + 80.0
    boxes = scene.boxes
    boxes.append(_box([far / 2 - 20.0, 0.0, -0.05], [far / 2, 40.0, 0.05], 0))
    for side in (-1.0, 1.0):
        boxes.append(_box([far / 2 - 20.0, side * (road_half + 1.5), 0.06], [far / 2, 1.5, 0.06], 1))
        x = -15.0
        while x < far - 25.0:
            width = rng.uniform(6.0, 14.0)
            height = rng.uniform(6.0, 18.0)
            depth = rng.uniform(6.0, 10.0)
            y = side * (road_half + 3.0 + rng.uniform(0.0, 1.5) + depth / 2)
            boxes.append(_box([x + width / 2, y, height / 2], [width / 2, depth / 2, height / 2],
                              int(rng.choice([2, 3, 4]))))
            if rng.random() < 0.3:  # billboard on the facade
                boxes.append(_box([x + width / 2, y - side * (depth / 2 + 0.05), 3.5],
                                  [min(2.0, width / 2 - 0.5), 0.05, 1.2], 8))
            x += width + rng.uniform(0.0, 3.0)
        x = 3.0
        while x < length_m + 20.0:
            if rng.random() < 0.5:  # parked car
                boxes.append(_box([x, side * (road_half - 1.1), 0.75], [2.1, 0.9, 0.75],
                                  int(rng.choice([5, 6])), yaw_rad=rng.uniform(-0.05, 0.05)))
            else:  # tree crown on a trunk
                boxes.append(_box([x, side * (road_half + 1.8), 1.4], [0.15, 0.15, 1.4], 8))
                boxes.append(_box([x, side * (road_half + 1.8), 3.4], [1.0, 1.0, 0.9], 7))
            x += rng.uniform(5.0, 10.0)
    _moving(rng, scene, moving_objects, [5, 6], 1.8, (0.6, 1.8))
    return scene


def photo_texture_maker(rng: np.random.Generator, plain_fraction: float = 0.6, heldout: bool = False):
    """A ``make_texture`` stand-in for ``textures="photos"``: ground-like photographs (gravel,
    grass, brick) keep their kind but take a random crop and scale; other photographic surfaces
    take a random crop of a random skimage photograph; plain surfaces (paint, wood) become
    photographs with probability ``1 - plain_fraction``. With ``heldout`` (``textures="heldout"``)
    every photographic surface, the ground-like ones too, takes a crop of one of the held-out
    photographs (``HELDOUT_PHOTOS``) instead, with the same random draws: the same scene, path and
    look, surfaces no training render shows."""
    names = sorted(HELDOUT_PHOTOS if heldout else PHOTOS)

    def mk(rng_, photo, base_rgb, size_m, noise_mix=0.35):
        if photo is None and rng.random() < plain_fraction:
            return make_texture(rng_, None, base_rgb, size_m, noise_mix)
        if photo in _GROUND_PHOTOS:  # no draw here, as before: the other surfaces' draws stay the same
            name = names[_GROUND_PHOTOS.index(photo) % len(names)] if heldout else photo
        else:
            name = str(rng.choice(names))
        return make_texture(rng_, name, base_rgb, size_m * rng.uniform(0.6, 1.6), min(noise_mix, 0.4), crop=True)

    return mk


_GROUND_PHOTOS = ("gravel", "grass", "brick")


def build_scene(name: str, seed: int, length_m: float, moving_objects: int = 0, layout: str = "basic",
                textures: str = "basic", shapes: str = "boxes") -> Scene:
    """Deterministic scene ``name`` ("indoor" | "street" | "desk") for ``seed``; ``layout`` "basic" |
    "rich" (see layouts.py; "desk" has one layout, ``build_desk``), ``textures`` "basic" (fixed photo
    per surface) | "photos" (random crops) | "heldout" (random crops of photographs no training
    render uses: validation only), ``shapes`` "boxes" | "curved" (some boxes become the cylinder or
    ellipsoid inscribed in them, shapes.py; its own random stream)."""
    if name not in SCENES:
        raise ValueError(f"scene={name!r}: expected one of {SCENES}")
    if moving_objects < 0:
        raise ValueError(f"moving_objects={moving_objects}: must be >= 0")
    if layout not in LAYOUTS:
        raise ValueError(f"layout={layout!r}: expected one of {LAYOUTS}")
    if textures not in TEXTURE_MODES:
        raise ValueError(f"textures={textures!r}: expected one of {TEXTURE_MODES}")
    if shapes not in SHAPE_MODES:
        raise ValueError(f"shapes={shapes!r}: expected one of {SHAPE_MODES}")
    rng = np.random.default_rng(seed)
    mk = (photo_texture_maker(np.random.default_rng((seed, 17)), heldout=textures == "heldout")
          if textures in ("photos", "heldout") else make_texture)
    if name == "desk":  # one layout: close range is what it is for
        builder = build_desk
    elif layout == "rich":
        builder = build_indoor_rich if name == "indoor" else build_street_rich
    else:
        builder = build_indoor if name == "indoor" else build_street
    scene = builder(rng, float(length_m), int(moving_objects), mk)
    if shapes == "curved":
        round_props(scene, np.random.default_rng((seed, 29)))
    return scene
