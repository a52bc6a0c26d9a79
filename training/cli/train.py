"""``python -m training train``: train one method on an extracted dataset folder."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

EPILOG = """examples:
  python -m training train --method eigen2014 --data data/kitchen --config config/training/eigen2014.yaml --out runs/eigen
  python -m training train --method li2020 --data data/street --config config/training/li2020.yaml \\
      --set trainer.max_steps=2000 --set data.input_hw=[96,128] --out runs/li --max-minutes 30
  python -m training train --method li2020 --data data/street --out runs/li --resume runs/li/checkpoints/last.ckpt
  python -m training train --method li2020 --data data/my_camera --init-from bundled \\
      --config config/training/li2020_adapt.yaml --out runs/adapt

The run folder gets config.yaml (resolved), checkpoints/ (Lightning, resumable), logs/metrics.csv,
tensorboard/ (when installed) and one <spec>.pt per network for 'training export' and the nodes.
--init-from starts every network from existing weights ('bundled', a folder of <spec>.pt such as
RUN/selected, a model .pt, or a Lightning .ckpt). Their architecture (model.variant and the other
model settings the file records, data.input_hw) becomes the run's default, printed in one line;
--config and --set still override it. It is recorded as trainer.init_from in config.yaml.
config/training/<method>_adapt.yaml holds the README's recipe for adapting bundled weights to a
camera (fine-tuning rates and steps).

Several processes (DDP): --set trainer.devices=N [--set trainer.num_nodes=M], then either let
Lightning spawn the N processes of one machine, or start the same command on every machine with
  torchrun --nnodes=M --nproc-per-node=N --node-rank=R --master-addr=HOST --master-port=29500 \
      -m training train ... --set trainer.devices=N --set trainer.num_nodes=M
or under SLURM with srun (one task per process: --ntasks-per-node=N). Batch size is per process."""


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "train", help="Train one of the methods (eigen2014 | xian2018 | li2020) on a dataset folder.",
        description="Train Eigen 2014 (supervised metric depth), Xian 2018 (relative depth, ranking loss) "
                    "or Li 2020 (unsupervised depth + motion) with the generic Lightning loop. "
                    "Hyperparameters come from the method's defaults (the papers'), then --config, then --set.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", required=True, choices=("eigen2014", "xian2018", "li2020"))
    parser.add_argument("--data", required=True, nargs="+",
                        help="dataset folder(s) written by 'python -m training extract' (several are concatenated)")
    parser.add_argument("--config", default=None, help="YAML config (config/training/<method>.yaml); strict keys")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override one config key (dotted, YAML value), e.g. optimizer.lr=1e-4; repeatable")
    parser.add_argument("--out", required=True, help="run folder for checkpoints, logs and exported models")
    parser.add_argument("--max-minutes", type=float, default=None, help="stop training after this wall time in minutes (total: time before a --resume counts too)")
    parser.add_argument("--resume", default=None, help="Lightning checkpoint to resume from (e.g. RUN/checkpoints/last.ckpt)")
    parser.add_argument("--init-from", default=None, metavar="PATH",
                        help="start from these weights: 'bundled' (the package's), a folder of <spec>.pt, a model "
                             ".pt or a Lightning .ckpt (same as --set trainer.init_from=PATH)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar: a status line every 30 s (as without a terminal)")
    return parser


def _check_paths(args: argparse.Namespace) -> None:
    """Mistakes visible before anything is built: InputError (one line, exit 2), nothing written."""
    from mono_depth_ros.core.errors import InputError
    from training.cli.checks import dataset_folder, output_folder

    if args.max_minutes is not None and not args.max_minutes > 0:
        raise InputError("--max-minutes", args.max_minutes, "must be > 0 (leave it out for no time limit)")
    for folder in args.data:
        dataset_folder(folder)
    out = output_folder(args.out)
    done = sorted((out / "checkpoints").glob("*.ckpt")) if (out / "checkpoints").is_dir() else []
    if done and not args.resume:  # Lightning would overwrite them and delete the run's logs
        raise InputError("--out", str(out), f"already holds a run ({len(done)} checkpoints in checkpoints/): "
                                            f"continue it with --resume {out / 'checkpoints' / 'last.ckpt'}, "
                                            "or give another --out")
    if args.resume and Path(args.resume).is_dir():
        last = Path(args.resume) / "checkpoints" / "last.ckpt"
        hint = f"--resume {last}" if last.is_file() else "RUN/checkpoints/last.ckpt or stepN.ckpt"
        raise InputError("--resume", args.resume, f"is a folder; give a Lightning checkpoint: {hint}")


def run(args: argparse.Namespace) -> int:
    from training.config import config_to_dict, load_config
    from training.loop import BUNDLED, starting_settings, train

    overrides = list(args.overrides)
    base = {}
    if args.init_from:  # recorded in the resolved config; absolute so the record names the file
        source = args.init_from if args.init_from == BUNDLED else str(Path(args.init_from).resolve())
        overrides.append(f"trainer.init_from={json.dumps(source)}")
        if not args.resume:  # the starting weights' architecture, under --config and --set
            base = starting_settings(args.method, source)
    config = load_config(args.method, args.config, overrides, base=base)  # ConfigError: one line, exit 2
    _check_paths(args)
    if base:  # name what the weights changed (not what the defaults, --config or --set give anyway)
        resolved, without = config_to_dict(config), config_to_dict(load_config(args.method, args.config, overrides))
        taken = [f"{section}.{key}={json.dumps(value)}" for section, items in base.items() for key, value in items.items()
                 if resolved[section][key] == value != without[section][key]]
        if taken:
            print(f"--init-from {args.init_from}: {', '.join(taken)} (the starting weights'; --config or --set "
                  "overrides them)")
    result = train(config, args.data, args.out, max_minutes=args.max_minutes, resume=args.resume,
                   progress=not args.no_progress)
    print(f"finished: {result.steps} steps; {result.last_checkpoint}")
    if result.periodic_checkpoints == 0:
        print(f"  no periodic checkpoint (trainer.checkpoint_every_n_steps={config.trainer.checkpoint_every_n_steps}): "
              "'training select' scores last.ckpt alone")
    for name, path in result.model_files.items():
        print(f"  {name}: {path}")
    if not result.tensorboard:
        print("  (tensorboard not installed: CSV logs only)")
    return 0
