"""mono_depth_ros: monocular depth, ego-motion and point clouds for ROS 2."""

__version__ = "0.1.0"
