"""``shapes="curved"``: some of a scene's boxes become the round solids inscribed in them.

Real rooms and streets are not all boxes: posts, poles, trunks, table legs and people are round,
tree crowns and bushes are blobs, many tables are round. A network trained on boxes alone may learn
that depth changes only at straight edges and across flat faces. This pass turns, by shape alone
(every layout's boxes stay where they are, so nothing new overlaps):

- **posts** (both horizontal half extents <= 0.3 m, at least twice as tall as wide: legs, poles,
  trunks, people, pots): a cylinder with probability ``POST_P``;
- **blobs** (no half extent over ``BLOB_MAX_M`` and none more than ``BLOB_RATIO`` times another:
  crowns, bushes, clutter, boxes): an ellipsoid with probability ``BLOB_ELLIPSOID_P``, else a
  cylinder with probability ``BLOB_CYLINDER_P``;
- **slabs** (at most 7 cm thick, 0.1-1.5 m across: table tops, seats, trays): a disc (cylinder)
  with probability ``SLAB_P``.

Walls, floors, rooms seen from inside, facades, roads and anything larger stay boxes, as do thin
vertical panels (doors, posters, windows). The draws come from their own stream
(``np.random.default_rng((seed, 29))``), so a seed's layout, path, camera and look are those of
its all-box render.
"""

from __future__ import annotations

import numpy as np

from mono_depth_ros.synth.world import Scene

SHAPE_MODES = ("boxes", "curved")
POST_P = 0.85
BLOB_MAX_M = 2.5
BLOB_RATIO = 2.5
BLOB_ELLIPSOID_P = 0.55
BLOB_CYLINDER_P = 0.2
SLAB_P = 0.35


def round_props(scene: Scene, rng: np.random.Generator) -> int:
    """Turn some of ``scene``'s boxes into their inscribed cylinder or ellipsoid in place (module
    doc); returns how many. One uniform draw per box considered, in the scene's box order."""
    count = 0
    for box in scene.boxes:
        if box.inside or box.shape != "box":
            continue
        hx, hy, hz = (float(v) for v in box.half_m)
        wide, narrow = max(hx, hy), min(hx, hy)
        draw = float(rng.random())
        shape = "box"
        if wide <= 0.3 and hz >= 2.0 * wide:
            shape = "cylinder" if draw < POST_P else "box"
        elif max(hx, hy, hz) <= BLOB_MAX_M and max(hx, hy, hz) <= BLOB_RATIO * min(hx, hy, hz):
            shape = ("ellipsoid" if draw < BLOB_ELLIPSOID_P else
                     "cylinder" if draw < BLOB_ELLIPSOID_P + BLOB_CYLINDER_P else "box")
        elif hz <= 0.035 and 0.1 <= narrow and wide <= 1.5:
            shape = "cylinder" if draw < SLAB_P else "box"
        if shape != "box":
            box.shape = shape
            count += 1
    return count
