"""Checkpoint selection on validation data: evaluate a run's periodic checkpoints, keep the best.

Short from-scratch runs do not improve monotonically (Li 2020 on a CPU: the 12-minute model of a
trial beat the 30-minute one), so the model to ship is chosen on validation sequences that are
neither training nor test data. Criteria (lower is better, averaged over the validation folders):
- ``abs_rel_vs_constant``: AbsRel divided by the constant-depth-map baseline's (depth networks);
- ``abs_rel``: plain AbsRel; ``whdr``: ordinal error (relative depth);
- ``silog``: the scale-invariant log error (100 x sqrt(mean d^2 - mean(d)^2), d = log pred - log
  truth per frame; Eigen et al. 2014's scale-invariant error): the structure of a metric network's
  output, blind to the one overall scale that decides plain AbsRel on short sequences
  (docs/training_history.md, stage 21);
- ``sgbm_whdr``, ``sgbm_abs_rel_vs_constant``: the same two against an SGBM reference on frames with a
  right image and no depth (a stereo-only recording, as xian2018 trains on; median-scaled,
  ``training.evaluate.stereo_reference``): a relative reference, not ground truth;
- ``translation_direction_error_deg``, ``rotation_error_deg``: per-pair ego-motion errors (li2020);
- ``photometric``: li2020's own photometric terms on held-out pairs, no labels needed
  (``training.evaluate.photometric``): for adapting to a user's recording, validated on a later
  part of it.
An incumbent (the model shipped today, ``--incumbent``) is scored on the same folders; the run's best
is to replace it only where it scores better (``ship`` in selection.json).

``also`` (a second criterion, from the same evaluation) serves a network with two jobs (li2020:
odometry and depth). With an incumbent, a checkpoint is eligible when it is no worse than the
incumbent by more than ``tolerance`` (relative) on either criterion and better on at least one; the
eligible checkpoint with the best first criterion ships. Without an incumbent, or with no eligible
checkpoint, the first criterion alone picks (and nothing ships).

``average`` K > 1 also scores the mean of the weights of the K periodic checkpoints centred on the
best one (Izmailov et al. 2018, "Averaging weights leads to wider optima and better
generalization"; BatchNorm's running statistics are averaged too, which holds for checkpoints this
close) and selects it only where it scores better than every single checkpoint.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from mono_depth_ros.core.errors import InputError

SHIP_MARGIN = 1e-3  # relative: the fp16 copy that ships scores within ~1e-4 of its fp32 source
CRITERIA = ("abs_rel_vs_constant", "abs_rel", "whdr", "silog", "sgbm_whdr", "sgbm_abs_rel_vs_constant",
            "translation_direction_error_deg", "rotation_error_deg", "photometric")
#: what each group of criteria needs of the run and of the validation folders (for error messages)
CRITERIA_NEEDS = (
    (("abs_rel_vs_constant", "abs_rel", "whdr", "silog"), "a depth network and frames with depth"),
    (("sgbm_whdr", "sgbm_abs_rel_vs_constant"), "a depth network and frames with a right image and no depth, "
                                                "scored against SGBM (a relative reference, not ground truth)"),
    (("translation_direction_error_deg", "rotation_error_deg"), "a li2020 run and 3 consecutive frames with poses"),
    (("photometric",), "a li2020 run and consecutive frames (no labels)"),
)


@dataclass(frozen=True)
class Candidate:
    """One checkpoint's step, file and validation score (mean over folders; lower is better)."""

    step: int
    path: Path
    score: float
    per_folder: dict
    averaged_steps: tuple[int, ...] = ()  # the checkpoints whose mean this is (empty: a single one)
    also_score: float | None = None  # the second criterion (``also``), mean over folders


