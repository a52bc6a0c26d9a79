"""Backend logs (auto's choice and skips, TensorRT's and OpenVINO's messages) reach a ROS logger."""

from __future__ import annotations

import logging

from mono_depth_ros.inference.backends.base import ForwardToRosLog
from mono_depth_ros.inference.backends.registry import create_backend
from mono_depth_ros.inference.spec import get_spec


def test_backend_choice_reaches_a_real_rclpy_logger(onnx_files):
    import rclpy
    from rclpy.logging import LoggingSeverity

    class Recording:
        """rclpy's logger, recording what it is given (the forwarding, not rclpy, is under test)."""

        def __init__(self, inner):
            self.inner, self.lines = inner, []

        def __getattr__(self, level):
            def log(text):
                self.lines.append((level, text))
                return getattr(self.inner, level)(text)
            return log

    ros_logger = rclpy.logging.get_logger("test_log_forwarding")
    ros_logger.set_level(LoggingSeverity.WARN)
    recorder = Recording(ros_logger)
    handler = ForwardToRosLog.install(recorder)
    try:
        create_backend("auto", onnx_files["li2020_depth"], get_spec("li2020_depth"), threads=1)
        logging.getLogger("mono_depth_ros.inference.backends.tensorrt_backend").error("TensorRT: builder failed")
    finally:
        logging.getLogger("mono_depth_ros").removeHandler(handler)
    infos = [text for level, text in recorder.lines if level == "info"]
    assert any("auto chose" in t and "[mono_depth_ros.inference.backends.registry]" in t for t in infos)
    # each skip is a debug line; the one info line names them all
    assert not any("auto: skipped" in t for t in infos) and any("auto chose" in t and "tensorrt CUDA" in t for t in infos)
    assert ("error", "[mono_depth_ros.inference.backends.tensorrt_backend] TensorRT: builder failed") in recorder.lines
