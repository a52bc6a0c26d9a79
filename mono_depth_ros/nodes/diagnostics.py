"""Node statistics (rates, latency, drops by reason) and diagnostic_msgs/DiagnosticArray.

Pure Python bookkeeping; the DiagnosticArray is built with lazily imported message classes.
"""

from __future__ import annotations

import collections
import threading
import time
from typing import Any, Callable

import numpy as np


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


class LatencyStats:
    """Last ``size`` latencies in seconds; mean / p95 / max in milliseconds."""

    def __init__(self, size: int = 500) -> None:
        self._values: collections.deque[float] = collections.deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, latency_s: float) -> None:
        with self._lock:
            self._values.append(float(latency_s))

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
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)
