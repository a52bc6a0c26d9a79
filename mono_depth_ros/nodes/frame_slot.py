"""Latest-frame-only mailbox between a subscription callback and a worker thread.

The callback ``put``s every message; a message still waiting when a newer one arrives is
replaced and counted as dropped, so the worker always processes the newest frame and the queue
length never exceeds one, whatever the input rate.
"""

from __future__ import annotations

import threading
import time
from typing import Any


class LatestSlot:
    """Thread-safe single-item slot. ``put`` never blocks; ``take`` waits with a timeout."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: Any = None
        self._has_item = False
        self._closed = False
        self.received = 0
        self.dropped = 0
        self.max_pending = 0

    def put(self, item: Any) -> None:
        """Store ``item`` (e.g. ``(msg, receive_time)``), replacing and counting an unprocessed one."""
        with self._cond:
            self.received += 1
            if self._has_item:
                self.dropped += 1
            self._item, self._has_item = item, True
            self.max_pending = max(self.max_pending, 1)
            self._cond.notify()

    def take(self, timeout_s: float) -> Any | None:
        """The newest item, or None after ``timeout_s`` or once closed."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while not self._has_item and not self._closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._cond.wait(remaining):
                    break
            if not self._has_item:
                return None
            item, self._item, self._has_item = self._item, None, False
            return item

    @property
    def pending(self) -> int:
        """0 or 1: items waiting for the worker."""
        with self._cond:
            return int(self._has_item)

    def close(self) -> None:
        """Wake the worker for shutdown."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
