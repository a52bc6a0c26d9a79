"""colcon builds the package in a workspace; the installed depth_node starts after sourcing
install/setup.bash (as `ros2 run mono_depth_ros depth_node` would run it).

Needs colcon (colcon-common-extensions from PyPI) importable by this interpreter; skipped with
the reason otherwise. The workspace is temporary: src/mono_depth_ros links to this checkout.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytest.importorskip("colcon_core", reason="colcon not installed (pip install colcon-common-extensions)")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("colcon_ws")
    (ws / "src").mkdir()
    (ws / "src" / "mono_depth_ros").symlink_to(ROOT, target_is_directory=True)
    build = subprocess.run([sys.executable, "-m", "colcon", "build", "--packages-select", "mono_depth_ros"],
                           cwd=ws, capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr
    return ws


def _installed(ws: Path, args: str) -> list[str]:
    """bash: source the workspace, then exec the installed depth_node with ``args``."""
    node = ws / "install" / "mono_depth_ros" / "lib" / "mono_depth_ros" / "depth_node"
    return ["bash", "-c", f"source {ws}/install/setup.bash && exec {node} {args}"]


def test_install_space_holds_scripts_and_share_files(workspace):
    prefix = workspace / "install" / "mono_depth_ros"
    for script in ("depth_node", "ego_motion_node", "mono_depth_pipeline"):
        assert (prefix / "lib" / "mono_depth_ros" / script).is_file()
    share = prefix / "share" / "mono_depth_ros"
    for item in ("package.xml", "launch/depth.launch.py", "config/depth.yaml", "config/fastdds_large_data.xml",
                 "rviz/mono_depth.rviz"):
        assert (share / item).is_file(), item
    assert (workspace / "install" / "setup.bash").is_file()


def test_installed_depth_node_starts_and_stops(workspace):
    env = dict(os.environ, ROS_DOMAIN_ID="211", OMP_NUM_THREADS="1")
    env.pop("FASTDDS_DEFAULT_PROFILES_FILE", None)
    bad = subprocess.run(_installed(workspace, "--ros-args -p point_stride_px:=0"), env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0, bad.stderr
    assert "point_stride_px=0" in bad.stderr
    proc = subprocess.Popen(_installed(workspace, "--ros-args -p backend:=torch"), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    started = threading.Event()
    lines: list[str] = []

    def read() -> None:
        for line in proc.stdout:
            lines.append(line)
            if "eigen2014 on" in line:
                started.set()
    threading.Thread(target=read, daemon=True).start()
    try:
        assert started.wait(120), "".join(lines)
        # the installed code, not this checkout's: the log names the model the install space ships
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0, "".join(lines)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
