"""In-process depth cache keyed by image stamp, shared by depth_node and ego_motion_node.

When both nodes run in one process (the demo, or ``mono_depth_pipeline``), depth_node ``put``s
every frame it processed (header, RGB, depth) and ego_motion_node, registered as a listener,
receives exactly those frames instead of subscribing to the camera itself: the depth network
runs once per frame, and both nodes work on the same frames even when frames are dropped.
``wait_for`` looks an entry up by stamp (holds the last ``capacity`` entries).
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class CachedDepth:
    """Depth of one frame: (H, W) float32 metres (NaN invalid), produced by ``spec_name``."""

    stamp_ns: int
    depth_m: np.ndarray
    spec_name: str
    is_metric: bool
    rgb: np.ndarray | None = None
    header: Any = None
    receive_s: float = 0.0
    result: Any = None  # the DepthResult (network-resolution depth + fit, what the motion net is fed)


class DepthCache:
    """Bounded stamp -> CachedDepth map with blocking lookup. Thread-safe."""

    def __init__(self, capacity: int = 16) -> None:
        self.capacity = int(capacity)
        self._entries: collections.OrderedDict[int, CachedDepth] = collections.OrderedDict()
        self._cond = threading.Condition()
        self.consumers = 0  # nodes reading from the cache (depth_node computes depth for them)
        self._listeners: list[Callable[[CachedDepth], None]] = []
        self.hits = 0
        self.misses = 0

    def put(self, entry: CachedDepth) -> None:
        with self._cond:
            self._entries[entry.stamp_ns] = entry
            self._entries.move_to_end(entry.stamp_ns)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
            self._cond.notify_all()
            listeners = list(self._listeners)
        for listener in listeners:
            listener(entry)

    def wait_for(self, stamp_ns: int, timeout_s: float) -> CachedDepth | None:
        """The entry of ``stamp_ns``, waiting up to ``timeout_s``; None when it never came."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while stamp_ns not in self._entries:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.misses += 1
                    return None
                self._cond.wait(remaining)
            self.hits += 1
            return self._entries[stamp_ns]

    def register_consumer(self, listener: Callable[[CachedDepth], None] | None = None) -> None:
        """Count a consumer; ``listener(entry)`` is called (in the producer's thread) on every put."""
        with self._cond:
            self.consumers += 1
            if listener is not None:
                self._listeners.append(listener)
