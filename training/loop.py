"""The one generic training loop (PyTorch Lightning) for every method.

Lightning provides device placement, mixed precision (``trainer.precision``), gradient clipping
by norm, checkpointing and resuming (``resume``), progress (a bar on a terminal, else status
lines: :mod:`training.progress`) and DDP (``trainer.devices`` processes per machine,
``trainer.num_nodes`` machines; launched with torchrun or under SLURM, Lightning's defaults pick
it up). Logs: CSV always, TensorBoard when the ``tensorboard`` package
is installed. ``trainer.init_from`` starts the networks from existing weights (adapting the
bundled networks to a user's camera). At the end the networks are also saved with
``mono_depth_ros.inference.checkpoint.save_model_checkpoint`` (for ``training export`` and the nodes).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import os
import warnings
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint, Timer
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_only
from torch import nn
from torch.utils.data import ConcatDataset, DataLoader

import mono_depth_ros
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.fit import plan_fit
from training.config import config_to_dict, save_config_yaml
from training.data.batches import collate
from training.data.datasets import DatasetFolder
from training.methods import build_method
from training.progress import progress_callback

LOG = logging.getLogger(__name__)
#: ``trainer.init_from`` value meaning the weights shipped in the package (mono_depth_ros/weights).
BUNDLED = "bundled"


class _NoTips(logging.Filter):
    """Lightning's advertisement for its cloud logger, once per run, is not this tool's output."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Tip:" not in record.getMessage()


logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(_NoTips())


@dataclass
class TrainResult:
    """What a run produced: the last Lightning checkpoint, exported model files, last logged metrics."""

    run_dir: Path
    last_checkpoint: Path
    model_files: dict[str, Path] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tensorboard: bool = False
    steps: int = 0  #: optimizer steps done (over every sitting of a resumed run)
    periodic_checkpoints: int = 0  #: checkpoints/stepN.ckpt files in the run folder


def _loggers(run_dir: Path) -> tuple[list, bool]:
    loggers: list = [CSVLogger(str(run_dir), name="logs", version="")]
    has_tb = importlib.util.find_spec("tensorboard") is not None
    if has_tb:
        loggers.append(TensorBoardLogger(str(run_dir), name="tensorboard", version=""))
    else:
        LOG.warning("tensorboard is not installed: logging to CSV only (%s/logs)", run_dir)
    return loggers, has_tb


@rank_zero_only  # one process renames (several at once would race); the others get None
def _keep_earlier_logs(run_dir: Path) -> Path | None:
    """Before a resumed run logs: Lightning's CSV logger would overwrite ``logs/metrics.csv``, so the
    rows of the earlier sittings are moved to ``logs/metrics.before_resume_<N>.csv`` (N = 1, 2, ...).
    Returns the file they went to (None when there were none)."""
    current = run_dir / "logs" / "metrics.csv"
    if not current.is_file():
        return None
    n = 1
    while (kept := current.with_name(f"metrics.before_resume_{n}.csv")).exists():
        n += 1
    try:
        current.rename(kept)
    except FileNotFoundError:  # another process of the same run took it first
        return None
    LOG.info("resuming: the earlier training log is kept as %s", kept)
    return kept


def _loader(dataset, batch_size: int, shuffle: bool, workers: int, seed: int) -> DataLoader:
    return DataLoader(dataset, batch_size=min(batch_size, len(dataset)), shuffle=shuffle, num_workers=workers,
                      collate_fn=collate, drop_last=shuffle, generator=torch.Generator().manual_seed(seed),
                      persistent_workers=False)


def _devices(text: str) -> Any:
    return int(text) if text.isdigit() else text


def _strategy(t: Any) -> str:
    """Lightning strategy: DDP that tolerates parameters a step leaves unused when several
    processes may run (Eigen's fine network in the coarse stage, li2020's intrinsics head when the
    dataset gives intrinsics: plain DDP stops there), otherwise Lightning's own choice."""
    devices = _devices(t.devices)
    several = (t.num_nodes > 1 or int(os.environ.get("WORLD_SIZE", "1")) > 1
               or (isinstance(devices, int) and devices > 1) or devices == -1 or "," in str(devices)
               or (devices == "auto" and t.accelerator in ("auto", "gpu", "cuda") and torch.cuda.device_count() > 1))
    return "ddp_find_unused_parameters_true" if several else "auto"


