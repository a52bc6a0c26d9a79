"""Fixtures for node tests on a real rclpy graph (Fast DDS on loopback).

Each test module gets its own rclpy Context on its own ROS_DOMAIN_ID (derived from the process
id and the module name), so parallel test runs of other engineers never see our topics; each
test also uses a unique namespace. Waiting is done on events with timeouts, never fixed sleeps.
"""

from __future__ import annotations

import itertools
import os
import threading
import zlib
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy")

from mono_depth_ros.nodes.transport import apply_fastdds_profile  # noqa: E402

# Node tests run with the shipped Fast DDS profile, as the console scripts do. Fast DDS reads it
# when the process creates its first participant, which happens after collection.
apply_fastdds_profile()

from rclpy.executors import MultiThreadedExecutor  # noqa: E402
from rclpy.node import Node  # noqa: E402

_COUNTER = itertools.count()


def _domain_id(module_name: str) -> int:
    """A ROS domain id in [1, 200] unique enough per (process, module)."""
    return 1 + (os.getpid() * 31 + zlib.crc32(module_name.encode())) % 200


@pytest.fixture(scope="module")
def ros_context(request):
    """An initialised rclpy Context on this module's own domain, shut down afterwards."""
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=_domain_id(request.module.__name__))
    yield context
    context.try_shutdown()


class Graph:
    """Nodes spun by a background multi-threaded executor; helpers to collect messages."""

    def __init__(self, context) -> None:
        self.context = context
        self.executor = MultiThreadedExecutor(num_threads=3, context=context)
        self.nodes: list[Node] = []
        self.skipped: list[str] = []  # callbacks of destroyed entities the spin went past
        self.namespace = f"/t{os.getpid()}_{next(_COUNTER)}"
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self) -> None:
        from mono_depth_ros.nodes.spin import spin

        try:  # as the console scripts spin: a callback of an entity a test destroyed is skipped
            spin(self.executor, lambda text: self.skipped.append(text))
        except Exception:  # executor shut down while spinning
            pass

    def add(self, node: Node) -> Node:
        self.nodes.append(node)
        self.executor.add_node(node)
        return node

    def helper(self) -> Node:
        return self.add(Node(f"helper_{next(_COUNTER)}", namespace=self.namespace, context=self.context))

    def close(self) -> None:
        self.executor.shutdown(timeout_sec=5.0)
        for node in self.nodes:
            node.destroy_node()


@pytest.fixture
def graph(ros_context):
    g = Graph(ros_context)
    yield g
    g.close()


class Collector:
    """Subscription that stores messages and signals when ``n`` have arrived."""

    def __init__(self, node: Node, msg_type: type, topic: str, qos: Any = 10) -> None:
        self.messages: list[Any] = []
        self._cond = threading.Condition()
        self.subscription = node.create_subscription(msg_type, topic, self._on_msg, qos)

    def matched(self) -> bool:
        """True once a writer is matched to this subscription (DDS matching, not just graph discovery)."""
        return self.subscription.get_publisher_count() >= 1

    def _on_msg(self, msg: Any) -> None:
        with self._cond:
            self.messages.append(msg)
            self._cond.notify_all()

    def wait_for(self, n: int, timeout_s: float = 20.0, where: Callable[[Any], bool] | None = None) -> list[Any]:
        """The first ``n`` messages (matching ``where``); AssertionError after ``timeout_s``."""
        def matching():
            return [m for m in self.messages if where is None or where(m)]
        with self._cond:
            ok = self._cond.wait_for(lambda: len(matching()) >= n, timeout=timeout_s)
            found = matching()
        assert ok, f"got {len(found)} of {n} messages within {timeout_s} s"
        return found[:n]


def advertised_topics(helper: Node, node: Node) -> set[str]:
    """The topics ``node`` publishes, as the ROS graph (``ros2 node info``) shows them to ``helper``."""
    return {name for name, _ in helper.get_publisher_names_and_types_by_node(node.get_name(), node.get_namespace())}


def wait_until(predicate: Callable[[], bool], timeout_s: float = 20.0, what: str = "") -> None:
    """Poll ``predicate`` on a condition variable tick (no fixed sleep) until true or timeout."""
    event = threading.Event()
    deadline_hit = not _poll(predicate, event, timeout_s)
    assert not deadline_hit, f"timed out after {timeout_s} s waiting for {what or predicate}"


def publish_info(pub_info: Any, msg: Any, *nodes: Any) -> None:
    """Publish a CameraInfo and wait until every node in ``nodes`` holds it: the image and
    camera_info callbacks run on different executor threads, so an image published right after its
    camera_info may otherwise be processed first (and dropped as ``no_camera_info``)."""
    from mono_depth_ros.core.camera import intrinsics_from_camera_info

    expected = intrinsics_from_camera_info(msg)
    pub_info.publish(msg)
    wait_until(lambda: all(n.camera.latest == expected for n in nodes),
               what=f"camera_info {expected.width}x{expected.height} taken by {len(nodes)} node(s)")


def _poll(predicate: Callable[[], bool], event: threading.Event, timeout_s: float) -> bool:
    import time

    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if predicate():
            return True
        event.wait(0.02)  # a short poll interval, bounded by the overall timeout
    return predicate()


