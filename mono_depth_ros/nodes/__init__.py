"""mono_depth_ros.nodes."""
