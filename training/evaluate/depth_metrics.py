"""Depth error metrics (Eigen et al. 2014 set), WHDR on sampled ordinal point pairs, and the layout
share (how much of a set of depth maps is one fixed map)."""

from __future__ import annotations

import numpy as np

from mono_depth_ros.core.depth_metrics import (DEPTH_METRIC_NAMES, RAMP_TOP_OVER_BOTTOM, DepthCaps,  # noqa: F401
                                               align_affine, align_median, depth_errors, ramp_depth, whdr)

LAYOUT_GRID_HW = (24, 32)


def mean_metrics(per_image: list[dict[str, float]]) -> dict[str, float]:
    """Mean of each metric over images (keys of the first image)."""
    if not per_image:
        return {}
    return {k: float(np.mean([m[k] for m in per_image])) for k in per_image[0]}


def layout_grid(depth: np.ndarray, mask: np.ndarray, grid_hw: tuple[int, int] = LAYOUT_GRID_HW) -> np.ndarray:
    """(gh, gw) float64: the mean log depth of the ``mask`` pixels of each cell of an even grid
    over the (H, W) ``depth``, standardised over the cells (zero mean, unit variance); NaN for a
    cell without such pixels. H, W must be at least the grid's."""
    (height, width), (gh, gw) = depth.shape, grid_hw
    if height < gh or width < gw:
        raise ValueError(f"depth.shape={depth.shape}: smaller than the layout grid {grid_hw}")
    log = np.zeros(depth.shape)
    np.log(depth, out=log, where=mask)
    rows = np.linspace(0, height, gh + 1).astype(int)[:-1]
    cols = np.linspace(0, width, gw + 1).astype(int)[:-1]
    cell_sum = np.add.reduceat(np.add.reduceat(log, rows, axis=0), cols, axis=1)
    cell_count = np.add.reduceat(np.add.reduceat(mask.astype(np.float64), rows, axis=0), cols, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        grid = np.where(cell_count > 0, cell_sum / cell_count, np.nan)
    values = grid[np.isfinite(grid)]
    if values.size < 2 or values.std() == 0:
        return np.full(grid_hw, np.nan)
    return (grid - values.mean()) / values.std()


def layout_mean(grids: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(mean map (gh, gw), used (N, gh, gw) bool) of N ``layout_grid`` maps: the mean over the maps
    that have each cell, for the cells at least half the maps (and two) have; 0 elsewhere."""
    stack = np.stack(grids)
    present = np.isfinite(stack)
    used = present & (present.sum(axis=0) >= max(2, len(grids) / 2))
    mean = np.where(used, stack, 0.0).sum(axis=0) / np.maximum(used.sum(axis=0), 1)
    return mean, used


def layout_share(grids: list[np.ndarray]) -> float:
    """Share (0..1) of the variance of N standardised (gh, gw) maps (``layout_grid``) that their
    mean map explains: 1 - sum (z_i - mean)^2 / sum z_i^2 over the cells each map has. Cells
    that fewer than half the maps have are left out (``layout_mean``); NaN for fewer than 2 maps."""
    if len(grids) < 2:
        return float("nan")
    mean, used = layout_mean(grids)
    values = np.where(used, np.stack(grids), 0.0)
    total = float((values ** 2).sum())
    return float(1.0 - (np.where(used, values - mean, 0.0) ** 2).sum() / total) if total > 0 else float("nan")
