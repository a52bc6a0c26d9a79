"""The shipped rviz2 layout (rviz/mono_depth.rviz) shows what the nodes really publish.

The one-process pipeline runs in the root namespace with default topic names (on this module's
own DDS domain); its publishers, QoS and TF tree are compared with the displays' topics,
reliability and Fixed Frame of the shipped config.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sensor_msgs.msg import CameraInfo, Image, PointCloud2
from tf2_msgs.msg import TFMessage

from mono_depth_ros.core.stamps import stamp_to_ns
from mono_depth_ros.nodes.qos import make_qos, tf_qos, tf_static_qos

from .conftest import Collector, make_image, make_info, publish_info, require_inference, rgb_frame, wait_until

RVIZ = Path(__file__).resolve().parents[2] / "rviz" / "mono_depth.rviz"
T0_NS = 1_700_000_000_000_000_000
#: rviz display class -> ROS message type it subscribes
DISPLAY_TYPES = {"rviz_default_plugins/Image": "sensor_msgs/msg/Image",
                 "rviz_default_plugins/PointCloud2": "sensor_msgs/msg/PointCloud2",
                 "rviz_default_plugins/Odometry": "nav_msgs/msg/Odometry"}


def _displays() -> tuple[list[dict], str]:
    config = yaml.safe_load(RVIZ.read_text())["Visualization Manager"]
    return config["Displays"], config["Global Options"]["Fixed Frame"]


def test_rviz_topics_and_frames_match_the_nodes(graph, light_checkpoints):
    require_inference()
    from mono_depth_ros.nodes.pipeline import build_pipeline

    overrides = {"method": "li2020", "backend": "torch", "model_path": str(light_checkpoints["li2020_depth"]),
                 "motion_model_path": str(light_checkpoints["li2020_motion"]), "input_reliability": "reliable",
                 "input_depth": 5, "nonmetric_median_depth_m": 5.0}
    depth, ego = (graph.add(node) for node in build_pipeline(context=graph.context, parameter_overrides=overrides))
    displays, fixed_frame = _displays()
    helper = graph.helper()
    qos = make_qos("reliable", 5)
    image_topic = depth.image_sub_topic  # resolved: the default camera/image_raw is relative
    pub_img = helper.create_publisher(Image, image_topic, qos)
    pub_info = helper.create_publisher(CameraInfo, depth.info_sub_topic, qos)
    tf = Collector(helper, TFMessage, "/tf", tf_qos())
    tf_static = Collector(helper, TFMessage, "/tf_static", tf_static_qos())
    points = Collector(helper, PointCloud2, "/depth_node/points", qos)
    wait_until(lambda: pub_img.get_subscription_count() > 0 and depth.pub_points.get_subscription_count() > 0,
               what="discovery")
    for i in range(2):
        stamp = T0_NS + i * 100_000_000
        publish_info(pub_info, make_info(128, 96, stamp, frame_id="camera_optical"), depth)
        pub_img.publish(make_image(rgb_frame(seed=i), stamp, frame_id="camera_optical"))
        points.wait_for(i + 1)
    published = {}
    for node in (depth, ego):
        for topic, types in helper.get_publisher_names_and_types_by_node(node.get_name(), node.get_namespace()):
            published[topic] = types
    checked = 0
    for display in displays:
        topic = display.get("Topic", {}).get("Value")
        if topic is None:
            continue
        expected_type = DISPLAY_TYPES[display["Class"]]
        if topic == image_topic:  # the camera input, shown beside the outputs
            assert display["Topic"]["Reliability Policy"] == "Best Effort", display["Name"]
            continue
        assert topic in published, f"rviz display {display['Name']!r} shows {topic}, which no node publishes"
        assert published[topic] == [expected_type], (topic, published[topic])
        assert display["Topic"]["Reliability Policy"] == "Reliable"  # outputs are reliable by default
        checked += 1
    assert checked >= 4
    # Fixed Frame odom -> base_link (/tf) -> the cloud's frame (/tf_static, camera pose from parameters)
    cloud_frame = points.messages[-1].header.frame_id
    odom = tf.wait_for(1, where=lambda m: m.transforms[0].child_frame_id == ego.config.base_frame)[0].transforms[0]
    assert odom.header.frame_id == fixed_frame == ego.config.odom_frame
    static = tf_static.wait_for(1)[0].transforms[0]
    assert (static.header.frame_id, static.child_frame_id) == (ego.config.base_frame, cloud_frame)
    assert stamp_to_ns(odom.header.stamp) == T0_NS


def test_rviz_config_parses_with_known_display_classes():
    displays, fixed_frame = _displays()
    assert fixed_frame == "odom"
    classes = {d["Class"] for d in displays}
    assert {"rviz_default_plugins/TF", "rviz_default_plugins/PointCloud2"} <= classes
    unknown = {d["Class"] for d in displays if "Topic" in d} - set(DISPLAY_TYPES)
    assert not unknown, f"no message type known for {unknown}"
