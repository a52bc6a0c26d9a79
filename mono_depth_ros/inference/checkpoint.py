"""Model checkpoint files: everything needed to rebuild a network from the file alone.

Payload (a ``torch.save`` dict, loadable with ``weights_only=True``):
``format`` (version), ``spec_name``, ``model_kwargs`` (e.g. ``{"variant": "light"}``),
``state_dict``, ``config`` (resolved training config, plain types), ``git_rev``, ``metrics``.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any, Mapping

import torch
from torch import nn

from mono_depth_ros.core.errors import InputError

FORMAT_VERSION = 1
_REQUIRED = ("spec_name", "model_kwargs", "state_dict")


def git_revision(folder: Path | None = None) -> str:
    """``git rev-parse HEAD`` of the source tree (+ ``-dirty``), or ``"unknown"`` outside git."""
    folder = folder or Path(__file__).resolve().parent
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True,
                             timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=folder,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def save_model_checkpoint(path: str | Path, spec_name: str, model: nn.Module, model_kwargs: Mapping[str, Any],
                          config: Mapping[str, Any] | None, metrics: Mapping[str, float] | None = None) -> Path:
    """Write ``model``'s weights with what rebuilds it; returns the path."""
    from mono_depth_ros.inference.spec import get_spec

    get_spec(spec_name)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT_VERSION, "spec_name": spec_name, "model_kwargs": dict(model_kwargs),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "config": dict(config or {}), "git_rev": git_revision(),
        "metrics": {k: float(v) for k, v in (metrics or {}).items()},
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)  # atomic: a reader never sees half a file
    return path


def write_half_precision_copy(src: str | Path, dst: str | Path) -> Path:
    """Copy a model checkpoint with float32 weights stored as float16 (half the file size).

    Used for the bundled demo weights. Loading casts back to the model's float32 parameters
    (``load_state_dict`` copies across dtypes); the rounding changes outputs by ~1e-3 relative.
    """
    payload = read_checkpoint_payload(src)
    payload["state_dict"] = {k: v.half() if v.dtype == torch.float32 else v
                             for k, v in payload["state_dict"].items()}
    payload["storage_dtype"] = "float16"
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_suffix(dst.suffix + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(dst)
    return dst


def lightning_safe_globals() -> list:
    """Classes a Lightning ``.ckpt`` of this project may hold beyond plain containers, numbers,
    strings and tensors, allow-listed for ``torch.load(weights_only=True)``: paths in callback
    states. (Lightning's ``AttributeDict`` cannot be: the weights-only unpickler fills only plain
    dicts; the training methods save their config as a plain dict, so ``.ckpt`` files never hold one.)"""
    import pathlib

    return [pathlib.PosixPath, pathlib.WindowsPath, pathlib.PurePosixPath, pathlib.PureWindowsPath]


def safe_torch_load(path: str | Path, map_location: str = "cpu") -> Any:
    """``torch.load(weights_only=True)``: no file can run code when loaded. Lightning's classes are
    allow-listed (``torch.serialization.add_safe_globals``); anything else is refused with its name."""
    torch.serialization.add_safe_globals(lightning_safe_globals())
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # pickle.UnpicklingError names the class that is not allow-listed
        text = " ".join(str(exc).split())
        unsafe = re.search(r"Unsupported global: GLOBAL (\S+)", text)
        if unsafe:  # a real checkpoint holding a class loading would have to import (and could run)
            raise InputError("checkpoint", str(path), f"holds {unsafe.group(1)}, which is not on the allow-list of "
                                                      "what loading may construct (weights_only=True: no file may run "
                                                      "code when loaded)") from None
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        boiler = ("Weights only load failed", "In PyTorch", "Please file", "Check the documentation", "(1)", "(2)",
                  "Re-running")
        why = next((line for line in lines if not line.startswith(boiler)), "")
        raise InputError("checkpoint", str(path), f"not a readable PyTorch checkpoint (cut off, or another kind of "
                                                  f"file): {type(exc).__name__}{': ' + why if why else ''}") from None


def read_checkpoint_payload(path: str | Path, map_location: str = "cpu") -> dict:
    """The raw payload dict, validated; InputError naming the missing key otherwise."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint={str(path)!r}: file not found")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # pickle/zip errors, or a class outside the allow-list: not a checkpoint of ours
        raise InputError("checkpoint", str(path), f"not a model checkpoint ({type(exc).__name__}: {exc})") from exc
    if not isinstance(payload, dict):
        raise InputError("checkpoint", str(path), "payload is not a dict")
    for key in _REQUIRED:
        if key not in payload:
            raise InputError(f"checkpoint[{key!r}]", str(path), "missing (written by save_model_checkpoint?)")
    return payload


def load_model_checkpoint(path: str | Path, map_location: str = "cpu") -> tuple[nn.Module, Any, dict]:
    """Rebuild the model: ``(model.eval(), spec, payload)``."""
    from mono_depth_ros.inference.spec import get_spec

    payload = read_checkpoint_payload(path, map_location)
    spec = get_spec(payload["spec_name"])
    model = spec.build(**payload["model_kwargs"])
    model.load_state_dict(payload["state_dict"], strict=True)
    return model.eval(), spec, payload
