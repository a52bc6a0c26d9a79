"""Resuming an extraction into its dataset folder, and refusing folders that are not its own.

``extract`` logs each finished frame to ``manifest.partial.csv`` (after its files are written) and
records what it extracts with which options in ``extract.yaml``. A re-run with the same bag and
options skips the frames already written; anything else would mix two extractions in one folder,
so it is refused before anything is written:

- a folder that exists and is not empty but holds no ``manifest.partial.csv`` (another dataset,
  a home directory) is an error, unless it is a finished extraction whose log was deleted
  (``manifest.csv`` and ``extract.yaml``: the manifest takes the log's place);
- options that change what a frame is (topics, rectification, depth format, intrinsics,
  pairing tolerance) that differ from ``extract.yaml`` are an error naming each difference;
- a frame whose stamp differs from the one the folder recorded for its index (another bag
  written with the same options) is an error (:class:`ForeignFolderError`).

A run killed while appending to ``manifest.partial.csv`` can leave a torn last row: rows that do
not parse are dropped (their frames are extracted again) and the file is rewritten whole before
new rows are appended. Frames whose files are gone are extracted again too.
"""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

from training.data import folder_format as ff

PARTIAL = "manifest.partial.csv"
SETTINGS = "extract.yaml"


class ForeignFolderError(ValueError):
    """The output folder holds something this extraction must not write into (one line)."""


def settings(selection, **options) -> dict:
    """What decides the content of each frame: the topics used and the options (YAML-safe values)."""
    roles = ("image", "depth", "right", "camera_info", "right_camera_info")
    data = {f"{role}_topic": getattr(selection, role) for role in roles}
    data.update({k: list(v) if isinstance(v, tuple) else v for k, v in options.items()})
    return data


def check_out_dir(out: Path, wanted: dict) -> None:
    """Raise ForeignFolderError unless ``out`` is new, empty, or an extraction with ``wanted`` settings."""
    if not out.exists():
        return
    if not out.is_dir():
        raise ForeignFolderError(f"out={str(out)!r} is a file, not a folder")
    if not (out / PARTIAL).is_file() and not _finished(out):
        if any(out.iterdir()):
            raise ForeignFolderError(f"out={str(out)!r} exists, is not empty and holds no extraction to resume "
                                     f"(no {PARTIAL}): give a new or empty folder")
        return
    if (out / PARTIAL).is_file() and not _has_rows(out / PARTIAL):  # nothing written yet (an attempt that failed): free to retry otherwise
        return
    try:
        recorded = yaml.safe_load((out / SETTINGS).read_text()) if (out / SETTINGS).is_file() else None
    except yaml.YAMLError:
        recorded = None
    if not isinstance(recorded, dict):  # an extraction by an older version (or a torn file): stamps decide
        return
    diffs = [f"{k} {recorded.get(k)!r} there, {v!r} now" for k, v in wanted.items() if recorded.get(k) != v]
    if diffs:
        raise ForeignFolderError(f"out={str(out)!r} holds an extraction with other settings ({'; '.join(diffs)}): "
                                 "give a new folder, or the same options to resume it")


def _finished(out: Path) -> bool:
    """A finished extraction whose ``manifest.partial.csv`` was deleted (it is only needed to resume):
    ``manifest.csv`` and ``extract.yaml`` are there, and the manifest stands in for the log."""
    return (out / "manifest.csv").is_file() and (out / SETTINGS).is_file()


def _has_rows(path: Path) -> bool:
    """Whether the partial manifest logs at least one frame (a line after its header)."""
    with open(path, newline="") as stream:
        return sum(1 for line in stream if line.strip()) > 1


def write_settings(out: Path, data: dict) -> None:
    ff._atomic(out / SETTINGS, lambda p: p.write_text(yaml.safe_dump(data, sort_keys=False)))


def read_partial(out: Path) -> tuple[dict[int, ff.FrameRecord], int, int, str]:
    """(index -> record of every whole row of ``manifest.partial.csv`` whose files are present,
    rows dropped as torn, rows dropped because a file they name is gone, the name of the file
    read: ``manifest.csv`` stands in for a deleted log of a finished extraction).

    When rows were dropped the file is rewritten with the others, so rows appended next start on
    a line of their own and each frame has one row."""
    path = out / PARTIAL
    source = path if path.is_file() else out / "manifest.csv" if _finished(out) else None
    if source is None:
        return {}, 0, 0, PARTIAL
    with open(source, newline="") as stream:
        rows = list(csv.reader(stream))
    done: dict[int, ff.FrameRecord] = {}
    bad = 0
    for row in rows[1:]:
        try:
            if len(row) != len(ff.MANIFEST_FIELDS) or not row[2]:
                raise ValueError(row)
            rec = ff.FrameRecord(int(row[0]), int(row[1]), row[2], row[3], row[4], int(row[5]))
        except ValueError:
            bad += 1
            continue
        done[rec.index] = rec
    lost = [i for i, rec in done.items() if not files_present(out, rec)]
    for index in lost:
        del done[index]
    if bad or lost or source != path or not rows or tuple(rows[0]) != ff.MANIFEST_FIELDS:
        ff.write_manifest(path, list(done.values()))
    return done, bad, len(lost), source.name


def files_present(out: Path, rec: ff.FrameRecord) -> bool:
    """Every file the record names exists and is not empty."""
    return all((out / name).is_file() and (out / name).stat().st_size > 0
               for name in (rec.rgb, rec.depth, rec.right) if name)
