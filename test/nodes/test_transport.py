"""The shipped Fast DDS profile: applied only where the user chose nothing, sized for 1080p."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from mono_depth_ros.nodes.transport import apply_fastdds_profile, profile_path

NS = {"dds": "http://www.eprosima.com"}


def test_profile_applied_only_when_the_user_chose_nothing():
    env: dict[str, str] = {}
    path = apply_fastdds_profile(env)
    assert path is not None and env["FASTDDS_DEFAULT_PROFILES_FILE"] == path
    for user in ({"FASTDDS_DEFAULT_PROFILES_FILE": "/mine.xml"}, {"FASTDDS_BUILTIN_TRANSPORTS": "LARGE_DATA"},
                 {"RMW_IMPLEMENTATION": "rmw_cyclonedds_cpp"}):
        env = dict(user)
        assert apply_fastdds_profile(env) is None and env == user


def test_profile_segment_holds_1080p_frames_and_outputs():
    root = ET.parse(profile_path()).getroot()
    shm = [d for d in root.iterfind(".//dds:transport_descriptor", NS) if d.findtext("dds:type", namespaces=NS) == "SHM"]
    assert len(shm) == 1
    segment_bytes = int(shm[0].findtext("dds:segment_size", namespaces=NS))
    rgb_1080p, depth_1080p, cloud_1080p_stride2 = 1920 * 1080 * 3, 1920 * 1080 * 4, 960 * 540 * 16
    assert segment_bytes >= 4 * (2 * rgb_1080p + depth_1080p + cloud_1080p_stride2)  # 4 frames in flight
    participant = root.find(".//dds:participant", NS)
    assert participant.get("is_default_profile") == "true"
    used = [t.text for t in participant.iterfind(".//dds:userTransports/dds:transport_id", NS)]
    assert shm[0].findtext("dds:transport_id", namespaces=NS) in used and len(used) == 2  # SHM + UDPv4
    assert participant.findtext(".//dds:useBuiltinTransports", namespaces=NS) == "false"
