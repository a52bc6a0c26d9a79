"""Parameter tables, config files and the launch file agree; pure pose integration math."""

from __future__ import annotations

import ast
import subprocess
import sys
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from mono_depth_ros.core.transforms import T_BODY_FROM_OPTICAL, axis_angle_to_matrix, euler_to_matrix, se3, \
    se3_inverse
from mono_depth_ros.nodes.depth_config import DEPTH_PARAMS, DepthNodeConfig
from mono_depth_ros.nodes.ego_motion_config import EGO_PARAMS, EgoMotionConfig
from mono_depth_ros.nodes.launch_args import (CONFIG_FILES, NODE_ARGUMENTS, argument_defaults, as_launch_value,
                                              flag_expression, yaml_parameters)
from mono_depth_ros.nodes.odometry import OdometryIntegrator, StaticTfTree, UpDirection, base_from_optical
from mono_depth_ros.nodes.params import ConfigError, build_config, specs_by_name

ROOT = Path(__file__).resolve().parents[2]
TABLES = {"depth_node": specs_by_name(DEPTH_PARAMS), "ego_motion_node": specs_by_name(EGO_PARAMS)}


def _launch_tree() -> ast.Module:
    return ast.parse((ROOT / "launch" / "depth.launch.py").read_text())


def _literal(tree: ast.Module, name: str):
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return node.value
    raise AssertionError(f"{name} not found in the launch file")


def test_every_launch_argument_maps_onto_declared_node_parameters():
    for key, (executables, value_type) in NODE_ARGUMENTS.items():
        assert value_type in (str, int, float, bool)
        for executable in executables:
            assert key in TABLES[executable], f"launch argument {key!r} is no parameter of {executable}"
            assert isinstance(TABLES[executable][key].default, value_type), key
    required = {"image_topic", "camera_info_topic", "method", "model_path", "backend", "precision",
                "calibration_dir", "threads", "publish_points", "publish_tf", "motion_model_path", "depth_model_path"}
    assert required <= set(NODE_ARGUMENTS)
    # ego_motion_node reads camera_info_topic too: as two processes it must get the argument itself
    assert NODE_ARGUMENTS["camera_info_topic"][0] == ("depth_node", "ego_motion_node")
    tree = _launch_tree()
    declared = {ast.literal_eval(call.args[0]) for call in ast.walk(tree) if isinstance(call, ast.Call)
                and getattr(call.func, "id", "") == "DeclareLaunchArgument" and call.args
                and isinstance(call.args[0], ast.Constant)}
    assert {"namespace", "use_sim_time"} <= declared


def test_launch_argument_defaults_come_from_the_config_yaml(tmp_path):
    """A launch argument always overrides the YAML (launch passes its default too), so its default is
    read from the YAML: the shipped files give the declared defaults, and an edited file changes it."""
    defaults = argument_defaults(ROOT / "config")
    assert set(defaults) == set(NODE_ARGUMENTS)
    for name, (executables, value_type) in NODE_ARGUMENTS.items():
        for executable in executables:  # an argument of both nodes: both files must agree
            value = yaml_parameters(ROOT / "config" / CONFIG_FILES[executable], executable)[name]
            assert defaults[name] == as_launch_value(value), (name, executable)
            assert value == TABLES[executable][name].default, (name, executable)
    assert defaults["publish_points"] == "true" and float(defaults["camera_height_m"]) == 1.5
    for name in CONFIG_FILES.values():
        text = (ROOT / "config" / name).read_text()
        if name == "depth.yaml":
            text = text.replace("method: eigen2014", "method: li2020").replace("publish_points: true",
                                                                               "publish_points: false")
        (tmp_path / name).write_text(text)
    edited = argument_defaults(tmp_path)
    assert (edited["method"], edited["publish_points"]) == ("li2020", "false")
    (tmp_path / "depth.yaml").write_text("depth_node:\n  ros__parameters:\n    image_topic: /cam\n")
    with pytest.raises(ValueError, match="no 'camera_info_topic', which launch argument"):
        argument_defaults(tmp_path)


