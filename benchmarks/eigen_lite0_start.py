"""Compose an eigen2014 ``lite0`` start for its fine stage (stage 20 of the demo recipe).

The coarse network comes from a ``lite0`` run's checkpoint (its ImageNet-started coarse stage); the fine
network from a ``light`` model file (the shipped one). The two variants' fine networks are the same
module at the same 1/4-input grid (models/eigen2014.py), and the fine network reads the coarse
output as one log-depth channel in both, so the shipped fine network is a trained start where the
paper's fine stage starts from random weights (stage 15's fine stage did not learn from random in
6000 steps).

    python benchmarks/eigen_lite0_start.py --coarse RUN/checkpoints/stepN.ckpt \
        --fine mono_depth_ros/weights/eigen2014.pt --out START.pt

Writes a model file (``save_model_checkpoint``) for ``training train --init-from START.pt``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mono_depth_ros.inference.checkpoint import load_model_checkpoint, save_model_checkpoint  # noqa: E402
from mono_depth_ros.models.eigen2014 import Eigen2014  # noqa: E402


def compose(coarse_ckpt: Path, fine_pt: Path, out: Path) -> Path:
    """Write a lite0 eigen2014 model file: coarse from ``coarse_ckpt``, fine from ``fine_pt``."""
    from training.evaluate.predict import method_from_lightning

    module, config = method_from_lightning(coarse_ckpt)
    if config["model"]["variant"] != "lite0":
        raise SystemExit(f"error: --coarse {coarse_ckpt}: a {config['model']['variant']!r} run, not lite0")
    fine_model, _, payload = load_model_checkpoint(fine_pt)
    if payload["spec_name"] != "eigen2014":
        raise SystemExit(f"error: --fine {fine_pt}: holds {payload['spec_name']!r}, not eigen2014")
    model = Eigen2014("lite0")
    model.coarse.load_state_dict(module.model.coarse.state_dict())
    model.fine.load_state_dict(fine_model.fine.state_dict())  # strict: the fine networks must match
    return save_model_checkpoint(out, "eigen2014", model, {"variant": "lite0"}, config)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--coarse", type=Path, required=True, help="a lite0 eigen2014 run's Lightning .ckpt")
    parser.add_argument("--fine", type=Path, required=True, help="an eigen2014 model file (.pt) with the light fine network")
    parser.add_argument("--out", type=Path, required=True, help="model file to write")
    args = parser.parse_args(argv)
    print(f"wrote {compose(args.coarse, args.fine, args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
