"""``python -m training train``: train one method on an extracted dataset folder."""

from __future__ import annotations

import argparse

EPILOG = """examples:
  python -m training train --method eigen2014 --data data/kitchen --config config/training/eigen2014.yaml --out runs/eigen
  python -m training train --method li2020 --data data/street --config config/training/li2020.yaml \\
      --set trainer.max_steps=2000 --set data.input_hw=[96,128] --out runs/li --max-minutes 30
  python -m training train --method li2020 --data data/street --out runs/li --resume runs/li/checkpoints/last.ckpt

The run folder gets config.yaml (resolved), checkpoints/ (Lightning, resumable), logs/metrics.csv,
tensorboard/ (when installed) and one <spec>.pt per network for 'training export' and the nodes.
Multi-GPU: launch the same command with torchrun (or under SLURM) and --set trainer.devices=N."""


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
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (logs only)")
    return parser


def run(args: argparse.Namespace) -> int:
    from training.config import ConfigError, load_config
    from training.loop import train

    try:
        config = load_config(args.method, args.config, args.overrides)
    except ConfigError as exc:
        raise SystemExit(f"config error: {exc}") from None
    result = train(config, args.data, args.out, max_minutes=args.max_minutes, resume=args.resume,
                   progress=not args.no_progress)
    print(f"finished: {result.last_checkpoint}")
    for name, path in result.model_files.items():
        print(f"  {name}: {path}")
    if not result.tensorboard:
        print("  (tensorboard not installed: CSV logs only)")
    return 0