@pytest.mark.parametrize("text, expected", [("true", True), ("True", True), ("1", True), ("false", False),
                                            ("FALSE", False), ("0", False), ("yes", None), ("ture", None)])
def test_boolean_launch_arguments_fail_on_anything_but_true_or_false(text, expected):
    expression = "".join(flag_expression([text]))  # as PythonExpression joins its parts
    if expected is None:
        with pytest.raises(KeyError):
            eval(expression, {}, {})
    else:
        assert eval(expression, {}, {}) is expected


@pytest.mark.parametrize("namespace", ["", "/robot1"])
def test_config_yaml_applies_in_any_namespace(namespace):
    """The shipped files are keyed /**/<node>: rcl gives their values to the node under a namespace too."""
    import rclpy
    from rclpy.context import Context
    from rclpy.node import Node

    context = Context()
    args = ["--ros-args", "--params-file", str(ROOT / "config" / "depth.yaml")]
    rclpy.init(args=args + (["-r", f"__ns:={namespace}"] if namespace else []), context=context)
    try:
        node = Node("depth_node", context=context, automatically_declare_parameters_from_overrides=True)
        assert node.get_fully_qualified_name() == f"{namespace}/depth_node"
        assert node.get_parameter("method").value == "eigen2014"
        assert node.get_parameter("camera_height_m").value == 1.5
        node.destroy_node()
    finally:
        rclpy.shutdown(context=context)


@pytest.mark.parametrize("file_name, node_name, config_cls", [
    ("depth.yaml", "depth_node", DepthNodeConfig), ("ego_motion.yaml", "ego_motion_node", EgoMotionConfig)])
def test_config_yaml_keys_are_declared_and_valid(file_name, node_name, config_cls):
    values = yaml_parameters(ROOT / "config" / file_name, node_name)
    table = TABLES[node_name]
    unknown = set(values) - set(table)
    assert not unknown, f"{file_name}: keys not declared as parameters: {unknown}"
    assert set(values) == set(table), f"{file_name} misses {set(table) - set(values)}"
    config = build_config(config_cls, list(table.values()), values)
    for key, value in values.items():
        got = getattr(config, key)
        assert got == (tuple(value) if isinstance(value, list) else value)


def test_every_string_choice_stays_a_string_on_the_command_line():
    """`ros2 run ... -p name:=value` and params files parse values as YAML: a choice such as on/off
    or yes/no would arrive as a boolean and be refused. Every declared choice must read back as itself."""
    for spec in (*DEPTH_PARAMS, *EGO_PARAMS):
        for choice in spec.choices:
            assert yaml.safe_load(choice) == choice, f"{spec.name}: choice {choice!r} is not a YAML string"


@pytest.mark.parametrize("name, value, allowed", [
    ("rectify", "sometimes", "['auto', 'always', 'never']"), ("resize_mode", "squash", "['crop', 'pad', 'stretch', 'tile']")])
def test_shared_parameters_default_and_validate_alike_in_both_nodes(name, value, allowed):
    """``rectify`` and ``resize_mode``: one row shared by both tables, so one default and one error."""
    errors = []
    for config_cls, specs in ((DepthNodeConfig, DEPTH_PARAMS), (EgoMotionConfig, EGO_PARAMS)):
        assert getattr(build_config(config_cls, specs, {}), name) == {"rectify": "auto", "resize_mode": "crop"}[name]
        with pytest.raises(ConfigError) as info:
            build_config(config_cls, specs, {name: value})
        errors.append(str(info.value))
    assert errors == [f"invalid parameter {name}={value!r}: must be one of {allowed}"] * 2


