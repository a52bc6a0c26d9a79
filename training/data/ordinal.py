"""Ordinal agreement (WHDR) of a relative depth with ground truth: the project has one definition,
:func:`training.evaluate.depth_metrics.whdr`; this name is kept for the stereo checks."""

from __future__ import annotations

from training.evaluate.depth_metrics import whdr as ordinal_disagreement_rate

__all__ = ["ordinal_disagreement_rate"]
