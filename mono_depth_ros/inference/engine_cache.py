"""Explicit, keyed cache of built TensorRT engines (and exported ONNX files).

An engine is valid only for the exact ONNX bytes, TensorRT version, GPU model and compute
capability, precision and input shape it was built for; the key hashes all of them, so a change in
any one builds a new engine and an unchanged setup reuses the serialized engine from disk.
Default folder: ``$MONO_DEPTH_ROS_CACHE`` or, when it is unset or empty, ``~/.cache/mono_depth_ros``.
A folder that cannot be written is reported as ``CacheNotWritable``, one line naming the folder
and how to move the cache, before any work that would have to be stored there.

Several processes may start on one machine at once (a launch file with two nodes): building is
serialised per key by an exclusive ``fcntl.flock`` on ``<key>.lock``, and whoever takes the lock
looks at the cache again first, so the engine another process just built is used, not built twice.
A cached engine that does not load (corrupt file, a driver that changed under the same version
string) is rebuilt once; if the fresh engine does not load either, the error says both.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

LOG = logging.getLogger(__name__)

PRECISIONS = ("fp32", "fp16", "int8")


#: the environment variable that moves the cache (unset or empty: ~/.cache/mono_depth_ros)
CACHE_ENV = "MONO_DEPTH_ROS_CACHE"


class CacheNotWritable(OSError):
    """The cache folder cannot be created or written (read-only file system, no permission, a file
    in the way, disk full); the message names the folder and how to move the cache."""

    def __init__(self, folder: Path, reason: str, explicit: bool = False) -> None:
        self.folder = folder
        move = "pass a writable cache_dir" if explicit else f"set {CACHE_ENV}=<a writable folder> to move the cache"
        super().__init__(f"cache folder '{folder}' is not writable ({reason}): {move}")


def default_cache_dir() -> Path:
    """``$MONO_DEPTH_ROS_CACHE``, or ``~/.cache/mono_depth_ros`` when it is unset or empty (an
    empty value would otherwise mean the current directory)."""
    value = os.environ.get(CACHE_ENV, "")
    return Path(value) if value.strip() else Path.home() / ".cache" / "mono_depth_ros"


def cache_subfolder(cache_dir: str | Path | None, name: str) -> Path:
    """``<cache_dir>/<name>``, the default cache folder when ``cache_dir`` is None or empty."""
    return (Path(cache_dir) if cache_dir else default_cache_dir()) / name


def writable_cache_folder(folder: str | Path, explicit: bool = False) -> Path:
    """``folder``, created if missing, once a file could be created in it; else CacheNotWritable.

    Checked before a cache miss is filled (an export, a conversion, an engine build), so an
    unwritable cache fails in one clear line instead of an OSError from deep inside a library.
    A cache that already holds every file needed is only read and never gets here. ``explicit``:
    the folder came from a ``cache_dir`` argument, not the environment (changes the advice).
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".write-probe-")
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise CacheNotWritable(folder, exc.strerror or type(exc).__name__, explicit) from exc
    return folder


def file_sha256(path: str | Path, chunk_bytes: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk_bytes), b""):
            digest.update(block)
    return digest.hexdigest()


def engine_cache_key(onnx_path: str | Path, trt_version: str, gpu_name: str, compute_capability: Sequence[int] | str,
                     precision: str, input_shape: Sequence[int], extra: dict | None = None) -> str:
    """Stable key (hex, 32 chars) of everything an engine depends on (``extra``: further build
    options, e.g. ``{"tf32": True}``; omitted from the hash when None, so older keys stay valid)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision={precision!r}: must be one of {PRECISIONS}")
    cc = compute_capability if isinstance(compute_capability, str) else ".".join(str(int(v)) for v in compute_capability)
    fields = {"onnx_sha256": file_sha256(onnx_path), "trt": str(trt_version), "gpu": str(gpu_name).strip(),
              "cc": cc, "precision": precision, "shape": [int(v) for v in input_shape]}
    if extra:
        fields["extra"] = {str(k): extra[k] for k in sorted(extra)}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:32]


class EngineCache:
    """Folder of ``<key>.engine`` files (+ ``<key>.json`` describing what was built)."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder else default_cache_dir() / "engines"
        self._explicit = bool(folder)

    def path_for(self, key: str) -> Path:
        return self.folder / f"{key}.engine"

    def load(self, key: str) -> bytes | None:
        path = self.path_for(key)
        return path.read_bytes() if path.is_file() else None

    def store(self, key: str, engine_bytes: bytes, info: dict | None = None) -> Path:
        """Write atomically (a crash never leaves a truncated engine under the key)."""
        writable_cache_folder(self.folder, self._explicit)
        path = self.path_for(key)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        tmp.write_bytes(engine_bytes)
        tmp.replace(path)
        if info is not None:
            path.with_suffix(".json").write_text(json.dumps(info, indent=2, sort_keys=True))
        return path

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[Path]:
        """Exclusive cross-process lock of ``key`` (``fcntl.flock``; released when the holder exits,
        even by a crash, since the kernel drops it with the file descriptor)."""
        writable_cache_folder(self.folder, self._explicit)
        path = self.folder / f"{key}.lock"
        with open(path, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield path
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def get_or_build(self, key: str, build: Callable[[], bytes], force_rebuild: bool = False,
                     info: dict | None = None, load: Callable[[bytes], Any] | None = None) -> tuple[Any, bool]:
        """(loaded engine, built). ``load(bytes)`` turns bytes into the runtime object and raises
        (or returns None) when they do not load; default: the bytes themselves.

        Order: the cached engine without the lock; on a miss or a failed load, take the lock,
        look again (another process may have built it meanwhile), else ``build()``, store, load.
        """
        load = load or (lambda data: data)
        failed: str | None = None
        if not force_rebuild:
            loaded, failed = self._try_cached(key, load)
            if loaded is not None:
                return loaded, False
        LOG.info("engine cache miss for %s (%s): waiting for the build lock", key, failed or "not cached")
        with self.lock(key):
            if not force_rebuild:
                loaded, failed_now = self._try_cached(key, load)
                if loaded is not None:
                    LOG.info("engine %s was built by another process while waiting; using it", key)
                    return loaded, False
                failed = failed_now or failed
            if failed:
                LOG.warning("cached engine %s did not load (%s): rebuilding once", key, failed)
            engine = build()
            if not engine:
                raise RuntimeError(f"engine build for key {key} returned no bytes")
            self.store(key, engine, info)
            try:
                loaded = load(engine)
            except Exception as exc:  # noqa: BLE001 - reported with the earlier failure below
                loaded, why = None, f"{type(exc).__name__}: {exc}"
            else:
                why = "load returned None"
            if loaded is None:
                self.path_for(key).unlink(missing_ok=True)
                raise RuntimeError(f"freshly built engine {key} does not load ({why})"
                                   + (f"; the cached one failed too ({failed})" if failed else ""))
            return loaded, True

    def _try_cached(self, key: str, load: Callable[[bytes], Any]) -> tuple[Any, str | None]:
        """(loaded, None) | (None, why it did not load) | (None, None) when nothing is cached."""
        data = self.load(key)
        if not data:
            return None, None
        try:
            loaded = load(data)
        except Exception as exc:  # noqa: BLE001 - any deserialisation failure means "rebuild"
            return None, f"{type(exc).__name__}: {exc}"
        return (loaded, None) if loaded is not None else (None, "load returned None")
