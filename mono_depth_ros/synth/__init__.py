"""Synthetic RGB-D (+stereo) sequences with exact ground truth, and their rosbag2 writer.

- :class:`SyntheticSequence` / :class:`SynthConfig`: render frames without any bag.
- :func:`write_synthetic_bag`: the same sequence as a rosbag2 (MCAP) folder.
"""

from mono_depth_ros.synth.bag_writer import sequence_intrinsics, write_synthetic_bag
from mono_depth_ros.synth.sequence import SynthConfig, SynthFrame, SyntheticSequence

__all__ = ["SynthConfig", "SynthFrame", "SyntheticSequence", "sequence_intrinsics", "write_synthetic_bag"]
