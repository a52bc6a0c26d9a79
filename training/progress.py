"""Training's progress display: a bar on a terminal, plain status lines everywhere else.

A bar redraws itself with carriage returns: on a terminal that is one line, in a log file (``nohup
... > train.log``, a batch job) it is thousands of half lines. So :func:`progress_callback` gives
the bar only when the bar's stream (stdout, where Lightning's bars write) is a terminal and
progress is wanted; otherwise (no terminal, or ``--no-progress``) :class:`StatusLines` prints one
plain line every ``STATUS_EVERY_S`` seconds: step/total, elapsed, loss, ETA.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, TextIO

import lightning as L
from lightning.pytorch.callbacks import Callback, Timer, TQDMProgressBar

#: seconds between two status lines when there is no bar
STATUS_EVERY_S = 30.0


def on_terminal(stream: TextIO | None = None) -> bool:
    """Whether ``stream`` (default: stdout, read now) is a terminal."""
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def progress_callback(progress: bool, refresh_rate: int, max_minutes: float | None) -> tuple[Callback, bool]:
    """(the callback that shows progress, whether it is a bar: Lightning's ``enable_progress_bar``)."""
    if progress and on_terminal():
        return StepsBar(refresh_rate, max_minutes), True
    return StatusLines(), False


def format_duration(seconds: float) -> str:
    """42 -> '42s', 252 -> '4m12s', 3900 -> '1h05m'."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class StepsBar(TQDMProgressBar):
    """One training bar over the whole run: optimizer steps of ``trainer.max_steps`` (Lightning's
    bar restarts every epoch, which on a small recording is a few batches), the loss, and the
    ``--max-minutes`` limit in its label when one is set."""

    def __init__(self, refresh_rate: int, max_minutes: float | None = None) -> None:
        super().__init__(refresh_rate=refresh_rate)
        self.max_minutes, self._started = max_minutes, False

    def on_train_epoch_start(self, trainer: L.Trainer, *_: Any) -> None:
        if self._started or self.train_progress_bar is None:
            return
        self._started = True
        bar = self.train_progress_bar
        bar.reset(total=trainer.max_steps if trainer.max_steps and trainer.max_steps > 0 else None)
        bar.initial = bar.n = trainer.global_step  # a resumed run continues its count
        limit = f", stops after {self.max_minutes:g} min" if self.max_minutes else ""
        bar.set_description(f"train steps{limit}")
        bar.refresh()

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        bar, step = self.train_progress_bar, trainer.global_step
        if bar is not None and not bar.disable and (step % self.refresh_rate == 0 or step == bar.total):
            bar.n = step
            bar.set_postfix(self.get_metrics(trainer, pl_module), refresh=False)
            bar.refresh()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: Any) -> None:
        pass  # one bar for the run: nothing to close per epoch


class StatusLines(Callback):
    """One plain line after the first step, then every ``every_s`` seconds, and at the end:
    ``step 120/2000 (6 %), 4m12s elapsed, loss 0.4312, val loss 0.5120, ETA 1h05m``.

    ETA: the remaining steps at this sitting's mean step time, or the ``--max-minutes`` limit's
    remaining time when that comes first (``ETA 12m00s (--max-minutes)``). Only the first process
    of a DDP run prints. ``clock`` (seconds) and ``stream`` are arguments so tests need no sleeps.
    """

    def __init__(self, every_s: float = STATUS_EVERY_S, clock: Callable[[], float] = time.monotonic,
                 stream: TextIO | None = None) -> None:
        self.every_s, self.clock, self.stream = every_s, clock, stream
        self._start_s = self._last_s = 0.0
        self._start_step = self._last_step = -1

    def on_train_start(self, trainer: L.Trainer, pl_module: Any) -> None:
        self._start_s, self._start_step, self._last_step = self.clock(), trainer.global_step, -1

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        now = self.clock()
        if self._last_step < 0 or now - self._last_s >= self.every_s:
            self._print(trainer, now)

    def on_train_end(self, trainer: L.Trainer, pl_module: Any) -> None:
        if trainer.global_step != self._last_step:
            self._print(trainer, self.clock())

    def _print(self, trainer: L.Trainer, now: float) -> None:
        self._last_s, self._last_step = now, trainer.global_step
        if trainer.is_global_zero:
            print(self.line(trainer, now), file=self.stream or sys.stdout, flush=True)

    def line(self, trainer: L.Trainer, now: float) -> str:
        step, total = trainer.global_step, trainer.max_steps if trainer.max_steps and trainer.max_steps > 0 else None
        elapsed = now - self._start_s
        parts = [f"step {step}/{total} ({100 * step // total} %)" if total else f"step {step}",
                 f"{format_duration(elapsed)} elapsed"]
        metrics = trainer.callback_metrics
        for key, label in (("train/loss", "loss"), ("val/loss", "val loss")):
            if key in metrics:
                parts.append(f"{label} {float(metrics[key]):.4f}")
        done = step - self._start_step
        eta = elapsed / done * (total - step) if total and done > 0 else None
        timer = next((c for c in trainer.callbacks if isinstance(c, Timer)), None)
        limit = timer.time_remaining() if timer is not None else None
        if limit is not None and (eta is None or limit < eta):
            parts.append(f"ETA {format_duration(limit)} (--max-minutes)")
        elif eta is not None:
            parts.append(f"ETA {format_duration(eta)}")
        return ", ".join(parts)
