"""Choose li2020's adaptation anchor weight on synthetic validation data (never on real frames).

``loss_weights.depth_anchor`` keeps the depth network near the weights a fine-tune starts from
(scale-invariant log difference to a frozen copy of them). Its weight is chosen here, on the 8
validation sequences (seeds 201-208), as a user would adapt: for every sequence and every weight,
fine-tune the shipped li2020 self-supervised on the first ``--train-frames`` frames of the
sequence's train split (default 5, a short recording like the KITTI check's; 0: all 48) with the
README's recipe (``adapt_euroc.FINETUNE``, 200 steps as the KITTI check), then score the networks
alone on its held-out test split (6 frames): depth AbsRel (median-scaled) against the rendered
truth, rotation and translation direction error per pair. Rows: the shipped weights (no
fine-tune), each weight, and the depth network frozen (``optimizer.depth_lr_scale=0``).

The rule, fixed before the run: the default weight is the one with the lowest mean held-out depth
AbsRel over the 8 sequences; a weight within 1 % of the best loses to a smaller one.

Resumable: each fine-tune + evaluation writes ``OUT/<sequence>/<row>/result.json`` and is skipped
when it is there. Two fine-tunes run at once (one thread each).

    .venv/bin/python benchmarks/sweep_depth_anchor.py --out runs/sweep_depth_anchor
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from adapt_euroc import finetune  # noqa: E402

DEFAULT_SEQUENCES = [f"val_{kind}{suffix}" for kind in ("indoor", "street") for suffix in ("", "_b", "_c", "_d")]
DEFAULT_WEIGHTS = (1.0, 10.0, 100.0)
_SCORING = threading.Lock()  # evaluations run one at a time in this process; fine-tunes are subprocesses


def row_settings(row: str) -> tuple[str, ...]:
    """``--set`` items of one row: 'anchor 0', 'anchor 10', 'depth frozen'."""
    if row == "depth frozen":
        return ("optimizer.depth_lr_scale=0",)
    return (f"loss_weights.depth_anchor={float(row.split()[1]):g}",)


def score(checkpoint: Path, folder: Path, out: Path) -> dict:
    """The networks alone (one pass, no refinement) on ``folder``'s test split."""
    from training.evaluate.run import EvalOptions, evaluate

    result = evaluate([checkpoint], folder, out, EvalOptions(split="test", pictures=0, classical="none",
                                                            progress=False))
    depth, motion = result.get("depth", {}), result.get("ego_motion", {}).get("network", {})
    return {"abs_rel": depth.get("abs_rel"), "constant_abs_rel": depth.get("constant_depth_abs_rel"),
            "rotation_error_deg": motion.get("rotation_error_deg"),
            "direction_error_deg": motion.get("translation_direction_error_deg")}


def short_copy(sequence: Path, frames: int, out: Path) -> Path:
    """``sequence`` with its train split cut to its first ``frames`` frames (files linked, not copied)."""
    from training.data import folder_format as ff

    if frames <= 0:
        return sequence
    target = out / f"{sequence.name}_first{frames}"
    if (target / "splits" / "test.txt").is_file():
        return target
    target.mkdir(parents=True, exist_ok=True)
    for item in sequence.iterdir():
        if item.is_dir() and item.name != "splits":
            link = target / item.name
            if not link.exists():
                link.symlink_to(item.resolve(), target_is_directory=True)
        elif item.is_file():
            shutil.copy2(item, target / item.name)
    ff.write_splits(target, {"train": ff.read_split(sequence, "train")[:frames], "val": ff.read_split(sequence, "val"),
                             "test": ff.read_split(sequence, "test")})
    return target


def one(sequence: Path, row: str, weights: Path, out: Path, steps: int) -> dict:
    done = out / "result.json"
    if done.is_file():
        return json.loads(done.read_text())
    out.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out / "run", ignore_errors=True)  # a fine-tune cut off before its result: redo it whole
    folder = weights if row == "shipped" else finetune(sequence, weights, out / "run", steps, threads=1,
                                                              extra=row_settings(row))
    with _SCORING:
        result = score(folder / "li2020_depth.pt", sequence, out / "eval")
    done.write_text(json.dumps(result, indent=2))
    print(f"  {sequence.name} / {row}: AbsRel {result['abs_rel']:.4f}, rotation {result['rotation_error_deg']:.3f}"
          f" deg, direction {result['direction_error_deg']:.2f} deg", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "sweep_depth_anchor", help="work folder (resumed)")
    parser.add_argument("--data", type=Path, default=REPO / "runs" / "demo" / "data",
                        help="folder holding the validation sequences (rendered by the recipe)")
    parser.add_argument("--sequences", nargs="+", default=DEFAULT_SEQUENCES)
    parser.add_argument("--weights", type=Path, default=REPO / "mono_depth_ros" / "weights",
                        help="starting weights (folder with li2020_depth.pt and li2020_motion.pt)")
    parser.add_argument("--anchor-weights", type=float, nargs="+", default=list(DEFAULT_WEIGHTS))
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--train-frames", type=int, default=5,
                        help="fine-tune on the first N frames of each train split (0: all of it)")
    parser.add_argument("--jobs", type=int, default=2, help="fine-tunes at once (one thread each)")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    missing = [s for s in args.sequences if not (args.data / s / "manifest.csv").is_file()]
    if missing:
        raise SystemExit(f"--data {args.data}: no extracted sequence {', '.join(missing)} (render them with "
                         f"benchmarks/train_demo_models.sh)")
    rows = ["shipped", "anchor 0", *[f"anchor {w:g}" for w in args.anchor_weights], "depth frozen"]
    folders = {s: short_copy(args.data / s, args.train_frames, args.out / "data") for s in args.sequences}
    jobs = [(folders[s], row) for row in rows for s in args.sequences]
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda job: one(job[0], job[1], args.weights, args.out / job[0].name
                                                / job[1].replace(" ", "_"), args.steps), jobs))
    table = {row: {} for row in rows}
    for (sequence, row), result in zip(jobs, results):
        table[row][sequence.name.split("_first")[0]] = result

    def mean(row: str, key: str) -> float:
        return float(np.mean([table[row][s][key] for s in args.sequences]))

    frames = f"the first {args.train_frames} frames" if args.train_frames > 0 else "all"
    print(f"\nli2020 fine-tuned {args.steps} steps on {frames} of each validation sequence's train split, scored "
          f"on its test split (mean of {len(args.sequences)} sequences; the networks alone)\n")
    print("| row | depth AbsRel (median-scaled) | rotation err (deg) | direction err (deg) |")
    print("|---|---|---|---|")
    for row in rows:
        print(f"| {row} | {mean(row, 'abs_rel'):.4f} | {mean(row, 'rotation_error_deg'):.3f} | "
              f"{mean(row, 'direction_error_deg'):.2f} |")
    print(f"| constant depth map | {mean('shipped', 'constant_abs_rel'):.4f} | | |")
    candidates = [r for r in rows if r.startswith("anchor")]
    best = min(mean(r, "abs_rel") for r in candidates)
    chosen = next(r for r in sorted(candidates, key=lambda r: float(r.split()[1]))
                  if mean(r, "abs_rel") <= 1.01 * best)
    print(f"\nchosen by the rule (lowest mean depth AbsRel; within 1 % the smaller weight): {chosen}")
    (args.out / "summary.json").write_text(json.dumps({"rows": table, "chosen": chosen, "steps": args.steps,
                                                       "train_frames": args.train_frames},
                                                      indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
