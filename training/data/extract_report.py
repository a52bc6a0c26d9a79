"""What an extraction did (:class:`ExtractReport`): frames written, everything skipped by reason,
notes; its one-screen summary and the one line that says why nothing could be written."""

from __future__ import annotations

import collections
from dataclasses import dataclass, field

from training.data.topics import TopicSelection


@dataclass
class ExtractReport:
    """What happened. Counters map a reason (or ``(topic, reason)`` for ``errors``) to a count."""

    selection: TopicSelection
    messages: int = 0  # colour image messages read
    written: int = 0
    skipped_existing: int = 0
    redone: int = 0  # frames an earlier run logged whose files are gone or unreadable: extracted again
    dropped: dict[str, int] = field(default_factory=collections.Counter)
    unmatched: dict[str, int] = field(default_factory=collections.Counter)
    errors: dict[tuple[str, str], int] = field(default_factory=collections.Counter)
    warnings: dict[str, int] = field(default_factory=collections.Counter)
    poses_written: int = 0
    pose_failures: dict[str, int] = field(default_factory=collections.Counter)
    intrinsics_source: str = "none"
    notes: list[str] = field(default_factory=list)
    splits: dict[str, int] = field(default_factory=dict)

    @property
    def frames(self) -> int:
        """Frames in the dataset folder (written now or by an earlier run)."""
        return self.written + self.skipped_existing

    def summary(self) -> str:
        lines = [f"frames written: {self.written} of {self.messages} image messages"
                 + (f" (already done: {self.skipped_existing})" if self.skipped_existing else ""),
                 f"topics: {self.selection}", f"intrinsics: {self.intrinsics_source}",
                 f"poses: {self.poses_written}/{self.frames} frames",
                 "splits: " + ", ".join(f"{k} {v}" for k, v in self.splits.items())]
        lines += [f"dropped ({n}x): {reason}" for reason, n in self.dropped.items()]
        lines += [f"written without {k} ({v}x): no {k} message within the tolerance"
                  for k, v in self.unmatched.items() if v]
        lines += [f"undecodable on {t} ({n}x): {r}" for (t, r), n in self.errors.items()]
        lines += [f"pose lookup failed ({v}x): {k}" for k, v in list(self.pose_failures.items())[:5]]
        lines += [f"warning ({n}x): {w}" for w, n in self.warnings.items()]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def failure(self) -> str | None:
        """One line saying why no frame is in the folder; None when there are frames."""
        if self.frames:
            return None
        if not self.messages:
            return f"no message on {self.selection.image} could be read; nothing to extract"
        reasons = [(n, f"{n} undecodable ({r})") for (_, r), n in self.errors.items()]
        reasons += [(n, f"{n} dropped ({r})") for r, n in self.dropped.items()]
        worst = max(reasons, default=(0, "see above"), key=lambda item: item[0])[1]
        return f"none of the {self.messages} messages on {self.selection.image} could be written: {worst}"
