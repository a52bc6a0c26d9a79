"""LatestSlot / serve_latest: a frame the worker holds is not idle until it is done with it,
whether it is published, rejected or fails; a frame replaced before it was taken counts as a drop."""

from __future__ import annotations

import threading

from mono_depth_ros.core.errors import InputError
from mono_depth_ros.nodes.frame_slot import LatestSlot, serve_latest


def test_a_frame_in_the_workers_hands_is_not_idle_until_finished():
    slot = LatestSlot()
    assert slot.idle
    slot.put(("a", 0.0))
    slot.put(("b", 0.0))  # replaces a before the worker took it
    assert (slot.received, slot.dropped, slot.pending, slot.idle) == (2, 1, 1, False)
    assert slot.take(timeout_s=0.1) == ("b", 0.0)
    assert slot.pending == 0 and not slot.idle  # taken, not yet finished: being inferred
    slot.finish()
    assert slot.idle


def test_serve_latest_finishes_every_frame_it_takes_even_when_it_fails():
    slot, stop = LatestSlot(), threading.Event()
    started, release = threading.Event(), threading.Event()
    rejected = {"invalid_encoding": threading.Event(), "internal_error": threading.Event()}

    def process(msg: str, receive_s: float) -> None:
        if msg == "slow":
            started.set()
            assert release.wait(10.0)
        elif msg == "bad":
            raise InputError("encoding", "yuv9", "is not supported")
        elif msg == "broken":
            raise RuntimeError("backend failed")

    def reject(reason: str, text: str) -> None:
        rejected[reason].set()

    worker = threading.Thread(target=serve_latest, args=(slot, stop, process, reject))
    worker.start()
    try:
        slot.put(("slow", 0.0))
        assert started.wait(10.0)
        assert slot.pending == 0 and not slot.idle  # the worker holds it
        release.set()
        for msg, reason in (("bad", "invalid_encoding"), ("broken", "internal_error")):
            slot.put((msg, 0.0))
            assert rejected[reason].wait(10.0), reason
        stop.set()
        slot.close()
        worker.join(5.0)
        assert not worker.is_alive() and slot.idle and (slot.received, slot.dropped) == (3, 0)
    finally:
        stop.set()
        slot.close()
        worker.join(5.0)
