"""``make demo DEMO_ARGS="--bag ..."`` on a real recording: the shared MCAP bag (zstd per message,
two 640x480 frames 33 ms apart, shorter than the nodes' first inference) goes through both nodes
in full: the demo waits for the frame still in inference when the bag ends, and for the last frame
still in flight, before it shuts the graph down."""

from __future__ import annotations

from mono_depth_ros.demo.runner import DemoOptions, run_demo


def test_demo_on_a_two_frame_real_bag_processes_both_frames(shared_data, tmp_path):
    bag = shared_data / "rosbag2_mcap_zstd_2frames" / "soccer_goal_12.mcap"
    result = run_demo(DemoOptions(out_dir=tmp_path / "demo", bag=bag, method="li2020", backend="onnxruntime",
                                  snapshots=1))
    depth, ego = result["rows"]
    assert (depth["frames_in"], depth["frames_out"], depth["drops"]) == (2, 2, 0)
    assert (ego["frames_in"], ego["frames_out"]) == (2, 2)
    assert (tmp_path / "demo" / "output_bag").is_dir() and list((tmp_path / "demo").glob("snapshot_*.png"))
