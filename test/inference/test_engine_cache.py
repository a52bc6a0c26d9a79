"""TensorRT engine cache: what changes the key, what hits, what forces a rebuild (no GPU needed)."""

from __future__ import annotations

import pytest

from mono_depth_ros.inference.engine_cache import EngineCache, engine_cache_key

BASE = dict(trt_version="10.8.0", gpu_name="NVIDIA H100", compute_capability=(9, 0), precision="fp16",
            input_shape=(1, 3, 128, 416))


@pytest.fixture
def onnx_a(tmp_path):
    path = tmp_path / "a.onnx"
    path.write_bytes(b"onnx-bytes-A")
    return path


def test_same_inputs_same_key_and_content_not_name_matters(onnx_a, tmp_path):
    copy = tmp_path / "renamed.onnx"
    copy.write_bytes(onnx_a.read_bytes())
    key = engine_cache_key(onnx_a, **BASE)
    assert key == engine_cache_key(onnx_a, **BASE) == engine_cache_key(copy, **BASE)
    assert len(key) == 32 and int(key, 16) >= 0


@pytest.mark.parametrize("field,value", [("trt_version", "10.9.0"), ("gpu_name", "NVIDIA L4"),
                                         ("compute_capability", (8, 9)), ("precision", "fp32"),
                                         ("input_shape", (1, 3, 256, 832))])
def test_each_field_changes_the_key(onnx_a, field, value):
    assert engine_cache_key(onnx_a, **{**BASE, field: value}) != engine_cache_key(onnx_a, **BASE)


def test_onnx_content_changes_the_key(onnx_a):
    before = engine_cache_key(onnx_a, **BASE)
    onnx_a.write_bytes(b"onnx-bytes-B")
    assert engine_cache_key(onnx_a, **BASE) != before


def test_bad_precision_is_rejected(onnx_a):
    with pytest.raises(ValueError, match="precision='bf8'"):
        engine_cache_key(onnx_a, **{**BASE, "precision": "bf8"})


def test_hit_miss_and_forced_rebuild(onnx_a, tmp_path):
    cache = EngineCache(tmp_path / "engines")
    builds = []

    def build() -> bytes:
        builds.append(1)
        return f"engine-{len(builds)}".encode()

    key = engine_cache_key(onnx_a, **BASE)
    assert cache.get_or_build(key, build) == (b"engine-1", True)
    assert cache.get_or_build(key, build) == (b"engine-1", False)  # hit: no build
    assert len(builds) == 1 and cache.path_for(key).read_bytes() == b"engine-1"
    assert cache.get_or_build(key, build, force_rebuild=True) == (b"engine-2", True)
    assert cache.get_or_build(key, build) == (b"engine-2", False)
    other = engine_cache_key(onnx_a, **{**BASE, "precision": "fp32"})
    assert cache.get_or_build(other, build) == (b"engine-3", True)  # key change -> new engine
    assert sorted(p.name for p in cache.folder.glob("*.engine")) == sorted([f"{key}.engine", f"{other}.engine"])


def test_failed_build_stores_nothing(onnx_a, tmp_path):
    cache = EngineCache(tmp_path)
    key = engine_cache_key(onnx_a, **BASE)
    with pytest.raises(RuntimeError, match="no bytes"):
        cache.get_or_build(key, lambda: b"")
    assert cache.load(key) is None


def test_cached_engine_that_fails_to_load_is_rebuilt_once(onnx_a, tmp_path):
    cache = EngineCache(tmp_path)
    key = engine_cache_key(onnx_a, **BASE)
    cache.store(key, b"corrupt")
    loads, builds = [], []

    def load(data: bytes) -> str:
        loads.append(data)
        if not data.startswith(b"engine"):
            raise ValueError("bad magic")
        return data.decode()

    def build() -> bytes:
        builds.append(1)
        return b"engine-ok"

    assert cache.get_or_build(key, build, load=load) == ("engine-ok", True)
    assert loads == [b"corrupt", b"corrupt", b"engine-ok"] and len(builds) == 1  # lock re-check, then one rebuild
    assert cache.get_or_build(key, build, load=load) == ("engine-ok", False) and len(builds) == 1


def test_fresh_engine_that_does_not_load_raises_with_both_reasons(onnx_a, tmp_path):
    cache = EngineCache(tmp_path)
    key = engine_cache_key(onnx_a, **BASE)
    cache.store(key, b"old")
    with pytest.raises(RuntimeError, match=r"does not load \(load returned None\); the cached one failed too"):
        cache.get_or_build(key, lambda: b"new", load=lambda data: None)
    assert cache.load(key) is None  # an engine that does not load is not left under the key


CHILD = """
import logging, os, sys
from pathlib import Path
from mono_depth_ros.inference.engine_cache import EngineCache
logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
folder, key = Path(sys.argv[1]), sys.argv[2]
def build():
    with open(folder / "builds.log", "a") as log:
        log.write(f"{os.getpid()}\\n")
    return f"engine-{os.getpid()}".encode()
data, built = EngineCache(folder).get_or_build(key, build)
print(f"RESULT {data.decode()} {built}", flush=True)
"""


def _read_until(proc, marker: str, timeout_s: float = 30.0) -> tuple:
    """(text up to the first line containing ``marker``, queue of later lines); queue.Empty on timeout."""
    import queue
    import threading

    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in iter(proc.stdout.readline, "")], daemon=True).start()
    seen = []
    while True:
        line = lines.get(timeout=timeout_s)
        seen.append(line)
        if marker in line:
            return "".join(seen), lines


def test_two_processes_build_one_engine(onnx_a, tmp_path):
    """Two real processes miss the cache while a third holds the lock: exactly one builds."""
    import subprocess
    import sys

    folder = tmp_path / "engines"
    cache = EngineCache(folder)
    key = engine_cache_key(onnx_a, **BASE)
    procs, queues = [], []
    with cache.lock(key):
        for _ in range(2):
            proc = subprocess.Popen([sys.executable, "-c", CHILD, str(folder), key], stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
            procs.append(proc)
        for proc in procs:  # both have looked at the cache and are about to wait for the lock
            _, lines = _read_until(proc, "waiting for the build lock")
            queues.append(lines)
    results = []
    for proc, lines in zip(procs, queues):
        while True:
            line = lines.get(timeout=30)
            if line.startswith("RESULT"):
                results.append(line.split()[1:])
                break
        assert proc.wait(timeout=30) == 0
    builders = (folder / "builds.log").read_text().split()
    assert len(builders) == 1
    assert sorted(r[1] for r in results) == ["False", "True"]
    assert {r[0] for r in results} == {f"engine-{builders[0]}"}  # the waiter used the builder's engine
