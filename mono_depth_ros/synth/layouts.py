"""Rich layouts (``layout="rich"``): rooms and streets arranged like real ones.

Indoor: rooms of varied width, height and length (60 % end 1.5-6 m beyond the camera path, the
others are halls) with doors, windows, posters, shelves, cabinets,
tables and chairs along the walls and in the open middle, a closed far wall, and clutter near the
camera (things on tables, boxes, plants, people beside the path, objects ahead of its end). Street: a road of
varied width with lane markings, kerbs and sidewalks, facades of varied height and setback with
gaps of open space (grass, far trees), parked cars and vans (body + cabin), trees, poles,
pedestrians; a sky of varied colour. Moving objects are car- or person-sized (Li 2020's dynamic
objects). All drawn from the scene's ``rng``.
"""

from __future__ import annotations

import numpy as np

from mono_depth_ros.synth.world import Scene
from mono_depth_ros.synth.world import box as _box
from mono_depth_ros.synth.world import PATH_MARGIN_M
from mono_depth_ros.synth.world import unit as _unit

_CAR_COLOURS = ((0.7, 0.1, 0.1), (0.15, 0.25, 0.6), (0.85, 0.85, 0.85), (0.1, 0.1, 0.1), (0.5, 0.5, 0.52),
                (0.9, 0.8, 0.2), (0.2, 0.4, 0.25))


def _person(boxes, x, y, tex, **kw) -> None:
    boxes.append(_box([x, y, 0.85], [0.18, 0.25, 0.85], tex, yaw_rad=0.0, **kw))


