"""mono_depth_ros.models."""
