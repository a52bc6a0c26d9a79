"""Evaluation: depth metrics, WHDR, ego-motion (evo ATE/RPE + classical baseline), reports.

Entry point: :func:`training.evaluate.run.evaluate` (``python -m training evaluate``).
"""