def build_indoor_rich(rng: np.random.Generator, length_m: float, moving_objects: int, mk) -> Scene:
    """A room (3.2-8 m wide, 2.4-3.2 m high) with furniture; ``mk`` makes textures."""
    tex = [
        mk(rng, "camera", tuple(rng.uniform(0.75, 1.0, 3)), rng.uniform(1.0, 3.0), noise_mix=0.6),  # 0 walls
        mk(rng, str(rng.choice(["gravel", "brick", "coins"])), tuple(rng.uniform(0.5, 0.95, 3)), 1.5,
           noise_mix=0.3),                                                       # 1 floor
        mk(rng, None, (0.92, 0.92, 0.9), 3.0, noise_mix=0.25),                 # 2 ceiling
        mk(rng, "brick", (1.0, 1.0, 1.0), 1.2),                                 # 3 end walls
        mk(rng, "astronaut", (1.0, 1.0, 1.0), 1.2, noise_mix=0.05),             # 4 poster
        mk(rng, "coffee", (1.0, 1.0, 1.0), 1.0, noise_mix=0.05),                # 5 poster
        mk(rng, "page", (1.0, 1.0, 1.0), 0.8, noise_mix=0.1),                   # 6 books / shelf
        mk(rng, "rocket", (1.0, 1.0, 1.0), 1.5, noise_mix=0.1),                 # 7 furniture
        mk(rng, None, tuple(rng.uniform(0.3, 0.7, 3)), 0.8, noise_mix=0.5),     # 8 wood / door
        mk(rng, None, (0.95, 0.97, 1.0), 1.0, noise_mix=0.1),                   # 9 window light
        mk(rng, "chelsea", tuple(rng.uniform(0.6, 1.0, 3)), 0.6, noise_mix=0.3),  # 10 cloth (people, sofa)
    ]
    half_w, half_h = rng.uniform(1.6, 4.0), rng.uniform(1.2, 1.6)
    # the far wall stands 1.5-6 m beyond the end of the camera path in 60 % of rooms (a room: the
    # camera ends up close to it), 10.8-15.8 m beyond it in the others (a hall or corridor)
    end_gap = rng.uniform(1.5, 6.0) if rng.random() < 0.6 else rng.uniform(10.8, 15.8)
    path_end_x = length_m - PATH_MARGIN_M
    room_len = path_end_x + 4.2 + end_gap  # the room box spans x from -4 to room_len - 4
    far_wall_x = room_len - 4.2  # path_end_x + end_gap
    tops: list = []  # table tops, for things to stand on
    walls = (3, 3, 0, 0, 1, 2)
    boxes = [_box([room_len / 2 - 4.0, 0.0, half_h], [room_len / 2, half_w, half_h], walls, inside=True)]
    scene = Scene("indoor", boxes, tex, sky=False, sun_dir=_unit(rng.uniform([-0.5, -0.5, 0.4], [0.5, 0.5, 1.0])),
                  length_m=length_m, half_width_m=min(1.2, 0.45 * half_w), ambient=float(rng.uniform(0.35, 0.75)))
    for side in (-1.0, 1.0):
        x = rng.uniform(-3.0, 1.0)
        while x < room_len - 5.0:
            kind, wall_y = rng.random(), side * half_w
            if kind < 0.15:  # door, flush with the wall
                boxes.append(_box([x, wall_y - side * 0.02, 1.0], [0.45, 0.03, 1.0], 8))
            elif kind < 0.27:  # window
                boxes.append(_box([x, wall_y - side * 0.02, 1.5], [rng.uniform(0.4, 1.0), 0.03, 0.5], 9))
            elif kind < 0.40:  # poster
                boxes.append(_box([x, wall_y - side * 0.02, 1.5], [0.5, 0.02, 0.4], int(rng.choice([4, 5]))))
            elif kind < 0.58:  # shelf full of books
                h = rng.uniform(0.8, min(1.1, half_h))
                boxes.append(_box([x, wall_y - side * 0.2, h], [rng.uniform(0.4, 0.9), 0.2, h], (8, 8, 8, 8, 8, 8)
                                  if rng.random() < 0.3 else (6, 6, 6, 6, 8, 8)))
            elif kind < 0.75:  # cabinet / sofa
                h = rng.uniform(0.3, 0.6)
                boxes.append(_box([x, wall_y - side * 0.45, h], [rng.uniform(0.4, 1.0), 0.4, h],
                                  int(rng.choice([7, 8, 10])), yaw_rad=rng.uniform(-0.1, 0.1)))
            else:  # table with legs and a chair
                tops.append(_table(boxes, rng, x, wall_y - side * 0.6))
            x += rng.uniform(0.8, 2.5)
    if half_w > 2.4:  # open middle of a wide room: tables and boxes off the camera path
        for x in np.arange(rng.uniform(2.0, 4.0), room_len - 6.0, rng.uniform(3.0, 6.0)):
            y = rng.choice([-1.0, 1.0]) * rng.uniform(1.3, half_w - 0.9)
            tops.append(_table(boxes, rng, float(x), float(y)))
    boxes.append(_box([far_wall_x, 0.0, half_h], [0.1, half_w, half_h], int(rng.choice([0, 3, 8]))))
    for _ in range(moving_objects):  # people walking across or along the room
        x = rng.uniform(3.0, max(4.0, min(length_m, room_len - 5.0)))
        across = rng.random() < 0.5
        axis = np.array([0.0, 0.8 * half_w - 0.3, 0.0]) if across else np.array([2.0, 0.0, 0.0])
        y = 0.0 if across else rng.choice([-1.0, 1.0]) * 0.6 * half_w
        _person(boxes, x, y, 10, motion_axis_m=axis, period_s=rng.uniform(4.0, 8.0))
    # drawn last, from a child stream, so that everything above is what it was before clutter existed
    _add_clutter(np.random.default_rng(int(rng.integers(2**62))), scene, mk, tops, half_w, path_end_x, far_wall_x)
    return scene