def average_checkpoints(paths: list[Path], out: Path) -> Path:
    """Write to ``out`` a checkpoint whose ``state_dict`` is the element-wise mean of those in ``paths``
    (floating tensors; integer ones, such as BatchNorm's batch counters, from the last) with the
    last one's hyper-parameters and step; returns ``out``. All must hold the same tensors."""
    import torch

    from mono_depth_ros.inference.checkpoint import safe_torch_load

    if not paths:
        raise InputError("paths", paths, "give at least one checkpoint to average")
    ckpts = [safe_torch_load(p) for p in paths]
    last = ckpts[-1]
    keys = set(last["state_dict"])
    for path, ckpt in zip(paths, ckpts):
        if set(ckpt["state_dict"]) != keys:
            raise InputError("checkpoint", str(path), f"holds other tensors than {paths[-1]}")
    averaged = {}
    for key, value in last["state_dict"].items():
        if torch.is_floating_point(value):
            averaged[key] = torch.stack([c["state_dict"][key].float() for c in ckpts]).mean(0).to(value.dtype)
        else:
            averaged[key] = value
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"hyper_parameters": last["hyper_parameters"], "state_dict": averaged,
                "global_step": last.get("global_step", 0)}, out)
    return out


def periodic_checkpoints(run_dir: str | Path, every_n_steps: int = 1) -> list[tuple[int, Path]]:
    """(step, path) of ``run_dir/checkpoints/stepN.ckpt`` with N a multiple of ``every_n_steps``, by
    step. With ``every_n_steps`` 1 (every checkpoint) the run's ``last.ckpt`` is one too when its
    step has no stepN.ckpt: a run stopped by ``--max-minutes`` between periodic checkpoints, or one
    too short for any."""
    folder = Path(run_dir) / "checkpoints"
    if not Path(run_dir).is_dir():
        raise InputError("run_dir", str(run_dir), "no such run folder (written by 'python -m training train --out')")
    found = []
    for path in folder.glob("step*.ckpt"):
        match = re.fullmatch(r"step(\d+)\.ckpt", path.name)
        if match and int(match.group(1)) % max(every_n_steps, 1) == 0:
            found.append((int(match.group(1)), path))
    last = folder / "last.ckpt"
    if every_n_steps <= 1 and last.is_file():
        try:
            step = _global_step(last)
        except InputError as exc:
            if not found:
                raise
            logging.getLogger(__name__).warning("left out: %s", exc)  # the periodic ones still count
        else:
            if step not in {s for s, _ in found}:
                found.append((step, last))
    if not found:
        others = sorted(p.name for p in folder.glob("*.ckpt")) if folder.is_dir() else []
        which = f" (N a multiple of {every_n_steps})" if every_n_steps > 1 else ""
        hint = (f" (it has {', '.join(others[:3])}: train with --set trainer.checkpoint_every_n_steps=N to keep "
                "periodic checkpoints)" if others else "")
        raise InputError("run_dir", str(run_dir), f"no checkpoints/stepN.ckpt{which}{hint}")
    return sorted(found)


def _global_step(path: Path) -> int:
    """The training step a Lightning checkpoint was written at."""
    from mono_depth_ros.inference.checkpoint import safe_torch_load

    try:
        return int(safe_torch_load(path).get("global_step", 0))
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - a cut-off or foreign file -> one line naming it
        raise InputError("checkpoint", str(path), f"cannot be read ({type(exc).__name__})") from None


def needs_of(criterion: str) -> str:
    """What ``criterion`` needs of the run and the validation folders."""
    return next(needs for names, needs in CRITERIA_NEEDS if criterion in names)


def folder_contents(data_dir: str | Path, split: str) -> str:
    """What a validation folder offers the criteria, e.g. "split 'val': 12 frames, 0 with depth,
    12 with a right image, 0 with a pose"."""
    from training.data.datasets import DatasetFolder

    folder = DatasetFolder(data_dir)
    records = [folder.by_index[i] for i in folder.indices(split)]
    return (f"split {split!r}: {len(records)} frames, {sum(bool(r.depth) for r in records)} with depth, "
            f"{sum(bool(r.right) for r in records)} with a right image, "
            f"{sum(folder.pose(r.index) is not None for r in records)} with a pose")