@pytest.fixture(scope="session")
def light_checkpoints(tmp_path_factory) -> dict[str, Path]:
    """Randomly initialised light models saved with save_model_checkpoint (structure tests only:
    their outputs are not meaningful depth; direction tests need trained weights)."""
    require_inference()
    import torch

    from mono_depth_ros.inference.spec import get_spec
    from mono_depth_ros.inference.checkpoint import save_model_checkpoint

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("light_models")
    paths = {}
    for name in ("eigen2014", "xian2018", "li2020_depth", "li2020_motion"):
        kwargs = {"variant": "light"}
        model = get_spec(name).build(**kwargs)
        paths[name] = folder / f"{name}.pt"
        save_model_checkpoint(paths[name], name, model, kwargs, config={})
    return paths


def rgb_frame(width: int = 128, height: int = 96, seed: int = 0) -> np.ndarray:
    """(H, W, 3) uint8 textured test image."""
    rng = np.random.default_rng(seed)
    base = np.linspace(0, 255, width, dtype=np.float32)[None, :, None]
    noise = rng.integers(0, 60, size=(height, width, 3)).astype(np.float32)
    return np.clip(base * 0.7 + noise, 0, 255).astype(np.uint8)


def make_image(rgb: np.ndarray, stamp_ns: int, frame_id: str = "cam_optical"):
    """rclpy rgb8 Image of (H, W, 3) uint8 ``rgb``."""
    from sensor_msgs.msg import Image

    from mono_depth_ros.core.image import numpy_to_image
    from mono_depth_ros.core.stamps import make_header

    return numpy_to_image(rgb, "rgb8", make_header(stamp_ns, frame_id), msg_cls=Image)


def make_info(width: int, height: int, stamp_ns: int, fx: float = 100.0, frame_id: str = "cam_optical"):
    """rclpy CameraInfo of a pinhole with principal point at the image centre."""
    from sensor_msgs.msg import CameraInfo

    from mono_depth_ros.core.camera import CameraIntrinsics, camera_info_from_intrinsics
    from mono_depth_ros.core.stamps import make_header

    intr = CameraIntrinsics(width, height, fx, fx, (width - 1) / 2.0, (height - 1) / 2.0)
    return camera_info_from_intrinsics(intr, make_header(stamp_ns, frame_id), msg_cls=CameraInfo)


def require_inference():
    """Skip (with a reason) while the inference package has not landed."""
    for module in ("mono_depth_ros.inference.depth_estimator", "mono_depth_ros.inference.spec",
                   "mono_depth_ros.inference.checkpoint"):
        pytest.importorskip(module, reason=f"{module} not available yet (inference/models not landed)")


def add_depth_node(graph: Any, checkpoints: dict, method: str = "eigen2014", spec: str | None = None,
                   name: str = "depth", **params: Any) -> Any:
    """A DepthNode on ``graph`` reading ``<ns>/cam/image_raw`` with the light ``spec`` checkpoint on torch,
    reliable input (depth 10), cloud at stride 1 and no range cut; ``params`` override."""
    require_inference()
    from mono_depth_ros.nodes.depth_node import DepthNode

    overrides = {"image_topic": f"{graph.namespace}/cam/image_raw", "method": method,
                 "model_path": str(checkpoints[spec or method]), "backend": "torch", "point_stride_px": 1,
                 "max_range_m": 1000.0, "input_reliability": "reliable", "input_depth": 10}
    overrides.update(params)
    return graph.add(DepthNode(f"{name}_{abs(hash(graph.namespace)) % 10**6}", namespace=graph.namespace,
                               context=graph.context, parameter_overrides=overrides))


def depth_node_io(graph: Any, node: Any, image: str = "image_raw") -> tuple[Any, Any, dict]:
    """Publishers of ``<ns>/cam/<image>`` and its camera_info, and Collectors of the depth node's
    outputs {"depth", "info", "points"}, all reliable depth 10, once discovery has matched them
    (~/points only where the node advertises it: a configuration that can publish a cloud)."""
    from sensor_msgs.msg import CameraInfo, Image, PointCloud2

    from mono_depth_ros.nodes.qos import make_qos

    helper = graph.helper()
    qos = make_qos("reliable", 10)
    pub_img = helper.create_publisher(Image, f"{graph.namespace}/cam/{image}", qos)
    pub_info = helper.create_publisher(CameraInfo, f"{graph.namespace}/cam/camera_info", qos)
    name = node.get_fully_qualified_name()
    outs = {"depth": Collector(helper, Image, f"{name}/depth/image", qos),
            "info": Collector(helper, CameraInfo, f"{name}/depth/camera_info", qos),
            "points": Collector(helper, PointCloud2, f"{name}/points", qos)}
    wait_until(lambda: pub_img.get_subscription_count() > 0 and pub_info.get_subscription_count() > 0
               and node.pub_depth.get_subscription_count() > 0 and node.pub_info.get_subscription_count() > 0
               and (node.pub_points.get_subscription_count() > 0 or not node.pub_points.advertised),
               what="graph discovery")
    return pub_img, pub_info, outs