def test_invalid_values_name_the_parameter():
    with pytest.raises(ConfigError, match="point_stride_px=0"):
        build_config(DepthNodeConfig, DEPTH_PARAMS, {"point_stride_px": 0})
    with pytest.raises(ConfigError, match="method='midas'"):
        build_config(DepthNodeConfig, DEPTH_PARAMS, {"method": "midas"})
    with pytest.raises(ConfigError, match="model_path"):
        build_config(DepthNodeConfig, DEPTH_PARAMS, {"model_path": "/nonexistent/model.onnx"})
    with pytest.raises(ConfigError, match="max_range_m"):
        build_config(DepthNodeConfig, DEPTH_PARAMS, {"max_range_m": float("nan")})
    with pytest.raises(ConfigError, match="camera_xyz_m"):
        build_config(EgoMotionConfig, EGO_PARAMS, {"camera_xyz_m": [0.0, 1.0]})
    with pytest.raises(ConfigError, match="base_frame"):
        build_config(EgoMotionConfig, EGO_PARAMS, {"base_frame": "odom"})


def test_camera_info_topic_defaults_to_sibling():
    from mono_depth_ros.nodes.params import camera_info_sibling

    config = build_config(DepthNodeConfig, DEPTH_PARAMS, {"image_topic": "/cam/left/image_raw"})
    assert config.camera_info_topic == "" and camera_info_sibling(config.image_topic) == "/cam/left/camera_info"


