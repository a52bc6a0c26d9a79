"""``python -m training export --checkpoint CKPT --out model.onnx``: checkpoint -> verified ONNX."""

from __future__ import annotations

import argparse
import sys


def _hw(text: str) -> tuple[int, int]:
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--input-hw {text!r}: expected HEIGHTxWIDTH, e.g. 128x416") from None
    return h, w


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "export", help="Export a checkpoint to ONNX and check it numerically against PyTorch.",
        description="Rebuild the network from a model checkpoint (<spec>.pt written by 'training train'), "
                    "export it to ONNX with static shapes, then run ONNX Runtime on the same input and fail "
                    "when any output differs from PyTorch by more than the tolerance (fraction of the output's "
                    "range). Works for eigen2014, xian2018, li2020_depth and li2020_motion.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--checkpoint", required=True, help="model checkpoint (.pt from training/models)")
    parser.add_argument("--out", required=True, help="ONNX file to write")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset (13 to the exporter's highest)")
    parser.add_argument("--input-hw", type=_hw, default=None, metavar="HxW",
                        help="input size (default: the training config's data.input_hw)")
    parser.add_argument("--tolerance", type=float, default=1e-4,
                        help="max |onnx - torch| as a fraction of each output's range")
    return parser


def run(args: argparse.Namespace) -> int:
    from training.export import ExportParityError, export_onnx

    try:
        report = export_onnx(args.checkpoint, args.out, opset=args.opset, input_hw=args.input_hw,
                             tolerance=args.tolerance)
    except ExportParityError as exc:
        print(f"error: export parity check failed: {exc}", file=sys.stderr)
        return 3
    print(report.summary())
    return 0
