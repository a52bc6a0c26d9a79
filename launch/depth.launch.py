"""Launch mono_depth_ros with defaults from config/*.yaml.

    ros2 launch mono_depth_ros depth.launch.py image_topic:=/camera/image_raw method:=li2020
    ros2 launch mono_depth_ros depth.launch.py method:=li2020 scale_source:=camera_height camera_height_m:=1.65

With ``ego_motion:=true`` (default) depth_node and ego_motion_node run in ONE process
(``mono_depth_pipeline``): no image is serialized between them, and with ``method:=li2020`` they
share its depth of every frame (computed once); with another method ego_motion_node runs its own
Li 2020 depth net beside depth_node's. ``separate_processes:=true`` starts them as two processes
instead (ego_motion_node then always runs its own Li 2020 depth net: ``depth_model_path``);
``ego_motion:=false`` starts depth_node alone. ``ego_motion`` and ``separate_processes`` take
true/false (or 1/0); anything else is an error. Every launch argument in NODE_ARGUMENTS
(mono_depth_ros/nodes/launch_args.py) overrides the node parameter of the same name; its default
is read from the installed config/*.yaml, so editing those files changes what a plain launch
starts. Their sections are keyed ``/**/<node>``, so they also apply under ``namespace:=...``.
``scale_source:=camera_height`` (or
``depth_topic`` with ``metric_depth_topic:=...`` or a lidar's ``metric_cloud_topic:=...``) makes a
non-metric network's depth metric, and with method li2020 the odometry's translations too. The
shipped Fast DDS profile for large images (config/fastdds_large_data.xml) is applied to the nodes
unless FASTDDS_DEFAULT_PROFILES_FILE or FASTDDS_BUILTIN_TRANSPORTS is already set; start the camera
driver and rviz2 with the same FASTDDS_DEFAULT_PROFILES_FILE.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, SetEnvironmentVariable
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration, PythonExpression
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

from mono_depth_ros.nodes.launch_args import CONFIG_FILES, NODE_ARGUMENTS, argument_defaults, flag_expression

# which processes start: (executable, node name or None for the two-node pipeline, condition)
PROCESSES = (
    ("depth_node", "depth_node", "not ego"),
    ("mono_depth_pipeline", None, "ego and not separate"),
    ("depth_node", "depth_node", "ego and separate"),
    ("ego_motion_node", "ego_motion_node", "ego and separate"),
)
PROFILE_VARIABLES = ("FASTDDS_DEFAULT_PROFILES_FILE", "FASTDDS_BUILTIN_TRANSPORTS")


def _condition(rule):
    """IfCondition of a rule over the booleans `ego` and `separate` (the launch arguments)."""
    flag = {"ego": LaunchConfiguration("ego_motion"), "separate": LaunchConfiguration("separate_processes")}
    parts = []
    for word in rule.split():
        if word in flag:
            parts += ["(", *flag_expression([flag[word]]), ")"]  # 'yes' or a typo fails, never reads as false
        else:
            parts.append(f" {word} ")
    return IfCondition(PythonExpression(parts))


def generate_launch_description():
    share = get_package_share_directory("mono_depth_ros")
    defaults = argument_defaults(os.path.join(share, "config"))  # what the installed config/*.yaml say
    args = [DeclareLaunchArgument(name, default_value=defaults[name],
                                  description=f"sets the {name!r} parameter of {', '.join(nodes)}")
            for name, (nodes, _) in NODE_ARGUMENTS.items()]
    args += [
        DeclareLaunchArgument("namespace", default_value="", description="namespace of the nodes"),
        DeclareLaunchArgument("use_sim_time", default_value="false", description="use /clock (bag replay)"),
        DeclareLaunchArgument("ego_motion", default_value="true", description="also run ego_motion_node"),
        DeclareLaunchArgument("separate_processes", default_value="false",
                              description="depth_node and ego_motion_node as two processes (depth computed twice)"),
    ]
    actions = []
    profile = os.path.join(share, "config", "fastdds_large_data.xml")
    if not any(os.environ.get(name) for name in PROFILE_VARIABLES) and os.path.isfile(profile):
        actions.append(SetEnvironmentVariable("FASTDDS_DEFAULT_PROFILES_FILE", profile))
    use_sim_time = ParameterValue(LaunchConfiguration("use_sim_time"), value_type=bool)
    yaml_files = {node: os.path.join(share, "config", name) for node, name in CONFIG_FILES.items()}

    def overrides(executables):
        return {name: ParameterValue(LaunchConfiguration(name), value_type=value_type)
                for name, (nodes, value_type) in NODE_ARGUMENTS.items() if set(nodes) & set(executables)}

    for executable, name, rule in PROCESSES:
        # the pipeline process holds both nodes: no name remap (it would rename both), both YAMLs
        members = ("depth_node", "ego_motion_node") if name is None else (executable,)
        node_args = {} if name is None else {"name": name}
        actions.append(Node(package="mono_depth_ros", executable=executable, namespace=LaunchConfiguration("namespace"),
                            output="screen", condition=_condition(rule), **node_args,
                            parameters=[yaml_files[m] for m in members] + [overrides(members),
                                                                          {"use_sim_time": use_sim_time}]))
    return LaunchDescription(args + actions)
