"""Messages built by core cross real Fast DDS between two rclpy nodes with identical bytes."""

from __future__ import annotations

import os
import threading
import uuid

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy")
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from sensor_msgs.msg import Image, PointCloud2  # noqa: E402

from mono_depth_ros.core.camera import CameraIntrinsics  # noqa: E402
from mono_depth_ros.core.image import image_to_rgb8, numpy_to_image  # noqa: E402
from mono_depth_ros.core.pointcloud import depth_to_pointcloud2, pointcloud2_to_xyz  # noqa: E402
from mono_depth_ros.core.stamps import make_header, stamp_to_ns  # noqa: E402
from mono_depth_ros.core.transforms import (euler_to_matrix, make_tf_message,  # noqa: E402
                                            make_transform_stamped, se3, transform_msg_to_matrix)

TIMEOUT_S = 20.0


def build_messages():
    rng = np.random.default_rng(5)
    rgb = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    depth_m = rng.uniform(0.5, 5.0, (24, 32)).astype(np.float32)
    depth_m[3, 4] = np.nan
    header = make_header(1_700_000_000_000_000_123, "camera_optical_frame")
    intr = CameraIntrinsics(32, 24, 30.0, 30.0, 15.5, 11.5)
    T = se3(euler_to_matrix(0.1, 0.2, 0.3), [1.0, 2.0, 3.0])
    tf = make_tf_message([make_transform_stamped(T, "odom", "base_link", 1_700_000_000_000_000_123)])
    return (numpy_to_image(rgb, "rgb8", header), depth_to_pointcloud2(depth_m, intr, header, rgb=rgb),
            tf, rgb, T)


@pytest.fixture
def ros_context():
    context = rclpy.Context()
    domain_id = 100 + os.getpid() % 100  # away from the default domain 0 other tests use
    rclpy.init(context=context, domain_id=domain_id)
    executor = SingleThreadedExecutor(context=context)
    thread = threading.Thread(target=executor.spin, daemon=True)
    yield context, executor, thread
    executor.shutdown()
    rclpy.shutdown(context=context)
    thread.join(timeout=5.0)


def test_image_cloud_tf_cross_dds(ros_context):
    from tf2_msgs.msg import TFMessage

    context, executor, thread = ros_context
    image, cloud, tf, rgb, T = build_messages()
    prefix = f"/core_dds_{uuid.uuid4().hex[:8]}"
    sender = rclpy.create_node("core_sender", context=context)
    receiver = rclpy.create_node("core_receiver", context=context)
    received: dict[str, object] = {}
    events = {name: threading.Event() for name in ("image", "cloud", "tf")}

    def keep(name):
        def callback(msg):
            received.setdefault(name, msg)
            events[name].set()
        return callback

    topics = (("image", Image, image), ("cloud", PointCloud2, cloud), ("tf", TFMessage, tf))
    publishers = []
    for name, cls, msg in topics:
        receiver.create_subscription(cls, f"{prefix}/{name}", keep(name), 10)
        publishers.append((sender.create_publisher(cls, f"{prefix}/{name}", 10), msg, name))

    def publish_pending():  # until discovery matched and each message arrived once
        for publisher, msg, name in publishers:
            if not events[name].is_set():
                publisher.publish(msg)

    sender.create_timer(0.05, publish_pending)
    executor.add_node(sender)
    executor.add_node(receiver)
    thread.start()
    for name, event in events.items():
        assert event.wait(TIMEOUT_S), f"no {name} message received over DDS within {TIMEOUT_S} s"

    got_image, got_cloud, got_tf = received["image"], received["cloud"], received["tf"]
    assert bytes(got_image.data) == bytes(image.data)
    assert (got_image.encoding, got_image.step, got_image.width) == ("rgb8", 96, 32)
    assert stamp_to_ns(got_image.header.stamp) == 1_700_000_000_000_000_123
    np.testing.assert_array_equal(image_to_rgb8(got_image), rgb)
    assert bytes(got_cloud.data) == bytes(cloud.data) and len(cloud.data) == 24 * 32 * 16
    assert [(f.name, f.offset, f.datatype) for f in got_cloud.fields] == [
        (f.name, f.offset, f.datatype) for f in cloud.fields]
    assert got_cloud.is_dense is False
    np.testing.assert_array_equal(pointcloud2_to_xyz(got_cloud), pointcloud2_to_xyz(cloud))
    assert got_tf.transforms[0].child_frame_id == "base_link"
    np.testing.assert_allclose(transform_msg_to_matrix(got_tf.transforms[0]), T, atol=1e-12)
    sender.destroy_node()
    receiver.destroy_node()