def _add_clutter(rng: np.random.Generator, scene: Scene, mk, tops: list, half_w: float, path_end_x: float,
                 far_wall_x: float) -> None:
    """Objects close to the camera, as real rooms have them: things on tables and desks, boxes,
    bins, plants, standing people and appliances beside the camera path, and in 60 % of rooms a
    group of objects ahead of the path's end, in the middle of the view in front of the far wall
    (a near object in the image centre; without it the centre of every room is its far end)."""
    tex = scene.textures
    first = len(tex)
    for name in ("astronaut", "coffee", "chelsea", "rocket", "page", None, None):
        colour = tuple(rng.uniform(0.3, 1.0, 3)) if name is None else tuple(rng.uniform(0.8, 1.0, 3))
        tex.append(mk(rng, name, colour, float(rng.uniform(0.3, 1.2)), noise_mix=float(rng.uniform(0.05, 0.5))))
    obj_tex = list(range(first, len(tex)))
    boxes = scene.boxes
    for top in tops:  # table tops: books, cups, a monitor or a laptop
        for _ in range(int(rng.integers(0, 5))):
            hx, hy = float(top.half_m[0]), float(top.half_m[1])
            size = rng.uniform([0.04, 0.04, 0.03], [0.25, 0.2, 0.22])
            cx = float(top.center_m[0]) + rng.uniform(-1, 1) * max(0.0, hx - size[0])
            cy = float(top.center_m[1]) + rng.uniform(-1, 1) * max(0.0, hy - size[1])
            boxes.append(_box([cx, cy, float(top.center_m[2]) + 0.02 + size[2]], size, int(rng.choice(obj_tex)),
                              yaw_rad=rng.uniform(-0.8, 0.8)))

    def thing(x: float, y: float) -> None:
        kind = rng.random()
        if kind < 0.2:  # standing person
            _person(boxes, x, y, int(rng.choice(obj_tex)))
            return
        if kind < 0.35:  # plant: pot and foliage
            boxes.append(_box([x, y, 0.2], [0.18, 0.18, 0.2], int(rng.choice(obj_tex))))
            boxes.append(_box([x, y, 0.75], [rng.uniform(0.2, 0.45)] * 2 + [0.35], int(rng.choice(obj_tex))))
            return
        half = rng.uniform([0.12, 0.12, 0.15], [0.6, 0.5, 0.9])  # box, bin, appliance, cabinet
        faces = tuple(int(t) for t in rng.choice(obj_tex, 6))
        boxes.append(_box([x, y, half[2]], half, faces, yaw_rad=rng.uniform(-0.8, 0.8)))
        if rng.random() < 0.4:  # something stacked on it
            small = half * rng.uniform(0.3, 0.8, 3)
            boxes.append(_box([x, y, 2 * half[2] + small[2]], small, int(rng.choice(obj_tex)),
                              yaw_rad=rng.uniform(-0.8, 0.8)))

    for side in (-1.0, 1.0):  # beside the path, 0.8 m or more from it
        if half_w < 1.3:
            continue
        for x in np.arange(rng.uniform(-2.0, 2.0), far_wall_x - 0.8, rng.uniform(1.5, 4.0)):
            if rng.random() < 0.6:
                thing(float(x + rng.uniform(-0.4, 0.4)), side * float(rng.uniform(0.9, max(1.0, half_w - 0.4))))
    if rng.random() < 0.6 and far_wall_x - path_end_x > 1.5:  # ahead, in the middle of the view
        for _ in range(int(rng.integers(1, 4))):
            x = float(rng.uniform(path_end_x + 1.0, far_wall_x - 0.5))
            thing(x, float(rng.uniform(-0.6, 0.6) * max(0.3, half_w - 0.5)))


def _table(boxes, rng, x: float, y: float):
    """A table (top, four legs) and maybe a chair; returns the top's Box."""
    top_h = rng.uniform(0.7, 0.78)
    hx, hy = rng.uniform(0.35, 0.8), rng.uniform(0.3, 0.5)
    top = _box([x, y, top_h], [hx, hy, 0.02], 8)
    boxes.append(top)
    for sx in (-1, 1):
        for sy in (-1, 1):
            boxes.append(_box([x + sx * (hx - 0.05), y + sy * (hy - 0.05), top_h / 2], [0.025, 0.025, top_h / 2], 8))
    if rng.random() < 0.6:  # a chair beside it
        cx = x + rng.choice([-1, 1]) * (hx + 0.3)
        boxes.append(_box([cx, y, 0.23], [0.22, 0.22, 0.23], 7))
        boxes.append(_box([cx, y + 0.2, 0.7], [0.22, 0.02, 0.25], 7))
    return top


