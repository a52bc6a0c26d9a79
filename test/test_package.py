"""The package is laid out as an ament_python package that colcon and rosdep can use."""

from __future__ import annotations

import configparser
import importlib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

REQUIRED_EXEC_DEPENDS = {
    "rclpy", "sensor_msgs", "geometry_msgs", "nav_msgs", "std_msgs", "tf2_msgs",
    "diagnostic_msgs", "python3-numpy", "python3-opencv",
}


def test_package_xml_is_format3_ament_python_with_runtime_depends():
    tree = ET.parse(ROOT / "package.xml")
    pkg = tree.getroot()
    assert pkg.tag == "package" and pkg.get("format") == "3"
    assert pkg.findtext("name") == "mono_depth_ros"
    assert pkg.find("export/build_type").text == "ament_python"
    depends = {e.text for e in pkg.findall("exec_depend")} | {e.text for e in pkg.findall("depend")}
    missing = REQUIRED_EXEC_DEPENDS - depends
    assert not missing, f"package.xml lacks exec_depend on {sorted(missing)}"


def test_setup_cfg_installs_scripts_where_ros2_run_finds_them():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert cfg["develop"]["script_dir"] == "$base/lib/mono_depth_ros"
    assert cfg["install"]["install_scripts"] == "$base/lib/mono_depth_ros"


def test_share_folder_is_registered_in_the_ament_index():
    ament = pytest.importorskip("ament_index_python.packages")
    share = Path(ament.get_package_share_directory("mono_depth_ros"))
    assert (share / "package.xml").is_file()
    assert (share / "launch" / "depth.launch.py").is_file()
    assert (share / "config").is_dir()


def test_console_scripts_point_at_importable_mains():
    from importlib.metadata import entry_points

    scripts = {ep.name: ep for ep in entry_points(group="console_scripts") if ep.value.startswith("mono_depth_ros.")}
    assert {"depth_node", "ego_motion_node", "mono_depth_demo"} <= set(scripts)
    for ep in scripts.values():
        module_name, func_name = ep.value.split(":")
        assert callable(getattr(importlib.import_module(module_name), func_name))


def test_node_package_never_imports_training():
    """mono_depth_ros (nodes, inference, demo, renderer, bag reader) must install without training/."""
    import ast

    offenders = []
    for path in sorted((ROOT / "mono_depth_ros").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno} imports {n}" for n in names
                          if n == "training" or n.startswith("training.")]
    assert not offenders, "\n".join(offenders)
