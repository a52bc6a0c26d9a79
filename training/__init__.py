"""Offline training, evaluation and export for mono_depth_ros (python -m training ...)."""