def _cannot_score(results: dict, criterion: str, section: str, has: str | None) -> InputError:
    """The error of a criterion the evaluation could not score: what it needs, what the folder has
    (``has``: folder_contents, or None) or why the section was not scored, what every criterion needs."""
    data, not_scored = results.get("data"), (results.get(section) or {}).get("not_scored")
    absent = {"depth_vs_sgbm": "no frame with a right image and no depth",
              "depth": f"no depth network among {results.get('networks', [])}"}.get(section, "no li2020 motion network")
    found = f"{data} has {has}" if has else f"{data}: {not_scored}" if not_scored else f"{data}: {absent}"
    if has and not_scored and (results.get(section) or {}).get("skipped_frames"):  # it has them, none was usable
        found += f"; {not_scored}"
    groups = "; ".join(f"{', '.join(names)}: {needs}" for names, needs in CRITERIA_NEEDS)
    hint = ""
    if (results.get("depth_vs_sgbm") or {}).get("rows"):
        hint = "; this folder scores with --criterion sgbm_whdr or sgbm_abs_rel_vs_constant"
    elif "abs_rel" in (results.get("depth") or {}):
        hint = "; this folder has depth: --criterion abs_rel_vs_constant, abs_rel, whdr or silog"
    return InputError("criterion", criterion, f"needs {needs_of(criterion)} ({found}){hint}; what each criterion "
                                              f"needs: {groups}")


def score_of(results: dict, criterion: str, has: str | None = None) -> float:
    """The criterion's value in one ``training.evaluate.run.evaluate`` result dict; ``has``
    (folder_contents of the folder evaluated) goes into the error when it cannot be scored."""
    if criterion not in CRITERIA:
        raise InputError("criterion", criterion, f"expected one of {CRITERIA}")
    if criterion in ("translation_direction_error_deg", "rotation_error_deg"):
        rows = (results.get("ego_motion") or {}).get("network")
        if not rows:
            raise _cannot_score(results, criterion, "ego_motion", has)
        return float(rows[criterion])
    if criterion.startswith("sgbm_"):
        rows = (results.get("depth_vs_sgbm") or {}).get("rows")
        if not rows:
            raise _cannot_score(results, criterion, "depth_vs_sgbm", has)
        if criterion == "sgbm_whdr":
            return float(rows["network"]["whdr"])
        return float(rows["network"]["abs_rel"]) / max(float(rows["constant"]["abs_rel"]), 1e-9)
    depth = results.get("depth") or {}
    if "abs_rel" not in depth:
        raise _cannot_score(results, criterion, "depth", has)
    if criterion == "abs_rel_vs_constant":
        return float(depth["abs_rel"]) / max(float(depth["constant_depth_abs_rel"]), 1e-9)
    return float(depth[criterion])


def _score_or_explain(results: dict, criterion: str, val, split: str) -> float:
    try:
        return score_of(results, criterion)
    except InputError:  # again, naming what the folder has
        return score_of(results, criterion, folder_contents(val, split))


def _score(paths: list[Path], val_dirs, criteria: tuple[str, ...], work: Path, opts) -> list[dict]:
    """Per-folder values of each of ``criteria`` for the model in ``paths`` (one checkpoint, or
    li2020's two .pt files), all from one evaluation per folder."""
    from training.evaluate.run import evaluate

    if criteria == ("photometric",):
        from training.evaluate.photometric import photometric_score

        if len({p.parent for p in paths}) != 1:
            raise InputError("incumbent", [str(p) for p in paths], "li2020's two .pt files must share a folder")
        scores = {str(val): photometric_score(paths[0], val, opts.split) for val in val_dirs}
        work.mkdir(parents=True, exist_ok=True)
        (work / "photometric.json").write_text(json.dumps(scores, indent=2))
        return [{val: s["weighted"] for val, s in scores.items()}]
    results = {str(val): evaluate(paths, val, work / Path(val).name, opts) for val in val_dirs}
    return [{val: _score_or_explain(r, criterion, val, opts.split) for val, r in results.items()}
            for criterion in criteria]


