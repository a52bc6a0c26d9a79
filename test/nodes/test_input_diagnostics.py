"""depth_node's /diagnostics level about its input (audit findings 1 and 2).

A stream that stalls (its publisher still there, no frame for 10 camera periods, at least 0.5 s)
is a WARN for as long as it lasts, with the frames the camera's rate implies are missing, and
never counted in ``lost_before_node``; once the publisher is gone (a camera stopped on purpose)
it is not. Rejected inputs make the level WARN while some were rejected within the last
RECENT_REJECTS_S seconds (shortened here); the counts since start stay in the values.
"""

from __future__ import annotations

import re

import pytest
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from sensor_msgs.msg import Image

from mono_depth_ros.nodes.diagnostics import RejectLog, StampGapMeter
from mono_depth_ros.nodes.qos import make_qos

from .conftest import Collector, add_depth_node, depth_node_io, make_image, make_info, rgb_frame, wait_until

T0_NS = 1_700_000_000_000_000_000
PERIOD_NS = 33_333_333  # 30 Hz
OK, WARN = DiagnosticStatus.OK, DiagnosticStatus.WARN


def test_input_stall_rule_by_hand():
    from mono_depth_ros.nodes.diagnostics import InputStall

    stall = InputStall(periods=10.0, min_s=0.5)
    assert stall.check(33e6, publishers=1, now_s=0.0) == ({"input_state": "no frame yet"}, None)
    stall.received(now_s=100.0)
    values, problem = stall.check(33.3e6, publishers=1, now_s=100.4)  # 12 periods, under 0.5 s
    assert problem is None and values["input_state"] == "running"
    values, problem = stall.check(33.3e6, publishers=1, now_s=101.0)  # 1.0 s = 30 periods: 29 missing
    assert values["input_state"] == "stalled" and values["frames_missing_now"] == 29 and values["input_stalls"] == 1
    assert problem.startswith("input stalled: no image for 1.0 s from a 30.0 Hz camera")
    values, problem = stall.check(33.3e6, publishers=0, now_s=101.0)  # its publisher left: stopped
    assert problem is None and values["input_state"] == "stopped"
    values, problem = stall.check(200e6, publishers=1, now_s=101.5)  # 5 Hz: 1.5 s is 7.5 periods
    assert problem is None
    assert stall.check(None, publishers=1, now_s=200.0)[1] is None  # no rate known: no rule


def test_a_paused_replay_is_no_stall():
    """Under use_sim_time the ROS clock at the last frame is kept: a bag player paused with --clock
    keeps publishing the same /clock, so 3 s of wall-clock silence with the clock standing still
    is "paused" (no WARN); once the clock runs on without frames it is a stall again."""
    from mono_depth_ros.nodes.diagnostics import InputStall

    stall = InputStall(periods=10.0, min_s=0.5)
    stall.received(now_s=100.0, ros_now_ns=T0_NS)
    values, problem = stall.check(33.3e6, publishers=1, now_s=103.0, ros_now_ns=T0_NS + 1_000_000)
    assert problem is None and values["input_state"] == "paused" and values["input_stalls"] == 0
    values, problem = stall.check(33.3e6, publishers=1, now_s=104.0, ros_now_ns=T0_NS + 2_000_000_000)
    assert values["input_state"] == "stalled" and problem.startswith("input stalled: no image for 4.0 s")
    values, problem = stall.check(33.3e6, publishers=1, now_s=104.0)  # wall clock only: the rule as before
    assert values["input_state"] == "stalled"


def test_period_bound_from_few_frames_and_across_restarts():
    """5 of a 30 Hz camera's frames (4 intervals, one a gap of 2): too few for the loss counter's
    period, but the shortest interval bounds it; a restart keeps the last bound."""
    meter = StampGapMeter()
    assert meter.period_bound_ns() is None
    for i in (0, 1, 3, 4, 5):
        meter.add(T0_NS + i * PERIOD_NS)
    assert meter.period_ns() is None and meter.period_bound_ns() == PERIOD_NS
    meter.add(T0_NS)  # stamps back: a restart, the meter starts over
    assert meter.restarts == 1 and meter.period_bound_ns() == PERIOD_NS


def test_recent_rejects_by_hand():
    log = RejectLog(lambda text: None)
    log.reject("no_camera_info", "x")
    log.reject("no_camera_info", "x")
    assert log.recent(5.0) == {"no_camera_info": 2}
    assert log.recent(5.0, now_s=log._times[-1][0] + 5.1) == {}  # a window later: nothing recent
    assert log.counts == {"no_camera_info": 2}  # counted since start


def _status(diag: Collector, node, where) -> DiagnosticStatus:
    name = node.get_fully_qualified_name()

    def ours(msg):
        return [s for s in msg.status if s.hardware_id == name]
    try:
        msg = diag.wait_for(1, where=lambda m: any(where(s) for s in ours(m)))[0]
    except AssertionError:
        last = [(s.level, s.message, _values(s)) for m in diag.messages[-1:] for s in ours(m)]
        raise AssertionError(f"no such status; the last: {last}") from None
    return next(s for s in ours(msg) if where(s))


