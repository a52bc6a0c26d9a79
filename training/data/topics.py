"""Choose the topics of a bag to extract: explicit choices, else auto-detection by type and name.

Names follow image_transport: ``/ns/image_raw/compressed`` (or ``/compressedDepth``) is the
transport of ``/ns/image_raw``, whose camera_info is ``/ns/camera_info``.

Depth is only paired automatically when it is registered to the image by its place or its name
(:func:`registered_depth`): in the image's namespace or one level below it (``/camera/depth/image``
beside ``/camera/image_raw``), or named as registered (``aligned_depth_to_color``,
``depth_registered``, ``depth_to_rgb``) within the camera's namespace. A depth camera's own stream
in another namespace (``/camera/depth/image_rect_raw`` beside ``/camera/color/image_raw``: another
frame, other intrinsics) is left out and said so in ``TopicSelection.notes``: pairing it with the
colour camera gives wrong supervision, and extract does not register depth. A right stereo image is
picked when it lives under the same top-level namespace (``/stereo/right/...`` for
``/stereo/left/...``). When the choice is ambiguous, :class:`AmbiguousTopicsError` lists what the
bag holds so the user can pass ``--image-topic`` and friends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mono_depth_ros.bags.reader import TopicSummary

IMAGE_TYPES = ("sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage")
INFO_TYPE = "sensor_msgs/msg/CameraInfo"
ODOM_TYPE = "nav_msgs/msg/Odometry"
TF_TYPE = "tf2_msgs/msg/TFMessage"
TRANSPORTS = ("compressed", "compressedDepth", "theora", "zstd", "ffmpeg", "h264")
#: names drivers give depth registered to the colour camera (RealSense, OpenNI, Azure Kinect, ZED)
REGISTERED_NAME = re.compile(r"registered|aligned|depth_to_(rgb|colou?r)", re.IGNORECASE)


class AmbiguousTopicsError(ValueError):
    """The bag holds several candidates (or none) for a role; message lists the bag's topics."""


@dataclass(frozen=True)
class TopicSelection:
    image: str
    depth: str | None = None
    right: str | None = None
    camera_info: str | None = None
    right_camera_info: str | None = None
    odom: str | None = None
    tf: str | None = None
    tf_static: str | None = None
    notes: tuple[str, ...] = ()

    def streams(self) -> list[str]:
        return [t for t in (self.image, self.depth, self.right, self.camera_info, self.right_camera_info,
                            self.odom, self.tf, self.tf_static) if t]

    def __str__(self) -> str:
        roles = ("image", "depth", "right", "camera_info", "right_camera_info", "odom", "tf", "tf_static")
        return ", ".join(f"{r}={getattr(self, r)}" for r in roles if getattr(self, r))


def base_topic(topic: str) -> str:
    """``/ns/image_raw/compressed`` -> ``/ns/image_raw`` (image_transport suffixes removed)."""
    head, _, last = topic.rpartition("/")
    return head if last in TRANSPORTS and head else topic


def _namespace(topic: str) -> str:
    return base_topic(topic).rsplit("/", 1)[0]


def _root(topic: str) -> str:
    """First name component (``/camera`` of ``/camera/color/image_raw``), '' for ``/image``."""
    parts = base_topic(topic).strip("/").split("/")
    return parts[0] if len(parts) > 1 else ""


def _pick_one(role: str, candidates: list[str], listing: str, required: bool) -> str | None:
    if len(candidates) == 1:
        return candidates[0]
    if not candidates and not required:
        return None
    what = "no candidates" if not candidates else f"candidates {candidates}"
    raise AmbiguousTopicsError(f"cannot choose the {role} topic ({what}); pass --{role}-topic.\n{listing}")


def _check(role: str, topic: str | None, topics: dict[str, TopicSummary], types: tuple[str, ...], listing: str):
    if topic is None:
        return None
    if topic not in topics:
        raise AmbiguousTopicsError(f"--{role}-topic {topic!r} is not in the bag.\n{listing}")
    if topics[topic].msgtype not in types:
        raise AmbiguousTopicsError(f"--{role}-topic {topic!r} has type {topics[topic].msgtype}, expected "
                                   f"one of {types}.\n{listing}")
    return topic


def _info_for(image: str | None, infos: list[str]) -> str | None:
    """The one CameraInfo beside ``image`` (same namespace once the transport suffix is removed)."""
    if image is None:
        return None
    same = [t for t in infos if _namespace(t) == _namespace(image)]
    return same[0] if len(same) == 1 else None