def bundled_weights(method: str | None) -> list[Path]:
    """The installed package's weights of ``method`` (li2020: depth and motion), for
    ``--incumbent bundled``."""
    from mono_depth_ros.inference.weights import WEIGHTS_DIR

    found = sorted(WEIGHTS_DIR.glob(f"{method}*.pt")) if method else []
    if not found:
        raise InputError("incumbent", "bundled", f"no bundled weights of the run's method {method!r}")
    return found


def _check_incumbent(incumbent: list[str | Path], method: str | None) -> None:
    """InputError unless every incumbent file exists and holds ``method``'s networks (the run's; an
    ONNX is not checked: its model card says what it is)."""
    from mono_depth_ros.inference.checkpoint import read_checkpoint_payload, safe_torch_load

    for path in incumbent:
        if not Path(path).is_file():
            raise InputError("incumbent", str(path), "no such model file")
        if Path(path).suffix == ".onnx" or method is None:
            continue
        if Path(path).suffix == ".ckpt":
            found = safe_torch_load(path).get("method")
            if found is None:  # a checkpoint this project did not write with its method (an average): not judged
                continue
        else:
            found = read_checkpoint_payload(path)["spec_name"]
        if found is None or str(found).split("_")[0] != method:
            raise InputError("incumbent", str(path), f"holds a {found!r} model; the run trains {method!r}: give the "
                                                     f"{method} model(s) shipped today")


def _mean(per_folder: dict) -> float:
    return sum(per_folder.values()) / len(per_folder)


def _eligible(c: Candidate, score: float, score_also: float, tolerance: float) -> bool:
    """No worse than the incumbent's (``score``, ``score_also``) by more than ``tolerance`` on either,
    and better (beyond SHIP_MARGIN) on at least one."""
    within = (c.score <= score + tolerance * abs(score) and c.also_score <= score_also + tolerance * abs(score_also))
    better = (c.score < score - SHIP_MARGIN * abs(score) or c.also_score < score_also - SHIP_MARGIN * abs(score_also))
    return within and better


