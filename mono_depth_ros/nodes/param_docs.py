"""docs/parameters.md from the nodes' parameter tables (the rows the nodes declare).

    python -m mono_depth_ros.nodes.param_docs docs/parameters.md          (write it)
    python -m mono_depth_ros.nodes.param_docs docs/parameters.md --check  (exit 1 when it is stale)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mono_depth_ros.nodes.depth_config import DEPTH_PARAMS
from mono_depth_ros.nodes.ego_motion_config import EGO_PARAMS
from mono_depth_ros.nodes.params import parameters_markdown

HEADER = """# Node parameters

Generated from the tables the nodes declare (`mono_depth_ros/nodes/depth_config.py`,
`ego_motion_config.py`) by `python -m mono_depth_ros.nodes.param_docs docs/parameters.md`; a test
fails when this file is stale. The same text is each console script's `--help` and what `ros2
param describe` shows. Set them with `--ros-args -p NAME:=VALUE`, a `--params-file` keyed
`/**/depth_node` / `/**/ego_motion_node` (as `config/*.yaml`), or the launch file's arguments.
"Start-up only" parameters are read-only at run time. What each was measured against:
[nodes.md](nodes.md). `mono_depth_pipeline` runs both nodes in one process, each with its own table.
"""


def render() -> str:
    """The whole file."""
    sections = [parameters_markdown("depth_node", DEPTH_PARAMS), parameters_markdown("ego_motion_node", EGO_PARAMS)]
    return "\n\n".join([HEADER.strip()] + sections) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="the markdown file (docs/parameters.md)")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 when the file differs")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not args.out.is_file() or args.out.read_text() != text:
            print(f"error: {args.out} is stale: run python -m mono_depth_ros.nodes.param_docs {args.out}",
                  file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
