"""What ``launch/depth.launch.py``'s arguments set, and their defaults (no ``launch`` import, so it is
testable where the launch package is not installed).

Every argument in :data:`NODE_ARGUMENTS` overrides the node parameter of the same name, so its
default must be what the node would get without it: :func:`argument_defaults` reads it from the
config/*.yaml the launch file loads (the first listed node's file for an argument of both nodes).
Editing those files therefore changes what a plain ``ros2 launch`` starts.
"""

from __future__ import annotations

from pathlib import Path

import yaml

# launch argument -> (node executables whose parameter of the same name it sets, value type)
NODE_ARGUMENTS = {
    "image_topic": (("depth_node", "ego_motion_node"), str),
    "camera_info_topic": (("depth_node", "ego_motion_node"), str),
    "rectify": (("depth_node", "ego_motion_node"), str),
    "method": (("depth_node",), str),
    "model_path": (("depth_node",), str),
    "model_card": (("depth_node",), str),
    "scale_source": (("depth_node",), str),
    "camera_height_m": (("depth_node",), float),
    "metric_depth_topic": (("depth_node",), str),
    "metric_cloud_topic": (("depth_node",), str),
    "backend": (("depth_node", "ego_motion_node"), str),
    "precision": (("depth_node", "ego_motion_node"), str),
    "calibration_dir": (("depth_node", "ego_motion_node"), str),
    "threads": (("depth_node", "ego_motion_node"), int),
    "publish_points": (("depth_node",), bool),
    "publish_tf": (("ego_motion_node",), bool),
    "motion_refinement": (("ego_motion_node",), str),
    "motion_model_path": (("ego_motion_node",), str),
    "depth_model_path": (("ego_motion_node",), str),
    # auto (default): a URDF's /tf_static chain to the camera (robot_state_publisher) when there is one
    "extrinsic_source": (("depth_node", "ego_motion_node"), str),
    "publish_camera_tf": (("ego_motion_node",), bool),
}
CONFIG_FILES = {"depth_node": "depth.yaml", "ego_motion_node": "ego_motion.yaml"}


def yaml_parameters(path: str | Path, node: str) -> dict:
    """The ``ros__parameters`` of ``node`` in a ROS 2 parameter file, keyed ``/**/node``, ``node``
    or ``/node``. Raises ValueError naming the file when it has none for the node."""
    data = yaml.safe_load(Path(path).read_text()) or {}
    for key in (f"/**/{node}", node, f"/{node}"):
        if isinstance(data.get(key), dict) and isinstance(data[key].get("ros__parameters"), dict):
            return data[key]["ros__parameters"]
    raise ValueError(f"{path}: no '/**/{node}: ros__parameters:' section")


def as_launch_value(value) -> str:
    """A YAML value as a launch argument's text: booleans lower case, numbers as Python writes them."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def argument_defaults(config_dir: str | Path) -> dict[str, str]:
    """Launch argument -> default text, read from ``config_dir``'s node parameter files (for an
    argument that sets both nodes, depth.yaml's value). Raises ValueError naming a missing key."""
    params = {node: yaml_parameters(Path(config_dir) / name, node) for node, name in CONFIG_FILES.items()}
    defaults = {}
    for name, (nodes, _) in NODE_ARGUMENTS.items():
        if name not in params[nodes[0]]:
            raise ValueError(f"{Path(config_dir) / CONFIG_FILES[nodes[0]]}: no {name!r}, which launch argument "
                             f"{name!r} needs as its default")
        defaults[name] = as_launch_value(params[nodes[0]][name])
    return defaults


def flag_expression(text_parts: list) -> list:
    """PythonExpression parts that evaluate a boolean launch argument's text (``true``/``false``,
    ``1``/``0``, any case) and fail loudly on anything else (``yes``, a typo) instead of reading it as
    false. ``text_parts``: substitutions and strings that make up the text."""
    return ["{'true': True, '1': True, 'false': False, '0': False}['", *text_parts, "'.strip().lower()]"]
