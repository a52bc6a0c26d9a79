"""Topic choice by name alone (``select_topics``): which depth stream is paired with the image.

The topic layouts are those the drivers publish (RealSense, OpenNI, Azure Kinect, this project's
synthetic bags); a depth camera's own stream is in another frame with other intrinsics, so pairing
it with the colour image without being asked gives wrong supervision.
"""

from __future__ import annotations

import pytest

from mono_depth_ros.bags.source import TopicSummary
from training.data.topics import AmbiguousTopicsError, select_topics

IMAGE, INFO = "sensor_msgs/msg/Image", "sensor_msgs/msg/CameraInfo"


def _select(*image_topics: str, **explicit):
    topics = {t: TopicSummary(t, IMAGE, 10) for t in image_topics}
    return select_topics(topics, "listing", **explicit)


def test_a_depth_camera_s_own_stream_in_another_namespace_is_not_paired():
    """RealSense: /camera/depth/image_rect_raw is the depth sensor's own frame (unregistered)."""
    sel = _select("/camera/color/image_raw", "/camera/depth/image_rect_raw")
    assert (sel.image, sel.depth) == ("/camera/color/image_raw", None)
    assert sel.notes == ("depth topic /camera/depth/image_rect_raw not used: not in the namespace of "
                         "/camera/color/image_raw nor named as registered to it (pass --depth-topic "
                         "/camera/depth/image_rect_raw if it is registered to that camera)",)
    forced = _select("/camera/color/image_raw", "/camera/depth/image_rect_raw",
                     depth="/camera/depth/image_rect_raw")
    assert forced.depth == "/camera/depth/image_rect_raw" and forced.notes == ()


@pytest.mark.parametrize("image, registered, unregistered", [
    ("/camera/color/image_raw", "/camera/aligned_depth_to_color/image_raw", "/camera/depth/image_rect_raw"),
    ("/camera/camera/color/image_raw", "/camera/camera/aligned_depth_to_color/image_raw/compressedDepth",
     "/camera/camera/depth/image_rect_raw"),
    ("/camera/rgb/image_raw", "/camera/depth_registered/image_raw", "/camera/depth/image_raw"),
    ("/rgb/image_raw", "/depth_to_rgb/image_raw", "/depth/image_raw"),
])
def test_depth_registered_to_the_image_by_its_name_is_paired(image, registered, unregistered):
    """RealSense (ROS 1 and 2 naming), OpenNI, Azure Kinect: the registered stream beside the raw one."""
    sel = _select(image, registered, unregistered)
    assert (sel.image, sel.depth) == (image, registered)
    assert len(sel.notes) == 1 and sel.notes[0].startswith(f"depth topic {unregistered} not used")


def test_depth_in_or_just_below_the_image_namespace_is_paired():
    """This project's synthetic bags (/camera/depth/image beside /camera/image_raw) and flat ones."""
    assert _select("/camera/image_raw", "/camera/depth/image").depth == "/camera/depth/image"
    assert _select("/image_raw", "/depth").depth == "/depth"
    assert _select("/image_raw", "/depth/image_raw").depth == "/depth/image_raw"
    sel = _select("/image_raw", "/other_robot/depth/image")
    assert sel.depth is None and sel.notes[0].startswith("depth topic /other_robot/depth/image not used")


def test_a_registered_depth_of_another_camera_is_not_paired():
    front = "/robot/front/color/image_raw"
    sel = _select(front, "/robot/rear/aligned_depth_to_color/image_raw")
    assert sel.depth is None and len(sel.notes) == 1


def test_two_registered_candidates_are_ambiguous():
    with pytest.raises(AmbiguousTopicsError, match="cannot choose the depth topic"):
        _select("/camera/rgb/image_raw", "/camera/depth_registered/image_raw",
                "/camera/depth_registered/hw_registered/image_rect_raw")


def test_a_right_stereo_image_in_a_sibling_namespace_is_still_paired():
    sel = _select("/stereo/left/image_raw", "/stereo/right/image_raw")
    assert (sel.image, sel.right, sel.notes) == ("/stereo/left/image_raw", "/stereo/right/image_raw", ())
