"""mono_depth_ros.inference.backends."""
