"""Evaluation outputs: JSON, a markdown table and pictures (matplotlib, Agg backend)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def write_json(path: Path, results: dict) -> None:
    path.write_text(json.dumps(results, indent=2, sort_keys=False, default=float))


def markdown_table(results: dict) -> str:
    """One table per metric group of ``results`` ({"depth": {...}, "ego_motion": {"network": {...}, ...}})."""
    lines = [f"# Evaluation: {results.get('checkpoint', '')}", ""]
    depth = results.get("depth")
    absent = {name: (results.get(name) or {}).get("not_scored")
              for name in ("depth", "depth_vs_sgbm", "ego_motion", "photometric")}
    if any(absent.values()):
        lines += ["## Not scored", ""] + [f"- {name}: {why}" for name, why in absent.items() if why] + [""]
    if depth and not depth.get("not_scored"):
        keys = [k for k in depth if isinstance(depth[k], (int, float, bool, str))]
        lines += ["## Depth", "", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys),
                  "| " + " | ".join(_fmt(depth[k]) for k in keys) + " |", ""]
        if "ramp_whdr" in depth:
            scaled = "median-scaled" if depth.get("median_scaling") else "unscaled"
            lines += ["Beside the trivial baselines (each median-scaled; the vertical ramp grows 2x from the "
                      "bottom row to the top):", "", f"| depth | abs_rel (network {scaled}) | whdr |", "|---|---|---|",
                      f"| network | {_fmt(depth.get('abs_rel'))} | {_fmt(depth.get('whdr'))} |",
                      f"| constant depth | {_fmt(depth.get('constant_depth_abs_rel'))} | - |",
                      f"| vertical ramp | {_fmt(depth['ramp_abs_rel'])} | {_fmt(depth['ramp_whdr'])} |", ""]
    lines += _sgbm_lines(results.get("depth_vs_sgbm"))
    ego = results.get("ego_motion")
    if ego and not ego.get("not_scored"):
        methods = [m for m in ego if isinstance(ego[m], dict)]
        keys = sorted({k for m in methods for k in ego[m]})
        lines += ["## Ego-motion", "", "| method | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
        for m in methods:
            lines.append(f"| {m} | " + " | ".join(_fmt(ego[m].get(k)) for k in keys) + " |")
        lines.append("")
    return "\n".join(lines + _photometric_lines(results.get("photometric")))


#: rows of the table against SGBM: (key in results["depth_vs_sgbm"]["rows"], label)
SGBM_TABLE_ROWS = (("network", "network"), ("constant", "constant depth"), ("ramp", "vertical ramp"))


def _sgbm_lines(sgbm: dict | None) -> list[str]:
    """The depth table of a stereo-only folder: the network beside the baselines, against SGBM."""
    if not sgbm or sgbm.get("not_scored"):
        return []
    rows, frames = sgbm["rows"], sgbm["frames"]
    layout = (f" Layout share {_fmt(sgbm['layout_share'])} (the reference's {_fmt(sgbm['layout_share_reference'])})."
              if np.isfinite(sgbm["layout_share"]) else "")
    lines = [f"## Depth against an {sgbm['reference']}", "",
             f"{frames} frame{'s' * (frames > 1)} with a right image and no depth; {sgbm['about']}. SGBM is "
             f"confident on {100 * sgbm['sgbm_valid_fraction']:.0f} % of the pixels, the network predicts on "
             f"{100 * sgbm['scored_fraction_of_valid']:.0f} % of those; reference depth: {sgbm['reference_depth']}."
             + layout, "",
             f"| depth vs {sgbm['reference']} | abs_rel (median-scaled) | delta1 (median-scaled) | whdr |",
             "|---|---|---|---|"]
    for key, label in SGBM_TABLE_ROWS:
        label = f"network ({sgbm['depth_network']})" if key == "network" and sgbm.get("depth_network") else label
        lines.append(f"| {label} | " + " | ".join(_fmt(rows[key].get(k)) for k in ("abs_rel", "delta1", "whdr")) + " |")
    return lines + [""]


#: rows of the photometric table: (key in results["photometric"], label)
PHOTOMETRIC_ROWS = (("network", "li2020 depth + motion"), ("no_motion", "no motion (identity warp)"))
PHOTOMETRIC_KEYS = ("weighted", "rgb_consistency", "ssim", "inview_l1", "counted_fraction", "pairs")


def _photometric_lines(photometric: dict | None) -> list[str]:
    """The label-free table: li2020's score beside the identity warp's on the same pairs."""
    if not photometric or photometric.get("not_scored"):
        return []
    lines = ["## Photometric score (label-free, lower is better)", "",
             "li2020's own photometric loss on every consecutive pair of the split, as `training select "
             "--criterion photometric` (weighted: the number select ranks by; it counts only pixels that pass "
             "the occlusion test, counted_fraction of them, so read inview_l1, over every in-view pixel, "
             "beside it). No motion: frame b compared with frame a as is, every pixel counted.", "",
             "| warp | " + " | ".join(PHOTOMETRIC_KEYS) + " |", "|---|" + "---|" * len(PHOTOMETRIC_KEYS)]
    for key, label in PHOTOMETRIC_ROWS:
        if key in photometric:
            lines.append(f"| {label} | " + " | ".join(_fmt(photometric[key].get(k)) for k in PHOTOMETRIC_KEYS) + " |")
    return lines + [""]


def _fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:.4f}" if isinstance(value, float) and not isinstance(value, bool) else str(value)


def depth_figure(path: Path, rgb: np.ndarray, pred: np.ndarray, gt: np.ndarray | None, title: str,
                 label: str = "depth [m]", truth_title: str = "ground truth") -> None:
    """input | prediction | ground truth, depth colormaps on a shared range (the ground truth's);
    without ``gt``, input | prediction on the prediction's range. ``label``: the colour bar's;
    ``truth_title``: the third panel's (a reference that is not ground truth says so)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = 3 if gt is not None else 2
    fig, axes = plt.subplots(1, panels, figsize=(4 * panels, 3.2))
    valid = gt[np.isfinite(gt)] if gt is not None else pred[np.isfinite(pred)]
    vmin, vmax = (np.percentile(valid, 2), np.percentile(valid, 98)) if valid.size else (0, 1)
    axes[0].imshow(rgb)
    axes[0].set_title("input")
    im = axes[1].imshow(pred, cmap="magma_r", vmin=vmin, vmax=vmax)
    axes[1].set_title("prediction")
    if gt is not None:
        axes[2].imshow(np.where(np.isfinite(gt), gt, np.nan), cmap="magma_r", vmin=vmin, vmax=vmax)
        axes[2].set_title(truth_title)
    for ax in axes:
        ax.axis("off")
    fig.colorbar(im, ax=list(axes), shrink=0.8, label=label)
    fig.suptitle(title)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def trajectory_figure(path: Path, trajectories: dict[str, np.ndarray]) -> None:
    """Top view (x, y of the world/odom frame, z up) of aligned (N, 3) camera positions."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    for name, xyz in trajectories.items():
        ax.plot(xyz[:, 0], xyz[:, 1], "-" if name == "ground truth" else "--", label=name)
    ax.set_xlabel("x [m]")
    ax.set_ylabel("y [m]")
    ax.axis("equal")
    ax.legend()
    ax.set_title("trajectory (Sim(3)-aligned)")
    fig.savefig(path, dpi=90)
    plt.close(fig)
