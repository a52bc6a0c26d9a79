"""ament_python build of mono_depth_ros (colcon in a ROS 2 workspace, or pip in a venv)."""

from glob import glob
import os

from setuptools import find_packages, setup

PACKAGE = "mono_depth_ros"


def share(folder: str, pattern: str) -> tuple[str, list[str]]:
    """One data_files entry installing ``folder/pattern`` into share/<package>/<folder>."""
    return (os.path.join("share", PACKAGE, folder), sorted(glob(os.path.join(folder, pattern))))


setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(include=[PACKAGE, f"{PACKAGE}.*", "training", "training.*"]),
    package_data={PACKAGE: ["weights/*.pt", "weights/*.json"]},
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (os.path.join("share", PACKAGE), ["package.xml"]),
        share("launch", "*.launch.py"),
        share("config", "*.yaml"),
        share("config", "*.xml"),  # fastdds_large_data.xml
        share("config/training", "*.yaml"),
        share("rviz", "*.rviz"),
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    maintainer="mono_depth_ros maintainers",
    maintainer_email="maintainers@mono-depth-ros.org",
    description="Monocular depth, ego-motion and point clouds for ROS 2 (Eigen 2014, Xian 2018, Li 2020).",
    license="Apache-2.0",
    tests_require=["pytest"],
    entry_points={
        "console_scripts": [
            "depth_node = mono_depth_ros.nodes.console:depth_node",
            "ego_motion_node = mono_depth_ros.nodes.console:ego_motion_node",
            "mono_depth_pipeline = mono_depth_ros.nodes.console:mono_depth_pipeline",
            "mono_depth_demo = mono_depth_ros.demo.__main__:main",
        ],
    },
)
