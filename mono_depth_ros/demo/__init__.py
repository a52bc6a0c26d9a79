"""The end-to-end demo: ``python -m mono_depth_ros.demo`` (or ``mono_depth_demo``)."""
