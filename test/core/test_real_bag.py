"""A real rosbag2 MCAP (message-level zstd) decodes to 640x480 RGB frames through core."""

from __future__ import annotations

import numpy as np

from mono_depth_ros.core.image import image_to_numpy, image_to_rgb8
from mono_depth_ros.core.stamps import stamp_to_ns

from ._helpers import TYPESTORE


def read_images(path):
    from mcap.reader import make_reader
    import zstandard

    decompressor = zstandard.ZstdDecompressor()
    with open(path, "rb") as stream:
        for schema, channel, message in make_reader(stream).iter_messages():
            payload = decompressor.decompressobj().decompress(message.data)
            msgtype = schema.name if "/msg/" in schema.name else schema.name.replace("/", "/msg/")
            yield channel.topic, message.log_time, TYPESTORE.deserialize_cdr(payload, msgtype)


def test_real_mcap_zstd_frames(shared_data):
    path = shared_data / "rosbag2_mcap_zstd_2frames" / "soccer_goal_12.mcap"
    frames = list(read_images(path))
    assert len(frames) == 2
    for topic, log_time_ns, msg in frames:
        assert topic == "/camera/image_raw" and msg.encoding == "rgb8"
        assert msg.header.frame_id == "camera"
        assert 0 < stamp_to_ns(msg.header.stamp)
        rgb = image_to_rgb8(msg)
        assert rgb.shape == (480, 640, 3) and rgb.dtype == np.uint8
        np.testing.assert_array_equal(rgb, image_to_numpy(msg))
        assert 10 < rgb.mean() < 245 and rgb.std() > 10  # a real photo, not a blank frame
    first, second = frames[0][2], frames[1][2]
    assert stamp_to_ns(second.header.stamp) > stamp_to_ns(first.header.stamp)
    diff = np.abs(image_to_rgb8(first).astype(int) - image_to_rgb8(second)).mean()
    assert 0 < diff < 60  # consecutive video frames: similar but not identical
