"""Node statistics (rates, latency, drops by reason) and diagnostic_msgs/DiagnosticArray.

Pure Python bookkeeping; the DiagnosticArray is built with lazily imported message classes.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from typing import Any, Callable

import numpy as np

from mono_depth_ros.core.scale import AFFINE_KINDS


class RateMeter:
    """Events per second over the last ``window_s`` seconds (monotonic clock)."""

    def __init__(self, window_s: float = 5.0) -> None:
        self.window_s = float(window_s)
        self._times: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()
        self.count = 0

    def tick(self, now_s: float | None = None) -> None:
        """Record one event."""
        now_s = time.monotonic() if now_s is None else now_s
        with self._lock:
            self.count += 1
            self._times.append(now_s)
            self._trim(now_s)

    def _trim(self, now_s: float) -> None:
        while self._times and now_s - self._times[0] > self.window_s:
            self._times.popleft()

    def rate_hz(self, now_s: float | None = None) -> float:
        """Mean rate over the window: (n - 1) / span, 0 with fewer than two events."""
        now_s = time.monotonic() if now_s is None else now_s
        with self._lock:
            self._trim(now_s)
            if len(self._times) < 2:
                return 0.0
            span_s = self._times[-1] - self._times[0]
            return (len(self._times) - 1) / span_s if span_s > 0 else 0.0


class StampGapMeter:
    """Frames lost before the node, from gaps in the input stamps at the camera's own rate, and
    restarts of the stream (a driver restarted, a bag looping), which are not losses.

    The camera period is the mean of the one-frame intervals among the last ``window`` intervals
    (those within 0.5-1.5x the median of the ones within 1.5x the 10th percentile): lost frames only
    make intervals longer, and stamp jitter cancels over consecutive intervals. A new interval of
    ``p`` periods, ``k = round(p)``, is

    - a restart when the stamp goes backwards, when ``p > pause_periods``, or when ``k >= 2`` and
      ``p`` is off the camera's grid: frames lost on the way leave the camera's clock running (the
      next stamp is a whole number of periods later), a restarted driver starts a new grid. Off the
      grid is ``|p - k| > max(0.05, 5 s (1 + k sqrt(r) / n))``: ``s`` the standard deviation of the
      ``n`` one-frame intervals in periods ((p90 - p10) / 2.56), ``r`` their runs of consecutive
      ones (the period's error, times k). With jittery stamps (s >= 0.1, 3.3 ms at 30 Hz) that is
      0.5 or more and a gap counts as losses, as a gap of a restart that happens to land on the
      grid does. A restart counts in ``restarts``, never in ``lost``, and resets the meter: the
      period is learnt afresh (the driver may come back at another rate).
    - else ``k - 1`` lost frames. A shorter gap threshold would not separate the two: an executor
      starved for half a second loses a run of 15 frames at 30 Hz, and those are losses.

    Simulated at 30 Hz (100 restarts after gaps of 1.5-30 periods, 100 runs of 2-30 lost frames),
    stamp jitter 0 / 0.2 / 1 / 2 ms: 88 / 84 / 48 / 5 % of the restarts recognised (frames counted
    lost for them 132 / 229 / 879 / 1493, by gaps alone 1537 / 1558 / 1648 / 1539); runs of lost
    frames taken for restarts 0 / 0 / 2 / 0. Nothing is classified until ``min_intervals``
    intervals of a stream were seen. Thread-safe.
    """

    def __init__(self, window: int = 60, min_intervals: int = 5, pause_periods: float = 30.0) -> None:
        self._intervals_ns: collections.deque[int] = collections.deque(maxlen=int(window))
        self.min_intervals = int(min_intervals)
        self.pause_periods = float(pause_periods)
        self._last_ns: int | None = None
        self._last_bound_ns: float | None = None  # period_bound_ns's last answer, kept across restarts
        self._lock = threading.Lock()
        self.received = 0
        self.lost = 0
        self.restarts = 0

    def period_ns(self) -> float | None:
        """Estimated camera period in ns (None until ``min_intervals`` intervals were seen)."""
        with self._lock:
            grid = self._grid_locked()
        return None if grid is None else grid[0]

    def period_bound_ns(self) -> float | None:
        """The camera period once known (``period_ns``), before that the shortest interval of at
        least 2 (an upper bound: lost frames only lengthen intervals); with fewer, the last such
        bound of an earlier stream (a restart resets the meter; a stream losing most frames restarts
        often); None when there was none."""
        with self._lock:
            grid = self._grid_locked()
            if grid is not None:
                self._last_bound_ns = grid[0]
            elif len(self._intervals_ns) >= 2:
                self._last_bound_ns = float(min(self._intervals_ns))
            return self._last_bound_ns

    def _grid_locked(self) -> tuple[float, float, float] | None:
        """(period ns, s: the one-frame intervals' standard deviation in periods, sqrt(r) / n: the
        period's relative error in units of s), None while unknown; see the class docstring."""
        if len(self._intervals_ns) < self.min_intervals:
            return None
        intervals = np.fromiter(self._intervals_ns, dtype=np.float64)
        low = float(np.percentile(intervals, 10))  # a one-frame interval even with many frames lost
        short = intervals[intervals <= 1.5 * low]
        rough = float(np.median(short))
        one_frame = intervals[(intervals >= 0.5 * rough) & (intervals <= 1.5 * rough)]  # with their jitter
        if one_frame.size < 2:  # stamps so jittery that no interval is near the median of the short ones
            one_frame = short
        period = float(one_frame.mean())
        p10, p90 = np.percentile(one_frame, (10, 90))
        spread = float(p90 - p10) / 2.56 / period
        # the mean's error: each run of consecutive one-frame intervals telescopes to its two ends
        runs = 1 + intervals.size - one_frame.size
        return period, spread, math.sqrt(runs) / one_frame.size

    def add(self, stamp_ns: int) -> int:
        """Record one received stamp; returns the frames found missing just before it."""
        with self._lock:
            self.received += 1
            last_ns, self._last_ns = self._last_ns, int(stamp_ns)
            if last_ns is None or stamp_ns == last_ns:
                return 0
            if stamp_ns < last_ns:
                return self._restart_locked()
            interval_ns = stamp_ns - last_ns
            grid = self._grid_locked()
            if grid is None or grid[0] <= 0:
                self._intervals_ns.append(interval_ns)
                return 0
            period_ns, spread, drift = grid
            periods = interval_ns / period_ns
            k = int(round(periods))
            off_grid = k >= 2 and abs(periods - k) > max(0.05, 5.0 * spread * (1.0 + k * drift))
            if periods > self.pause_periods or off_grid:
                return self._restart_locked()
            self._intervals_ns.append(interval_ns)
            missing = max(0, k - 1)
            self.lost += missing
            return missing

    def _restart_locked(self) -> int:
        self.restarts += 1
        self._intervals_ns.clear()
        return 0

    def loss_percent(self) -> float:
        """Lost / (received + lost) in percent (0 before anything was received)."""
        with self._lock:
            total = self.received + self.lost
            return 100.0 * self.lost / total if total else 0.0

    def rate_hz(self) -> float:
        """The camera rate the stamps show (0 while unknown)."""
        period_ns = self.period_ns()
        return 1e9 / period_ns if period_ns else 0.0


class LatencyStats:
    """Last ``size`` latencies in seconds; mean / p95 / max in milliseconds. ``total_s`` and
    ``count`` run over every value since start (a reader takes the mean between two snapshots)."""

    def __init__(self, size: int = 500) -> None:
        self._values: collections.deque[float] = collections.deque(maxlen=size)
        self._lock = threading.Lock()
        self.total_s = 0.0
        self.count = 0

    def add(self, latency_s: float) -> None:
        with self._lock:
            self._values.append(float(latency_s))
            self.total_s += float(latency_s)
            self.count += 1

    def summary_ms(self) -> dict[str, float]:
        """``{"mean": ..., "p95": ..., "max": ...}`` in ms (NaN when empty)."""
        with self._lock:
            values = np.asarray(self._values, dtype=np.float64) * 1e3
        if values.size == 0:
            return {"mean": float("nan"), "p95": float("nan"), "max": float("nan")}
        return {"mean": float(values.mean()), "p95": float(np.percentile(values, 95)),
                "max": float(values.max())}


class RejectLog:
    """Counts rejected inputs by reason and logs each reason at most once per ``period_s``.

    ``counts`` run since start (the values on /diagnostics); :meth:`recent` counts those of the last
    ``window_s`` seconds, which is what the diagnostics level is based on: one rejected frame (an
    image before the first camera_info, a looping bag's stamp going back) is a WARN for a few
    reports, not for good."""

    def __init__(self, log: Callable[[str], None], period_s: float = 2.0, keep: int = 10000) -> None:
        self._log = log
        self.period_s = float(period_s)
        self.counts: collections.Counter[str] = collections.Counter()
        self._last_log_s: dict[str, float] = {}
        self._times: collections.deque[tuple[float, str]] = collections.deque(maxlen=int(keep))
        self._lock = threading.Lock()

    def reject(self, reason: str, detail: str) -> None:
        """Count one rejection of kind ``reason`` and log ``detail`` (throttled per reason)."""
        now_s = time.monotonic()
        with self._lock:
            self.counts[reason] += 1
            self._times.append((now_s, reason))
            last_s = self._last_log_s.get(reason)
            if last_s is not None and now_s - last_s < self.period_s:
                return
            self._last_log_s[reason] = now_s
            count = self.counts[reason]
        self._log(f"dropped ({reason}, {count} so far): {detail}")

    def recent(self, window_s: float, now_s: float | None = None) -> collections.Counter[str]:
        """Rejections by reason within the last ``window_s`` seconds (at most the last ``keep``)."""
        now_s = time.monotonic() if now_s is None else now_s
        with self._lock:
            while self._times and now_s - self._times[0][0] > window_s:
                self._times.popleft()
            return collections.Counter(reason for _, reason in self._times)

    def snapshot(self) -> dict[str, int]:
        """``{reason: count since start}``, sorted by reason (a copy: the worker keeps counting)."""
        with self._lock:
            return dict(sorted(self.counts.items()))

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.counts.values())


class InputStall:
    """Whether an image stream that was running has stalled: the frames that the camera's rate
    (known from the stamps) says should have come, but none did.

    Frames lost in a stream that goes on leave gaps in the stamps (:class:`StampGapMeter` counts
    them); frames lost at the end of what arrived leave none: a reader that matched a camera and
    then gets nothing (large frames between processes without a matching transport, a hung driver)
    looks like a stream that ended. The rule:

    - ``received()`` notes each frame's arrival (steady clock). ``check(period_ns, publishers)``
      with the camera period from the stamps (``StampGapMeter.period_bound_ns``: known after 2
      intervals) and the image topic's publisher count.
    - *Stalled* (a WARN): no frame for more than ``periods`` camera periods (and at least
      ``min_s``) while the topic still has a publisher. Reported for as long as it lasts, with the
      frames the rate implies are missing so far (``frames_missing_now``).
    - *Stopped* (no WARN): the same silence with no publisher left (the driver exited, a bag ended):
      a camera stopped on purpose. The no-image watch (nodes/image_watch.py) still logs it.
    - *Paused* (no WARN): the same silence while the ROS clock stands still since the last frame
      (``ros_now_ns``, given only under ``use_sim_time``: a bag player paused with ``--clock``
      keeps publishing the same /clock).
    - Neither is ever added to ``lost_before_node``: when frames come back, the gap is counted by
      the stamps (lost frames when on the camera's grid within its pause limit, else a restart).
    """

    def __init__(self, periods: float = 10.0, min_s: float = 0.5) -> None:
        self.periods, self.min_s = float(periods), float(min_s)
        self._last_s: float | None = None
        self._last_ros_ns: int | None = None  # the ROS clock at the last frame (use_sim_time only)
        self.stalls = 0  # times a stream was found stalled (counted once per silence)
        self._in_stall = False
        self._lock = threading.Lock()

    def received(self, now_s: float | None = None, ros_now_ns: int | None = None) -> None:
        with self._lock:
            self._last_s = time.monotonic() if now_s is None else now_s
            self._last_ros_ns = ros_now_ns
            self._in_stall = False

    def check(self, period_ns: float | None, publishers: int, now_s: float | None = None,
              ros_now_ns: int | None = None) -> tuple[dict[str, Any], str | None]:
        """(values for /diagnostics, a WARN line or None) for now. ``ros_now_ns``: the ROS clock
        under use_sim_time (None otherwise)."""
        now_s = time.monotonic() if now_s is None else now_s
        with self._lock:
            last_s, last_ros_ns = self._last_s, self._last_ros_ns
            if last_s is None:
                return {"input_state": "no frame yet"}, None
            silent_s = now_s - last_s
            period_s = period_ns * 1e-9 if period_ns else None
            silent = period_s is not None and silent_s > max(self.periods * period_s, self.min_s)
            missing = max(0, int(silent_s / period_s) - 1) if period_s else 0
            paused = silent and ros_now_ns is not None and last_ros_ns is not None \
                and ros_now_ns - last_ros_ns <= self.periods * period_ns
            stalled = silent and publishers > 0 and not paused
            if stalled and not self._in_stall:
                self.stalls += 1
            self._in_stall = stalled
            stalls = self.stalls
        state = "stalled" if stalled else "paused" if paused and publishers > 0 else "stopped" if silent else "running"
        values = {"input_state": state, "since_last_frame_s": silent_s, "frames_missing_now": missing if silent else 0,
                  "input_stalls": stalls}
        if not stalled:
            return values, None
        return values, (f"input stalled: no image for {silent_s:.1f} s from a {1.0 / period_s:.1f} Hz camera whose "
                        f"publisher is still there (about {missing} frames missing; transport or driver: "
                        "config/fastdds_large_data.xml on both sides, or input_reliability)")


def diagnostic_array(stamp: Any, name: str, hardware_id: str, values: dict[str, Any],
                     problems: list[str]) -> Any:
    """``diagnostic_msgs/DiagnosticArray`` with one status: OK, or WARN listing ``problems``."""
    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

    level = DiagnosticStatus.WARN if problems else DiagnosticStatus.OK
    message = "; ".join(problems) if problems else "ok"
    status = DiagnosticStatus(level=level, name=name, message=message, hardware_id=hardware_id,
                              values=[KeyValue(key=k, value=_fmt(v)) for k, v in values.items()])
    array = DiagnosticArray(status=[status])
    array.header.stamp = stamp
    return array


def _fmt(value: Any) -> str:
    if isinstance(value, float):  # 3 decimals; below 1, 4 significant digits (a scale of 0.00392)
        small = math.isfinite(value) and 0 < abs(value) < 1
        return f"{value:.4g}" if small else f"{value:.3f}"
    return str(value)


class ScaleReport:
    """The metric scale of the frames (core.scale.ScaleResult) for /diagnostics and the log.

    ``add(result)`` per frame logs when the frames' state differs from the one last logged: the
    scale became available (``info``) or was lost (``warning``), at most once per ``period_s`` (a
    flapping scale is reported by its state after the period, not frame by frame). ``stats()``
    gives the last frame's truth (``depth_is_metric``), its scale (and shift for affine outputs),
    the reason when it has none, the fit's numbers and counts. Thread-safe (the worker adds, the
    diagnostics timer reads).
    """

    def __init__(self, source: str, info: Callable[[str], None], warning: Callable[[str], None],
                 period_s: float = 5.0) -> None:
        self.source = source
        self._info, self._warning = info, warning
        self.period_s = float(period_s)
        self._announced: tuple[bool, str] | None = None  # the state the log last reported: (metric, from)
        self._logged_s = -math.inf
        self._last: Any = None
        self.frames_metric = 0
        self.frames_not_metric = 0
        self._lock = threading.Lock()

    def add(self, result: Any) -> None:
        """Record one frame; log its state when it differs from the last logged one."""
        metric = bool(result.is_metric)
        with self._lock:
            self._last = result
            if metric:
                self.frames_metric += 1
            else:
                self.frames_not_metric += 1
        now_s = time.monotonic()
        state = (metric, result.source)  # a metric network's metres: its own, or the scene's correction
        if state == self._announced or now_s - self._logged_s < self.period_s:
            return
        self._announced, self._logged_s = state, now_s
        if metric:
            self._info(f"metric scale available from {result.source}: {_scale_text(result)}; ~/depth/image "
                       "and ~/points in metres")
        else:
            self._warning(f"no metric scale ({result.source}): {result.reason}; ~/depth/image holds the "
                          "normalised depth, no ~/points")

    def stats(self) -> dict[str, Any]:
        with self._lock:
            last, metric, not_metric = self._last, self.frames_metric, self.frames_not_metric
        values: dict[str, Any] = {"depth_is_metric": bool(last is not None and last.is_metric),
                                  "scale_source": self.source,
                                  "scale_from": "none" if last is None else last.source,
                                  "scale": float("nan") if last is None or last.scale is None else last.scale}
        if last is not None and last.output_kind in AFFINE_KINDS:
            values["scale_shift"] = last.shift if last.scale is not None else float("nan")
        values["scale_reason"] = "no frame yet" if last is None else (last.reason or "ok")
        for key in ("inlier_fraction", "inliers", "points", "tilt_deg", "measured_scale", "log_ratio_mad"):
            if last is not None and key in last.diagnostics:
                values[f"scale_{key}"] = float(last.diagnostics[key])
        values.update(frames_metric=metric, frames_not_metric=not_metric)
        return values

    def problem(self) -> str | None:
        """A line for /diagnostics' message while the last frame had no metric scale."""
        with self._lock:
            last = self._last
        if last is None or last.is_metric:
            return None
        return f"no metric scale ({self.source}): {last.reason}"


def _scale_text(result: Any) -> str:
    text = f"scale {result.scale:.4g}"
    if result.output_kind in AFFINE_KINDS:
        text += f", shift {result.shift:.4g}"
    fraction = result.diagnostics.get("inlier_fraction")
    return text + (f" ({100 * fraction:.0f} % inliers)" if fraction is not None else "")
