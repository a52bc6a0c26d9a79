"""Latest-frame-only mailbox between a subscription callback and a worker thread.

The callback ``put``s every message; a message still waiting when a newer one arrives is
replaced and counted as dropped, so the worker always processes the newest frame and the queue
length never exceeds one, whatever the input rate.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from mono_depth_ros.core.errors import InputError


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
        self._taken = 0  # items handed to the worker
        self._finished = 0  # of those, processed or rejected (``finish``)

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
            self._taken += 1
            return item

    def finish(self) -> None:
        """The worker is done with the item it took last (published, dropped as unwanted or rejected)."""
        with self._cond:
            self._finished += 1

    @property
    def idle(self) -> bool:
        """Nothing waiting and nothing in the worker's hands (a frame being inferred is not idle)."""
        with self._cond:
            return not self._has_item and self._taken == self._finished

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


def serve_latest(slot: LatestSlot, stop: threading.Event, process: Callable[[Any, float], Any],
                 reject: Callable[[str, str], None]) -> None:
    """Worker-thread loop shared by the nodes: process the newest ``(msg, receive_s)`` until ``stop``.

    A frame that raises InputError is rejected as ``invalid_<field>`` with the message's stamp;
    any other exception as ``internal_error``. Either way the loop goes on with the next frame.
    """
    while not stop.is_set():
        item = slot.take(timeout_s=0.1)
        if item is None:
            continue
        msg, receive_s = item
        try:
            process(msg, receive_s)
        except InputError as exc:
            reject(f"invalid_{exc.field}".replace(" ", "_"), f"stamp {_stamp_text(msg)}: {exc}")
        except Exception as exc:  # keep serving frames; the error is logged and counted
            reject("internal_error", f"{type(exc).__name__}: {exc}")
        finally:
            slot.finish()


class FrameWorker:
    """A node's worker thread: ``serve_latest`` on its own slot, started and stopped once."""

    def __init__(self, name: str, slot: LatestSlot, process: Callable[[Any, float], Any],
                 reject: Callable[[str, str], None]) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=serve_latest, args=(slot, self._stop, process, reject),
                                        name=name, daemon=True)
        self._slot = slot
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Ask the loop to end, wake it and wait for it (the frame in progress finishes)."""
        self._stop.set()
        self._slot.close()
        self._thread.join(timeout=timeout_s)


def _stamp_text(msg: Any) -> str:
    try:
        return f"{msg.header.stamp.sec}.{msg.header.stamp.nanosec:09d}"
    except AttributeError:
        return "?"
