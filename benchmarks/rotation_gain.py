#!/usr/bin/env python3
"""Copy li2020's pair with the motion network's rotation output re-parametrised by a gain.

The motion net says rotation = raw * rotation_scale (axis-angle radians; models/li2020.py). With
``--gain k`` the copy's rotation_scale is k times larger and the raw rotation channels k times
smaller (``background``'s weights and bias divided by k, ``unrefined_residual``'s inputs from them
multiplied by k), so every output is unchanged, checked on random inputs, but an optimiser step of
a given size moves the rotation k times further (stage 40). The depth network is copied as it is.

    .venv/bin/python benchmarks/rotation_gain.py mono_depth_ros/weights runs/demo/runs/li2020_stage40_start --gain 4
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import torch

from mono_depth_ros.inference.checkpoint import load_model_checkpoint
from mono_depth_ros.models.li2020 import Li2020MotionNet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("src", help="folder with li2020_depth.pt and li2020_motion.pt")
    parser.add_argument("out", help="folder to write the copy into (created)")
    parser.add_argument("--gain", type=float, required=True, help="k > 0")
    args = parser.parse_args()
    if not args.gain > 0:
        parser.error(f"--gain {args.gain}: must be > 0")
    src, out = Path(args.src), Path(args.out)
    before, spec, blob = load_model_checkpoint(src / "li2020_motion.pt")
    if not isinstance(before, Li2020MotionNet):
        raise SystemExit(f"error: {src / 'li2020_motion.pt'} holds {blob['spec_name']}, not li2020's motion network")
    state = {k: v.clone() for k, v in blob["state_dict"].items()}
    state["background.weight"][:3] /= args.gain
    state["background.bias"][:3] /= args.gain
    state["unrefined_residual.weight"][:, :3] *= args.gain
    state["rotation_scale"] *= args.gain
    after = spec.build(**blob["model_kwargs"]).eval()
    after.load_state_dict(state, strict=True)
    x = torch.rand(2, 8, 64, 96) * torch.tensor([1, 1, 1, 10, 1, 1, 1, 10.0]).view(1, 8, 1, 1)
    with torch.no_grad():
        a, b = before(x), after(x)
    for name in ("rotation_rad", "translation", "residual_translation"):
        u, v = getattr(a, name), getattr(b, name)
        if not torch.allclose(u, v, rtol=1e-4, atol=1e-6):
            raise SystemExit(f"error: {name} changed by up to {(u - v).abs().max().item():.3g}")
    out.mkdir(parents=True, exist_ok=True)
    torch.save({**blob, "state_dict": state}, out / "li2020_motion.pt")
    shutil.copy2(src / "li2020_depth.pt", out / "li2020_depth.pt")
    print(f"wrote {out}: rotation_scale {float(blob['state_dict']['rotation_scale']):.4f} -> "
          f"{float(state['rotation_scale']):.4f}, outputs unchanged")


if __name__ == "__main__":
    main()
