"""The shipped Fast DDS profile for large images (config/fastdds_large_data.xml).

Fast DDS's default shared-memory segment (512 KiB) is smaller than one 640x480 rgb8 frame
(921,600 bytes): such frames go out as 64 KB fragments that must all fit the sender's segment at
once, and a best-effort reader in another process lost 40-75 % of them. The shipped profile
sizes the segment for 1080p RGB and the node's outputs. Fast DDS reads
``FASTDDS_DEFAULT_PROFILES_FILE`` when a process creates its first participant, so the console
scripts call :func:`apply_fastdds_profile` before ``rclpy.init``; a user's own choice
(``FASTDDS_DEFAULT_PROFILES_FILE`` or ``FASTDDS_BUILTIN_TRANSPORTS`` already set, or another RMW
than Fast DDS) is left alone. The camera driver and rviz2 need the same variable to profit.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import MutableMapping

PROFILE_FILE_NAME = "fastdds_large_data.xml"
PACKAGE = "mono_depth_ros"
USER_SETTINGS = ("FASTDDS_DEFAULT_PROFILES_FILE", "FASTDDS_BUILTIN_TRANSPORTS")


def profile_path() -> Path | None:
    """The installed profile: colcon/pip share folder, else the source tree's config/; None if absent."""
    candidates = [Path(prefix) / "share" / PACKAGE / "config" / PROFILE_FILE_NAME
                  for prefix in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) if prefix]
    candidates.append(Path(sys.prefix) / "share" / PACKAGE / "config" / PROFILE_FILE_NAME)
    candidates.append(Path(__file__).resolve().parents[2] / "config" / PROFILE_FILE_NAME)
    return next((path for path in candidates if path.is_file()), None)


def apply_fastdds_profile(environ: MutableMapping[str, str] | None = None) -> str | None:
    """Set ``FASTDDS_DEFAULT_PROFILES_FILE`` to the shipped profile unless the user chose a setting.

    Returns the path it set, or None when it left the environment as it was (user setting present,
    ``RMW_IMPLEMENTATION`` is not Fast DDS, or the file is not installed). Must run before the
    process's first ``rclpy.init``.
    """
    environ = os.environ if environ is None else environ
    if any(environ.get(name) for name in USER_SETTINGS):
        return None
    if environ.get("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp") not in ("rmw_fastrtps_cpp", "rmw_fastrtps_dynamic_cpp"):
        return None
    path = profile_path()
    if path is None:
        return None
    environ["FASTDDS_DEFAULT_PROFILES_FILE"] = str(path)
    return str(path)