def _prefer_raw(candidates: list[str]) -> list[str]:
    """Drop ``X/compressed`` when ``X`` itself is a candidate (the same camera, twice)."""
    return [t for t in candidates if base_topic(t) == t or base_topic(t) not in candidates]


def _parent(namespace: str) -> str:
    return namespace.rsplit("/", 1)[0]


def _within(namespace: str, outer: str) -> bool:
    return namespace == outer or namespace.startswith(outer + "/")


def registered_depth(depth: str, image: str) -> bool:
    """Whether ``depth`` may be paired with ``image`` without being asked: in the image's namespace
    or one level below it (``/camera/depth/image`` beside ``/camera/image_raw``), or named as
    registered (:data:`REGISTERED_NAME`) within the camera's namespace (the parent of the image's:
    ``/camera/aligned_depth_to_color/image_raw`` beside ``/camera/color/image_raw``)."""
    own, theirs = _namespace(image), _namespace(depth)
    if theirs == own or _parent(theirs) == own:
        return True
    return bool(REGISTERED_NAME.search(depth)) and _within(theirs, _parent(own))


def _partner(role: str, explicit: str | None, like: list[str], image: str, listing: str,
             notes: list[str]) -> str | None:
    if explicit is not None or not like:
        return explicit
    if role == "depth":
        near = [t for t in like if registered_depth(t, image)]
        why = f"not in the namespace of {image} nor named as registered to it"
    else:
        near = [t for t in like if _root(t) == _root(image)]
        why = f"not under the namespace of {image}"
    for t in sorted(set(like) - set(near)):
        notes.append(f"{role} topic {t} not used: {why} (pass --{role}-topic {t} if it is registered to "
                     "that camera)")
    return _pick_one(role, _prefer_raw(near), listing, required=False) if near else None


def select_topics(topics: dict[str, TopicSummary], listing: str, image: str | None = None,
                  depth: str | None = None, right: str | None = None, camera_info: str | None = None,
                  odom: str | None = None) -> TopicSelection:
    """Resolve every role; explicit arguments win, then unambiguous auto-detection."""
    image = _check("image", image, topics, IMAGE_TYPES, listing)
    depth = _check("depth", depth, topics, IMAGE_TYPES, listing)
    right = _check("right", right, topics, IMAGE_TYPES, listing)
    camera_info = _check("camera-info", camera_info, topics, (INFO_TYPE,), listing)
    odom = _check("odom", odom, topics, (ODOM_TYPE,), listing)
    images = [t for t, i in topics.items() if i.msgtype in IMAGE_TYPES]
    # a topic recorded without messages (image_raw beside the image_raw/compressed that was published)
    # is no candidate; when all are empty, they stay, and extract says the chosen one is empty
    images = [t for t in images if topics[t].count != 0] or images
    depth_like = [t for t in images if "depth" in t.lower() or "disparity" in t.lower()]
    right_like = [t for t in images if "right" in t.lower() and t not in depth_like]
    colour_like = _prefer_raw([t for t in images if t not in depth_like and t not in right_like])
    if image is None:
        preferred = [t for t in colour_like if "left" in t.lower()] or \
                    [t for t in colour_like if base_topic(t).endswith(("image_raw", "image_color",
                                                                       "image_rect_color"))]
        image = _pick_one("image", preferred if len(colour_like) > 1 and preferred else colour_like,
                          listing, required=True)
    notes: list[str] = []
    depth = _partner("depth", depth, depth_like, image, listing, notes)
    right = _partner("right", right, right_like, image, listing, notes)
    infos = [t for t, i in topics.items() if i.msgtype == INFO_TYPE]
    if camera_info is None:
        camera_info = _info_for(image, infos)
        if camera_info is None and infos:
            notes.append(f"no camera_info beside {image} (have {sorted(infos)}); pass --camera-info-topic")
    odoms = [t for t, i in topics.items() if i.msgtype == ODOM_TYPE]
    if odom is None and len(odoms) == 1:
        odom = odoms[0]
    tfs = [t for t, i in topics.items() if i.msgtype == TF_TYPE]
    tf = "/tf" if "/tf" in tfs else None
    tf_static = "/tf_static" if "/tf_static" in tfs else None
    return TopicSelection(image, depth, right, camera_info, _info_for(right, infos), odom, tf, tf_static,
                          tuple(notes))
