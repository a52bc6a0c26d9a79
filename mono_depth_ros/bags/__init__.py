"""Reading rosbags (rosbag2 sqlite3/MCAP, ROS 1 .bag, bare .mcap) without ROS: shared by the demo
player and training extraction."""