def _values(status: DiagnosticStatus) -> dict[str, str]:
    return {kv.key: kv.value for kv in status.values}


def test_a_stalled_stream_warns_until_its_publisher_leaves(graph, light_checkpoints):
    """5 frames of a 30 Hz camera with one lost between them (the rate not yet known to the loss
    counter, as when 5 of 150 frames arrived), then nothing while its publisher stays: WARN."""
    node = add_depth_node(graph, light_checkpoints, diagnostics_period_s=0.1)
    helper = graph.helper()
    diag = Collector(helper, DiagnosticArray, "/diagnostics", 50)
    pub = helper.create_publisher(Image, f"{graph.namespace}/cam/image_raw", make_qos("reliable", 10))
    wait_until(lambda: pub.get_subscription_count() > 0, what="discovery")
    for i in (0, 1, 3, 4, 5):
        pub.publish(make_image(rgb_frame(seed=i), T0_NS + i * PERIOD_NS))
    wait_until(lambda: node.slot.received == 5, what="5 frames")
    status = _status(diag, node, lambda s: s.level == WARN and "input stalled" in s.message)
    values = _values(status)
    assert values["input_state"] == "stalled" and values["camera_rate_hz"] == "0.000"  # the counter's: unknown
    since_s, missing = float(values["since_last_frame_s"]), int(values["frames_missing_now"])
    assert since_s > 0.5 and missing == int(since_s / (PERIOD_NS * 1e-9)) - 1
    assert "from a 30.0 Hz camera whose publisher is still there" in status.message
    assert values["lost_before_node"] == "0"  # a stall is no count of losses
    helper.destroy_publisher(pub)  # the camera was stopped: no WARN for that
    status = _status(diag, node, lambda s: _values(s).get("input_state") == "stopped")
    assert status.level == OK and status.message == "ok", status.message
    assert _values(status)["input_stalls"] == "1"


def test_one_rejected_frame_is_a_warn_for_a_while_not_for_good(graph, light_checkpoints, monkeypatch):
    """The audit's start-up: images before the first camera_info (separate subscriptions) are
    rejected; later good frames bring the level back to OK, the counts stay in the values."""
    from mono_depth_ros.nodes import depth_node

    monkeypatch.setattr(depth_node, "RECENT_REJECTS_S", 1.0, raising=False)
    node = add_depth_node(graph, light_checkpoints, diagnostics_period_s=0.1)
    pub_img, pub_info, outs = depth_node_io(graph, node)
    helper = graph.nodes[-1]  # depth_node_io's: it owns the publishers
    diag = Collector(helper, DiagnosticArray, "/diagnostics", 50)
    for i in range(2):  # two images before any camera_info: depth only, no points or camera_info
        pub_img.publish(make_image(rgb_frame(seed=i), T0_NS + i * PERIOD_NS))
        wait_until(lambda: node.rejects.counts["no_camera_info"] == i + 1, what=f"reject {i + 1}")
    status = _status(diag, node, lambda s: s.level == WARN and "2 x no_camera_info in the last 1 s" in s.message)
    assert _values(status)["rejected_no_camera_info"] == "2"
    pub_info.publish(make_info(128, 96, T0_NS))
    wait_until(lambda: node.camera.latest is not None, what="camera_info")
    for i in range(2, 5):  # one at a time: the node keeps only the newest frame
        pub_img.publish(make_image(rgb_frame(seed=i), T0_NS + i * PERIOD_NS))
        outs["points"].wait_for(i - 1)
    assert helper.destroy_publisher(pub_img)  # stopped on purpose: no stall WARN either
    status = _status(diag, node, lambda s: s.level == OK and _values(s)["frames_out"] == "5")
    values = _values(status)
    assert (values["rejected"], values["rejected_no_camera_info"]) == ("2", "2")  # since start
    assert status.message == "ok" and int(values["frames_out"]) >= 3


@pytest.mark.parametrize("period_s", [0.1, 2.0])
def test_every_reject_is_reported_at_least_once(graph, light_checkpoints, monkeypatch, period_s):
    """The window is RECENT_REJECTS_S, or the time since the previous report when that is longer
    (a diagnostics_period_s of 2 s, or a late timer): no reject falls between two reports."""
    from mono_depth_ros.nodes import depth_node

    monkeypatch.setattr(depth_node, "RECENT_REJECTS_S", 1.0, raising=False)
    node = add_depth_node(graph, light_checkpoints, diagnostics_period_s=period_s)
    diag = Collector(graph.helper(), DiagnosticArray, "/diagnostics", 50)
    node.rejects.reject("invalid_encoding", "test")
    status = _status(diag, node, lambda s: s.level == WARN)
    window_s = float(re.fullmatch(r"1 x invalid_encoding in the last ([0-9.]+) s", status.message).group(1))
    assert max(1.0, period_s) <= window_s < period_s + 1.0
    status = _status(diag, node, lambda s: s.level == OK and _values(s)["rejected_invalid_encoding"] == "1")
