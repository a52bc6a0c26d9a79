"""How the nodes load their models, on real runtimes (ONNX Runtime, OpenVINO, torch) and real rclpy
nodes: int8 with ``calibration_dir`` (or an already quantised model), ``threads``, and every
load-time refusal as one start-up line naming the parameter to change (``precision``, ``backend``,
``calibration_dir``, ``method``), never a suggestion of a value the parameter does not take; the
backend choice logged once."""

from __future__ import annotations

import logging
import os
import re

import cv2
import numpy as np
import pytest

from mono_depth_ros.inference.backends.registry import BACKEND_PRECISIONS, BACKENDS, PRECISIONS
from mono_depth_ros.nodes.params import ConfigError

from .conftest import require_inference, rgb_frame

openvino = pytest.importorskip("openvino")
HAS = set(openvino.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"))


@pytest.fixture(autouse=True, scope="module")
def own_cache(tmp_path_factory):
    """This module's ONNX exports and int8 models go to a folder of its own, not the user's cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MONO_DEPTH_ROS_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def frames_dir(tmp_path_factory):
    """An extracted-dataset-like folder (rgb/*.png) of 4 textured frames."""
    folder = tmp_path_factory.mktemp("calibration")
    (folder / "rgb").mkdir()
    for i in range(4):
        cv2.imwrite(str(folder / "rgb" / f"{i:06d}.png"), rgb_frame(seed=i))
    return folder


def _depth(checkpoints, backend, precision, spec="eigen2014", **options):
    from mono_depth_ros.nodes.model_loading import load_depth_estimator

    return load_depth_estimator("model_path", str(checkpoints[spec]), spec, backend, precision,
                                method={"li2020_depth": "li2020"}.get(spec, spec), options=options)


def _one_line_error(call, *args, **kwargs) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        call(*args, **kwargs)
    text = str(info.value)
    assert "\n" not in text and len(text) < 600, text
    return info.value


# ---------------------------------------------------------------- int8 and calibration_dir (B1, B2)
def test_int8_on_openvino_without_calibration_dir_names_precision_and_calibration_dir(light_checkpoints):
    require_inference()
    from mono_depth_ros.nodes.model_loading import load_motion_estimator

    error = _one_line_error(_depth, light_checkpoints, "openvino", "int8")
    assert (error.name, error.value) == ("precision", "int8")
    assert "set calibration_dir" in str(error) and "model_path" not in str(error)
    error = _one_line_error(load_motion_estimator, "motion_model_path", str(light_checkpoints["li2020_motion"]),
                            "openvino", "int8")
    assert error.name == "precision" and "set calibration_dir" in str(error)


def test_calibration_dir_without_frames_or_missing_names_calibration_dir(light_checkpoints, tmp_path):
    require_inference()
    from mono_depth_ros.nodes.depth_config import DEPTH_PARAMS, DepthNodeConfig
    from mono_depth_ros.nodes.params import build_config

    error = _one_line_error(_depth, light_checkpoints, "auto", "int8", calibration_dir=str(tmp_path))
    assert (error.name, error.value) == ("calibration_dir", str(tmp_path)) and "no .png/.jpg frames" in str(error)
    error = _one_line_error(build_config, DepthNodeConfig, DEPTH_PARAMS, {"calibration_dir": str(tmp_path / "no")})
    assert error.name == "calibration_dir" and "folder not found" in str(error)


def test_auto_int8_without_calibration_dir_runs_fp32_and_says_what_int8_needs(light_checkpoints):
    require_inference()
    from mono_depth_ros.nodes.model_loading import checked_precision

    estimator = _depth(light_checkpoints, "auto", "int8")
    warnings: list[str] = []
    assert checked_precision(estimator, "auto", "int8", warnings.append) == "fp32"
    assert len(warnings) == 1 and "running fp32" in warnings[0] and "calibration_dir" in warnings[0]


def test_depth_node_quantises_on_calibration_dir_from_its_parameters(graph, light_checkpoints, frames_dir):
    """precision int8 + calibration_dir reach the estimator: OpenVINO quantises on those frames."""
    from .conftest import add_depth_node

    node = add_depth_node(graph, light_checkpoints, backend="openvino", precision="int8",
                          calibration_dir=str(frames_dir))
    assert node.effective_precision.startswith("int8+")
    assert node.estimator.backend.quantized_path.is_file()
    assert node.stats()["precision"] == node.effective_precision


def test_an_already_quantised_onnx_runs_int8_without_calibration_dir(light_checkpoints, frames_dir):
    """B2: a Q/DQ ONNX is int8 on OpenVINO without frames; asked for fp32 (OpenVINO or ONNX Runtime)
    it runs as int8+fp32 with one warning; a float precision it cannot take names ``precision``
    with a value the backend offers."""
    require_inference()
    from mono_depth_ros.inference.calibration import cached_qdq_onnx
    from mono_depth_ros.inference.spec import get_spec
    from mono_depth_ros.nodes.model_loading import checked_precision, load_depth_estimator

    exported = _depth(light_checkpoints, "onnxruntime", "fp32").backend.model_path  # the cached export
    qdq = str(cached_qdq_onnx(exported, get_spec("eigen2014"), frames_dir, count=4))

    def load(backend, precision):
        return load_depth_estimator("model_path", qdq, "eigen2014", backend, precision, method="eigen2014")

    int8 = load("openvino", "int8")
    assert int8.effective_precision.startswith("int8+") and int8.backend.quantized_path is None
    warnings: list[str] = []
    assert checked_precision(int8, "openvino", "int8", warnings.append) == int8.effective_precision
    assert not warnings
    for backend in ("openvino", "onnxruntime"):
        estimator = load(backend, "fp32")
        assert checked_precision(estimator, backend, "fp32", warnings.append) == "int8+fp32"
        assert "already quantised" in warnings[-1]
    assert len(warnings) == 2
    assert "precision int8" in warnings[0] and "int8" not in warnings[1].split("runs int8+fp32")[1]
    error = _one_line_error(load, "onnxruntime", "fp16")  # ONNX Runtime offers no int8: fp32 it is
    assert (error.name, error.value) == ("precision", "fp16") and "choose precision 'fp32'" in str(error)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("precision", PRECISIONS)
def test_a_precision_refusal_suggests_only_values_the_backend_takes(backend, precision):
    """Whatever a backend reports running, the refusal suggests a precision that backend offers
    (never "int8+fp32" or "tf32"), or only backend 'auto'."""
    from mono_depth_ros.nodes.model_loading import checked_precision

    class Reported:  # what a loaded estimator reports (the values every backend may report)
        def __init__(self, effective: str) -> None:
            self.backend = type("Backend", (), {"effective_precision": effective})()
            self.backend_description = f"a runtime running {effective}"

    offered = BACKEND_PRECISIONS.get(backend, PRECISIONS)
    for effective in ("fp32", "fp16", "bf16", "bf16_w8", "bf16_w4", "tf32", "int8+fp32", "int8+bf16", "int8+fp16"):
        texts: list[str] = []
        try:
            checked_precision(Reported(effective), backend, precision, texts.append)
        except ConfigError as exc:
            texts.append(str(exc))
        for value in re.findall(r"precision '([^']+)'|precision (\S+) says so", " ".join(texts)):
            assert (value[0] or value[1]) in offered, (effective, texts)


# ---------------------------------------------------------------- refusals name the parameter (F7)
@pytest.mark.skipif("FP16" in HAS, reason="this CPU runs fp16 in OpenVINO")
def test_openvino_fp16_refusal_names_precision(light_checkpoints):
    require_inference()
    error = _one_line_error(_depth, light_checkpoints, "openvino", "fp16")
    assert (error.name, error.value) == ("precision", "fp16") and "no FP16 support" in str(error)
    assert "model_path" not in str(error) and "backend 'auto'" in str(error)


def test_weight_precision_on_a_network_without_fully_connected_layers_names_precision(light_checkpoints):
    require_inference()
    error = _one_line_error(_depth, light_checkpoints, "openvino", "bf16_w8", spec="xian2018")
    # without BF16 the capability is missing; with it nothing is left compressed: both the precision's
    assert (error.name, error.value) == ("precision", "bf16_w8") and "model_path" not in str(error)


def test_torch_fp16_without_cuda_names_precision(light_checkpoints):
    require_inference()
    import torch

    if torch.cuda.is_available():
        pytest.skip("torch has CUDA here: fp16 runs")
    error = _one_line_error(_depth, light_checkpoints, "torch", "fp16")
    assert (error.name, error.value) == ("precision", "fp16") and "choose fp32 or bf16" in str(error)


def test_tensorrt_missing_names_backend(light_checkpoints):
    require_inference()
    from mono_depth_ros.inference.backends.tensorrt_backend import tensorrt_available

    if tensorrt_available()[0]:
        pytest.skip("TensorRT runs here")
    error = _one_line_error(_depth, light_checkpoints, "tensorrt", "fp32")
    assert (error.name, error.value) == ("backend", "tensorrt") and "choose backend 'auto'" in str(error)
    if not os.path.exists("/dev/nvidia0"):
        assert "no /dev/nvidia0" in str(error) and "pip install" not in str(error)


def test_a_file_of_another_network_names_method_or_the_model_path(light_checkpoints):
    require_inference()
    from mono_depth_ros.nodes.model_loading import load_depth_estimator, load_motion_estimator

    def depth(param, spec_name, method, file_spec):
        return load_depth_estimator(param, str(light_checkpoints[file_spec]), spec_name, "torch", "fp32",
                                    method=method)

    error = _one_line_error(depth, "model_path", "eigen2014", "eigen2014", "xian2018")
    assert (error.name, error.value) == ("method", "eigen2014") and "set method xian2018" in str(error)
    assert "spec_name" not in str(error)
    error = _one_line_error(depth, "model_path", "li2020_depth", "li2020", "li2020_motion")
    assert error.name == "model_path" and "a depth model is expected" in str(error)
    error = _one_line_error(depth, "depth_model_path", "li2020_depth", "", "eigen2014")  # ego_motion_node's
    assert error.name == "depth_model_path" and "'li2020_depth' model is expected" in str(error)
    error = _one_line_error(load_motion_estimator, "motion_model_path", str(light_checkpoints["li2020_depth"]),
                            "torch", "fp32")
    assert error.name == "motion_model_path" and "a motion model (li2020_motion) is expected" in str(error)


# ---------------------------------------------------------------- threads (F4)
def test_threads_is_validated_and_warned_about():
    from mono_depth_ros.nodes.depth_config import DEPTH_PARAMS, DepthNodeConfig
    from mono_depth_ros.nodes.ego_motion_config import EGO_PARAMS, EgoMotionConfig
    from mono_depth_ros.nodes.model_loading import runtime_options
    from mono_depth_ros.nodes.params import build_config

    for config_cls, table in ((DepthNodeConfig, DEPTH_PARAMS), (EgoMotionConfig, EGO_PARAMS)):
        assert build_config(config_cls, table, {}).threads == 0
        error = _one_line_error(build_config, config_cls, table, {"threads": -1})
        assert str(error) == "invalid parameter threads=-1: must be >= 0"
    warnings: list[str] = []
    assert runtime_options("fp32", "", 0, warnings.append) == {"calibration_dir": None, "threads": None}
    assert runtime_options("fp32", "", 1, warnings.append)["threads"] == 1 and not warnings
    too_many = (os.cpu_count() or 1) + 1
    assert runtime_options("fp32", "/frames", too_many, warnings.append)["threads"] == too_many
    assert len(warnings) == 2 and f"threads {too_many} is more than the" in warnings[0]
    assert "calibration_dir is used only with precision int8" in warnings[1]


def test_threads_reach_both_nodes_backends(graph, light_checkpoints):
    from mono_depth_ros.nodes.ego_motion_node import EgoMotionNode

    from .conftest import add_depth_node

    depth = add_depth_node(graph, light_checkpoints, backend="onnxruntime", threads=1)
    assert depth.estimator.backend.threads == 1 and "1 threads" in depth.estimator.backend_description
    ego = graph.add(EgoMotionNode("ego_threads", namespace=graph.namespace, context=graph.context,
                                  parameter_overrides={
                                      "image_topic": f"{graph.namespace}/cam/image_raw", "backend": "openvino",
                                      "threads": 1, "motion_model_path": str(light_checkpoints["li2020_motion"]),
                                      "depth_model_path": str(light_checkpoints["li2020_depth"])}))
    for estimator in (ego.motion, ego.depth_estimator):
        assert estimator.backend.threads == 1 and ", 1 threads" in estimator.backend_description


# ---------------------------------------------------------------- the backend choice, once
def test_a_node_logs_the_backend_choice_once(graph, light_checkpoints, caplog):
    """auto logs one line per skipped candidate and then its choice naming every skip: while a node
    loads, only the choice line is logged (API callers of create_backend still get both)."""
    from .conftest import add_depth_node

    caplog.set_level(logging.INFO, logger="mono_depth_ros")
    add_depth_node(graph, light_checkpoints, backend="auto")
    lines = [r.getMessage() for r in caplog.records if r.name.endswith("backends.registry")]
    assert len(lines) == 1 and lines[0].startswith("auto chose") and "skipped: " in lines[0], lines
    assert not logging.getLogger("mono_depth_ros.inference.backends.registry").filters


# ---------------------------------------------------------------- an image topic that stays silent
@pytest.mark.parametrize("node_kind", ["depth_node", "ego_motion_node"])
def test_a_silent_image_topic_is_warned_about_with_its_publishers(graph, light_checkpoints, monkeypatch, node_kind):
    """No image: one WARN after NO_IMAGE_WARN_AFTER_S naming the topic and its publishers, then at
    most one every NO_IMAGE_REPEAT_S (shortened here) saying what the publishers tell (a best-effort
    one does not match a reliable input); images that stop after the first are warned about too."""
    from rcl_interfaces.msg import Log
    from sensor_msgs.msg import Image

    from mono_depth_ros.nodes import image_watch
    from mono_depth_ros.nodes.ego_motion_node import EgoMotionNode
    from mono_depth_ros.nodes.qos import make_qos

    from .conftest import Collector, add_depth_node, make_image, wait_until

    monkeypatch.setattr(image_watch, "NO_IMAGE_WARN_AFTER_S", 0.5)
    monkeypatch.setattr(image_watch, "NO_IMAGE_REPEAT_S", 1.0)
    helper = graph.helper()
    log = Collector(helper, Log, "/rosout", make_qos("reliable", 100))
    topic = f"{graph.namespace}/cam/image_raw"
    if node_kind == "depth_node":
        node = add_depth_node(graph, light_checkpoints)
    else:
        node = graph.add(EgoMotionNode("ego_watch", namespace=graph.namespace, context=graph.context,
                                       parameter_overrides={
                                           "image_topic": topic, "backend": "torch", "input_reliability": "reliable",
                                           "motion_model_path": str(light_checkpoints["li2020_motion"]),
                                           "depth_model_path": str(light_checkpoints["li2020_depth"])}))
    name = node.get_logger().name

    def warned(text):
        return lambda m: m.name == name and m.msg.startswith(f"no image on {topic} yet") and text in m.msg

    first = log.wait_for(1, where=warned("(0 publishers): check image_topic / remapping"))[0]
    assert first.level == Log.WARN
    reliable = helper.create_publisher(Image, topic, make_qos("reliable", 10))
    log.wait_for(1, where=warned("(1 publisher, matched): is it publishing?"))
    helper.create_publisher(Image, topic, make_qos("best_effort", 10))
    log.wait_for(1, where=warned("(2 publishers, 1 matched): incompatible QoS?"))
    reliable.publish(make_image(rgb_frame(), 1_700_000_000_000_000_000))
    wait_until(lambda: node.slot.received >= 1, what="the first image")
    # a camera that sends one image and stops: warned about too, with how many came before
    stalled = log.wait_for(1, where=lambda m: m.name == name and m.msg.startswith(f"no image on {topic} for ")
                           and "(1 received before)" in m.msg)[0]
    assert stalled.level == Log.WARN
