"""Choose the topics of a bag to extract: explicit choices, else auto-detection by type and name.

When the choice is ambiguous, :class:`AmbiguousTopicsError` lists what the bag holds so the user
can pass ``--image-topic`` and friends.
"""

from __future__ import annotations

from dataclasses import dataclass

from training.data.bag_reader import TopicSummary

IMAGE_TYPES = ("sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage")
INFO_TYPE = "sensor_msgs/msg/CameraInfo"
ODOM_TYPE = "nav_msgs/msg/Odometry"
TF_TYPE = "tf2_msgs/msg/TFMessage"


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

    def streams(self) -> list[str]:
        return [t for t in (self.image, self.depth, self.right, self.camera_info, self.right_camera_info,
                            self.odom, self.tf, self.tf_static) if t]


def _namespace(topic: str) -> str:
    return topic.rsplit("/", 1)[0]


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
    if image is None:
        return None
    same = [t for t in infos if _namespace(t) == _namespace(image)]
    return same[0] if len(same) == 1 else None


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
    depth_like = [t for t in images if "depth" in t.lower() or "disparity" in t.lower()]
    right_like = [t for t in images if "right" in t.lower() and t not in depth_like]
    colour_like = [t for t in images if t not in depth_like and t not in right_like]
    if image is None:
        preferred = [t for t in colour_like if "left" in t.lower()] or \
                    [t for t in colour_like if t.endswith(("image_raw", "image_color", "image_rect_color"))]
        image = _pick_one("image", preferred if len(colour_like) > 1 and preferred else colour_like,
                          listing, required=True)
    if depth is None and depth_like:
        depth = _pick_one("depth", depth_like, listing, required=False)
    if right is None and right_like:
        right = _pick_one("right", right_like, listing, required=False)
    infos = [t for t, i in topics.items() if i.msgtype == INFO_TYPE]
    if camera_info is None:
        camera_info = _info_for(image, infos)
    odoms = [t for t, i in topics.items() if i.msgtype == ODOM_TYPE]
    if odom is None and len(odoms) == 1:
        odom = odoms[0]
    tfs = [t for t, i in topics.items() if i.msgtype == TF_TYPE]
    tf = "/tf" if "/tf" in tfs else None
    tf_static = "/tf_static" if "/tf_static" in tfs else None
    return TopicSelection(image, depth, right, camera_info, _info_for(right, infos), odom, tf, tf_static)
