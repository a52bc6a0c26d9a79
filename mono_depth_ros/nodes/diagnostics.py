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
    """Frames lost before the node: gaps in the input stamps at the camera's own rate.

    The camera period is the median of the one-frame intervals among the last ``window`` positive
    stamp intervals (those within 1.5x their 10th percentile): robust to lost frames (which only
    make intervals longer) and unbiased by jitter. An
    interval of ``k`` periods (rounded) means ``k - 1`` frames never arrived. Intervals longer
    than ``pause_periods`` periods count as a pause of the stream (bag paused, driver restarted),
    not as losses; a stamp that goes backwards restarts the estimate. Thread-safe.
    """

    def __init__(self, window: int = 60, min_intervals: int = 5, pause_periods: float = 30.0) -> None:
        self._intervals_ns: collections.deque[int] = collections.deque(maxlen=int(window))
        self.min_intervals = int(min_intervals)
        self.pause_periods = float(pause_periods)
        self._last_ns: int | None = None
        self._lock = threading.Lock()
        self.received = 0
        self.lost = 0
        self.pauses = 0

    def period_ns(self) -> float | None:
        """Estimated camera period in ns (None until ``min_intervals`` intervals were seen)."""
        with self._lock:
            return self._period_locked()

    def _period_locked(self) -> float | None:
        if len(self._intervals_ns) < self.min_intervals:
            return None
        intervals = np.fromiter(self._intervals_ns, dtype=np.float64)
        low = float(np.percentile(intervals, 10))  # a one-frame interval even with many frames lost
        return float(np.median(intervals[intervals <= 1.5 * low]))  # the median of the one-frame ones

    def add(self, stamp_ns: int) -> int:
        """Record one received stamp; returns the frames found missing just before it."""
        with self._lock:
            self.received += 1
            last_ns, self._last_ns = self._last_ns, int(stamp_ns)
            if last_ns is None or stamp_ns == last_ns:
                return 0
            if stamp_ns < last_ns:
                self._intervals_ns.clear()
                return 0
            interval_ns = stamp_ns - last_ns
            period_ns = self._period_locked()
            self._intervals_ns.append(interval_ns)
            if period_ns is None or period_ns <= 0:
                return 0
            periods = interval_ns / period_ns
            if periods > self.pause_periods:
                self.pauses += 1
                return 0
            missing = max(0, int(round(periods)) - 1)
            self.lost += missing
            return missing

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
    """Counts rejected inputs by reason and logs each reason at most once per ``period_s``."""

    def __init__(self, log: Callable[[str], None], period_s: float = 2.0) -> None:
        self._log = log
        self.period_s = float(period_s)
        self.counts: collections.Counter[str] = collections.Counter()
        self._last_log_s: dict[str, float] = {}
        self._lock = threading.Lock()

    def reject(self, reason: str, detail: str) -> None:
        """Count one rejection of kind ``reason`` and log ``detail`` (throttled per reason)."""
        now_s = time.monotonic()
        with self._lock:
            self.counts[reason] += 1
            last_s = self._last_log_s.get(reason)
            if last_s is not None and now_s - last_s < self.period_s:
                return
            self._last_log_s[reason] = now_s
            count = self.counts[reason]
        self._log(f"dropped ({reason}, {count} so far): {detail}")

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.counts.values())


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
        self._announced: bool | None = None  # the state the log last reported
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
        if metric == self._announced or now_s - self._logged_s < self.period_s:
            return
        self._announced, self._logged_s = metric, now_s
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
