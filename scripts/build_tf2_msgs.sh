#!/usr/bin/env bash
# Generate and install the tf2_msgs interface package into the venv with the rosidl toolchain
# from PyPI (tf2_msgs has no PyPI wheel). Idempotent: does nothing when it already imports.
# Usage: scripts/build_tf2_msgs.sh VENV_DIR
set -euo pipefail
venv="$(cd "$1" && pwd)"
py="$venv/bin/python"
here="$(cd "$(dirname "$0")" && pwd)"

if "$py" -c "from tf2_msgs.msg import TFMessage" 2>/dev/null; then
  exit 0
fi

# The ROS wheels' exported CMake targets name include folders of the machine that built them.
py_include="$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
np_include="$("$py" -c 'import numpy, os; print(os.path.join(os.path.dirname(numpy.__file__), "_core", "include"))')"
link_if_missing() {  # $1 = expected path, $2 = real path
  if [ ! -e "$1" ]; then
    mkdir -p "$(dirname "$1")" 2>/dev/null || sudo mkdir -p "$(dirname "$1")"
    ln -s "$2" "$1" 2>/dev/null || sudo ln -s "$2" "$1"
  fi
}
link_if_missing /opt/python/cp311-cp311/include/python3.11 "$py_include"
link_if_missing /opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include "$np_include"

build="$venv/.build/tf2_msgs"
rm -rf "$build"
mkdir -p "$build"
export PATH="$venv/bin:$PATH"
export CMAKE_PREFIX_PATH="$venv"
export AMENT_PREFIX_PATH="$venv"
echo "[setup] generating tf2_msgs with rosidl (about 10 s)"
cmake -S "$here/tf2_msgs" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DPython3_EXECUTABLE="$py" -DCMAKE_INSTALL_PREFIX="$venv" -DBUILD_TESTING=OFF >"$build/configure.log" 2>&1 \
  || { tail -n 40 "$build/configure.log"; echo "[setup] tf2_msgs: cmake configure failed (log: $build/configure.log)"; exit 1; }
cmake --build "$build" -j "$(nproc)" >"$build/build.log" 2>&1 \
  || { tail -n 40 "$build/build.log"; echo "[setup] tf2_msgs: build failed (log: $build/build.log)"; exit 1; }
cmake --install "$build" >"$build/install.log" 2>&1
"$py" -c "from tf2_msgs.msg import TFMessage" \
  || { echo "[setup] tf2_msgs was built but does not import"; exit 1; }
echo "[setup] tf2_msgs installed into $venv"