def build_street_rich(rng: np.random.Generator, length_m: float, moving_objects: int, mk) -> Scene:
    """A street (road 6-14 m wide) with markings, sidewalks, facades, open space and cars."""
    tex = [
        mk(rng, "gravel", tuple([rng.uniform(0.3, 0.5)] * 3), 2.0, noise_mix=0.3),      # 0 road
        mk(rng, "gravel", (0.85, 0.82, 0.78), 1.0, noise_mix=0.2),                      # 1 sidewalk
        mk(rng, "brick", (1.0, 1.0, 1.0), 2.5),                                         # 2 brick facade
        mk(rng, "camera", tuple(rng.uniform(0.7, 1.0, 3)), 6.0, noise_mix=0.4),         # 3 facade
        mk(rng, "rocket", (1.0, 1.0, 1.0), 8.0, noise_mix=0.2),                         # 4 facade
        mk(rng, None, (0.95, 0.95, 0.92), 1.0, noise_mix=0.1),                          # 5 markings
        mk(rng, "grass", (1.0, 1.0, 1.0), 1.5),                                         # 6 grass / foliage
        mk(rng, None, (0.35, 0.25, 0.18), 1.0, noise_mix=0.5),                          # 7 trunks / poles
        mk(rng, "coffee", (1.0, 1.0, 1.0), 3.0, noise_mix=0.1),                         # 8 billboard
        mk(rng, "chelsea", (0.8, 0.8, 0.9), 0.6, noise_mix=0.3),                        # 9 people
        mk(rng, None, (0.2, 0.25, 0.3), 1.0, noise_mix=0.2),                            # 10 car windows
    ] + [mk(rng, None, c, 1.0, noise_mix=0.35) for c in _CAR_COLOURS]                # 11.. car paint
    car_tex = list(range(11, 11 + len(_CAR_COLOURS)))
    road_half = rng.uniform(4.0, 7.0)
    walk = rng.uniform(1.5, 3.5)
    scene = Scene("street", [], tex, sky=True, sun_dir=_unit(rng.uniform([-0.6, -0.6, 0.4], [0.6, 0.6, 1.0])),
                  length_m=length_m, half_width_m=2.0, ambient=float(rng.uniform(0.3, 0.7)))
    overcast = rng.random() < 0.35  # grey sky, flatter light
    top = (0.62, 0.64, 0.68) if overcast else (0.30 + rng.uniform(-0.08, 0.08), 0.5, 0.88)
    scene.sky_rgb = (top, (0.85, 0.86, 0.88) if overcast else (0.80, 0.88, 0.97))
    if overcast:
        scene.ambient = 0.8
    far = length_m + 100.0
    boxes = scene.boxes
    boxes.append(_box([far / 2 - 20.0, 0.0, -0.05], [far / 2 + 40.0, 80.0, 0.05], 0))
    for x in np.arange(-10.0, far - 20.0, rng.uniform(6.0, 12.0)):  # dashed centre line
        boxes.append(_box([x, 0.0, 0.003], [1.5, 0.07, 0.003], 5))
    for side in (-1.0, 1.0):
        boxes.append(_box([far / 2 - 20.0, side * (road_half - 0.3), 0.003], [far / 2, 0.07, 0.003], 5))
        boxes.append(_box([far / 2 - 20.0, side * (road_half + walk / 2), 0.08], [far / 2, walk / 2, 0.08], 1))
        x = -15.0
        while x < far - 25.0:
            width = rng.uniform(6.0, 16.0)
            if rng.random() < 0.2:  # open space: grass and far trees, no facade
                boxes.append(_box([x + width, side * (road_half + walk + 15.0), 0.02], [width, 15.0, 0.02], 6))
                for _ in range(int(rng.integers(1, 4))):
                    tx, ty = x + rng.uniform(0, 2 * width), side * (road_half + walk + rng.uniform(5, 28))
                    boxes.append(_box([tx, ty, 1.5], [0.2, 0.2, 1.5], 7))
                    boxes.append(_box([tx, ty, 4.0], [rng.uniform(1.0, 2.5)] * 2 + [1.5], 6))
                x += 2 * width
                continue
            height, depth = rng.uniform(4.0, 25.0), rng.uniform(6.0, 12.0)
            y = side * (road_half + walk + rng.uniform(0.0, 3.0) + depth / 2)
            boxes.append(_box([x + width / 2, y, height / 2], [width / 2, depth / 2, height / 2],
                              int(rng.choice([2, 3, 4]))))
            if rng.random() < 0.3:
                boxes.append(_box([x + width / 2, y - side * (depth / 2 + 0.05), 3.5],
                                  [min(2.0, width / 2 - 0.5), 0.05, 1.2], 8))
            x += width + rng.uniform(0.0, 4.0)
        x = rng.uniform(-2.0, 6.0)
        while x < length_m + 30.0:
            kind = rng.random()
            if kind < 0.55:  # parked car or van: body + cabin
                _car(boxes, rng, x, side * (road_half - 1.2), int(rng.choice(car_tex)))
            elif kind < 0.75:  # tree
                boxes.append(_box([x, side * (road_half + 0.8), 1.4], [0.15, 0.15, 1.4], 7))
                boxes.append(_box([x, side * (road_half + 0.8), 3.6], [rng.uniform(0.8, 1.6)] * 2 + [1.0], 6))
            elif kind < 0.88:  # pole / sign
                boxes.append(_box([x, side * (road_half + 0.4), 2.0], [0.05, 0.05, 2.0], 7))
            else:  # pedestrian on the sidewalk
                _person(boxes, x, side * (road_half + rng.uniform(0.5, walk - 0.3)), 9)
            x += rng.uniform(3.0, 9.0)
    for _ in range(moving_objects):  # cars driving in the lanes, people crossing
        x = rng.uniform(8.0, max(10.0, length_m))
        if rng.random() < 0.6:
            lane = rng.choice([-1.0, 1.0]) * road_half / 2
            _car(boxes, rng, x, lane, int(rng.choice(car_tex)), motion_axis_m=np.array([rng.uniform(4, 10), 0, 0]),
                 period_s=rng.uniform(3.0, 6.0))
        else:
            _person(boxes, x, 0.0, 9, motion_axis_m=np.array([0.0, road_half, 0.0]), period_s=rng.uniform(6.0, 10.0))
    return scene


