"""The ONNX cache behind the runtimes (a ``.pt`` exported once, an fp16 copy converted once) and
backend creation around it: where the cache is, what happens when it cannot be written or holds a
damaged file, what its keys hold, the ``threads`` option, and NNCF's console output.

Real ONNX Runtime / OpenVINO / torch sessions on the light checkpoints of conftest.py; the cache
folder comes from ``MONO_DEPTH_ROS_CACHE`` (monkeypatch.setenv) or ``cache_dir`` under tmp_path.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import mono_depth_ros
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.inference import onnx_export, onnx_fp16
from mono_depth_ros.inference.backends import registry
from mono_depth_ros.inference.backends.onnxruntime_backend import OnnxRuntimeBackend, ort_has_cuda
from mono_depth_ros.inference.backends.openvino_backend import OpenVinoBackend, openvino_available
from mono_depth_ros.inference.backends.registry import create_backend
from mono_depth_ros.inference.backends.tensorrt_backend import tensorrt_available
from mono_depth_ros.inference.backends.torch_backend import TorchBackend
from mono_depth_ros.inference.engine_cache import CACHE_ENV, CacheNotWritable, EngineCache, default_cache_dir
from mono_depth_ros.inference.onnx_export import cached_onnx_for_checkpoint, onnx_file_problem
from mono_depth_ros.inference.onnx_fp16 import cached_fp16_onnx, is_fp16_onnx
from mono_depth_ros.inference.spec import get_spec

NEEDS_OPENVINO = pytest.mark.skipif(not openvino_available()[0], reason=openvino_available()[1])
NO_GPU = pytest.mark.skipif(bool(ort_has_cuda() or tensorrt_available()[0]), reason="a GPU backend is usable here")
SPEC = get_spec("eigen2014")


def _input(backend) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {name: rng.random(shape, dtype=np.float32) for name, shape in backend.input_shapes.items()}


def _warnings(caplog, logger: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger and r.levelno >= logging.WARNING]


@pytest.fixture(params=["file_in_the_way", "read_only_mode"])
def unwritable(request, tmp_path) -> Path:
    """A cache folder nothing can be written into: below a regular file (mkdir fails even for root),
    or a folder with mode 0o555 (skipped where that does not stop writes: root ignores it)."""
    if request.param == "file_in_the_way":
        blocker = tmp_path / "a_file"
        blocker.write_text("not a folder")
        return blocker / "cache"
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o555)
    request.addfinalizer(lambda: folder.chmod(0o755))
    try:
        (folder / "probe").write_text("x")
    except OSError:
        return folder
    pytest.skip("a 0o555 folder stays writable for this user (root); the file_in_the_way case covers it")


# ---- where the cache is (F3) ---------------------------------------------------------------------

@pytest.mark.parametrize("value", ["", "   "])
def test_empty_cache_variable_means_the_default_folder_not_the_current_one(checkpoints, tmp_path, monkeypatch,
                                                                            value):
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv(CACHE_ENV, value)
    monkeypatch.chdir(cwd)
    assert default_cache_dir() == home / ".cache" / "mono_depth_ros"
    backend, _ = create_backend("onnxruntime", checkpoints["eigen2014"], SPEC, threads=1)
    assert backend.model_path.parent == home / ".cache" / "mono_depth_ros" / "onnx"
    assert list(cwd.iterdir()) == []


def test_cache_variable_moves_the_cache(checkpoints, tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "my cache"))  # a space on purpose
    backend, _ = create_backend("onnxruntime", checkpoints["eigen2014"], SPEC, threads=1)
    assert backend.model_path.parent == tmp_path / "my cache" / "onnx" and backend.model_path.is_file()


# ---- a cache that cannot be written (F1) ---------------------------------------------------------

@pytest.mark.parametrize("kind", ["onnxruntime", pytest.param("openvino", marks=NEEDS_OPENVINO)])
def test_explicit_backend_with_an_unwritable_cache_says_where_and_how_to_move_it(checkpoints, unwritable,
                                                                                  monkeypatch, kind):
    monkeypatch.setenv(CACHE_ENV, str(unwritable))
    with pytest.raises(CacheNotWritable) as info:
        create_backend(kind, checkpoints["eigen2014"], SPEC, threads=1)
    text = str(info.value)
    assert "\n" not in text and len(text) < 300, text
    assert f"'{unwritable / 'onnx'}'" in text and f"{CACHE_ENV}=<a writable folder>" in text
    assert isinstance(info.value, OSError)  # what it was before, for callers that catch OSError


def test_an_unwritable_cache_dir_argument_is_named_as_such(checkpoints, unwritable):
    with pytest.raises(CacheNotWritable, match=r"is not writable \(.+\): pass a writable cache_dir$"):
        create_backend("onnxruntime", checkpoints["eigen2014"], SPEC, threads=1, cache_dir=unwritable)


def test_the_fp16_copy_and_engine_cache_check_the_folder_too(onnx_files, unwritable):
    with pytest.raises(CacheNotWritable, match=f"'{unwritable / 'onnx'}'"):
        cached_fp16_onnx(onnx_files["eigen2014"], unwritable)
    cache = EngineCache(unwritable / "engines")
    with pytest.raises(CacheNotWritable, match="pass a writable cache_dir"):
        cache.get_or_build("k" * 32, lambda: b"engine")


@NO_GPU
def test_auto_with_an_unwritable_cache_runs_torch_and_warns_once(checkpoints, unwritable, monkeypatch, caplog):
    monkeypatch.setenv(CACHE_ENV, str(unwritable))
    caplog.set_level(logging.INFO)
    backend, reason = create_backend("auto", checkpoints["eigen2014"], SPEC, threads=1)
    assert isinstance(backend, TorchBackend) and "auto chose torch CPU" in reason
    warned = _warnings(caplog, registry.__name__)
    assert len(warned) == 1, warned
    faster = ("openvino CPU or onnxruntime CPU" if openvino_available()[0] else "onnxruntime CPU")
    assert warned[0].startswith(f"auto: running torch CPU fp32, not the faster {faster}: CacheNotWritable: ")
    assert f"'{unwritable / 'onnx'}'" in warned[0] and CACHE_ENV in warned[0]


@NO_GPU
def test_auto_does_not_warn_for_ordinary_skips(checkpoints, onnx_files, tmp_path, monkeypatch, caplog):
    """tensorrt not installed, no CUDA, torch given an .onnx: INFO only, as before."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    caplog.set_level(logging.INFO)
    for model in (checkpoints["eigen2014"], onnx_files["eigen2014"]):
        _, reason = create_backend("auto", model, SPEC, threads=1)
        assert "skipped: tensorrt CUDA fp32" in reason
    assert _warnings(caplog, registry.__name__) == []


