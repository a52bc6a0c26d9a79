"""Console script ``mono_depth_pipeline``: depth_node + ego_motion_node in one process.

When depth_node runs the built-in Li 2020 depth network (``method: li2020``, no model card) they
share a DepthCache, so the depth network runs once per frame for both, and a ``scale_source`` of
depth_node scales the odometry's translations too (ego_motion_node's ``scale_from_depth``). With
another network (another method, or a model card's) ego_motion_node runs its own Li 2020 depth net:
the motion net was trained on that depth as its input. Parameters reach each node by its name
(``--ros-args --params-file config/depth.yaml --params-file config/ego_motion.yaml``).
"""

from __future__ import annotations

import sys
from typing import Any

from mono_depth_ros.nodes.depth_cache import DepthCache


def shares_li2020_depth(spec: Any) -> bool:
    """True for the built-in Li 2020 depth network's spec: the motion net was trained on its depth,
    so only that depth may be shared (a model card replacing the network gets its own)."""
    return spec.name == "li2020_depth" and spec.source == "built-in"


def check_ego_parameters(namespace: str | None = None, context: Any = None,
                         parameter_overrides: Any = None) -> None:
    """ConfigError for an invalid ego_motion_node parameter before depth_node loads its model: a
    bad ``ego_motion_node:scale:=-1.0`` is then the only line the pipeline prints, as for a node
    started alone. A short-lived node of ego_motion_node's name reads the same parameters (command
    line, params files, overrides) and runs the same checks."""
    from rclpy.node import Node

    from mono_depth_ros.nodes.params import to_parameters
    from mono_depth_ros.nodes.ego_motion_config import EGO_PARAMS, EgoMotionConfig
    from mono_depth_ros.nodes.params import build_config, declare_parameters

    probe = Node("ego_motion_node", namespace=namespace, context=context,
                 parameter_overrides=to_parameters(parameter_overrides))
    try:
        build_config(EgoMotionConfig, EGO_PARAMS, declare_parameters(probe, EGO_PARAMS))
    finally:
        probe.destroy_node()


def build_pipeline(**kwargs) -> list:
    """[DepthNode, EgoMotionNode] sharing one DepthCache; kwargs go to both constructors."""
    from mono_depth_ros.nodes.depth_node import DepthNode
    from mono_depth_ros.nodes.ego_motion_node import EgoMotionNode

    check_ego_parameters(**kwargs)
    cache = DepthCache()
    depth = DepthNode(depth_cache=cache, **kwargs)
    shared = cache if shares_li2020_depth(depth.estimator.spec) else None
    try:
        ego = EgoMotionNode(depth_cache=shared, **kwargs)
    except Exception:
        depth.destroy_node()
        raise
    return [depth, ego]


def main(args: list[str] | None = None) -> int:
    from mono_depth_ros.nodes.spin import run_nodes

    return run_nodes(build_pipeline, args if args is not None else sys.argv, usage)


def usage() -> str:
    """``mono_depth_pipeline --help``: both nodes' parameters, set per node by name."""
    from mono_depth_ros.nodes.depth_config import DEPTH_PARAMS
    from mono_depth_ros.nodes.ego_motion_config import EGO_PARAMS
    from mono_depth_ros.nodes.params import console_help

    return console_help("mono_depth_pipeline", """
depth_node and ego_motion_node in one process (what depth.launch.py starts with ego-motion on):
with method li2020 the depth network runs once per frame for both. Parameters go to each node by
its name (-p depth_node:image_topic:=..., or params files keyed by node name). Under a namespace
(-r __ns:=/front) ROS matches -p NODE:NAME rules against the node's full name, so they no longer
apply: use a --params-file whose sections are keyed /**/depth_node and /**/ego_motion_node (as
the shipped config/*.yaml are). The default image_topic, camera/image_raw, is relative: it moves
into the namespace (/front/camera/image_raw).""",
                        [("depth_node", DEPTH_PARAMS), ("ego_motion_node", EGO_PARAMS)],
                        ros_args="-p depth_node:NAME:=VALUE -p ego_motion_node:NAME:=VALUE")


if __name__ == "__main__":
    sys.exit(main())