def test_odometry_forward_motion_maps_to_base_x():
    """Camera moves 0.5 m along optical z per frame -> base_link moves +x (REP 103)."""
    integrator = OdometryIntegrator(base_from_optical((0, 0, 0), (0, 0, 0)), np.full(6, 0.1))
    camera_step = se3(np.eye(3), (0.0, 0.0, 0.5))  # pose of b in a (optical)
    T_b_from_a = se3_inverse(camera_step)
    for _ in range(4):
        T, twist = integrator.step(T_b_from_a, dt_s=0.1)
    np.testing.assert_allclose(T[:3, 3], [2.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(twist[:3], [5.0, 0.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(np.diag(integrator.pose_cov), np.full(6, 4 * 0.01))


def test_odometry_yaw_left_and_scale():
    """Camera turning left (about optical -y) -> positive yaw about base z; scale multiplies t."""
    integrator = OdometryIntegrator(base_from_optical((0.2, 0, 0.1), (0, 0, 0)), np.zeros(6), scale=2.0)
    camera_step = se3(axis_angle_to_matrix([0.0, -0.1, 0.0]), (0.0, 0.0, 0.25))
    T, _ = integrator.step(se3_inverse(camera_step), dt_s=0.1)
    yaw = math.atan2(T[1, 0], T[0, 0])
    assert yaw == pytest.approx(0.1, abs=1e-9)
    assert T[0, 3] > 0.45  # 2 x 0.25 m forward (plus the lever arm's small sideways term)


def test_twist_is_the_constant_body_twist_of_a_turning_step():
    """A robot driving 2 m/s forward while turning 0.5 rad/s for 1 s (a screw: exp of the body twist)
    reports exactly (2, 0, 0, 0, 0, 0.5) in base_link; the chord (the old twist) pointed 0.25 rad
    to the side of both the start's and the end's heading (REP 105: the twist is in the child frame)."""
    from mono_depth_ros.nodes.odometry import body_twist_of

    v, w = np.array([2.0, 0.0, 0.0]), np.array([0.0, 0.0, 0.5])
    radius = v[0] / w[2]  # the arc's radius; the end pose of the arc
    T_step = se3(euler_to_matrix(0.0, 0.0, 0.5), (radius * math.sin(0.5), radius * (1 - math.cos(0.5)), 0.0))
    np.testing.assert_allclose(body_twist_of(T_step), np.concatenate([v, w]), atol=1e-12)
    chord = T_step[:3, 3]
    assert math.atan2(chord[1], chord[0]) == pytest.approx(0.25)  # what the chord / dt said
    integrator = OdometryIntegrator(base_from_optical((0, 0, 0), (0, 0, 0)), np.zeros(6))
    T_base_optical = base_from_optical((0, 0, 0), (0, 0, 0))
    T_b_from_a = se3_inverse(se3_inverse(T_base_optical) @ T_step @ T_base_optical)  # the camera's motion
    _, twist = integrator.step(T_b_from_a, dt_s=2.0)
    np.testing.assert_allclose(twist, np.concatenate([v, w]) / 2.0, atol=1e-12)


def test_static_tree_resolves_chain():
    tree = StaticTfTree()
    tree.add("base_link", "camera_link", se3(np.eye(3), (0.3, 0, 0.2)))
    tree.add("camera_link", "camera_optical_frame", T_BODY_FROM_OPTICAL)
    T = tree.lookup("base_link", "camera_optical_frame")
    np.testing.assert_allclose(T, se3(np.eye(3), (0.3, 0, 0.2)) @ T_BODY_FROM_OPTICAL)
    assert tree.lookup("map", "camera_optical_frame") is None


@pytest.mark.parametrize("source", ["parameters", "auto", "tf_static"])
def test_up_direction_by_extrinsic_source(source):
    """depth_node's camera_height up direction: the parameters say a level camera (up = -y optical);
    a URDF's chain pitches it 0.3 rad nose down (REP 103), so the view direction (+z optical) points
    0.3 rad below the horizon: up has -sin 0.3 on z. auto follows the chain once it exists and the
    parameters before; tf_static waits for it."""
    tree = StaticTfTree()
    up = UpDirection((0.0, 0.0, 0.0), "base_link", None if source == "parameters" else tree,
                     fallback=source == "auto")
    before, why = up.of("camera_optical_frame")
    if source == "tf_static":
        assert before is None and why == "no /tf_static base_link -> camera_optical_frame yet (up direction unknown)"
    else:
        np.testing.assert_allclose(before, (0.0, -1.0, 0.0), atol=1e-12)
        assert why == "" and up.source == "parameters"
    tree.add("base_link", "camera_optical_frame", base_from_optical((0.0, 0.0, 1.0), (0.0, 0.3, 0.0)))
    after, _ = up.of("camera_optical_frame")
    expected = (0.0, -1.0, 0.0) if source == "parameters" else (0.0, -math.cos(0.3), -math.sin(0.3))
    np.testing.assert_allclose(after, expected, atol=1e-12)
    assert up.source == ("parameters" if source == "parameters" else "tf_static")


@pytest.mark.parametrize("ego, separate, expected", [
    (True, False, ["mono_depth_pipeline"]),  # default: one process, depth shared
    (True, True, ["depth_node", "ego_motion_node"]),
    (False, False, ["depth_node"]),
    (False, True, ["depth_node"]),
])
def test_launch_starts_one_process_by_default(ego, separate, expected):
    """The launch file's PROCESSES rules, evaluated as its PythonExpression conditions would be."""
    tree = _launch_tree()
    processes = ast.literal_eval(_literal(tree, "PROCESSES"))
    defaults = {call.args[0].value: call.keywords[0].value.value for call in ast.walk(tree)
                if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "DeclareLaunchArgument"
                and call.args and isinstance(call.args[0], ast.Constant) and call.keywords
                and isinstance(call.keywords[0].value, ast.Constant)}
    assert (defaults["ego_motion"], defaults["separate_processes"]) == ("true", "false")
    started = [exe for exe, _, rule in processes if eval(rule, {}, {"ego": ego, "separate": separate})]
    assert started == expected
    names = {exe: name for exe, name, _ in processes}
    assert names["mono_depth_pipeline"] is None  # a name remap would rename both nodes of the process


class _Backend:
    """A loaded backend as the nodes see it: what it reports running."""

    def __init__(self, effective_precision: str) -> None:
        self.effective_precision = effective_precision


class _Estimator:
    def __init__(self, effective_precision: str) -> None:
        self.backend = _Backend(effective_precision)
        self.backend_description = f"test runtime {effective_precision}"


def test_precision_a_backend_cannot_honour():
    from mono_depth_ros.nodes.model_loading import checked_precision

    warnings = []
    with pytest.raises(ConfigError, match=r"precision='fp16'.*backend 'openvino'.*runs fp32"):
        checked_precision(_Estimator("fp32"), "openvino", "fp16", warnings.append)
    assert checked_precision(_Estimator("fp32"), "auto", "int8", warnings.append) == "fp32"
    assert len(warnings) == 1 and "int8" in warnings[0] and "fp32" in warnings[0]
    assert checked_precision(_Estimator("fp32"), "onnxruntime", "fp32", warnings.append) == "fp32"
    assert checked_precision(_Estimator("fp16"), "auto", "fp16", warnings.append) == "fp16"
    assert len(warnings) == 1  # what was asked for is what runs: nothing to say
    # a half float, but not the one asked for (OpenVINO on an AMX CPU runs an fp16 hint as bf16): said
    assert checked_precision(_Estimator("bf16"), "openvino", "fp16", warnings.append) == "bf16"
    assert len(warnings) == 2 and "fp16 runs as bf16" in warnings[1]


@pytest.mark.parametrize("module, specs", [("depth_node", ("DEPTH_PARAMS",)), ("ego_motion_node", ("EGO_PARAMS",)),
                                           ("pipeline", ("DEPTH_PARAMS", "EGO_PARAMS"))])
def test_help_lists_every_parameter_and_starts_nothing(module, specs):
    """``depth_node --help`` (and the others): usage, then every declared parameter with its default
    and range or choices, exit 0, no node started (no model loaded: nothing logged); ``-p help:=1``
    after --ros-args is a ROS argument, not a request for help (that start fails on the unknown
    topic below and exits 2, as any bad start does)."""
    from mono_depth_ros.nodes.depth_config import DEPTH_PARAMS
    from mono_depth_ros.nodes.ego_motion_config import EGO_PARAMS

    tables = {"DEPTH_PARAMS": DEPTH_PARAMS, "EGO_PARAMS": EGO_PARAMS}
    code = f"import sys; from mono_depth_ros.nodes.{module} import main; sys.exit(main(sys.argv))"
    proc = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: ") and proc.stderr == ""
    for table in specs:
        for spec in tables[table]:
            assert f"\n  {spec.name} (default " in proc.stdout, spec.name
    assert "point_stride_px (default 2; range [1" in proc.stdout or module == "ego_motion_node"
    assert "motion_refinement (default 'rest'; one of auto, none, photometric, rest" in proc.stdout \
        or module == "depth_node"
    ros_arg = subprocess.run([sys.executable, "-c", code, "--ros-args", "-p", "image_topic:=bad topic"],
                             capture_output=True, text=True, timeout=60)
    assert ros_arg.returncode == 2 and "image_topic" in ros_arg.stderr and "usage:" not in ros_arg.stdout


def test_launch_applies_the_shipped_fastdds_profile_unless_the_user_chose_one():
    """The launch file sets FASTDDS_DEFAULT_PROFILES_FILE to the installed config/fastdds_large_data.xml
    (the nodes' processes inherit it), under the same user-choice rule as the console scripts."""
    from mono_depth_ros.nodes.transport import PROFILE_FILE_NAME, USER_SETTINGS

    tree = _launch_tree()
    assert ast.literal_eval(_literal(tree, "PROFILE_VARIABLES")) == USER_SETTINGS
    sets = [call for call in ast.walk(tree) if isinstance(call, ast.Call)
            and getattr(call.func, "id", "") == "SetEnvironmentVariable"]
    assert len(sets) == 1 and ast.literal_eval(sets[0].args[0]) == "FASTDDS_DEFAULT_PROFILES_FILE"
    joins = [call for call in ast.walk(tree) if isinstance(call, ast.Call)
             and getattr(call.func, "attr", "") == "join" and len(call.args) == 3]
    assert any([ast.literal_eval(a) for a in call.args[1:]] == ["config", PROFILE_FILE_NAME] for call in joins)
    assert (ROOT / "config" / PROFILE_FILE_NAME).is_file()


def test_help_writes_list_defaults_as_ros_does():
    """--help's defaults can be copied to -p NAME:=VALUE: lists in brackets, not Python tuples."""
    from mono_depth_ros.nodes.params import parameters_help

    text = parameters_help("ego_motion_node", EGO_PARAMS)
    assert "camera_xyz_m (default [0.0, 0.0, 0.0]" in text and "(0.0, 0.0, 0.0)" not in text