def _car(boxes, rng, x: float, y: float, paint: int, **kw) -> None:
    van = rng.random() < 0.2
    half = [rng.uniform(2.0, 2.6), 0.9, 0.9] if van else [rng.uniform(1.9, 2.3), 0.88, 0.4]
    yaw = rng.uniform(-0.05, 0.05)
    boxes.append(_box([x, y, 0.25 + half[2]], half, paint, yaw_rad=yaw, **kw))
    if not van:  # cabin with windows, set back
        boxes.append(_box([x - 0.2, y, 1.3], [half[0] * 0.55, 0.8, 0.3], (paint, paint, 10, 10, paint, paint),
                          yaw_rad=yaw, **kw))


def build_desk(rng: np.random.Generator, length_m: float, moving_objects: int, mk) -> Scene:
    """Close range (``scene="desk"``): a row of desks and workbenches along the +y side of a room,
    crowded with monitors, keyboards, books, cups, boxes, lamps and
    plants, shelves and posters on the wall behind them (in 30 % of scenes the desks stand in the
    open, the wall 1.5-4 m behind), the far wall 1-4 m beyond the path's end. In half the scenes the
    camera path runs 0.1-0.3 m in front of the desk edge (the camera held over it, the nearest desk
    surface at the bottom of the view, as in TUM's desk sequences; no workbenches or chairs there,
    things at least 0.3 m in from the edge), in the other half 0.35-0.8 m (held back: floor and chairs
    at the bottom). The camera (``sample_rig(..., "desk")``) looks at the desks from above, as in
    Middlebury-like close-ups too: most depths between 0.4 and 3 m. Moving objects are things sliding
    along a desk. ``mk`` makes textures."""
    tex = [
        mk(rng, "camera", tuple(rng.uniform(0.75, 1.0, 3)), rng.uniform(1.0, 3.0), noise_mix=0.6),  # 0 walls
        mk(rng, str(rng.choice(["gravel", "brick", "coins"])), tuple(rng.uniform(0.5, 0.95, 3)), 1.5,
           noise_mix=0.3),                                                       # 1 floor
        mk(rng, None, (0.92, 0.92, 0.9), 3.0, noise_mix=0.25),                 # 2 ceiling
        mk(rng, None, tuple(rng.uniform(0.3, 0.9, 3)), 1.0, noise_mix=0.5),     # 3 desk tops
        mk(rng, None, (0.12, 0.12, 0.14), 0.5, noise_mix=0.15),                # 4 screens, keyboards
        mk(rng, "astronaut", (1.0, 1.0, 1.0), 0.6, noise_mix=0.05),             # 5 a lit screen / poster
        mk(rng, "page", (1.0, 1.0, 1.0), 0.5, noise_mix=0.1),                   # 6 books, paper
        mk(rng, None, tuple(rng.uniform(0.3, 0.7, 3)), 0.8, noise_mix=0.5),     # 7 wood: shelves, legs
    ]
    first = len(tex)
    for name in ("coffee", "chelsea", "rocket", "coins", "page", None, None, None):
        colour = tuple(rng.uniform(0.2, 1.0, 3)) if name is None else tuple(rng.uniform(0.8, 1.0, 3))
        tex.append(mk(rng, name, colour, float(rng.uniform(0.2, 0.8)), noise_mix=float(rng.uniform(0.05, 0.5))))
    obj = list(range(first, len(tex)))
    # half the scenes: the camera held over the near desk edge (a person standing or sitting at the
    # desk; the bottom of the view is the nearest desk surface, as in TUM's desk sequences); the other
    # half: held back from the desks (the bottom of the view is the floor or a chair in front of them)
    at_edge = rng.random() < 0.5
    front_m = rng.uniform(0.1, 0.3) if at_edge else rng.uniform(0.35, 0.8)  # desk front edge, from the path
    desk_depth_m = rng.uniform(0.55, 0.9)
    wall_gap_m = rng.uniform(0.0, 0.4) if rng.random() < 0.7 else rng.uniform(1.5, 4.0)
    half_w_m = front_m + desk_depth_m + wall_gap_m  # the room is symmetric about the path; the -y side is mostly unseen
    half_h_m = rng.uniform(1.2, 1.6)
    path_end_x_m = length_m - PATH_MARGIN_M
    far_wall_x_m = path_end_x_m + rng.uniform(1.0, 4.0)
    room_len_m = far_wall_x_m + 4.2
    boxes = [_box([room_len_m / 2 - 4.0, 0.0, half_h_m], [room_len_m / 2, half_w_m, half_h_m], (0, 0, 0, 0, 1, 2),
                  inside=True)]
    scene = Scene("desk", boxes, tex, sky=False, sun_dir=_unit(rng.uniform([-0.5, -0.5, 0.4], [0.5, 0.5, 1.0])),
                  length_m=length_m, half_width_m=0.15, ambient=float(rng.uniform(0.35, 0.75)))
    boxes.append(_box([far_wall_x_m + 0.1, 0.0, half_h_m], [0.1, half_w_m, half_h_m], int(rng.choice([0, 7]))))
    y_mid_m = front_m + desk_depth_m / 2
    tops = []
    x = -3.0
    while x < far_wall_x_m - 0.3:
        seg = min(float(rng.uniform(1.0, 2.4)), far_wall_x_m - 0.05 - x)
        workbench = not at_edge and rng.random() < 0.25  # the camera (>= 1.05 m) clears a desk it stands over
        top_h = rng.uniform(0.85, 0.95) if workbench else rng.uniform(0.7, 0.78)
        if at_edge or rng.random() < 0.85:  # a desk (always where the camera is held over its edge)
            top = _box([x + seg / 2, y_mid_m, top_h], [seg / 2, desk_depth_m / 2, 0.02], 3)
            boxes.append(top)
            tops.append(top)
            if rng.random() < 0.5:  # a cabinet under it, else legs
                boxes.append(_box([x + 0.3, y_mid_m, top_h / 2], [0.25, desk_depth_m / 2 - 0.03, top_h / 2 - 0.02], 7))
            else:
                for lx in (x + 0.05, x + seg - 0.05):
                    boxes.append(_box([lx, front_m + 0.05, top_h / 2], [0.025, 0.025, top_h / 2], 7))
            if front_m > 0.5 and rng.random() < 0.35:  # a chair in front of it, between the camera and the desk
                cx = x + rng.uniform(0.3, max(0.31, seg - 0.3))
                boxes.append(_box([cx, front_m - 0.05, 0.46], [0.22, 0.22, 0.03], int(rng.choice(obj))))
                boxes.append(_box([cx, front_m - 0.25, 0.75], [0.22, 0.03, 0.28], int(rng.choice(obj))))
        else:  # a tall cabinet or shelf standing on the floor
            h = rng.uniform(0.5, 1.0)
            boxes.append(_box([x + seg / 2, y_mid_m, h], [seg / 2 - 0.05, desk_depth_m / 2, h], (7, 7, 7, 6, 7, 7)))
        if wall_gap_m < 0.5 and rng.random() < 0.6:  # shelf or poster on the wall above
            if rng.random() < 0.5:
                boxes.append(_box([x + seg / 2, half_w_m - 0.15, rng.uniform(1.3, 1.8)], [seg / 2 - 0.1, 0.15, 0.12],
                                  (6, 6, 7, 6, 7, 7)))
            else:
                boxes.append(_box([x + seg / 2, half_w_m - 0.02, rng.uniform(1.2, 1.7)], [0.35, 0.02, 0.25],
                                  int(rng.choice([5, *obj[:3]]))))
        x += seg + (rng.uniform(0.05, 0.6) if rng.random() < 0.5 else 0.0)
    for top in tops:  # crowded desk tops
        cx0, hx = float(top.center_m[0]), float(top.half_m[0])
        z = float(top.center_m[2]) + 0.02
        for _ in range(int(rng.integers(4 + int(4 * hx), 6 + int(10 * hx)))):
            kind = rng.random()
            px = cx0 + rng.uniform(-1, 1) * max(0.0, hx - 0.15)
            py = y_mid_m + rng.uniform(-0.8, 0.8) * desk_depth_m / 2
            if at_edge:  # things stand at least 0.3 m in from the edge the camera is held over
                py = max(py, front_m + 0.3)
            yaw = float(rng.uniform(-0.6, 0.6))
            if kind < 0.2:  # monitor on a stand, towards the back
                w, h = rng.uniform(0.2, 0.35), rng.uniform(0.15, 0.25)
                py = y_mid_m + desk_depth_m / 4
                boxes.append(_box([px, py, z + 0.06], [0.08, 0.06, 0.06], 4, yaw_rad=yaw / 3))
                boxes.append(_box([px, py, z + 0.12 + h], [w, 0.02, h], (4, 4, 5 if rng.random() < 0.5 else 4, 4, 4, 4),
                                  yaw_rad=yaw / 3))
            elif kind < 0.35:  # keyboard or laptop base, towards the front_m
                boxes.append(_box([px, front_m + 0.15, z + 0.015], [rng.uniform(0.15, 0.25), 0.08, 0.015], 4,
                                  yaw_rad=yaw / 4))
            elif kind < 0.55:  # a stack of books or paper
                size = rng.uniform([0.08, 0.1, 0.02], [0.16, 0.14, 0.12])
                boxes.append(_box([px, py, z + size[2]], size, (6, 6, 6, 6, 6, int(rng.choice(obj))), yaw_rad=yaw))
            elif kind < 0.75:  # cup, bottle, can
                r, hh = rng.uniform(0.03, 0.07), rng.uniform(0.05, 0.15)
                boxes.append(_box([px, py, z + hh], [r, r, hh], int(rng.choice(obj)), yaw_rad=yaw))
            elif kind < 0.85:  # lamp: base and head
                boxes.append(_box([px, py, z + 0.2], [0.02, 0.02, 0.2], 7))
                boxes.append(_box([px, py - 0.08, z + 0.42], [0.07, 0.1, 0.04], int(rng.choice(obj)), yaw_rad=yaw))
            else:  # box, device, plant pot with foliage
                size = rng.uniform([0.05, 0.05, 0.04], [0.25, 0.2, 0.25])
                boxes.append(_box([px, py, z + size[2]], size, tuple(int(t) for t in rng.choice(obj, 6)), yaw_rad=yaw))
                if rng.random() < 0.3:
                    boxes.append(_box([px, py, z + 2 * size[2] + 0.1], [size[0] * 1.3, size[1] * 1.3, 0.1],
                                      int(rng.choice(obj)), yaw_rad=yaw))
    for _ in range(moving_objects):  # things pushed along a desk
        if not tops:
            break
        top = tops[int(rng.integers(len(tops)))]
        size = rng.uniform([0.05, 0.05, 0.04], [0.15, 0.12, 0.12])
        centre = [float(top.center_m[0]), y_mid_m - desk_depth_m / 6, float(top.center_m[2]) + 0.02 + size[2]]
        boxes.append(_box(centre, size,
                          int(rng.choice(obj)), motion_axis_m=np.array([rng.uniform(0.2, 0.5), 0.0, 0.0]),
                          period_s=rng.uniform(3.0, 6.0)))
    return scene
