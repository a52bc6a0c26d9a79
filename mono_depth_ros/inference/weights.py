"""Where the bundled demo weights live (mono_depth_ros/weights/<spec_name>.pt)."""

from __future__ import annotations

from pathlib import Path

from mono_depth_ros.inference.spec import get_spec

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"


def default_weights_path(spec_name: str) -> Path:
    """Path of the demo checkpoint of ``spec_name`` (may not exist until demo weights are trained)."""
    get_spec(spec_name)  # validates the name
    return WEIGHTS_DIR / f"{spec_name}.pt"
