"""A camera in its own process, for cross-process node tests (run as a script, not collected).

Publishes ``--frames`` rgb8 images (and their camera_info) at ``--rate_hz`` on ``--topic`` with
stamps ``t0 + i / rate`` (``--restart_at K``: the stamps start over at frame K, 10 s before the first
loop's, as a looping bag's go back), with the shipped Fast DDS profile unless the environment already names one. It
starts once a subscriber has matched (``--wait_reliable``: a reliable one), prints ``published N`` when done and then waits for
stdin to close, so that nothing it sent is torn down before the reader took it.

    python test/nodes/camera_process.py --topic /cam/image_raw --frames 90 --reliability reliable
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--topic", default="/camera/image_raw")
    parser.add_argument("--frames", type=int, default=90)
    parser.add_argument("--rate_hz", type=float, default=30.0)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--reliability", choices=("reliable", "best_effort"), default="reliable")
    parser.add_argument("--restart_at", type=int, default=0)
    parser.add_argument("--frame_id", default="camera_optical")
    parser.add_argument("--wait_subscribers", type=int, default=1, help="matched subscriptions to wait for")
    parser.add_argument("--wait_reliable", action="store_true",
                        help="also wait until a subscription on the topic asks for reliable delivery (a node "
                             "whose input_reliability auto has switched)")
    args = parser.parse_args()

    from mono_depth_ros.nodes.transport import apply_fastdds_profile

    apply_fastdds_profile()
    import rclpy
    from rclpy.qos import ReliabilityPolicy
    from sensor_msgs.msg import CameraInfo, Image

    from mono_depth_ros.core.camera import CameraIntrinsics, camera_info_from_intrinsics
    from mono_depth_ros.core.image import numpy_to_image
    from mono_depth_ros.core.stamps import make_header
    from mono_depth_ros.nodes.qos import make_qos

    rclpy.init()
    node = rclpy.create_node("camera_process")
    qos = make_qos(args.reliability, 10)  # keep last 10, as camera drivers commonly do
    pub_img = node.create_publisher(Image, args.topic, qos)
    pub_info = node.create_publisher(CameraInfo, args.topic.rsplit("/", 1)[0] + "/camera_info", qos)
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (args.height, args.width, 3), dtype=np.uint8) for _ in range(4)]
    focal = 0.8 * args.width
    intr = CameraIntrinsics(args.width, args.height, focal, focal, args.width / 2.0, args.height / 2.0)
    deadline = time.monotonic() + 60.0
    def ready() -> bool:
        if pub_img.get_subscription_count() < args.wait_subscribers:
            return False
        return not args.wait_reliable or any(
            info.qos_profile.reliability == ReliabilityPolicy.RELIABLE
            for info in node.get_subscriptions_info_by_topic(args.topic))

    while not ready() and time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.05)
    print(f"matched {pub_img.get_subscription_count()}", flush=True)
    period_s = 1.0 / args.rate_hz
    t0_ns, start_s = 1_700_000_000_000_000_000, time.monotonic()
    for i in range(args.frames):
        restarted = bool(args.restart_at) and i >= args.restart_at
        k = i - args.restart_at if restarted else i
        # the second loop starts 10 s before the first: older than any frame of the first loop the
        # node may have taken (with latest-frame-only it can skip most of them), so the jump back
        # is seen whatever the node's timing
        header = make_header(t0_ns + int(round(k * period_s * 1e9)) - (10**10 if restarted else 0), args.frame_id)
        pub_info.publish(camera_info_from_intrinsics(intr, header, msg_cls=CameraInfo))
        pub_img.publish(numpy_to_image(frames[i % len(frames)], "rgb8", header, msg_cls=Image))
        wait_s = start_s + (i + 1) * period_s - time.monotonic()
        if wait_s > 0:
            time.sleep(wait_s)  # pacing a 30 Hz camera: the rate is the point, not a wait for an event
    print(f"published {args.frames}", flush=True)
    sys.stdin.read()  # until the test closes our stdin
    node.destroy_node()
    rclpy.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
