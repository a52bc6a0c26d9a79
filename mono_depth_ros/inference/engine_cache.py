"""Explicit, keyed cache of built TensorRT engines (and exported ONNX files).

An engine is valid only for the exact ONNX bytes, TensorRT version, GPU model and compute
capability, precision and input shape it was built for; the key hashes all of them, so a change in
any one builds a new engine and an unchanged setup reuses the serialized engine from disk.
Default folder: ``$MONO_DEPTH_ROS_CACHE`` or ``~/.cache/mono_depth_ros``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Sequence

PRECISIONS = ("fp32", "fp16", "int8")


def default_cache_dir() -> Path:
    return Path(os.environ.get("MONO_DEPTH_ROS_CACHE", Path.home() / ".cache" / "mono_depth_ros"))


def file_sha256(path: str | Path, chunk_bytes: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk_bytes), b""):
            digest.update(block)
    return digest.hexdigest()


def engine_cache_key(onnx_path: str | Path, trt_version: str, gpu_name: str, compute_capability: Sequence[int] | str,
                     precision: str, input_shape: Sequence[int]) -> str:
    """Stable key (hex, 32 chars) of everything an engine depends on."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision={precision!r}: must be one of {PRECISIONS}")
    cc = compute_capability if isinstance(compute_capability, str) else ".".join(str(int(v)) for v in compute_capability)
    fields = {"onnx_sha256": file_sha256(onnx_path), "trt": str(trt_version), "gpu": str(gpu_name).strip(),
              "cc": cc, "precision": precision, "shape": [int(v) for v in input_shape]}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:32]


class EngineCache:
    """Folder of ``<key>.engine`` files (+ ``<key>.json`` describing what was built)."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder else default_cache_dir() / "engines"

    def path_for(self, key: str) -> Path:
        return self.folder / f"{key}.engine"

    def load(self, key: str) -> bytes | None:
        path = self.path_for(key)
        return path.read_bytes() if path.is_file() else None

    def store(self, key: str, engine_bytes: bytes, info: dict | None = None) -> Path:
        """Write atomically (a crash never leaves a truncated engine under the key)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path_for(key)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        tmp.write_bytes(engine_bytes)
        tmp.replace(path)
        if info is not None:
            path.with_suffix(".json").write_text(json.dumps(info, indent=2, sort_keys=True))
        return path

    def get_or_build(self, key: str, build: Callable[[], bytes], force_rebuild: bool = False,
                     info: dict | None = None) -> tuple[bytes, bool]:
        """(engine bytes, built): the cached engine, or ``build()`` stored under ``key`` when
        missing or ``force_rebuild``."""
        if not force_rebuild:
            cached = self.load(key)
            if cached:
                return cached, False
        engine = build()
        if not engine:
            raise RuntimeError(f"engine build for key {key} returned no bytes")
        self.store(key, engine, info)
        return engine, True
