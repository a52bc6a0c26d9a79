"""Launch depth_node and (optionally) ego_motion_node with defaults from config/*.yaml.

    ros2 launch mono_depth_ros depth.launch.py image_topic:=/camera/image_raw method:=li2020

Every launch argument overrides the node parameter of the same name (see NODE_ARGUMENTS);
argument defaults of '' keep the YAML value. The two nodes run as separate processes here, so
ego_motion_node runs its own Li 2020 depth net; `mono_depth_pipeline` runs both in one process
sharing depth.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

# launch argument -> (node executables whose parameter of the same name it sets, value type)
NODE_ARGUMENTS = {
    "image_topic": (("depth_node", "ego_motion_node"), str),
    "camera_info_topic": (("depth_node",), str),
    "method": (("depth_node",), str),
    "model_path": (("depth_node",), str),
    "backend": (("depth_node", "ego_motion_node"), str),
    "precision": (("depth_node", "ego_motion_node"), str),
    "publish_points": (("depth_node",), bool),
    "publish_tf": (("ego_motion_node",), bool),
}
ARGUMENT_DEFAULTS = {
    "image_topic": "/camera/image_raw", "camera_info_topic": "", "method": "eigen2014",
    "model_path": "", "backend": "auto", "precision": "fp32", "publish_points": "true",
    "publish_tf": "true",
}


def generate_launch_description():
    share = get_package_share_directory("mono_depth_ros")
    args = [DeclareLaunchArgument(name, default_value=ARGUMENT_DEFAULTS[name],
                                  description=f"sets the {name!r} parameter of {', '.join(nodes)}")
            for name, (nodes, _) in NODE_ARGUMENTS.items()]
    args += [
        DeclareLaunchArgument("namespace", default_value="", description="namespace of both nodes"),
        DeclareLaunchArgument("use_sim_time", default_value="false", description="use /clock (bag replay)"),
        DeclareLaunchArgument("ego_motion", default_value="true", description="also start ego_motion_node"),
    ]
    use_sim_time = ParameterValue(LaunchConfiguration("use_sim_time"), value_type=bool)

    def overrides(executable):
        return {name: ParameterValue(LaunchConfiguration(name), value_type=value_type)
                for name, (nodes, value_type) in NODE_ARGUMENTS.items() if executable in nodes}

    depth = Node(package="mono_depth_ros", executable="depth_node", name="depth_node",
                 namespace=LaunchConfiguration("namespace"), output="screen",
                 parameters=[os.path.join(share, "config", "depth.yaml"), overrides("depth_node"),
                             {"use_sim_time": use_sim_time}])
    ego = Node(package="mono_depth_ros", executable="ego_motion_node", name="ego_motion_node",
               namespace=LaunchConfiguration("namespace"), output="screen",
               condition=IfCondition(LaunchConfiguration("ego_motion")),
               parameters=[os.path.join(share, "config", "ego_motion.yaml"), overrides("ego_motion_node"),
                           {"use_sim_time": use_sim_time}])
    return LaunchDescription(args + [depth, ego])
