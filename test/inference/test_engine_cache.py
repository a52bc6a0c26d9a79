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
