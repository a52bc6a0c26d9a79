"""Console script ``mono_depth_pipeline``: depth_node + ego_motion_node in one process.

With ``method: li2020`` they share a DepthCache, so the depth network runs once per frame for
both; with another method ego_motion_node runs its own Li 2020 depth net (the motion net's input). Parameters reach
each node by its name (``--ros-args --params-file config/depth.yaml --params-file
config/ego_motion.yaml``).
"""

from __future__ import annotations

import sys

from mono_depth_ros.nodes.depth_cache import DepthCache


def build_pipeline(**kwargs) -> list:
    """[DepthNode, EgoMotionNode] sharing one DepthCache; kwargs go to both constructors."""
    from mono_depth_ros.nodes.depth_node import DepthNode
    from mono_depth_ros.nodes.ego_motion_node import EgoMotionNode

    cache = DepthCache()
    depth = DepthNode(depth_cache=cache, **kwargs)
    # the motion net was trained on Li 2020 depth: share only that; other methods -> own depth net
    shared = cache if depth.config.method == "li2020" else None
    try:
        ego = EgoMotionNode(depth_cache=shared, **kwargs)
    except Exception:
        depth.destroy_node()
        raise
    return [depth, ego]


def main(args: list[str] | None = None) -> int:
    from mono_depth_ros.nodes.spin import run_nodes

    return run_nodes(build_pipeline, args if args is not None else sys.argv)


if __name__ == "__main__":
    sys.exit(main())
