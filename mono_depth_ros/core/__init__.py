"""mono_depth_ros.core: pure numpy + OpenCV conversions between ROS messages and arrays.

Never imports rclpy: functions read message fields by name (rclpy and rosbags messages alike)
and builders import default message classes lazily.
"""

from mono_depth_ros.core import camera, depth, errors, image, pointcloud, stamps, transforms  # noqa: F401
from mono_depth_ros.core.errors import InputError  # noqa: F401
