"""The demo's command line: options reach DemoOptions; a bad choice is an argparse error (exit 2)."""

from __future__ import annotations

import pytest

from mono_depth_ros.demo.__main__ import parse_args


def test_motion_refinement_option():
    assert parse_args([]).motion_refinement == "rest"  # ego_motion_node's default
    opts = parse_args(["--motion-refinement", "none", "--size", "160x120", "--no-ego-motion"])
    assert (opts.motion_refinement, opts.size_wh, opts.ego_motion) == ("none", (160, 120), False)
    with pytest.raises(SystemExit) as exc:
        parse_args(["--motion-refinement", "bundle"])
    assert exc.value.code == 2


def test_guided_filter_option():
    assert parse_args([]).guided_filter == "auto"  # depth_node's default
    assert parse_args(["--guided-filter", "never"]).guided_filter == "never"
    with pytest.raises(SystemExit) as exc:
        parse_args(["--guided-filter", "on"])
    assert exc.value.code == 2