def make_trainer(config: Any, run_dir: Path, max_minutes: float | None, has_val: bool, progress: bool,
                 loggers: list) -> L.Trainer:
    """``progress``: a bar when stdout is a terminal; without one, or False: a status line every 30 s
    (:mod:`training.progress`)."""
    t = config.trainer
    shows, bar = progress_callback(progress, max(1, t.log_every_n_steps // 4), max_minutes)
    callbacks = [ModelCheckpoint(dirpath=str(run_dir / "checkpoints"), filename="step{step}",
                                 auto_insert_metric_name=False, every_n_train_steps=t.checkpoint_every_n_steps,
                                 save_last=True, save_top_k=-1),
                 LearningRateMonitor(logging_interval="step"), shows]
    if max_minutes is not None:
        callbacks.append(Timer(duration=timedelta(minutes=max_minutes), interval="step"))
    return L.Trainer(
        default_root_dir=str(run_dir), max_steps=t.max_steps, max_epochs=-1, accelerator=t.accelerator,
        devices=_devices(t.devices), num_nodes=t.num_nodes, strategy=_strategy(t), precision=t.precision,
        gradient_clip_val=t.gradient_clip_norm or None, gradient_clip_algorithm="norm",
        log_every_n_steps=t.log_every_n_steps, logger=loggers, callbacks=callbacks,
        check_val_every_n_epoch=None, val_check_interval=t.val_every_n_steps if has_val else None,
        limit_val_batches=t.val_batches if has_val else 0, num_sanity_val_steps=0,
        enable_progress_bar=bar, enable_model_summary=False)


def export_model_files(module: Any, run_dir: Path, config: Any, metrics: dict) -> dict[str, Path]:
    """Save every network of ``module`` as ``run_dir/<spec_name>.pt`` (models/checkpoint.py format)."""
    try:
        from mono_depth_ros.inference.checkpoint import save_model_checkpoint
    except ModuleNotFoundError as exc:  # models/checkpoint.py not in this build: keep the .ckpt only
        LOG.warning("model export skipped (%s); the Lightning checkpoint is still written", exc)
        return {}
    files = {}
    collapsed_at = getattr(module, "collapsed_at_step", None)
    if collapsed_at is not None:
        LOG.error("no model exported: training collapsed at step %d; to get the models of a checkpoint from "
                  "before it, rerun the same command with --resume RUN/checkpoints/stepN.ckpt "
                  "--set trainer.max_steps=N (it stops at once and exports)", collapsed_at)
        return files
    for spec_name, net, kwargs in module.export_models():
        path = run_dir / f"{spec_name}.pt"
        save_model_checkpoint(path, spec_name, net, kwargs, config_to_dict(config), metrics=metrics)
        files[spec_name] = path
    return files


def starting_settings(method: str, text: str) -> dict:
    """The architecture of the weights a run starts from (``trainer.init_from`` = ``text``) as config
    keys: ``{"model": {...}, "data": {"input_hw": [h, w]}}``. From a model file (``bundled``, a folder of
    ``<spec>.pt``, a ``.pt``): the model kwargs it records (variant; li2020's decoder_upsample,
    auto_mask, max_pixel_aspect) and the input size it was trained at; from a Lightning ``.ckpt``:
    its model.variant and input size. The CLI puts this under ``--config`` and ``--set``
    (``load_config(base=...)``), so the weights need no flags to be continued. {} where nothing can
    be read: ``initialise_from`` then names what is wrong.
    """
    from mono_depth_ros.inference.checkpoint import read_checkpoint_payload, safe_torch_load
    from mono_depth_ros.inference.spec import MODEL_SPECS
    from training.config import load_config

    path = Path(mono_depth_ros.__file__).parent / "weights" if text == BUNDLED else Path(text)
    model_keys = set(config_to_dict(load_config(method))["model"])
    settings: dict = {"model": {}, "data": {}}
    try:
        if path.suffix == ".ckpt" and path.is_file():
            recorded = safe_torch_load(path).get("resolved_config") or {}
            if recorded.get("method") != method:
                return {}
            if "variant" in (recorded.get("model") or {}):
                settings["model"]["variant"] = recorded["model"]["variant"]
            hw = _trained_hw(recorded)
        else:
            files = [path / f"{name}.pt" for name, spec in MODEL_SPECS.items() if spec.method == method] \
                if path.is_dir() else [path]
            payloads = [read_checkpoint_payload(f) for f in files if f.is_file()]
            payloads = [p for p in payloads if (p.get("config") or {}).get("method") == method]
            for payload in payloads:
                settings["model"].update({k: v for k, v in payload["model_kwargs"].items() if k in model_keys})
            hw = next((h for h in (_trained_hw(p.get("config")) for p in payloads) if h), None)
    except (OSError, InputError, FileNotFoundError, RuntimeError, KeyError, ValueError):
        return {}
    if hw:
        settings["data"]["input_hw"] = list(hw)
    return {k: v for k, v in settings.items() if v}


def _check_fits(net: nn.Module, state: dict, spec_name: str, where: str, kwargs_note: str) -> None:
    """Raise InputError naming every tensor of ``state`` that is missing, extra or of another shape."""
    own = net.state_dict()
    missing = [k for k in own if k not in state]
    extra = [k for k in state if k not in own]
    shapes = [f"{k} {tuple(state[k].shape)} != {tuple(own[k].shape)}" for k in own
              if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or extra or shapes:
        parts = [f"{len(v)} {label} ({', '.join(v[:4])}{', ...' if len(v) > 4 else ''})"
                 for label, v in (("missing", missing), ("unexpected", extra), ("of another shape", shapes)) if v]
        raise InputError("init_from", where, f"does not fit this config's {spec_name} network: "
                                             f"{'; '.join(parts)}{kwargs_note}")


def _trained_hw(config: dict | None) -> tuple[int, int] | None:
    """The data.input_hw a model file's or checkpoint's recorded config trained at, if it says."""
    hw = ((config or {}).get("data") or {}).get("input_hw")
    return (int(hw[0]), int(hw[1])) if hw else None


def _init_states(module: Any, text: str) -> dict[str, tuple[dict, str, dict, tuple[int, int] | None]]:
    """{spec_name: (state_dict, source file, model_kwargs or {}, trained input_hw or None)} for every
    network of ``module``; a ``.pt`` of one network gives that network alone."""
    from mono_depth_ros.inference.checkpoint import read_checkpoint_payload

    specs = [name for name, _, _ in module.export_models()]
    path = Path(mono_depth_ros.__file__).parent / "weights" if text == BUNDLED else Path(text)
    if path.is_dir():
        absent = [f"{name}.pt" for name in specs if not (path / f"{name}.pt").is_file()]
        if absent:
            raise InputError("init_from", str(path), f"folder lacks {', '.join(absent)} (needs one <spec>.pt per "
                                                     f"network of {module.method_name})")
        payloads = {name: read_checkpoint_payload(path / f"{name}.pt") for name in specs}
        return {n: (p["state_dict"], str(path / f"{n}.pt"), p["model_kwargs"], _trained_hw(p.get("config")))
                for n, p in payloads.items()}
    if not path.is_file():
        raise InputError("init_from", text, f"not found (expected '{BUNDLED}', a folder, a .pt or a .ckpt)")
    if path.suffix == ".ckpt":  # a Lightning checkpoint of this method: every network at once
        from mono_depth_ros.inference.checkpoint import safe_torch_load

        ckpt = safe_torch_load(path)  # weights_only=True: a checkpoint cannot run code when loaded
        if ckpt.get("method") != module.method_name:
            raise InputError("init_from", str(path), f"is a {ckpt.get('method')!r} checkpoint, this run trains "
                                                     f"{module.method_name!r}")
        nets = dict((name, net) for name, net, _ in module.export_models())
        prefixes = {name: next(attr for attr, child in module.named_modules() if child is net) + "."
                    for name, net in nets.items()}
        trained_hw = _trained_hw(ckpt.get("resolved_config"))
        return {name: ({k[len(pre):]: v for k, v in ckpt["state_dict"].items() if k.startswith(pre)}, str(path), {},
                       trained_hw) for name, pre in prefixes.items()}
    payload = read_checkpoint_payload(path)
    if payload["spec_name"] not in specs:
        raise InputError("init_from", str(path), f"holds a {payload['spec_name']!r} network; {module.method_name} "
                                                 f"trains {specs}: give '{BUNDLED}' or a {module.method_name} run "
                                                 "folder (RUN or RUN/selected)")
    return {payload["spec_name"]: (payload["state_dict"], str(path), payload["model_kwargs"],
                                   _trained_hw(payload.get("config")))}


def initialise_from(module: Any, text: str) -> dict[str, str]:
    """Load ``text`` (``trainer.init_from``) into every network of ``module`` it holds; {spec_name: file}.
    A ``.pt`` of one network of a method with two (li2020's motion net alone, under a depth net that
    starts from ImageNet) leaves the other at its own start, said in one WARNING.

    Strict: each network's tensors must match by name and shape, otherwise InputError naming the
    mismatching tensors (and the source's model_kwargs when they differ from this config's).
    """
    states = _init_states(module, text)
    used = {}
    own_start = [name for name, _, _ in module.export_models() if name not in states]
    if own_start:
        LOG.warning("--init-from %s holds no %s: %s keeps its own start (random, or ImageNet for an encoder with "
                    "model.encoder_init=imagenet)", text, " or ".join(own_start), " and ".join(own_start))
    for name, net, kwargs in module.export_models():
        if name not in states:
            continue
        state, source, source_kwargs, _ = states[name]
        differ = {k: (v, kwargs.get(k)) for k, v in source_kwargs.items() if kwargs.get(k) != v}
        note = "".join(f"; the file has model {k}={a!r}, this config {b!r} (--set model.{k}={a} continues it)"
                       for k, (a, b) in differ.items())
        _check_fits(net, state, name, source, note)
        net.load_state_dict(state, strict=True)  # float16 storage (bundled weights) is cast to the net's dtype
        if differ:  # the tensors fit, the network around them differs (li2020's decoder_upsample)
            LOG.warning("%s: %s", name, note.lstrip("; ").replace("; ", ", "))
        used[name] = source
        LOG.info("%s initialised from %s", name, source)
    module.after_init_from()
    wanted = tuple(int(v) for v in module.config.data.input_hw)
    # eigen2014's config trains at 228x304, its bundled weights were trained at 96x128
    other = next(((name, hw) for name, (*_, hw) in states.items() if hw and hw != wanted), None)
    if other:
        (name, (h, w)) = other
        LOG.warning("--init-from %s was trained at %dx%d, this run trains at %dx%d (data.input_hw): "
                    "--set \"data.input_hw=[%d, %d]\" continues at its size", name, h, w, *wanted, h, w)
    return used


def _check_resume_fits(config: Any, resume: str | Path) -> None:
    """InputError (one line) when ``resume`` was trained with networks this config does not build:
    another method, or li2020 with the depth anchor on where this config has it off (or the
    reverse: the anchor's frozen copy is part of the checkpoint)."""
    from mono_depth_ros.inference.checkpoint import safe_torch_load

    if not Path(resume).is_file():
        raise InputError("resume", str(resume), "not found (expected RUN/checkpoints/last.ckpt or stepN.ckpt)")
    try:
        ckpt = safe_torch_load(resume)
    except InputError as exc:
        raise InputError("resume", str(resume), f"not a Lightning checkpoint ({exc.reason})") from None
    if not isinstance(ckpt, dict) or "pytorch-lightning_version" not in ckpt:
        what = (f"a model file ({ckpt['spec_name']}.pt), not a Lightning checkpoint: to start from its weights use "
                "--init-from" if isinstance(ckpt, dict) and "spec_name" in ckpt else "not a Lightning checkpoint")
        raise InputError("resume", str(resume), f"is {what} (resume takes RUN/checkpoints/last.ckpt or stepN.ckpt)")
    recorded = ckpt.get("resolved_config") or {}
    if recorded.get("method") not in (None, config.method):
        raise InputError("resume", str(resume), f"is a {recorded.get('method')!r} run; this config trains "
                                                f"{config.method!r}")
    if config.method == "li2020":
        was = float((recorded.get("loss_weights") or {}).get("depth_anchor", 0.0))
        now = float(config.loss_weights.depth_anchor)
        if (was > 0) != (now > 0):
            raise InputError("resume", str(resume), f"was trained with loss_weights.depth_anchor={was:g}, this "
                                                    f"config has {now:g}: resume with the run's settings "
                                                    "(its config.yaml)")


def _datasets(module: Any, folders: list[DatasetFolder], split: str, train: bool):
    """One dataset per folder (runs of frames never cross folders), concatenated."""
    return _concatenated([module.make_dataset(folder, split, train=train) for folder in folders])


def _concatenated(parts: list[Any]):
    parts = [p for p in parts if len(p) > 0]
    return parts[0] if len(parts) == 1 else ConcatDataset(parts) if parts else []


def duplicates_note(parts: list[Any]) -> str | None:
    """One line when li2020's duplicate filter left runs out: how many, the threshold, and the
    median difference of this data's runs (what a threshold is compared with); None otherwise."""
    differences = [d for p in parts for d in getattr(p, "run_differences", [])]
    dropped = sum(getattr(p, "dropped_duplicates", 0) for p in parts)
    if not dropped:
        return None
    threshold = next(p.duplicates_filter_threshold for p in parts if getattr(p, "run_differences", None))
    median = float(np.median(differences))
    if median < 1e-4:  # below a hundredth of one 8-bit level: the same picture
        advice = "the frames are identical: did the camera move? data.duplicates_filter_threshold=0 keeps them"
    elif dropped * 4 > len(differences):
        advice = f"lower data.duplicates_filter_threshold (e.g. {_round_down(median / 4)}) to keep more, 0 keeps all"
    else:
        advice = "data.duplicates_filter_threshold=0 keeps them"
    return (f"{dropped} of {len(differences)} frame runs left out as near-duplicates: mean |RGB difference| <= "
            f"{threshold:g} (the paper's filter); this data's runs differ by {median:.4f} (median), a camera at "
            f"20-30 Hz often by less than 0.01; {advice}")


def crop_note(folders: list[DatasetFolder], input_hw, resize_mode: str) -> str | None:
    """One line when ``resize_mode`` crop keeps less than 80 % of a folder's frames (an input_hw of
    another aspect ratio than the camera's: the network never sees the rest, and the node publishes
    NaN there); None otherwise."""
    net_h, net_w = (int(v) for v in input_hw)
    for folder in folders:
        if resize_mode != "crop" or not folder.by_index:
            continue
        src_h, src_w = folder.rgb(min(folder.by_index)).shape[:2]
        fit = plan_fit((src_h, src_w), (net_h, net_w), resize_mode)
        kept = fit.src_h * fit.src_w / (src_h * src_w)
        if kept < 0.8:
            suggested_w = max(8, int(round(net_h * src_w / src_h / 8)) * 8)
            return (f"data.input_hw={net_h}x{net_w} on {folder.path.name}'s {src_h}x{src_w} frames: resize_mode crop "
                    f"keeps {100 * kept:.0f} % of each frame (the network and the node see nothing of the rest); an "
                    f"input_hw with the camera's aspect ratio keeps it all, e.g. data.input_hw=[{net_h}, {suggested_w}]")
    return None


def unused_frames_note(parts: list[Any], folders: list[DatasetFolder], split: str, needs: str) -> str | None:
    """One line when a frame-based dataset (eigen2014, xian2018: ``indices``) leaves frames of the
    split out (no depth, no right image): how many it uses of how many; None when it uses all."""
    if not parts or not all(hasattr(p, "indices") for p in parts):
        return None
    used = sum(len(p.indices) for p in parts)
    total = sum(len(f.indices(split)) for f in folders)
    if used >= total:
        return None
    return f"{used} of {total} frames used: the method needs {needs}"


def pose_supervision_check(config: Any, folders: list[DatasetFolder]) -> str | None:
    """li2020's ``loss_weights.rotation_supervision`` needs the frames' poses (``poses_tum.txt``, the
    renders' exact ones or a bag's pose topic): InputError when it is on and no training folder has
    one (the term would add nothing and the run would be the paper's alone); a one-line note naming
    the folders without poses when some have them; None otherwise."""
    if config.method != "li2020" or config.loss_weights.rotation_supervision <= 0:
        return None
    missing = [f.path.name for f in folders if not f.poses]
    if len(missing) == len(folders):
        raise InputError("loss_weights.rotation_supervision", config.loss_weights.rotation_supervision,
                         f"needs poses (poses_tum.txt) and none of the {len(folders)} folder(s) has them "
                         f"(extract with a pose topic, or set it to 0: the paper's self-supervision alone)")
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        return (f"loss_weights.rotation_supervision: {len(missing)} of {len(folders)} folders have no poses "
                f"({shown}); their pairs get no rotation term")
    return None


def static_camera_policy(config: Any, folders: list[DatasetFolder]) -> Any:
    """li2020 learns depth from the camera's motion: one warning per folder whose camera stands
    still (``training.evaluate.motion_check``). When every folder's does and the run starts from
    weights (``trainer.init_from``) with ``optimizer.static_camera_depth`` freeze (default), the
    config comes back with ``optimizer.depth_lr_scale`` 0 (the depth network kept as it starts;
    measured on EuRoC's hovering clip, README "Adapt to your camera"); else unchanged."""
    if config.method != "li2020":
        return config
    from training.evaluate.motion_check import static_camera_note

    notes = [static_camera_note(folder, config.data.train_split) for folder in folders]
    for note in notes:
        if note:
            LOG.warning("%s", note)
    opt = config.optimizer
    if not (all(notes) and config.trainer.init_from and opt.static_camera_depth == "freeze"
            and opt.depth_lr_scale > 0):
        return config
    LOG.warning("the depth network stays as %s gives it for this run (optimizer.depth_lr_scale 0; only the motion "
                "network and the intrinsics adapt): set optimizer.static_camera_depth=train to fine-tune it anyway",
                config.trainer.init_from)
    return replace(config, optimizer=replace(opt, depth_lr_scale=0.0))


def _round_down(value: float) -> str:
    """``value`` rounded down to one significant digit, as text (0.00093 -> '0.0009')."""
    if value <= 0:
        return "0"
    exponent = math.floor(math.log10(value))
    return f"{math.floor(value / 10 ** exponent) * 10 ** exponent:.{max(0, -exponent)}f}"


def train(config: Any, data_dir: str | Path | list[str | Path], run_dir: str | Path, max_minutes: float | None = None,
          resume: str | Path | None = None, progress: bool = True) -> TrainResult:
    """Train ``config.method`` on one or several extracted dataset folders; write into ``run_dir``.

    run_dir gets: config.yaml (resolved), checkpoints/{last,stepN}.ckpt (Lightning, with the
    resolved config and git revision), logs/metrics.csv, tensorboard/ (when installed), and one
    ``<spec_name>.pt`` per network (models/checkpoint.py format), plus result.json.
    """
    run_dir = Path(run_dir)
    if resume:  # before the run folder is written
        _check_resume_fits(config, resume)
    L.seed_everything(config.trainer.seed, workers=True, verbose=False)
    folders = [DatasetFolder(d) for d in (data_dir if isinstance(data_dir, (list, tuple)) else [data_dir])]
    unposed = pose_supervision_check(config, folders)  # before the ORB pass below: a run that cannot use it fails first
    if unposed:
        LOG.warning("%s", unposed)
    config = static_camera_policy(config, folders)
    module = build_method(config, dataset_has_intrinsics=all(f.intrinsics is not None for f in folders))
    init_files = {}
    if config.trainer.init_from and not resume:  # a resumed run's weights come from its checkpoint
        init_files = initialise_from(module, config.trainer.init_from)
    train_parts = [module.make_dataset(f, config.data.train_split, train=True) for f in folders]
    train_ds, left_out = _concatenated(train_parts), duplicates_note(train_parts)
    needs = {"eigen2014": "frames with depth (extract with --depth-topic)",
             "xian2018": "frames with depth or a right stereo image",
             "li2020": "pairs of consecutive frames (2 or more frames in a row)"}.get(config.method, "frames")
    if len(train_ds) == 0:
        names = ", ".join(str(f.path) for f in folders)
        raise InputError("data", names, f"split {config.data.train_split!r} has no usable frames: {config.method} "
                                        f"needs {needs}" + (f"; {left_out}" if left_out else ""))
    if left_out:
        LOG.warning("train split: %s", left_out)
    unused = unused_frames_note(train_parts, folders, config.data.train_split, needs)
    if unused:
        LOG.warning("train split: %s", unused)
    cropped = crop_note(folders, config.data.input_hw, config.data.resize_mode)
    if cropped:
        LOG.warning("%s", cropped)
    run_dir.mkdir(parents=True, exist_ok=True)  # only once the data is known to be usable
    save_config_yaml(config, run_dir / "config.yaml")
    val_ds = _datasets(module, folders, config.data.val_split, train=False) if config.trainer.val_batches else None
    has_val = val_ds is not None and len(val_ds) > 0
    t = config.trainer
    train_loader = _loader(train_ds, t.batch_size, True, t.num_workers, t.seed)
    val_loader = _loader(val_ds, t.batch_size, False, t.num_workers, t.seed) if has_val else None
    if resume:
        _keep_earlier_logs(run_dir)
    with warnings.catch_warnings():  # Lightning's advice that does not apply here, kept out of the console
        warnings.filterwarnings("ignore", message=".*is smaller than the logging interval.*")
        warnings.filterwarnings("ignore", message=".*LeafSpec.*is deprecated.*")
        return _fit(config, module, run_dir, max_minutes, resume, progress, train_loader, val_loader, has_val,
                    init_files)


def _fit(config: Any, module: Any, run_dir: Path, max_minutes: float | None, resume, progress: bool, train_loader,
         val_loader, has_val: bool, init_files: dict) -> TrainResult:
    loggers, has_tb = _loggers(run_dir)
    trainer = make_trainer(config, run_dir, max_minutes, has_val, progress, loggers)
    if resume:  # Lightning's own loader, also weights_only=True, with the same allow-list
        from mono_depth_ros.inference.checkpoint import lightning_safe_globals

        torch.serialization.add_safe_globals(lightning_safe_globals())
    trainer.fit(module, train_loader, val_loader, ckpt_path=str(resume) if resume else None, weights_only=True)
    last = run_dir / "checkpoints" / "last.ckpt"
    trainer.save_checkpoint(str(last), weights_only=False)  # full state (optimizer, loops) for --resume
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if torch.is_tensor(v) and v.numel() == 1}
    periodic = sorted((run_dir / "checkpoints").glob("step*.ckpt"))
    result = TrainResult(run_dir, last, metrics=metrics, tensorboard=has_tb, steps=int(trainer.global_step),
                         periodic_checkpoints=len(periodic))
    if trainer.is_global_zero:
        result.model_files = export_model_files(module, run_dir, config, {**metrics, "global_step": int(trainer.global_step)})
        (run_dir / "result.json").write_text(json.dumps(
            {"method": config.method, "global_step": int(trainer.global_step), "metrics": metrics,
             "last_checkpoint": str(last), "model_files": {k: str(v) for k, v in result.model_files.items()},
             "tensorboard": has_tb, "init_from": init_files}, indent=2))
    return result