def test_a_full_cache_is_only_read(checkpoints, tmp_path):
    """Once the export is there, loading writes nothing in the folder (a read-only, pre-filled cache
    works): the folder's mtime, set to a fixed past value, would move with any file created in it."""
    first, _ = create_backend("onnxruntime", checkpoints["eigen2014"], SPEC, threads=1, cache_dir=tmp_path)
    folder = first.model_path.parent
    os.utime(folder, ns=(10**18, 10**18))
    second, _ = create_backend("onnxruntime", checkpoints["eigen2014"], SPEC, threads=1, cache_dir=tmp_path)
    assert second.model_path == first.model_path and folder.stat().st_mtime_ns == 10**18


# ---- a damaged cached file (F2) ------------------------------------------------------------------

DAMAGE = {"truncated": lambda data: data[:1000], "empty": lambda data: b"",
          "garbage": lambda data: b"\x08\x07not an onnx file" * 64}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_export_is_exported_again_once(checkpoints, tmp_path, caplog, damage):
    first, _ = create_backend("onnxruntime", checkpoints["eigen2014"], SPEC, threads=1, cache_dir=tmp_path)
    x = _input(first)
    expected = first.infer(x)
    path = first.model_path
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    assert onnx_file_problem(path) is not None
    caplog.set_level(logging.INFO)
    again, _ = create_backend("onnxruntime", checkpoints["eigen2014"], SPEC, threads=1, cache_dir=tmp_path)
    warned = _warnings(caplog, onnx_export.__name__)
    assert len(warned) == 1 and "damaged" in warned[0] and path.name in warned[0] and "\n" not in warned[0]
    assert again.model_path == path and onnx_file_problem(path) is None
    for name, value in again.infer(x).items():
        np.testing.assert_allclose(value, expected[name], rtol=1e-6, atol=1e-7)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind
    stamp = path.stat().st_mtime_ns
    caplog.clear()
    create_backend("onnxruntime", checkpoints["eigen2014"], SPEC, threads=1, cache_dir=tmp_path)
    assert path.stat().st_mtime_ns == stamp and _warnings(caplog, onnx_export.__name__) == []


