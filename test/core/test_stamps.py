"""Stamps and headers for both message kinds."""

from __future__ import annotations

import pytest

from mono_depth_ros.core.stamps import make_header, ns_to_stamp, stamp_to_ns

from ._helpers import rb


@pytest.mark.parametrize("stamp_ns", [0, 999_999_999, 1_000_000_000, 1_700_000_000_123_456_789])
def test_stamp_round_trip(stamp_ns):
    stamp = ns_to_stamp(stamp_ns)
    assert 0 <= stamp.nanosec < 1_000_000_000
    assert stamp_to_ns(stamp) == stamp_ns
    assert stamp_to_ns(ns_to_stamp(stamp_ns, rb("builtin_interfaces/msg/Time"))) == stamp_ns


def test_make_header_both_kinds():
    header = make_header(2_500_000_000, "camera_optical_frame")
    assert (header.stamp.sec, header.stamp.nanosec, header.frame_id) == (2, 500_000_000, "camera_optical_frame")
    rb_header = make_header(2_500_000_000, "odom", header_cls=rb("std_msgs/msg/Header"))
    assert type(rb_header).__msgtype__ == "std_msgs/msg/Header"
    assert (rb_header.stamp.sec, rb_header.stamp.nanosec) == (2, 500_000_000)
