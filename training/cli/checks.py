"""Checks of command-line paths shared by the sub-commands: each raises InputError (``python -m
training`` prints it as one ``error:`` line and exits 2) naming the option, the path and what to do.

Not a sub-command: ``training/__main__.py`` registers only the modules it names.
"""

from __future__ import annotations

from pathlib import Path

from mono_depth_ros.core.errors import InputError

BAG_SUFFIXES = (".bag", ".mcap", ".db3")


def _is_bag(path: Path) -> bool:
    if path.is_file():
        return path.suffix in BAG_SUFFIXES
    return path.is_dir() and ((path / "metadata.yaml").is_file()
                              or any(p.suffix in BAG_SUFFIXES for p in path.iterdir()))


def dataset_folder(path: str | Path, option: str = "--data") -> Path:
    """``path`` as an extracted dataset folder (manifest.csv), or InputError saying what it is instead."""
    path = Path(path)
    if not path.exists():
        raise InputError(option, str(path), "no such folder")
    if (path / "manifest.csv").is_file():
        return path
    if _is_bag(path):
        raise InputError(option, str(path), "is a rosbag, not a dataset folder: run 'python -m training extract "
                                            f"{path} --out DIR' first and give DIR")
    if not path.is_dir():
        raise InputError(option, str(path), "is a file, not a dataset folder (written by 'python -m training "
                                            "extract' or 'import')")
    if (path / "manifest.partial.csv").is_file():
        raise InputError(option, str(path), "its extraction did not finish (manifest.partial.csv only): run the "
                                            "same 'python -m training extract' command again to resume it")
    raise InputError(option, str(path), "no manifest.csv: not a dataset folder (written by 'python -m training "
                                        "extract' or 'import')")


def output_folder(path: str | Path, option: str = "--out") -> Path:
    """``path`` usable as a folder to create or fill: InputError when it, or a parent, is a file."""
    path = Path(path)
    for part in (path, *path.parents):
        if part.exists() and not part.is_dir():
            what = "is a file" if part == path else f"is under {part}, a file"
            raise InputError(option, str(path), f"{what}; expected a folder")
    return path
