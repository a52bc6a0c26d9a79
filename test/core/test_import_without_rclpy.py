"""The compute core imports and works with rclpy (and the ROS message packages) unimportable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import sys
for name in ("rclpy", "sensor_msgs", "sensor_msgs.msg", "std_msgs", "std_msgs.msg",
             "geometry_msgs", "nav_msgs", "tf2_msgs", "builtin_interfaces"):
    sys.modules[name] = None  # any import of these now raises ImportError
import numpy as np
import mono_depth_ros.core
from mono_depth_ros.core import camera, depth, errors, image, pointcloud, stamps, transforms
from rosbags.typesys import Stores, get_typestore
ts = get_typestore(Stores.ROS2_KILTED)
hdr = ts.types["std_msgs/msg/Header"](stamp=ts.types["builtin_interfaces/msg/Time"](sec=1, nanosec=2),
                                      frame_id="cam")
msg = depth.depth_to_image(np.ones((2, 4)), hdr, msg_cls=ts.types["sensor_msgs/msg/Image"])
intr = camera.CameraIntrinsics(4, 2, 2.0, 2.0, 1.5, 0.5)
cloud = pointcloud.depth_to_pointcloud2(depth.depth_from_image(msg), intr, hdr,
                                        msg_cls=ts.types["sensor_msgs/msg/PointCloud2"])
assert "rclpy" not in [m for m in sys.modules if sys.modules[m] is not None]
print("OK", cloud.width, cloud.height)
"""


def test_core_imports_without_rclpy():
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK 4 2"
