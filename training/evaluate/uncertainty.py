"""How firm a real-set verdict is: paired bootstrap intervals of (method - baseline).

Most real sets here hold one frame with depth (KITTI, EuRoC, Middlebury), so "beats the ramp by
0.01" may say more about which parts of that picture were scored than about the network. Depth
errors are correlated over large parts of an image, so pixels are not resampled one by one:

- each scored frame is cut into ``BLOCK_GRID`` blocks (rows x columns of the image), and at most
  ``PIXELS_PER_BLOCK`` of its scored pixels are kept per block (a fixed random subset, so a
  replicate costs the same on a 640x480 frame and on a 1242x375 one);
- a replicate draws the frames with replacement (a set of several frames), then, within each
  drawn frame, as many blocks as it has with replacement, and scores every method and baseline
  on the same drawn pixels with the project's one metric code (``depth_errors`` median-scaled,
  ``whdr`` with the same pairs for every row): the comparison is paired;
- the interval is the central ``level`` (default 90 %) of the replicates' differences.

A difference whose interval holds 0 is "within noise": the set cannot tell the two apart. On a
one-frame set the interval speaks for other parts of that picture only, not for other scenes;
several frames add the spread between frames.

Ego-motion: consecutive pairs are resampled the same way (each pair one unit) for the per-pair
errors; ATE is one number of a whole trajectory and gets no interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mono_depth_ros.core.depth_metrics import DepthCaps, depth_errors, whdr

#: blocks per frame: rows x columns of the image
BLOCK_GRID = (6, 8)
#: scored pixels kept per block (a fixed random subset)
PIXELS_PER_BLOCK = 400
#: the central share of the replicates' differences that an interval spans
DEFAULT_LEVEL = 0.9
DEFAULT_REPLICATES = 200
#: WHDR pairs per frame in a replicate
BOOTSTRAP_WHDR_PAIRS = 2000
#: depth metrics that get intervals (lower is better for both)
DEPTH_INTERVAL_METRICS = ("abs_rel_med", "whdr")
#: per-pair ego-motion metrics that get intervals (lower is better)
MOTION_INTERVAL_METRICS = ("rot_err_deg", "dir_err_deg", "photo_err")


@dataclass(frozen=True)
class FrameSample:
    """One frame's scored pixels, subsampled per block: ``gt_m`` (N,), ``block`` (N,) int block
    index, ``preds`` {row name: (N,) depth of that row (network or baseline) at the same pixels}."""

    gt_m: np.ndarray
    block: np.ndarray
    preds: dict[str, np.ndarray]


def block_index(hw: tuple[int, int], grid: tuple[int, int] = BLOCK_GRID) -> np.ndarray:
    """(H, W) int: the block of each pixel, ``grid`` = (rows, columns) of near-equal blocks."""
    rows = np.minimum(np.arange(hw[0]) * grid[0] // hw[0], grid[0] - 1)
    cols = np.minimum(np.arange(hw[1]) * grid[1] // hw[1], grid[1] - 1)
    return rows[:, None] * grid[1] + cols[None, :]


def frame_sample(gt_m: np.ndarray, mask: np.ndarray, preds: dict[str, np.ndarray], seed: int = 0,
                 grid: tuple[int, int] = BLOCK_GRID, per_block: int = PIXELS_PER_BLOCK) -> FrameSample:
    """The FrameSample of one frame: ``gt_m`` (H, W), ``mask`` (H, W) bool of scored pixels,
    ``preds`` {name: (H, W)}; at most ``per_block`` pixels of each block, drawn with ``seed``."""
    blocks = block_index(gt_m.shape, grid)[mask]
    pixels = np.flatnonzero(mask.reshape(-1))
    rng = np.random.default_rng(seed)
    keep = []
    for b in np.unique(blocks):
        members = np.flatnonzero(blocks == b)
        keep.append(members if members.size <= per_block else rng.choice(members, per_block, replace=False))
    chosen = np.sort(np.concatenate(keep)) if keep else np.zeros(0, int)
    flat = pixels[chosen]
    return FrameSample(np.asarray(gt_m, np.float64).reshape(-1)[flat], blocks[chosen],
                       {name: np.asarray(p, np.float64).reshape(-1)[flat] for name, p in preds.items()})


def _scores(pred: np.ndarray, gt: np.ndarray, caps: DepthCaps, seed: int, pairs: int) -> dict[str, float]:
    return {"abs_rel_med": depth_errors(pred, gt, caps, median_scaling=True)["abs_rel"],
            "whdr": whdr(pred, gt, n_pairs=pairs, seed=seed)}


def bootstrap_depth(samples: list[FrameSample], caps: DepthCaps = DepthCaps(), replicates: int = DEFAULT_REPLICATES,
                    seed: int = 0, whdr_pairs: int = BOOTSTRAP_WHDR_PAIRS) -> dict[str, dict[str, np.ndarray]]:
    """{row name: {metric: (replicates,) set means}} for every row of the samples, each replicate
    on the same resampled frames, blocks and WHDR pairs for every row (module doc)."""
    if not samples:
        raise ValueError("bootstrap_depth: no frame samples")
    names = list(samples[0].preds)
    rng = np.random.default_rng(seed)
    draws = {n: {m: np.empty(replicates) for m in DEPTH_INTERVAL_METRICS} for n in names}
    block_members = [[np.flatnonzero(s.block == b) for b in np.unique(s.block)] for s in samples]
    for r in range(replicates):
        frames = rng.integers(0, len(samples), len(samples))
        sums = {n: dict.fromkeys(DEPTH_INTERVAL_METRICS, 0.0) for n in names}
        for f in frames:
            members = block_members[f]
            picked = np.concatenate([members[i] for i in rng.integers(0, len(members), len(members))])
            sample = samples[f]
            pair_seed = int(rng.integers(0, 2 ** 31))  # one set of pairs for every row: paired
            for n in names:
                for metric, value in _scores(sample.preds[n][picked], sample.gt_m[picked], caps, pair_seed,
                                             whdr_pairs).items():
                    sums[n][metric] += value
        for n in names:
            for metric in DEPTH_INTERVAL_METRICS:
                draws[n][metric][r] = sums[n][metric] / len(frames)
    return draws


def bootstrap_pairs(per_pair: dict[str, dict[str, list[float]]], replicates: int = DEFAULT_REPLICATES,
                    seed: int = 0) -> dict[str, dict[str, np.ndarray]]:
    """{name: {metric: (replicates,) means}} over consecutive pairs drawn with replacement, the same
    draws for every name, for the metrics of ``MOTION_INTERVAL_METRICS``. A name's non-finite values
    are left out of its means (a name without two finite values gets no draws for that metric)."""
    names = list(per_pair)
    count = max((len(v) for n in names for v in per_pair[n].values()), default=0)
    draws: dict[str, dict[str, np.ndarray]] = {n: {} for n in names}
    if count < 2:
        return draws
    picks = np.random.default_rng(seed).integers(0, count, (replicates, count))
    for n in names:
        for metric in MOTION_INTERVAL_METRICS:
            values = np.asarray(per_pair[n].get(metric, []), np.float64)
            if values.size != count or np.isfinite(values).sum() < 2:
                continue
            drawn = values[picks]  # (replicates, pairs)
            finite = np.isfinite(drawn)
            with np.errstate(invalid="ignore", divide="ignore"):
                means = np.where(finite, drawn, 0.0).sum(axis=1) / finite.sum(axis=1)
            draws[n][metric] = means
    return draws


def difference_intervals(draws: dict[str, dict[str, np.ndarray]], methods: list[str], baselines: list[str],
                         level: float = DEFAULT_LEVEL) -> dict[str, dict[str, dict[str, list[float]]]]:
    """{method: {baseline: {metric: [low, high]}}}: the central ``level`` of (method - baseline)
    over the replicates, for every metric both have."""
    tail = 100 * (1 - level) / 2
    out: dict[str, dict[str, dict[str, list[float]]]] = {}
    for m in methods:
        for b in baselines:
            for metric, values in draws[m].items():
                if metric in draws[b]:
                    diff = values - draws[b][metric]
                    diff = diff[np.isfinite(diff)]  # a replicate that drew no finite value of one of them
                    if diff.size == 0:
                        continue
                    low, high = np.percentile(diff, [tail, 100 - tail])
                    out.setdefault(m, {}).setdefault(b, {})[metric] = [float(low), float(high)]
    return out


def call(interval: list[float]) -> str:
    """'better' (the whole interval of a lower-is-better difference below 0), 'worse' (above 0)
    or 'within noise' (it holds 0)."""
    low, high = interval
    return "better" if high < 0 else "worse" if low > 0 else "within noise"