def select_checkpoint(run_dir: str | Path, val_dirs: list[str | Path], criterion: str = "abs_rel_vs_constant",
                      every_n_steps: int = 1, opts=None, progress: bool = True,
                      incumbent: list[str | Path] | None = None,
                      average: int = 1, also: str | None = None,
                      tolerance: float = 0.0) -> tuple[Candidate, list[Candidate]]:
    """Evaluate every periodic checkpoint of ``run_dir`` on ``val_dirs``; export the best one's
    networks to ``run_dir/selected/<spec>.pt`` and write ``run_dir/selected/selection.json``.

    ``incumbent``: model file(s) shipped today, scored the same way; selection.json's ``ship`` says
    whether the run's best beats it. ``average`` K > 1: also score the mean of the K checkpoints
    centred on the best and take it where it is better. ``also`` / ``tolerance``: a second criterion
    and how much worse (relative) either may get against the incumbent (module docstring).
    Returns (best, all candidates by step).
    """
    from training.evaluate.predict import method_from_lightning
    from training.evaluate.run import EvalOptions
    from training.loop import BUNDLED, export_model_files

    if criterion not in CRITERIA:
        raise InputError("criterion", criterion, f"expected one of {CRITERIA}")
    if not val_dirs:
        raise InputError("val_dirs", val_dirs, "give at least one validation folder")
    if average < 1:
        raise InputError("average", average, "must be >= 1 (1: no weight averaging)")
    if also is not None and (also not in CRITERIA or also == criterion):
        raise InputError("also", also, f"expected one of {CRITERIA} other than --criterion")
    if also is not None and "photometric" in (criterion, also):
        raise InputError("also", also, "photometric (its own evaluation) cannot be combined with another criterion")
    if also is not None and average > 1:
        raise InputError("average", average, "weight averaging is not combined with a second criterion")
    if not 0.0 <= tolerance < 1.0:
        raise InputError("tolerance", tolerance, "must be in [0, 1) (relative)")
    criteria = (criterion, also) if also else (criterion,)
    opts = opts or EvalOptions(split="all", pictures=0, classical="none", progress=progress)
    run_dir = Path(run_dir)
    work = run_dir / "selection"
    candidates, checkpoints = [], periodic_checkpoints(run_dir, every_n_steps)
    if incumbent:  # before any evaluation
        from mono_depth_ros.inference.checkpoint import safe_torch_load

        method = safe_torch_load(checkpoints[0][1]).get("method")
        if [str(p) for p in incumbent] == [BUNDLED]:
            incumbent = bundled_weights(method)
        _check_incumbent(incumbent, method)
    for step, path in tqdm(checkpoints, desc="checkpoints", disable=not progress):
        per_folder, *per_folder_also = _score([path], val_dirs, criteria, work / f"step{step}", opts)
        candidates.append(Candidate(step, path, _mean(per_folder), per_folder,
                                    also_score=_mean(per_folder_also[0]) if also else None))
    best = min(candidates, key=lambda c: (c.score, -c.step))
    summary = {"criterion": criterion, "validation": [str(v) for v in val_dirs], "best_step": best.step,
               "best_checkpoint": str(best.path), "best_score": best.score, "ship": True}
    if average > 1 and len(candidates) > 1:
        at = candidates.index(best)
        first = min(max(0, at - average // 2), max(0, len(candidates) - average))
        window = candidates[first:first + average]
        steps = tuple(c.step for c in window)
        path = average_checkpoints([c.path for c in window], work / f"average_{steps[0]}-{steps[-1]}.ckpt")
        per_folder = _score([path], val_dirs, criteria, work / f"average_{steps[0]}-{steps[-1]}", opts)[0]
        mean = Candidate(best.step, path, _mean(per_folder), per_folder, steps)
        summary["average"] = {"steps": list(steps), "score": mean.score, "per_folder": per_folder,
                              "selected": mean.score < best.score}
        if mean.score < best.score:
            best = mean
            summary.update(best_checkpoint=str(best.path), best_score=best.score)
    if incumbent:
        scores, *scores_also = _score([Path(p) for p in incumbent], val_dirs, criteria, work / "incumbent", opts)
        score = _mean(scores)
        summary["incumbent"] = {"paths": [str(p) for p in incumbent], "score": score, "per_folder": scores}
        summary["ship"] = best.score < score - SHIP_MARGIN * abs(score)  # a tie keeps what ships
        if also:
            score_also = _mean(scores_also[0])
            summary["incumbent"].update(also_score=score_also, also_per_folder=scores_also[0])
            eligible = [c for c in candidates if _eligible(c, score, score_also, tolerance)]
            summary["ship"] = bool(eligible)
            if eligible:
                best = min(eligible, key=lambda c: (c.score, -c.step))
                summary.update(best_step=best.step, best_checkpoint=str(best.path), best_score=best.score)
    if also:
        summary.update(also=also, tolerance=tolerance, best_also_score=best.also_score)
    out = run_dir / "selected"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    module, _ = method_from_lightning(best.path)
    export_model_files(module, out, module.config, {"global_step": best.step})
    summary["candidates"] = [{"step": c.step, "score": c.score, "per_folder": c.per_folder}
                             | ({"also_score": c.also_score} if also else {}) for c in candidates]
    (out / "selection.json").write_text(json.dumps(summary, indent=2))
    return best, candidates

