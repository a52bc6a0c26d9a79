"""Copy validation sequences with their frames metered like a camera's auto exposure.

A camera's auto exposure puts a scene's mean luminance near middle grey (18 % linear); the renders
keep whatever exposure their textures, lights and sampled look give, and are darker and flatter
than real frames (benchmarks/bn_domain_gap.py: mean grey 70 of 255 against 122). This writes a
twin of each sequence folder (an extracted dataset: ``rgb/``, ``right/``, ``depth/``, poses,
intrinsics) whose colour frames went through one linear gain in linear light, as training's
``data.exposure_metering`` applies it (``training.data.augment.metering_gain``: the first frame's
mean luminance to middle grey times 2 ** offset). The offset is drawn once per sequence, uniform in
+-METERING_EV_SPAN (1 EV), from the sequence's name with the prefix removed, so every twin of the
same sequence gets the same draw and a rerun writes the same files. One gain for the whole
sequence, left and right frames alike: a camera whose exposure has settled, a stereo rig that
shares it. Depth, poses and intrinsics are copied unchanged.

    .venv/bin/python benchmarks/metered_twin.py --rename cvval:mtval runs/demo/data/cvval_*

writes runs/demo/data/mtval_* (cvvalb_* becomes mtvalb_*); folders already complete are skipped.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import zlib
from pathlib import Path

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.data import folder_format as ff  # noqa: E402
from training.data.augment import METERING_EV_SPAN, apply_metering_gain, metering_gain  # noqa: E402


def sequence_offset_ev(name: str) -> float:
    """The sequence's exposure offset in EV, uniform in +-METERING_EV_SPAN, a function of ``name``."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    return float(rng.uniform(-METERING_EV_SPAN, METERING_EV_SPAN))


def meter_folder(src: Path, dst: Path, offset_ev: float) -> float:
    """Write ``dst``, a copy of dataset folder ``src`` whose colour frames (the manifest's rgb and
    right images) are metered by one gain, that of its first frame; returns the gain. Frames are
    read and written as extraction does (``folder_format``: a grey frame stays a grey PNG); the
    manifest is written last, so a folder with one is complete."""
    records = ff.read_manifest(src / "manifest.csv")
    if not records:
        raise ValueError(f"{src}: manifest.csv lists no frames (not an extracted dataset folder)")
    first = min(records, key=lambda r: r.index)
    gain = metering_gain(ff.read_rgb(src / first.rgb).astype(np.float32) / 255.0, offset_ev)
    tmp = dst.with_name(dst.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(src, tmp, ignore=shutil.ignore_patterns("manifest.csv"))
    for rel in [r.rgb for r in records] + [r.right for r in records if r.right]:
        x = apply_metering_gain(ff.read_rgb(src / rel).astype(np.float32) / 255.0, gain)
        ff.write_rgb(tmp / rel, np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8))
    shutil.copy2(src / "manifest.csv", tmp / "manifest.csv")
    shutil.rmtree(dst, ignore_errors=True)
    tmp.rename(dst)
    return float(gain)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("src", nargs="+", help="extracted sequence folders to copy")
    parser.add_argument("--rename", required=True, metavar="OLD:NEW",
                        help="the twin's name: the folder name with its leading OLD replaced by NEW")
    args = parser.parse_args(argv)
    old, sep, new = args.rename.partition(":")
    if not sep or not old or not new:
        parser.error(f"--rename wants OLD:NEW, got {args.rename!r}")
    gains = []
    for src in tqdm([Path(s) for s in args.src], desc="metering"):
        if not src.name.startswith(old):
            parser.error(f"{src}: its name does not start with {old!r}")
        if not (src / "manifest.csv").is_file():
            parser.error(f"{src}: no manifest.csv (not an extracted dataset folder)")
        dst = src.with_name(new + src.name[len(old):])
        if (dst / "manifest.csv").is_file():
            continue
        try:
            gains.append(meter_folder(src, dst, sequence_offset_ev(src.name[len(old):])))
        except (ValueError, FileNotFoundError) as err:
            parser.error(str(err))
    if gains:
        print(f"metered {len(gains)} sequences: gain median {np.median(gains):.2f} "
              f"(range {min(gains):.2f}-{max(gains):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