@NO_GPU
@NEEDS_OPENVINO
def test_auto_with_a_damaged_export_still_picks_openvino(checkpoints, tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    path = cached_onnx_for_checkpoint(checkpoints["eigen2014"])
    path.write_bytes(path.read_bytes()[:1000])
    backend, reason = create_backend("auto", checkpoints["eigen2014"], SPEC, threads=1)
    assert isinstance(backend, OpenVinoBackend) and reason.startswith("auto chose openvino CPU")


def test_a_damaged_fp16_copy_is_converted_again(onnx_files, tmp_path, caplog):
    first = cached_fp16_onnx(onnx_files["eigen2014"], tmp_path)
    good = first.read_bytes()
    first.write_bytes(good[: len(good) // 2])
    caplog.set_level(logging.WARNING)
    assert cached_fp16_onnx(onnx_files["eigen2014"], tmp_path) == first
    assert is_fp16_onnx(first) and onnx_file_problem(first) is None
    assert len(_warnings(caplog, onnx_export.__name__)) == 1
    OnnxRuntimeBackend(first, threads=1).load()


# ---- what the keys hold (F6) ---------------------------------------------------------------------

def test_export_name_holds_the_package_and_torch_versions(checkpoints, tmp_path, monkeypatch):
    import torch

    path = cached_onnx_for_checkpoint(checkpoints["eigen2014"], tmp_path)
    assert path.name.startswith("eigen2014-") and path.name.endswith(
        f"-128x160-op{onnx_export.DEFAULT_OPSET}-v{mono_depth_ros.__version__}-torch{torch.__version__}.onnx")
    monkeypatch.setattr(mono_depth_ros, "__version__", "99.0.0")
    upgraded = cached_onnx_for_checkpoint(checkpoints["eigen2014"], tmp_path)
    assert upgraded != path and "-v99.0.0-" in upgraded.name and upgraded.is_file() and path.is_file()


def test_fp16_name_holds_the_conversion_rules_and_package_version(onnx_files, tmp_path, monkeypatch):
    import onnx

    base = cached_fp16_onnx(onnx_files["eigen2014"], tmp_path)
    assert f".fp16-v{mono_depth_ros.__version__}-rules" in base.name
    monkeypatch.setattr(onnx_fp16, "KEEP_FP32_OPS", onnx_fp16.KEEP_FP32_OPS | {"Relu"})
    new_rules = cached_fp16_onnx(onnx_files["eigen2014"], tmp_path)
    assert new_rules != base and new_rules.is_file()

    def casts(path: Path) -> int:
        return sum(n.op_type == "Cast" for n in onnx.load(str(path)).graph.node)

    assert casts(new_rules) > casts(base)  # the new rules were applied, not the old file reused
    monkeypatch.setattr(mono_depth_ros, "__version__", "99.0.0")
    assert cached_fp16_onnx(onnx_files["eigen2014"], tmp_path) not in (base, new_rules)


# ---- threads (F5) --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["onnxruntime", "openvino", "torch", "auto"])
@pytest.mark.parametrize("threads", [-1, -8, 1.5, True, "2"])
def test_bad_thread_counts_are_one_line_errors_on_every_backend(checkpoints, tmp_path, kind, threads):
    with pytest.raises(InputError, match=r"^invalid threads=") as info:
        create_backend(kind, checkpoints["eigen2014"], SPEC, threads=threads, cache_dir=tmp_path)
    assert info.value.field == "threads" and "\n" not in str(info.value)
    assert not (tmp_path / "onnx").exists()  # refused before any work


def test_more_threads_than_cpus_loads_with_one_warning(onnx_files, caplog):
    cpus = os.cpu_count()
    caplog.set_level(logging.INFO)
    backend, _ = create_backend("onnxruntime", onnx_files["eigen2014"], SPEC, threads=cpus + 1)
    warned = _warnings(caplog, registry.__name__)
    assert len(warned) == 1 and f"threads={cpus + 1}" in warned[0] and f"{cpus} CPUs" in warned[0]
    assert backend.infer(_input(backend))


@pytest.mark.parametrize("threads", [0, None, 1])
def test_zero_or_none_threads_mean_the_runtime_default(onnx_files, caplog, threads):
    caplog.set_level(logging.INFO)
    backend, _ = create_backend("onnxruntime", onnx_files["eigen2014"], SPEC, threads=threads)
    assert _warnings(caplog, registry.__name__) == []
    assert ("threads" in backend.describe()) == bool(threads)


# ---- NNCF's console output (F9) ------------------------------------------------------------------

def _why_no_bf16_w8() -> str | None:
    if not openvino_available()[0]:
        return openvino_available()[1]
    import importlib.util

    import openvino as ov

    if importlib.util.find_spec("nncf") is None:
        return "nncf not installed"
    if "BF16" not in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"):
        return "this CPU has no bf16 (OpenVINO capability BF16)"
    return None


@pytest.mark.skipif(_why_no_bf16_w8() is not None, reason=str(_why_no_bf16_w8()))
def test_bf16_w8_through_the_registry_prints_no_nncf_tables(onnx_files, tmp_path):
    """In a child process, as a node's stdout: nothing from NNCF through create_backend; the same
    load straight through OpenVinoBackend afterwards prints NNCF's table (the control, and proof
    that the settings were restored)."""
    script = tmp_path / "load.py"
    script.write_text(textwrap.dedent("""
        import logging, sys
        import rich
        from mono_depth_ros.inference.backends.openvino_backend import OpenVinoBackend
        from mono_depth_ros.inference.backends.registry import create_backend
        from mono_depth_ros.inference.spec import get_spec
        backend, _ = create_backend("openvino", sys.argv[1], get_spec("eigen2014"), precision="bf16_w8", threads=1)
        from nncf.common.logging.logger import nncf_logger
        print("LOADED", backend.effective_precision, logging.getLevelName(nncf_logger.level),
              rich.get_console().quiet, flush=True)
        OpenVinoBackend(sys.argv[1], "bf16_w8", threads=1).load()
    """))
    done = subprocess.run([sys.executable, str(script), str(onnx_files["eigen2014"])], capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    before, _, after = done.stdout.partition("LOADED bf16_w8 INFO False\n")
    assert after, done.stdout
    assert before == "", before
    assert "Statistics of the bitwidth distribution" in after and "Applying Weight Compression" in after
